"""Round series as the API takes and gives them: POST /series loads as the CreateSeries command."""
from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from wfsurvey.domain import commands as cmd
from wfsurvey.domain.reminders import ReminderPolicy
from wfsurvey.domain.rules import zone
from wfsurvey.domain.series import CADENCE_MONTHS
from wfsurvey.schemas.common import Id, IsoTime, Text
from wfsurvey.schemas.rounds import DEFAULT_TIMEZONE, AudienceInputSchema, RemindersSchema
from wfsurvey.schemas.templates import SLUG

#: How many days before its period ends a round may open, and after it may close (the page offers the same).
OPEN_DAYS_BEFORE = (0, 60)
CLOSE_DAYS_AFTER = (1, 60)


class SeriesAudienceSchema(AudienceInputSchema):
    """A round's audience, or the pilot regions of the day each period starts."""

    pilot_regions = fields.Boolean(load_default=False, metadata={
        "description": "Invite the confirmed pilot regions as they are when each period starts; org_types still "
                       "apply, and regions must then be left out (refused otherwise)"})

    @post_load
    def _audience(self, data: dict[str, Any], **_: Any) -> Any:  # type: ignore[override]
        audience = cmd.Audience(regions=tuple(data["regions"]), org_types=tuple(data["org_types"]),
                                include_contacts=tuple(data["include_contacts"]),
                                exclude_contacts=tuple(data["exclude_contacts"]))
        return {"audience": audience, "pilot_regions": data["pilot_regions"]}


class SeriesCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    template = fields.String(required=True, validate=[validate.Length(1, 80), SLUG],
                             metadata={"description": "The template's slug (each period asks its latest version)"})
    title = fields.String(required=True, validate=validate.Length(1, 250))
    cadence = fields.String(required=True, validate=validate.OneOf(list(CADENCE_MONTHS), error="P3M (every quarter) or "
                                                                                             "P1M (every month)"))
    first_period_end = fields.Date(required=True, metadata={"description": "The day the first period ends (YYYY-MM-DD)"})
    timezone = fields.String(load_default=DEFAULT_TIMEZONE, validate=validate.Length(1, 64))
    open_days_before = fields.Integer(load_default=14, validate=validate.Range(*OPEN_DAYS_BEFORE))
    close_days_after = fields.Integer(load_default=14, validate=validate.Range(*CLOSE_DAYS_AFTER))
    audience = fields.Nested(SeriesAudienceSchema, load_default=lambda: {"audience": cmd.Audience(),
                                                                         "pilot_regions": False})
    reminders = fields.Nested(RemindersSchema, load_default=ReminderPolicy)

    @validates_schema
    def _zone(self, data: dict[str, Any], **_: Any) -> None:
        try:
            zone(data.get("timezone") or DEFAULT_TIMEZONE)
        except ValueError as exc:
            raise ValidationError(str(exc), "timezone") from exc
        day = data.get("first_period_end")
        if day is not None and not 2000 <= day.year <= 2200:
            raise ValidationError("a date between 2000 and 2200", "first_period_end")

    @post_load
    def _command(self, data: dict[str, Any], **_: Any) -> cmd.CreateSeries:
        return cmd.CreateSeries(template_slug=data["template"], title=data["title"], cadence=data["cadence"],
                                first_period_end=data["first_period_end"], timezone=data["timezone"],
                                open_days_before=data["open_days_before"], close_days_after=data["close_days_after"],
                                audience=data["audience"]["audience"], pilot_regions=data["audience"]["pilot_regions"],
                                reminders=data["reminders"])


class SeriesCreatedSchema(Schema):
    id = fields.Integer()


class SeriesRoundSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    state = fields.String()
    opens_at = IsoTime()
    closes_at = IsoTime()


class SeriesPeriodSchema(Schema):
    period = fields.Integer(metadata={"description": "0 for the first period"})
    period_end = fields.String(metadata={"description": "YYYY-MM-DD"})
    period_words = fields.String(metadata={"description": "\"quarter ending June 30, 2027\""})
    opens_at = IsoTime()
    closes_at = IsoTime()
    round = fields.Nested(SeriesRoundSchema, allow_none=True, metadata={"description": "null until the scheduler makes it"})


class SeriesSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    template = fields.String()
    cadence = fields.String(metadata={"description": "P3M or P1M"})
    cadence_words = fields.String(metadata={"description": "\"every quarter\" or \"every month\""})
    first_period_end = fields.String()
    timezone = fields.String()
    open_days_before = fields.Integer()
    close_days_after = fields.Integer()
    audience = fields.Dict()
    reminders = fields.Dict()
    rounds = fields.List(fields.Nested(SeriesPeriodSchema), metadata={
        "description": "Every period up to the next one to open, with its round once made"})


class IndicatorQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    series = Id(required=True, metadata={"description": "The round series"})
    region = Text(80, metadata={"description": "A region code; left out: the whole series"})


class IndicatorPeriodSchema(Schema):
    period = fields.Integer(metadata={"description": "0 for the first period"})
    period_end = fields.String()
    period_words = fields.String()
    round_id = fields.Integer()
    value = fields.Float(allow_none=True, metadata={"description": "Sum or mean of the answers, as the indicator says; "
                                                                  "null without answers"})
    n = fields.Integer(metadata={"description": "Answers behind the value"})


class IndicatorOverTimeSchema(Schema):
    code = fields.String()
    label = fields.String()
    unit = fields.String()
    direction = fields.String(metadata={"description": "up or down: which way is better"})
    aggregate = fields.String(metadata={"description": "sum or mean"})
    target = fields.Float(allow_none=True)
    baseline = fields.Float(allow_none=True, metadata={
        "description": "The value in the latest baseline round asking the same indicator code, in the same region"})
    baseline_n = fields.Integer()
    baseline_round = fields.Dict(allow_none=True)
    points = fields.List(fields.Nested(IndicatorPeriodSchema))
    latest = fields.Float(allow_none=True)
    change = fields.Float(allow_none=True, metadata={"description": "latest − baseline"})
