"""Rounds: their definitions as staff and scripts send them (template, window in a time zone, audience, reminders),
and what the API reads and writes about a round, its status and its invitations."""
from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from wfsurvey.clock import now
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.invitations import INVITATION_STATUSES
from wfsurvey.domain.reminders import ReminderPolicy
from wfsurvey.domain.rules import parse_duration, parse_local, zone
from wfsurvey.domain.stakeholders import ORG_TYPES
from wfsurvey.models.surveys import ROUND_STATES
from wfsurvey.queries import DEFAULT_PER_PAGE, MAX_PER_PAGE
from wfsurvey.schemas.common import MAX_ID, NO_NUL, Id, IsoTime, LocalTime, NextLink, PageQuerySchema, Text, page_schema
from wfsurvey.schemas.template_api import TemplateRefSchema
from wfsurvey.schemas.templates import SLUG

DEFAULT_TIMEZONE = "America/Los_Angeles"
#: How many responses a round takes: one per organization (the first to submit), or one per person.
RESPONSE_RULES = ("organization", "contact")


# --- a round's definition: POST /rounds --------------------------------------------------

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


class AudienceInputSchema(Schema):
    """Loads as a domain Audience."""

    class Meta:
        unknown = RAISE

    #: Region codes (or names) of the default scheme; empty means every region.
    regions = fields.List(fields.String(validate=validate.Length(1, 200)), load_default=list)
    #: Organization types; empty means every type.
    org_types = fields.List(fields.String(validate=validate.OneOf(ORG_TYPES)), load_default=list)
    #: Contacts (ids or email addresses) invited whatever their region and type.
    include_contacts = fields.List(ContactRef(), load_default=list)
    #: Contacts never invited.
    exclude_contacts = fields.List(ContactRef(), load_default=list)

    @post_load
    def _audience(self, data: dict[str, Any], **_: Any) -> cmd.Audience:
        return cmd.Audience(regions=tuple(data["regions"]), org_types=tuple(data["org_types"]),
                            include_contacts=tuple(data["include_contacts"]),
                            exclude_contacts=tuple(data["exclude_contacts"]))


class RemindersSchema(Schema):
    """Loads as a domain ReminderPolicy; offsets are ISO 8601 durations before close."""

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
    def _policy(self, data: dict[str, Any], **_: Any) -> ReminderPolicy:
        return ReminderPolicy(offsets=tuple(parse_duration(o) for o in data["offsets"]),
                              min_gap_hours=data["min_gap_hours"], send_hours=tuple(data["send_hours"]))


class RoundCreateSchema(Schema):
    """POST /rounds; loads as the CreateRound command. Times are text: with an offset, or naive (local to `timezone`)."""

    class Meta:
        unknown = RAISE

    #: What JSON Schema cannot say, said in words (wfsurvey.blueprints.api.openapi adds it to the document).
    openapi_extra = {"description": "closes_at must be after opens_at; both are read in `timezone` when naive. "
                                    "opens_at is required unless opens_on_launch is true (the window then starts "
                                    "when the round is launched)."}

    template = fields.String(required=True, validate=[validate.Length(1, 80), SLUG],
                             metadata={"description": "The template's slug"})
    version = fields.Integer(validate=validate.Range(1, MAX_ID))
    title = fields.String(required=True, validate=validate.Length(1, 300))
    timezone = fields.String(load_default=DEFAULT_TIMEZONE, validate=[validate.Length(1, 64), NO_NUL])
    opens_at = LocalTime()
    closes_at = LocalTime(required=True)
    opens_on_launch = fields.Boolean(load_default=False, metadata={
        "description": "The window starts when the round is launched; opens_at is then ignored"})
    audience = fields.Nested(AudienceInputSchema, load_default=cmd.Audience)
    reminders = fields.Nested(RemindersSchema, load_default=ReminderPolicy)
    baseline = fields.Boolean(load_default=False)
    response_rule = fields.String(load_default="organization", validate=validate.OneOf(RESPONSE_RULES))

    @validates_schema
    def _times(self, data: dict[str, Any], **_: Any) -> None:
        # Also refuses times that cannot be turned into UTC (year 1 or 9999 with an offset).
        tz = data.get("timezone") or DEFAULT_TIMEZONE
        try:
            zone(tz)
        except ValueError as exc:
            raise ValidationError(str(exc), "timezone") from exc
        if data.get("opens_on_launch"):
            data["opens_at"] = now().isoformat()
        elif data.get("opens_at") is None:
            raise ValidationError("Missing data for required field.", "opens_at")
        parsed = {}
        for name in ("opens_at", "closes_at"):
            try:
                parsed[name] = parse_local(data[name], tz)
            except (TypeError, ValueError, OverflowError) as exc:
                raise ValidationError(f"not an ISO 8601 time ({exc})", name) from exc
        if parsed["closes_at"] <= parsed["opens_at"]:
            raise ValidationError("must be after opens_at" + (" (now, as the round opens when launched)"
                                                             if data.get("opens_on_launch") else ""), "closes_at")

    @post_load
    def _command(self, data: dict[str, Any], **_: Any) -> cmd.CreateRound:
        tz = data["timezone"]
        return cmd.CreateRound(
            template_slug=data["template"], template_version=data.get("version"), title=data["title"], timezone=tz,
            opens_at=parse_local(data["opens_at"], tz), closes_at=parse_local(data["closes_at"], tz),
            audience=data["audience"], reminders=data["reminders"], baseline=data["baseline"],
            response_rule=data["response_rule"], opens_on_launch=data["opens_on_launch"],
        )


