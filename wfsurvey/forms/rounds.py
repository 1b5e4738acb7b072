"""Forms of the round pages: the create wizard, the moves on a round (extend, cancel, plain buttons) and the
designation override; each turns what a person typed into what a command takes."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from flask import current_app
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    Form,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from wfsurvey import clock
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.reminders import ReminderPolicy
from wfsurvey.domain.rules import duration_words, hour_words, parse_durations, parse_local, to_local, zone
from wfsurvey.extensions import db
from wfsurvey.forms.stakeholders import ORG_TYPE_CHOICES, CheckboxesField, region_choices
from wfsurvey.models import Contact, Round, Template
from wfsurvey.models.surveys import ROUND_STATES

#: Time zones offered first (the program is Californian); the configured one is added when missing.
COMMON_TIMEZONES = (
    "America/Los_Angeles", "America/Denver", "America/Phoenix", "America/Chicago", "America/New_York",
    "America/Anchorage", "Pacific/Honolulu", "UTC",
)
#: Reminder offsets offered as checkboxes; others can be typed ("5 days, 12 hours", or ISO 8601 durations).
OFFSET_CHOICES = [SelectChoice("P14D", "14 days before close"), SelectChoice("P7D", "7 days before close"),
                  SelectChoice("P3D", "3 days before close"), SelectChoice("P2D", "2 days before close"),
                  SelectChoice("P1D", "1 day before close")]
#: A round opens at a set time, or as soon as it is launched.
OPENS_WHEN_CHOICES = [SelectChoice("launch", "When I launch the round: the invitations go out at once"),
                      SelectChoice("time", "At a set time")]
RESPONSE_RULE_CHOICES = [
    SelectChoice("organization", "One response per organization (the first to submit answers for it)"),
    SelectChoice("contact", "One response per person"),
]
#: The hours reminders may be sent from and until, as people say them ("8 AM", "6 PM", "midnight").
HOUR_CHOICES = [SelectChoice(hour, hour_words(hour)) for hour in range(25)]
_LIST_SEPARATORS = re.compile(r"[\s,;]+")
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def split_list(text: str | None) -> list[str]:
    """Items of a box where people type lists: separated by commas, semicolons, spaces or new lines."""
    return [item for item in _LIST_SEPARATORS.split(text or "") if item]


def template_choices() -> list[SelectChoice]:
    """Every template version, newest version of each slug first, as "slug:version"."""
    rows = db.session.execute(
        select(Template.slug, Template.version, Template.title).order_by(Template.slug, Template.version.desc())
    ).all()
    return [SelectChoice(f"{slug}:{version}", f"{title} ({slug}, version {version})") for slug, version, title in rows]


def timezone_choices() -> list[SelectChoice]:
    names = list(COMMON_TIMEZONES)
    configured = current_app.config.get("TIMEZONE") or "America/Los_Angeles"
    if configured not in names:
        names.insert(0, configured)
    return [SelectChoice(name, name.replace("_", " ")) for name in names]


def contact_emails(refs: Sequence[int | str]) -> list[str]:
    """Contacts as a round's audience stores them (ids from the API, or addresses) as the addresses staff type."""
    ids = [ref for ref in refs if isinstance(ref, int)]
    found = dict(db.session.execute(select(Contact.id, Contact.email).where(Contact.id.in_(ids))).all()) if ids else {}
    return [found.get(ref, str(ref)) if isinstance(ref, int) else ref for ref in refs]


def _unknown_emails(emails: list[str]) -> list[str]:
    if not emails:
        return []
    known = set(db.session.scalars(select(func.lower(Contact.email)).where(func.lower(Contact.email).in_([e.lower() for e in emails]))))
    return [e for e in emails if e.lower() not in known]


def audience_fields() -> tuple[CheckboxesField, TextAreaField, TextAreaField]:
    """New org_types, include_contacts and exclude_contacts fields of a wizard (see AudienceAndReminders). Made where
    the form declares them (`org_types, include_contacts, exclude_contacts = audience_fields()`), so that they keep
    their place in the form's order (and its error summary's)."""
    return (
        CheckboxesField("Organization types", choices=ORG_TYPE_CHOICES, validate_choice=True,
                        description="None ticked: every type."),
        TextAreaField("Also invite these people", validators=[Optional(), Length(max=20000)],
                      description="Email addresses of contacts invited whatever their region and type, "
                                  "separated by commas or new lines."),
        TextAreaField("Never invite these people", validators=[Optional(), Length(max=20000)],
                      description="Email addresses, separated by commas or new lines."),
    )


