"""Convenings as scripts send them (title, purpose, regions, start and end in a time zone, place, link, capacity,
audience and reminders as a round's), and what the API says of a convening, its RSVPs, timelines and engagement."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from wfsurvey.domain import commands as cmd
from wfsurvey.domain import convenings as rules
from wfsurvey.domain.reminders import ReminderPolicy
from wfsurvey.domain.rules import parse_local, zone
from wfsurvey.schemas.common import NO_NUL, IsoTime, LocalTime, Text
from wfsurvey.schemas.rounds import DEFAULT_TIMEZONE, AudienceInputSchema, RemindersSchema

MAX_CAPACITY = rules.MOST_SEATS


def _check_times(data: dict[str, Any], tz: str) -> None:
    try:
        zone(tz)
    except ValueError as exc:
        raise ValidationError(str(exc), "timezone") from exc
    parsed = {}
    for name in ("starts_at", "ends_at"):
        try:
            parsed[name] = parse_local(data[name], tz)
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValidationError(f"not an ISO 8601 time ({exc})", name) from exc
    problem = rules.times_problem(parsed["starts_at"], parsed["ends_at"])
    if problem:
        raise ValidationError(problem[1], problem[0])


def _web_link(value: str) -> None:
    if value and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc):
        raise ValidationError("an https:// (or http://) link")


class ConveningCreateSchema(Schema):
    """POST /convenings; loads as the CreateConvening command. Times are text: with an offset, or naive (local to
    `timezone`)."""

    class Meta:
        unknown = RAISE

    openapi_extra = {"description": "ends_at must be after starts_at (at most 7 days later); both are read in "
                                    "`timezone` when naive. Reminder offsets count before the start."}

    title = fields.String(required=True, validate=[validate.Length(1, 300), NO_NUL])
    purpose = Text(rules.LONGEST_NOTE, load_default="")
    regions = fields.List(fields.String(validate=[validate.Length(1, 200), NO_NUL]), load_default=list,
                          metadata={"description": "Region codes or names; the audience's regions default to them"})
    timezone = fields.String(load_default=DEFAULT_TIMEZONE, validate=[validate.Length(1, 64), NO_NUL])
    starts_at = LocalTime(required=True)
    ends_at = LocalTime(required=True)
    location = Text(500, load_default="")
    online_url = fields.String(load_default="", validate=[validate.Length(max=500), NO_NUL, _web_link])
    capacity = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, MAX_CAPACITY),
                              metadata={"description": "Seats; null for no limit. Further yes answers join a waitlist"})
    audience = fields.Nested(AudienceInputSchema, load_default=cmd.Audience)
    reminders = fields.Nested(RemindersSchema, load_default=ReminderPolicy)

    @validates_schema
    def _times(self, data: dict[str, Any], **_: Any) -> None:
        _check_times(data, data.get("timezone") or DEFAULT_TIMEZONE)
        if not (data.get("location") or "").strip() and not data.get("online_url"):
            raise ValidationError("give a place, an online link, or both", "location")

    @post_load
    def _command(self, data: dict[str, Any], **_: Any) -> cmd.CreateConvening:
        tz = data["timezone"]
        return cmd.CreateConvening(
            title=data["title"].strip(), purpose=data["purpose"].strip(), regions=tuple(data["regions"]), timezone=tz,
            starts_at=parse_local(data["starts_at"], tz), ends_at=parse_local(data["ends_at"], tz),
            location=data["location"].strip(), online_url=data["online_url"].strip(), capacity=data["capacity"],
            audience=data["audience"], reminders=data["reminders"])


class CapacitySchema(Schema):
    class Meta:
        unknown = RAISE

    openapi_extra = {"description": "Never below the seats already given; seats added go to the waitlist in order."}

    capacity = fields.Integer(required=True, allow_none=True, validate=validate.Range(1, MAX_CAPACITY),
                              metadata={"description": "Seats; null for no limit"})


class RescheduleSchema(Schema):
    class Meta:
        unknown = RAISE

    openapi_extra = {"description": "ends_at must be after starts_at (at most 7 days later)."}

    starts_at = LocalTime(required=True)
    ends_at = LocalTime(required=True)
    timezone = fields.String(validate=[validate.Length(1, 64), NO_NUL],
                             metadata={"description": "Zone of naive times; default: the convening's"})
    reason = Text(1000, load_default="")

    @validates_schema
    def _times(self, data: dict[str, Any], **_: Any) -> None:
        _check_times(data, data.get("timezone") or DEFAULT_TIMEZONE)


class AttendanceSchema(Schema):
    class Meta:
        unknown = RAISE

    email = fields.String(required=True, validate=[validate.Length(1, 320), NO_NUL])
    attended = fields.Boolean(load_default=True)


# --- what the API answers ----------------------------------------------------------------------------

class ConveningSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    purpose = fields.String()
    regions = fields.List(fields.String())
    timezone = fields.String()
    starts_at = IsoTime()
    ends_at = IsoTime()
    location = fields.String()
    online_url = fields.String()
    capacity = fields.Integer(allow_none=True)
    audience = fields.Dict()
    reminders = fields.Dict()
    state = fields.String(metadata={"description": "draft, scheduled, held or cancelled"})
    sequence = fields.Integer(metadata={"description": "The calendar entry's SEQUENCE"})
    invitations = fields.Integer()
    created_at = IsoTime()


class InviteResultSchema(Schema):
    id = fields.Integer()
    state = fields.String()
    invitations = fields.Integer()


class RsvpTotalsSchema(Schema):
    yes = fields.Integer()
    no = fields.Integer()
    maybe = fields.Integer()
    waitlisted = fields.Integer()
    no_answer = fields.Integer()
    attended = fields.Integer()


class RsvpContactSchema(Schema):
    name = fields.String()
    email = fields.String()


class RsvpItemSchema(Schema):
    contact = fields.Nested(RsvpContactSchema)
    organization = fields.String()
    answer = fields.String(allow_none=True, metadata={"description": "yes, no, maybe, or null before an answer"})
    waitlist_position = fields.Integer(allow_none=True)
    note = fields.String()
    needs = fields.String()
    attended = fields.Boolean()


class RsvpListSchema(Schema):
    totals = fields.Nested(RsvpTotalsSchema)
    items = fields.List(fields.Nested(RsvpItemSchema))


class TimelineItemSchema(Schema):
    seq = fields.Integer()
    occurred_at = IsoTime()
    type = fields.String()
    title = fields.String()
    sentence = fields.String()
    actor = fields.String()


class TimelineSchema(Schema):
    organization = fields.String()
    slug = fields.String()
    items = fields.List(fields.Nested(TimelineItemSchema))


class EngagementRowSchema(Schema):
    organization = fields.String()
    slug = fields.String()
    org_type = fields.String()
    answered_last_round = fields.Boolean()
    attended_last_convening = fields.Boolean(allow_none=True, metadata={"description": "null: not invited to it"})
    counterpart = fields.String()


class EngagementSchema(Schema):
    region = fields.String()
    name = fields.String()
    last_round = fields.Dict(allow_none=True)
    last_convening = fields.Dict(allow_none=True)
    designation = fields.Dict()
    items = fields.List(fields.Nested(EngagementRowSchema))
