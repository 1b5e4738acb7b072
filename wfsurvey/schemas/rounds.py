"""Round definitions as staff and scripts send them: template, window in a time zone, audience, reminders."""
from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from wfsurvey.domain.rules import parse_duration, parse_local, zone
from wfsurvey.domain.stakeholders import ORG_TYPES


class AudienceSchema(Schema):
    class Meta:
        unknown = RAISE

    #: Region codes (or names) of the default scheme; empty means every region.
    regions = fields.List(fields.String(validate=validate.Length(1, 200)), load_default=list)
    #: Organisation types; empty means every type.
    org_types = fields.List(fields.String(validate=validate.OneOf(ORG_TYPES)), load_default=list)
    #: Contacts (ids or email addresses) invited whatever their region and type.
    include_contacts = fields.List(fields.Raw(), load_default=list)
    #: Contacts never invited.
    exclude_contacts = fields.List(fields.Raw(), load_default=list)


class RemindersSchema(Schema):
    class Meta:
        unknown = RAISE

    offsets = fields.List(fields.String(), load_default=lambda: ["P7D", "P2D", "P1D"])
    min_gap_hours = fields.Integer(load_default=20, validate=validate.Range(0, 24 * 14))
    send_hours = fields.List(fields.Integer(validate=validate.Range(0, 24)), load_default=lambda: [8, 18],
                             validate=validate.Length(equal=2))

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        for offset in data.get("offsets", []):
            try:
                parse_duration(offset)
            except ValueError as exc:
                raise ValidationError(str(exc), "offsets") from exc
        hours = data.get("send_hours", [8, 18])
        if len(hours) == 2 and not hours[0] < hours[1]:
            raise ValidationError("send from an earlier hour to a later one, e.g. [8, 18]", "send_hours")

    @post_load
    def _order(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        # Largest offset first: the schedule reads in time order.
        data["offsets"] = sorted(set(o.strip().upper() for o in data["offsets"]), key=parse_duration, reverse=True)
        return data


class RoundInputSchema(Schema):
    class Meta:
        unknown = RAISE

    template = fields.String(required=True, validate=validate.Length(1, 80))
    version = fields.Integer(validate=validate.Range(min=1, max=1_000_000))
    title = fields.String(required=True, validate=validate.Length(1, 300))
    timezone = fields.String(load_default="America/Los_Angeles")
    opens_at = fields.String(required=True, validate=validate.Length(1, 40))
    closes_at = fields.String(required=True, validate=validate.Length(1, 40))
    audience = fields.Nested(AudienceSchema, load_default=lambda: AudienceSchema().load({}))
    reminders = fields.Nested(RemindersSchema, load_default=lambda: RemindersSchema().load({}))
    baseline = fields.Boolean(load_default=False)
    response_rule = fields.String(load_default="organization", validate=validate.OneOf(["organization", "contact"]))

    @validates_schema
    def _times(self, data: dict[str, Any], **_: Any) -> None:
        try:
            zone(data.get("timezone") or "America/Los_Angeles")
        except ValueError as exc:
            raise ValidationError(str(exc), "timezone") from exc
        parsed = {}
        for name in ("opens_at", "closes_at"):
            try:
                parsed[name] = parse_local(data[name], data.get("timezone") or "America/Los_Angeles")
            except (TypeError, ValueError, OverflowError) as exc:
                raise ValidationError(f"not an ISO 8601 time ({exc})", name) from exc
        if parsed["closes_at"] <= parsed["opens_at"]:
            raise ValidationError("must be after opens_at", "closes_at")

    @post_load
    def _to_utc(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        for name in ("opens_at", "closes_at"):
            data[name] = parse_local(data[name], data["timezone"])
        return data