def reminder_fields(offset_choices: list[SelectChoice], *, who: str, before: str):
    """New offsets, other_offsets, min_gap_hours, send_from and send_until fields of a wizard (see
    AudienceAndReminders), declared as audience_fields are; `who` says who is reminded, `before` what the offsets
    count before ("close", "the start")."""
    return (
        CheckboxesField("Reminders", choices=offset_choices, validate_choice=True, description=who),
        StringField("Other reminder times", validators=[Optional(), Length(max=200)],
                    description=f"Times before {before}, separated by commas, e.g. “5 days, 12 hours”."),
        IntegerField("Minimum gap between two messages to one person (hours)", default=20,
                     validators=[InputRequired("Enter a number of hours."), NumberRange(0, 24 * 14)]),
        SelectField("Send from", choices=HOUR_CHOICES[:-1], default=8, coerce=int, validate_choice=True),
        SelectField("Send until", choices=HOUR_CHOICES[1:], default=18, coerce=int, validate_choice=True,
                    description="Reminders go out only between these local hours."),
    )


class AudienceAndReminders:
    """What the round wizard and the convening wizard share: the audience's and the reminders' fields read as the
    commands take them, and the checks of the people named (both forms declare the same fields)."""

    def validate_send_until(self, field: IntegerField) -> None:
        if field.data is not None and self.send_from.data is not None and field.data <= self.send_from.data:
            raise ValidationError("Send until a later hour than the first one (e.g. from 8 AM until 6 PM).")

    def validate_other_offsets(self, field: StringField) -> None:
        try:
            parse_durations(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def validate_include_contacts(self, field: TextAreaField) -> None:
        unknown = _unknown_emails(split_list(field.data))
        if unknown:
            raise ValidationError("No contact has the address " + ", ".join(unknown[:10]) + ("…" if len(unknown) > 10 else "") + ".")

    def validate_exclude_contacts(self, field: TextAreaField) -> None:
        self.validate_include_contacts(field)

    def validate_timezone(self, field: SelectField) -> None:
        try:
            zone(field.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def audience(self) -> cmd.Audience:
        return cmd.Audience(regions=tuple(self.regions.data or ()), org_types=tuple(self.org_types.data or ()),
                        include_contacts=tuple(split_list(self.include_contacts.data)),
                        exclude_contacts=tuple(split_list(self.exclude_contacts.data)))

    def reminder_policy(self) -> ReminderPolicy:
        """The reminder settings; the offsets must have passed validation (see validate_other_offsets)."""
        offsets = [parse_durations(o)[0] for o in self.offsets.data or []] + parse_durations(self.other_offsets.data)
        return ReminderPolicy(offsets=tuple(offsets), min_gap_hours=self.min_gap_hours.data,
                              send_hours=(self.send_from.data, self.send_until.data))


class RoundForm(AudienceAndReminders, FlaskForm):
    """The create wizard: one page in steps (fieldsets); "Preview" shows what would happen, "Create" makes a draft."""

    template = SelectField("Template and version", choices=[], validate_choice=True)
    title = StringField("Title", validators=[DataRequired("Enter the round's title."), Length(max=300)],
                        description="Shown to staff and in every email, e.g. “Advanced Manufacturing baseline, winter 2026”.")
    regions = CheckboxesField("Regions", choices=[], validate_choice=True, description="None ticked: every region.")
    org_types, include_contacts, exclude_contacts = audience_fields()
    timezone = SelectField("Time zone", choices=[], validate_choice=True,
                           description="The window and the sending hours are read in this zone (daylight saving included).")
    opens_when = RadioField("When it opens", choices=OPENS_WHEN_CHOICES, default="time", validate_choice=True)
    opens_at = DateTimeLocalField("Opens", format=DATETIME_FORMAT, validators=[Optional()],
                                  description="Only when it opens at a set time.")
    closes_at = DateTimeLocalField("Closes", format=DATETIME_FORMAT,
                                   validators=[InputRequired("Enter when the round closes.")])
    offsets, other_offsets, min_gap_hours, send_from, send_until = reminder_fields(
        OFFSET_CHOICES, who="Sent to people who have not answered yet.", before="close")
    response_rule = SelectField("Responses", choices=RESPONSE_RULE_CHOICES, default="organization")
    baseline = BooleanField("This is the baseline round of the template",
                            description="Later rounds of the same template are compared against it.")

    def __init__(self, *args, scheme: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.template.choices = template_choices()
        self.regions.choices = region_choices(scheme)
        self.timezone.choices = timezone_choices()
        if not self.is_submitted():
            self.timezone.data = self.timezone.data or current_app.config.get("TIMEZONE") or "America/Los_Angeles"
            self.offsets.data = self.offsets.data or ["P7D", "P2D", "P1D"]

    @property
    def opens_on_launch(self) -> bool:
        return self.opens_when.data == "launch"

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Optional() stops the field's own checks when it is empty, so "required at a set time" is checked here.
        if not self.opens_on_launch and self.opens_at.data is None and not self.opens_at.errors:
            self.opens_at.errors = [*self.opens_at.errors, "Enter when the round opens, or choose “When I launch the round”."]
            valid = False
        return valid

    def validate_closes_at(self, field: DateTimeLocalField) -> None:
        if not field.data:
            return
        if self.opens_on_launch:
            if not self.timezone.errors and self.timezone.data and parse_local(field.data, self.timezone.data) <= clock.now():
                raise ValidationError("The round opens when you launch it, so it must close in the future.")
        elif self.opens_at.data and field.data <= self.opens_at.data:
            raise ValidationError("The round must close after it opens.")

    # --- what the form means --------------------------------------------------------------

    def window(self) -> tuple[dt.datetime, dt.datetime] | None:
        """(opens, closes) as aware UTC times read in the chosen zone (opens is now for a round that opens when
        launched: the best guess until then); None while either is missing or wrong."""
        opens = clock.now() if self.opens_on_launch else self.opens_at.data
        if not (opens and self.closes_at.data) or self.timezone.errors or self.opens_at.errors or self.closes_at.errors:
            return None
        if not self.opens_on_launch:
            opens = parse_local(opens, self.timezone.data)
        return opens, parse_local(self.closes_at.data, self.timezone.data)

    def template_key(self) -> tuple[str, int] | None:
        slug, _, version = (self.template.data or "").rpartition(":")
        return (slug, int(version)) if slug and version.isdigit() else None

    def command(self) -> cmd.CreateRound:
        """The draft round the form describes; call it only after validate() passed."""
        slug, version = self.template_key() or ("", None)
        window = self.window()
        if window is None:
            raise ValueError("the form has no valid window: validate it first")
        return cmd.CreateRound(
            template_slug=slug, template_version=version, title=(self.title.data or "").strip(),
            timezone=self.timezone.data, opens_at=window[0], closes_at=window[1], audience=self.audience(),
            reminders=self.reminder_policy(), baseline=bool(self.baseline.data), response_rule=self.response_rule.data,
            opens_on_launch=self.opens_on_launch,
        )

    def fill_from(self, round_: Round, *, new_window: bool = False) -> None:
        """Show a round's definition in the wizard: every field to edit a draft; for a new round from this one,
        everything but the window (and the baseline mark, which belongs to one round)."""
        chosen = cmd.Audience.from_stored(round_.audience)
        policy = ReminderPolicy.from_stored(round_.reminders)
        offered = {choice.value for choice in OFFSET_CHOICES}
        names = policy.offset_names()
        self.template.data = f"{round_.template.slug}:{round_.template.version}"
        self.title.data = round_.title
        self.response_rule.data = round_.response_rule
        self.regions.data = list(chosen.regions)
        self.org_types.data = list(chosen.org_types)
        self.include_contacts.data = "\n".join(contact_emails(chosen.include_contacts))
        self.exclude_contacts.data = "\n".join(contact_emails(chosen.exclude_contacts))
        self.timezone.data = round_.timezone
        self.offsets.data = [name for name in names if name in offered]
        self.other_offsets.data = ", ".join(duration_words(name) for name in names if name not in offered)
        self.min_gap_hours.data = policy.min_gap_hours
        self.send_from.data, self.send_until.data = policy.send_hours
        if new_window:
            self.opens_when.data = "time"
            self.opens_at.data = self.closes_at.data = None
            self.baseline.data = False
            return
        self.baseline.data = round_.is_baseline
        self.opens_when.data = "launch" if round_.opens_on_launch else "time"
        self.opens_at.data = None if round_.opens_on_launch else to_local(round_.opens_at, round_.timezone).replace(tzinfo=None)
        self.closes_at.data = to_local(round_.closes_at, round_.timezone).replace(tzinfo=None)


#: Where each field of a refused round (flattened "audience.regions") is shown on the wizard.
DEFINITION_FIELDS = {
    "template": "template", "version": "template", "title": "title", "timezone": "timezone",
    "opens_at": "opens_at", "closes_at": "closes_at", "opens_on_launch": "opens_when", "audience.regions": "regions", "audience.org_types": "org_types",
    "audience.include_contacts": "include_contacts", "audience.exclude_contacts": "exclude_contacts",
    "audience": "regions", "reminders.offsets": "offsets", "reminders.min_gap_hours": "min_gap_hours",
    "reminders.send_hours": "send_from", "baseline": "baseline", "response_rule": "response_rule",
}


class ExtendForm(FlaskForm):
    closes_at = DateTimeLocalField("New close", format=DATETIME_FORMAT, validators=[InputRequired("Enter the new close time.")],
                                   description="In the round's time zone.")


class CancelForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[DataRequired("Say why the round is cancelled: the people invited are told."),
                                                 Length(max=1000)],
                           description="Sent to everyone who received an invitation.")


#: The override form's choice of "a person none of the boards nominated".
SOMEONE_ELSE = "other"


class OverrideForm(FlaskForm):
    """An admin names a region's navigator counterpart: one of the boards' nominees, or someone else typed in; the
    rule's result stays in the log."""

    nominee = RadioField("Counterpart", choices=[], validate_choice=False)
    name = StringField("Name", validators=[Length(max=200)])
    email = StringField("Email address", validators=[Length(max=320)], render_kw={"type": "email"})
    organization = StringField("Organization", validators=[Optional(), Length(max=300)])
    reason = TextAreaField("Reason", validators=[DataRequired("Say why the rule's result is overridden."), Length(max=1000)])

    def __init__(self, *args, nominations: Sequence[Mapping[str, Any]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.nominations = {n["email"]: n for n in nominations}
        self.nominee.choices = [
            *(SelectChoice(n["email"], f"{n['name'] or n['email']} <{n['email']}>" + (f", {n['organization']}" if n.get("organization") else "")
                           + f": named by {n['count']} board{'' if n['count'] == 1 else 's'}") for n in nominations),
            SelectChoice(SOMEONE_ELSE, "Someone else (enter their details below)"),
        ]

    @property
    def someone_else(self) -> bool:
        return self.nominee.data not in self.nominations

    def validate_nominee(self, field: RadioField) -> None:
        if field.data and field.data != SOMEONE_ELSE and field.data not in self.nominations:
            raise ValidationError("Choose one of the nominees listed, or someone else.")
        if not field.data and self.nominations and not (self.name.data or "").strip() and not (self.email.data or "").strip():
            raise ValidationError("Choose one of the nominees, or someone else and enter their details.")

    def validate_name(self, field: StringField) -> None:
        if self.someone_else and not (field.data or "").strip():
            raise ValidationError("Enter the counterpart's name.")

    def validate_email(self, field: StringField) -> None:
        if self.someone_else and not (field.data or "").strip():
            raise ValidationError("Enter the counterpart's email address.")

    def chosen(self) -> tuple[str, str, str]:
        """(name, email, organization) of the person chosen: a nominee as the boards named them, or as typed."""
        if not self.someone_else:
            picked = self.nominations[self.nominee.data]
            return picked["name"] or picked["email"], picked["email"], picked.get("organization") or ""
        return self.name.data or "", self.email.data or "", self.organization.data or ""


class RoundFilterForm(Form):
    """The rounds list's filter (a GET form: no CSRF, it changes nothing)."""

    state = SelectField("State", choices=[SelectChoice("", "Any state"), *(SelectChoice(s) for s in ROUND_STATES)],
                        validators=[Optional()])
    page = IntegerField(validators=[Optional()])