def round_command(definition: Any) -> cmd.CreateRound:
    """The CreateRound command a POST /rounds body means; ValidationError naming each field at fault."""
    return RoundCreateSchema().load(definition)


class RoundEditSchema(RoundCreateSchema):
    """PATCH /rounds/<id> of a draft: any field of POST /rounds; those left out keep their value. The result is
    checked as a whole, exactly as POST /rounds checks a new round."""

    openapi_extra = {"description": "Only a draft round can be changed. Fields left out keep their value; the round "
                                    "that results is checked as POST /rounds checks a new one."}

    template = fields.String(validate=[validate.Length(1, 80), SLUG], metadata={"description": "The template's slug"})
    title = fields.String(validate=validate.Length(1, 300))
    closes_at = LocalTime()


def round_edit_command(round_id: int, current: dict[str, Any], changes: Any) -> cmd.EditRound:
    """The EditRound command a PATCH body means: `current` is the round's definition in POST /rounds' shape. A
    changed template without a version means its latest version, as in POST /rounds."""
    if not isinstance(changes, dict):
        raise ValidationError("a JSON object of the fields to change", "_schema")
    merged = {**current, **changes}
    if "template" in changes and "version" not in changes:
        merged.pop("version", None)
    if changes.get("opens_at") is not None and "opens_on_launch" not in changes:
        merged["opens_on_launch"] = False
    return cmd.EditRound(round_id, RoundCreateSchema().load(merged))



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
    opens_on_launch = fields.Boolean(metadata={"description": "The window starts when the round is launched"})
    planned_opens_at = IsoTime(allow_none=True, metadata={
        "description": "Set while a round opened by open-now ahead of its planned time: that time (schedule returns to it)"})
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


class RegionRefSchema(Schema):
    region = fields.String()
    name = fields.String()


class DesignationProblemsSchema(Schema):
    designated = fields.Integer(metadata={"description": "Regions with a navigator counterpart"})
    regions = fields.Integer()
    conflict = fields.List(fields.Nested(RegionRefSchema), metadata={"description": "No nominee has a strict majority"})
    unfilled = fields.List(fields.Nested(RegionRefSchema), metadata={"description": "No board has named anyone yet"})


class StatusSchema(Schema):
    round = fields.Nested(RoundRefSchema)
    totals = fields.Nested(CountsSchema)
    by_region = fields.List(fields.Nested(RegionCountsSchema))
    by_org_type = fields.List(fields.Nested(OrgTypeCountsSchema))
    by_region_org_type = fields.List(fields.Nested(RegionOrgTypeCountsSchema))
    blocked_regions = fields.List(fields.Nested(BlockedRegionSchema),
                                  metadata={"description": "Regions where no local board has submitted and none is designated"})
    designations = fields.Nested(DesignationProblemsSchema, allow_none=True, metadata={
        "description": "Navigator counterparts: how many regions have one, which are in conflict or unfilled; null when "
                       "the round designates nothing"})
    non_respondents = fields.List(fields.Nested(NonRespondentSchema), metadata={"description": "The first page, by organization and name"})
    non_respondents_total = fields.Integer()
    non_respondents_next = NextLink()


class NonRespondentListSchema(Schema):
    items = fields.List(fields.Nested(NonRespondentSchema))
    total = fields.Integer(metadata={"description": "How many are still expected to answer, in all"})
    limit = fields.Integer()
    next = NextLink()


class ResponseRefSchema(Schema):
    id = fields.Integer(metadata={"description": "GET /rounds/{round_id}/responses/{id} reads it"})
    status = fields.String(metadata={"description": "submitted or draft"})


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
    response = fields.Nested(ResponseRefSchema, allow_none=True,
                             metadata={"description": "The invitation's response (a draft or submitted), if any"})


RoundPageSchema = page_schema("RoundPageSchema", RoundSchema)
InvitationPageSchema = page_schema("InvitationPageSchema", InvitationSchema)
