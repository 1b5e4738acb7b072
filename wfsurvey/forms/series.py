"""The "New round series" page's form: what staff choose, read as the API's POST /series body and loaded by the same
schema (SeriesCreateSchema), so that the page and the API refuse the same values with the same rules."""
from __future__ import annotations

from typing import Any

from flask import current_app
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from sqlalchemy import func, select
from wtforms import DateField, IntegerField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.validators import ValidationError as FieldRefused

from wfsurvey.domain import commands as cmd
from wfsurvey.domain.series import CADENCE_REFUSED, CADENCE_WORDS
from wfsurvey.extensions import db
from wfsurvey.forms.rounds import AudienceAndReminders, RoundForm, split_list, timezone_choices
from wfsurvey.forms.stakeholders import ORG_TYPE_CHOICES, CheckboxesField, region_choices
from wfsurvey.models import Template
from wfsurvey.schemas.series import CLOSE_DAYS_AFTER, OPEN_DAYS_BEFORE, SeriesCreateSchema

CADENCE_CHOICES = [SelectChoice(code, words[0].upper() + words[1:]) for code, words in CADENCE_WORDS.items()]
#: Which regions each period's round invites: the pilot regions of the day, or those ticked. The organization types
#: ticked apply to either (a series over the pilot regions usually asks their boards); regions ticked while the pilot
#: regions are chosen are refused rather than silently dropped.
PILOTS, CHOSEN = "pilots", "chosen"
#: Said beside "Regions" when they are ticked and the pilot regions chosen (the service says the same to the API).
REGIONS_WITH_PILOTS = ("You chose the confirmed pilot regions: untick these regions, or choose “The regions ticked "
                       "below” instead.")
#: Where the schema's (the API's) names of a refused value are shown on the page.
PAGE_FIELDS = {
    "template": "template", "title": "title", "cadence": "cadence", "first_period_end": "first_period_end",
    "timezone": "timezone", "open_days_before": "open_days_before", "close_days_after": "close_days_after",
    "audience.regions": "regions", "audience.org_types": "org_types", "audience.include_contacts": "include_contacts",
    "audience.exclude_contacts": "exclude_contacts", "audience.pilot_regions": "invites", "audience": "regions",
    "reminders.offsets": "offsets", "reminders.min_gap_hours": "min_gap_hours", "reminders.send_hours": "send_from",
    "reminders": "offsets",
}


