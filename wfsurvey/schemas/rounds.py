"""Rounds: their definitions as staff and scripts send them (template, window in a time zone, audience, reminders),
and what the API reads and writes about a round, its status and its invitations."""
from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from wfsurvey.domain.invitations import INVITATION_STATUSES
from wfsurvey.domain.rules import parse_duration, parse_local, zone
from wfsurvey.domain.stakeholders import ORG_TYPES
from wfsurvey.models.surveys import ROUND_STATES
from wfsurvey.queries import DEFAULT_PER_PAGE, MAX_PER_PAGE
from wfsurvey.schemas.common import MAX_ID, NO_NUL, Id, IsoTime, LocalTime, NextLink, PageQuerySchema, Text, page_schema
from wfsurvey.schemas.template_api import TemplateRefSchema


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


# --- the API: query strings ---------------------------------------------------------------

class RoundQuerySchema(PageQuerySchema):
    state = fields.String(validate=validate.OneOf(ROUND_STATES))
    template = Text(80, metadata={"description": "Template slug"})


class InvitationQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(INVITATION_STATUSES))


class StatusQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    non_respondents = fields.Integer(
        load_default=DEFAULT_PER_PAGE, validate=validate.Range(0, MAX_PER_PAGE),
        metadata={"description": "How many non-respondents to list: the first page of GET /rounds/{round_id}/non-respondents, "
                                 "where non_respondents_next reads on (the total is always given)"})


class NonRespondentQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    after = Id(metadata={"description": "The invitation the previous page ended with (`next` gives it); none for the first page"})
    limit = fields.Integer(load_default=DEFAULT_PER_PAGE, validate=validate.Range(1, MAX_PER_PAGE))


# --- the API: bodies ----------------------------------------------------------------------

