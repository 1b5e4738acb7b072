"""What the JSON API reads (query strings and bodies) and writes (responses); the OpenAPI document is built from these.

Input limits here are the API's first gate: ids and page numbers stay inside what every database
column holds, and text never carries NUL characters, so bad input is a 4xx, never a server error.
"""
from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from wfsurvey.domain.invitations import INVITATION_STATUSES
from wfsurvey.domain.rules import parse_local, zone
from wfsurvey.domain.stakeholders import ORG_TYPES
from wfsurvey.models.surveys import ROUND_STATES
from wfsurvey.queries import DEFAULT_PER_PAGE, MAX_PER_PAGE
from wfsurvey.queries.events import DEFAULT_LIMIT, MAX_LIMIT
from wfsurvey.schemas.rounds import AudienceSchema, RoundInputSchema
from wfsurvey.schemas.stakeholders import (
    ContactSchema,
    ImportResultSchema,
    ImportRowErrorSchema,
    OrganizationSchema,
    RegionSchema,
)

#: Largest id a path or a filter may name (a 32-bit integer column).
MAX_ID = 2**31 - 1
MAX_PAGE = 1_000_000
MAX_SEQ = 2**63 - 1
NO_NUL = validate.Regexp(r"^[^\x00]*$", error="must not contain NUL characters")

__all__ = ["ContactSchema", "ImportResultSchema", "ImportRowErrorSchema", "OrganizationSchema", "RegionSchema"]


def Id(**kwargs: Any) -> fields.Integer:  # noqa: N802  (reads like a field class)
    return fields.Integer(validate=validate.Range(1, MAX_ID), strict=False, **kwargs)


def Text(max_length: int = 200, **kwargs: Any) -> fields.String:  # noqa: N802
    return fields.String(validate=[validate.Length(max=max_length), NO_NUL], **kwargs)


def IsoTime(metadata: dict[str, Any] | None = None, **kwargs: Any) -> fields.String:  # noqa: N802
    """A time as text: ISO 8601, with its UTC offset."""
    return fields.String(metadata={"format": "date-time", **(metadata or {})}, **kwargs)


def LocalTime(**kwargs: Any) -> fields.String:  # noqa: N802
    """A time given by a client: ISO 8601 with an offset, or naive and local to the request's time zone."""
    return fields.String(validate=[validate.Length(1, 64), NO_NUL], metadata={
        "description": "ISO 8601 with an offset, or naive (local to `timezone`)", "example": "2026-10-05T09:00:00-07:00"}, **kwargs)


# --- errors ------------------------------------------------------------------------------------

class ErrorDetailSchema(Schema):
    code = fields.String(metadata={"description": "bad_request, unauthorized, forbidden, not_found, conflict, invalid, ..."})
    message = fields.String()
    # Named "problems" here because a schema's own `fields` attribute is taken; it reads and writes "fields".
    problems = fields.Dict(data_key="fields", attribute="fields",
                           metadata={"description": "Problems by input field; a rejected import lists rows: [{row, column, message}]"})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema)


# --- query strings -----------------------------------------------------------------------------

class PageQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=DEFAULT_PER_PAGE, validate=validate.Range(1, MAX_PER_PAGE))


class RegionQuerySchema(PageQuerySchema):
    scheme = Text(40)
    q = Text(200, metadata={"description": "Part of the name or code"})


class OrganizationQuerySchema(PageQuerySchema):
    type = fields.String(validate=validate.OneOf(ORG_TYPES))
    region = Text(80, metadata={"description": "Region code"})
    q = Text(200, metadata={"description": "Part of the name"})


class ContactQuerySchema(PageQuerySchema):
    organization = Id()
    type = fields.String(validate=validate.OneOf(ORG_TYPES))
    region = Text(80, metadata={"description": "Region code"})
    q = Text(200, metadata={"description": "Part of the name, email or organisation"})
    opted_out = fields.Boolean()


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


class ImportQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    dry_run = fields.Boolean(load_default=False, metadata={"description": "Validate and count, import nothing"})


class EventsQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    after = fields.Integer(load_default=0, validate=validate.Range(0, MAX_SEQ), metadata={"description": "Sequence number already read"})
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))
    type = Text(60)
    aggregate_type = Text(30)
    aggregate_id = Text(80)


# --- bodies ------------------------------------------------------------------------------------

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


class OverrideSchema(Schema):
    class Meta:
        unknown = RAISE

    name = Text(200, required=True)
    email = Text(320, required=True)
    organization = Text(300, load_default="")
    reason = Text(1000, required=True)


# --- responses ---------------------------------------------------------------------------------