def series_template_choices() -> list[SelectChoice]:
    """One choice per template (a series asks each period the newest version), by its name and newest version."""
    newest = (select(Template.slug, func.max(Template.version).label("version")).group_by(Template.slug).subquery())
    rows = db.session.execute(select(Template.slug, Template.version, Template.title)
                              .join(newest, (newest.c.slug == Template.slug) & (newest.c.version == Template.version))
                              .order_by(Template.title, Template.slug)).all()
    return [SelectChoice(slug, f"{title} ({slug}, version {version})") for slug, version, title in rows]


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages ({"audience": {"regions": {0: [...]}}}) as {"audience.regions": [...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if isinstance(key, int):  # an item of a list: said on the list's field
                for name, said in _flatten(value, prefix).items():
                    out.setdefault(name, []).extend(said)
            else:
                for name, said in _flatten(value, f"{prefix}{key}.").items():
                    out.setdefault(name, []).extend(said)
    else:
        out[prefix.rstrip(".")] = [str(m) for m in (messages if isinstance(messages, list) else [messages])]
    return out


class SeriesForm(AudienceAndReminders, FlaskForm):
    """A round series: the survey, how often, each period's window, who is invited, and the reminders (the audience's
    and the reminders' fields are the round wizard's own)."""

    template = SelectField("Template", choices=[], validate_choice=True,
                           description="Each period asks the template's newest version.")
    title = StringField("Title", validators=[DataRequired("Enter the series' title."), Length(max=250)],
                        description="Each period's round is called this, followed by its period, e.g. “Advanced "
                                    "Manufacturing outcomes: quarter ending March 31, 2027”.")
    cadence = RadioField("How often", choices=CADENCE_CHOICES, default="P3M", validate_choice=True,
                         invalid_choice_message=CADENCE_REFUSED)
    first_period_end = DateField("The first period ends on", validators=[InputRequired("Enter the day the first period "
                                                                                        "ends.")],
                                 description="Each later period ends a quarter (or a month) after the one before.")
    timezone = RoundForm.timezone
    open_days_before = IntegerField("Each round opens this many days before its period ends", default=14,
                                    validators=[InputRequired("Enter a number of days."),
                                                NumberRange(*OPEN_DAYS_BEFORE, message="Enter a number of days from "
                                                            f"{OPEN_DAYS_BEFORE[0]} to {OPEN_DAYS_BEFORE[1]}.")],
                                    description="At 9:00 AM.")
    close_days_after = IntegerField("…and closes this many days after it", default=14,
                                    validators=[InputRequired("Enter a number of days."),
                                                NumberRange(*CLOSE_DAYS_AFTER, message="Enter a number of days from "
                                                            f"{CLOSE_DAYS_AFTER[0]} to {CLOSE_DAYS_AFTER[1]}.")],
                                    description="At 5:00 PM.")
    invites = RadioField("Which regions", choices=[], default=PILOTS, validate_choice=True)
    regions = CheckboxesField("Regions", choices=[], validate_choice=True,
                              description="Only with “The regions ticked below”. None ticked: every region.")
    org_types = CheckboxesField("Organization types", choices=ORG_TYPE_CHOICES, validate_choice=True,
                                description="For either choice of regions: only organizations of the types ticked are "
                                            "invited. None ticked: every type.")
    include_contacts = RoundForm.include_contacts
    exclude_contacts = RoundForm.exclude_contacts
    offsets = RoundForm.offsets
    other_offsets = RoundForm.other_offsets
    min_gap_hours = RoundForm.min_gap_hours
    send_from = RoundForm.send_from
    send_until = RoundForm.send_until

    def __init__(self, *args, scheme: str, pilot_names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.template.choices = series_template_choices()
        self.regions.choices = region_choices(scheme)
        self.timezone.choices = timezone_choices()
        now = ", ".join(pilot_names) if pilot_names else "none is confirmed yet"
        self.invites.choices = [
            SelectChoice(PILOTS, f"The confirmed pilot regions as they are when each period starts (now: {now})"),
            SelectChoice(CHOSEN, "The regions ticked below"),
        ]
        if not self.is_submitted():
            self.timezone.data = self.timezone.data or current_app.config.get("TIMEZONE") or "America/Los_Angeles"
            self.offsets.data = self.offsets.data or ["P7D", "P2D", "P1D"]

    def validate_regions(self, field: CheckboxesField) -> None:
        if self.invites.data == PILOTS and field.data:
            raise FieldRefused(REGIONS_WITH_PILOTS)

    def payload(self) -> dict[str, Any]:
        """What staff chose, as the API's POST /series body."""
        day = self.first_period_end.data
        return {
            "template": self.template.data or "", "title": (self.title.data or "").strip(), "cadence": self.cadence.data,
            "first_period_end": day.isoformat() if day else None, "timezone": self.timezone.data,
            "open_days_before": self.open_days_before.data, "close_days_after": self.close_days_after.data,
            "audience": {"pilot_regions": self.invites.data == PILOTS,
                         "regions": [] if self.invites.data == PILOTS else list(self.regions.data or []),
                         "org_types": list(self.org_types.data or []),
                         "include_contacts": split_list(self.include_contacts.data),
                         "exclude_contacts": split_list(self.exclude_contacts.data)},
            "reminders": self.reminder_policy().to_stored(),
        }

    def command(self) -> cmd.CreateSeries | None:
        """The CreateSeries command, loaded by the API's schema; None when it refuses (its messages are then beside
        the fields). Call it only after validate() passed."""
        try:
            return SeriesCreateSchema().load(self.payload())
        except ValidationError as exc:
            self.place(_flatten(exc.messages))
            return None

    def place(self, messages: dict[str, list[str]]) -> None:
        """Refusals named as the API names them ("audience.regions"), beside the page's fields; the rest on top."""
        for name, said in messages.items():
            if name == "cadence":  # the API's message names the stored codes ("P3M"); staff read words
                said = [CADENCE_REFUSED]
            field = getattr(self, PAGE_FIELDS.get(name, ""), None)
            if field is None:
                self.form_errors.append(f"{name}: {' '.join(said)}")
            else:
                field.errors = [*field.errors, *said]