class ContactRef(fields.Field):
    """A contact named by id or by email address."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValidationError("a contact id or email address")
        if isinstance(value, int) and not 1 <= value <= MAX_ID:
            raise ValidationError("not a contact id")
        if isinstance(value, str) and (len(value) > 320 or "\x00" in value):
            raise ValidationError("not an email address")
        return value


class AudienceInputSchema(AudienceSchema):
    include_contacts = fields.List(ContactRef(), load_default=list)
    exclude_contacts = fields.List(ContactRef(), load_default=list)


class RoundCreateSchema(RoundInputSchema):
    """POST /rounds: times are text (an offset, or naive = local to `timezone`)."""

    version = fields.Integer(validate=validate.Range(1, MAX_ID))
    timezone = fields.String(load_default="America/Los_Angeles", validate=[validate.Length(1, 64), NO_NUL])
    opens_at = LocalTime(required=True)
    closes_at = LocalTime(required=True)
    audience = fields.Nested(AudienceInputSchema, load_default=lambda: AudienceInputSchema().load({}))

    # Same names as RoundInputSchema's hooks, so these replace them: they also refuse times
    # that cannot be turned into UTC (year 1 or 9999 with an offset).
    @validates_schema
    def _times(self, data: dict[str, Any], **_: Any) -> None:
        tz = data.get("timezone") or "America/Los_Angeles"
        try:
            zone(tz)
        except ValueError as exc:
            raise ValidationError(str(exc), "timezone") from exc
        parsed = {}
        for name in ("opens_at", "closes_at"):
            try:
                parsed[name] = parse_local(data[name], tz)
            except (TypeError, ValueError, OverflowError) as exc:
                raise ValidationError(f"not an ISO 8601 time ({exc})", name) from exc
        if parsed["closes_at"] <= parsed["opens_at"]:
            raise ValidationError("must be after opens_at", "closes_at")

    def _to_utc(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return data


class ExtendSchema(Schema):
    class Meta:
        unknown = RAISE

    closes_at = LocalTime(required=True)
    timezone = fields.String(validate=[validate.Length(1, 64), NO_NUL],
                             metadata={"description": "Zone of a naive closes_at; default: the round's"})


class CancelSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = Text(1000, load_default="")


# --- the API: responses -------------------------------------------------------------------

class RoundSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    state = fields.String()
    template = fields.Nested(TemplateRefSchema)
    timezone = fields.String()
    opens_at = IsoTime()
    closes_at = IsoTime()
    audience = fields.Dict()
    reminders = fields.Dict()
    baseline = fields.Boolean()
    response_rule = fields.String()
    created_at = IsoTime()
    created_by = fields.String()
    launched_at = IsoTime(allow_none=True)
    closed_at = IsoTime(allow_none=True)
    cancelled_at = IsoTime(allow_none=True)
    invitations = fields.Integer()


class LaunchResultSchema(Schema):
    id = fields.Integer()
    state = fields.String()
    invitations = fields.Integer()


class CountsSchema(Schema):
    invited = fields.Integer()
    sent = fields.Integer()
    started = fields.Integer()
    submitted = fields.Integer()
    bounced = fields.Integer()
    opted_out = fields.Integer()
    forwarded = fields.Integer()


class RegionCountsSchema(CountsSchema):
    region = fields.String()
    name = fields.String()


class OrgTypeCountsSchema(CountsSchema):
    org_type = fields.String()


class RegionOrgTypeCountsSchema(CountsSchema):
    region = fields.String()
    org_type = fields.String()


class BlockedRegionSchema(Schema):
    region = fields.String()
    name = fields.String()
    boards_invited = fields.Integer()
    reason = fields.String()


class PersonSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()


class OrganizationRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    org_type = fields.String()


class MessageSchema(Schema):
    kind = fields.String()
    status = fields.String(metadata={"description": "queued, sending, sent, failed, unknown or cancelled"})
    queued_at = IsoTime()
    sent_at = IsoTime(allow_none=True)
    error = fields.String(allow_none=True)


class NonRespondentSchema(Schema):
    invitation_id = fields.Integer()
    status = fields.String()
    sent_at = IsoTime(allow_none=True)
    reminders_sent = fields.Integer()
    contact = fields.Nested(PersonSchema)
    organization = fields.Nested(OrganizationRefSchema)
    regions = fields.List(fields.String())
    last_message = fields.Nested(MessageSchema, allow_none=True)


class RoundRefSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    state = fields.String()
    timezone = fields.String()
    opens_at = IsoTime()
    closes_at = IsoTime()


class StatusSchema(Schema):
    round = fields.Nested(RoundRefSchema)
    totals = fields.Nested(CountsSchema)
    by_region = fields.List(fields.Nested(RegionCountsSchema))
    by_org_type = fields.List(fields.Nested(OrgTypeCountsSchema))
    by_region_org_type = fields.List(fields.Nested(RegionOrgTypeCountsSchema))
    blocked_regions = fields.List(fields.Nested(BlockedRegionSchema),
                                  metadata={"description": "Regions where no local board has submitted and none is designated"})
    non_respondents = fields.List(fields.Nested(NonRespondentSchema), metadata={"description": "The first page, by organisation and name"})
    non_respondents_total = fields.Integer()
    non_respondents_next = NextLink()


class NonRespondentListSchema(Schema):
    items = fields.List(fields.Nested(NonRespondentSchema))
    total = fields.Integer(metadata={"description": "How many are still expected to answer, in all"})
    limit = fields.Integer()
    next = NextLink()


class InvitationSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    contact = fields.Nested(PersonSchema)
    organization = fields.Nested(OrganizationRefSchema)
    regions = fields.List(fields.String())
    issued_at = IsoTime()
    sent_at = IsoTime(allow_none=True)
    started_at = IsoTime(allow_none=True)
    submitted_at = IsoTime(allow_none=True)
    reminders_sent = fields.Integer()
    forwarded_from = fields.Integer(allow_none=True)
    last_message = fields.Nested(MessageSchema, allow_none=True)


RoundPageSchema = page_schema("RoundPageSchema", RoundSchema)
InvitationPageSchema = page_schema("InvitationPageSchema", InvitationSchema)