def page_schema(name: str, item: type[Schema]) -> type[Schema]:
    """A page of `item`: {"items", "page", "per_page", "total"}, under its own name in the OpenAPI document."""
    return type(name, (Schema,), {
        "items": fields.List(fields.Nested(item)),
        "page": fields.Integer(),
        "per_page": fields.Integer(),
        "total": fields.Integer(),
    })


def NextLink() -> fields.String:  # noqa: N802  (reads like a field class)
    return fields.String(allow_none=True, metadata={
        "description": "Path and query of the next page (GET it with the same token), or null after the last page"})


class RegionCreatedSchema(RegionSchema):
    created = fields.Boolean(metadata={"description": "False when the same region already existed"})


class TemplateRefSchema(Schema):
    slug = fields.String()
    version = fields.Integer()


class TemplateCreatedSchema(TemplateRefSchema):
    id = fields.Integer()
    title = fields.String()


class TemplateSummarySchema(Schema):
    slug = fields.String()
    title = fields.String()
    latest_version = fields.Integer()
    versions = fields.Integer()
    created_at = IsoTime()


class TemplateVersionSchema(Schema):
    id = fields.Integer()
    version = fields.Integer()
    title = fields.String()
    description = fields.String()
    questions = fields.List(fields.Dict())
    created_at = IsoTime()
    created_by = fields.String()
    rounds = fields.Integer()
    in_use = fields.Boolean()


class TemplateVersionsSchema(Schema):
    slug = fields.String()
    versions = fields.List(fields.Nested(TemplateVersionSchema))


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


class BaselineRowSchema(Schema):
    region = fields.String(metadata={"description": "Region code; empty in the row of the whole round"})
    name = fields.String()
    by_org_type = fields.Dict(keys=fields.String(), values=fields.Dict(),
                              metadata={"description": "{org_type: {invited, responded}}"})
    invited = fields.Integer()
    responded = fields.Integer()
    responses = fields.Integer()
    response_rate = fields.Float(allow_none=True)
    designation = fields.String(allow_none=True)
    answers = fields.Dict(metadata={"description": "By question key: scale {n, mean, distribution}; number {n, mean, sum}; "
                                                   "choices and yes/no {n, counts, shares}"})
    change = fields.Dict(allow_none=True, metadata={"description": "Against the baseline round: {response_rate, answers}"})


class RankedRegionSchema(Schema):
    rank = fields.Integer()
    region = fields.String()
    name = fields.String()
    score = fields.Float()
    readiness = fields.Float()
    readiness_figures = fields.Integer()
    response_rate = fields.Float()
    designated = fields.Boolean()


class RankingSchema(Schema):
    formula = fields.String()
    weights = fields.Dict(keys=fields.String(), values=fields.Float())
    regions = fields.List(fields.Nested(RankedRegionSchema))


class BaselineSchema(Schema):
    round = fields.Dict()
    unit = fields.String(metadata={"description": "organization or contact: what invited and responded count"})
    compared_with = fields.Dict(allow_none=True)
    questions = fields.List(fields.Dict())
    rows = fields.List(fields.Nested(BaselineRowSchema))
    total = fields.Nested(BaselineRowSchema)
    ranking = fields.Nested(RankingSchema)


class NomineeSchema(Schema):
    name = fields.String()
    email = fields.String()
    organization = fields.String()


class DesignationSchema(Schema):
    region = fields.String()
    name = fields.String()
    status = fields.String(metadata={"description": "designated, conflict or unfilled"})
    final = fields.Boolean()
    nominee = fields.Nested(NomineeSchema, allow_none=True)
    nominations = fields.List(fields.Dict(), metadata={"description": "[{email, name, count, boards}]"})
    explanation = fields.String()
    overridden = fields.Boolean()
    updated_at = IsoTime(allow_none=True)


class EventSchema(Schema):
    seq = fields.Integer()
    type = fields.String()
    aggregate_type = fields.String()
    aggregate_id = fields.String()
    actor = fields.String()
    occurred_at = IsoTime()
    recorded_at = IsoTime()
    schema_version = fields.Integer()
    payload = fields.Dict()


class EventFeedSchema(Schema):
    events = fields.List(fields.Nested(EventSchema))
    next_after = fields.Integer(metadata={"description": "Pass back as `after` to read on"})


RegionPageSchema = page_schema("RegionPageSchema", RegionSchema)
OrganizationPageSchema = page_schema("OrganizationPageSchema", OrganizationSchema)
ContactPageSchema = page_schema("ContactPageSchema", ContactSchema)
TemplatePageSchema = page_schema("TemplatePageSchema", TemplateSummarySchema)
RoundPageSchema = page_schema("RoundPageSchema", RoundSchema)
InvitationPageSchema = page_schema("InvitationPageSchema", InvitationSchema)

