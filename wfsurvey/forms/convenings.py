"""Forms of the convening pages: the create wizard (its audience and reminders as a round's), a new time, a
walk-in at the door and an outcome note; each turns what a person typed into what a command takes."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from wfsurvey.domain import commands as cmd
from wfsurvey.domain import convenings as rules
from wfsurvey.domain.rules import parse_local
from wfsurvey.forms.rounds import DATETIME_FORMAT, AudienceAndReminders, audience_fields, reminder_fields, timezone_choices
from wfsurvey.forms.stakeholders import ORG_TYPE_CHOICES, CheckboxesField, region_choices

#: Reminder offsets offered as checkboxes, counted before the start.
OFFSET_CHOICES = [SelectChoice("P14D", "14 days before it starts"), SelectChoice("P7D", "7 days before it starts"),
                  SelectChoice("P2D", "2 days before it starts"), SelectChoice("P1D", "1 day before it starts")]
#: Where each field of a refused CreateConvening (as the API names them) is shown on the wizard.
DEFINITION_FIELDS = {
    "title": "title", "purpose": "purpose", "regions": "regions", "timezone": "timezone", "starts_at": "starts_at",
    "ends_at": "ends_at", "location": "location", "online_url": "online_url", "capacity": "capacity",
    "audience": "org_types", "audience.regions": "regions", "audience.org_types": "org_types",
    "audience.include_contacts": "include_contacts", "audience.exclude_contacts": "exclude_contacts",
}


def check_end(starts: dt.datetime | None, ends: dt.datetime | None) -> None:
    """The wizard's and the new time's end, by the convening's rule of times (domain.convenings.times_problem)."""
    if starts and ends:
        problem = rules.times_problem(starts, ends)
        if problem:
            raise ValidationError("It must end after it starts." if problem[1].startswith("must be after")
                                  else "A convening lasts at most 7 days.")


class ConveningForm(AudienceAndReminders, FlaskForm):
    """The create wizard: what, who, when and where, reminders; "Create the draft" makes it (nothing is sent yet)."""

    title = StringField("Title", validators=[DataRequired("Enter the convening's title."), Length(max=300)],
                        description="Shown in the invitation and on the answer page, e.g. “Inland Empire advanced "
                                    "manufacturing convening”.")
    purpose = TextAreaField("What it is for", validators=[Optional(), Length(max=rules.LONGEST_NOTE)],
                            description="A few sentences for the invitation.")
    regions = CheckboxesField("Regions", choices=[], validate_choice=True,
                              description="The regions it is for: their organizations of the types below are invited.")
    org_types, include_contacts, exclude_contacts = audience_fields()
    timezone = SelectField("Time zone", choices=[], validate_choice=True,
                           description="The start and end are read, and shown to invitees, in this zone.")
    starts_at = DateTimeLocalField("Starts", format=DATETIME_FORMAT, validators=[InputRequired("Enter when it starts.")])
    ends_at = DateTimeLocalField("Ends", format=DATETIME_FORMAT, validators=[InputRequired("Enter when it ends.")])
    location = StringField("Place", validators=[Optional(), Length(max=500)],
                           description="Address and room; leave empty for an online meeting.")
    online_url = StringField("Online link", validators=[Optional(), Length(max=500)],
                             description="The link to join online, if any (https://…).")
    capacity = IntegerField("Seats", validators=[Optional(), NumberRange(1, rules.MOST_SEATS, "Enter a number of seats from 1.")],
                            description="Leave empty for no limit. When full, further yes answers join a waitlist.")
    offsets, other_offsets, min_gap_hours, send_from, send_until = reminder_fields(
        OFFSET_CHOICES, who="To those who said yes or maybe; those who have not answered get one reminder.",
        before="the start")

    def __init__(self, *args, scheme: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.regions.choices = region_choices(scheme)
        self.timezone.choices = timezone_choices()
        if not self.is_submitted():
            self.timezone.data = self.timezone.data or current_app.config.get("TIMEZONE") or "America/Los_Angeles"
            self.offsets.data = self.offsets.data or ["P7D", "P1D"]
            self.org_types.data = self.org_types.data or ["lwib", "college"]

    def validate_regions(self, field: CheckboxesField) -> None:
        if not field.data and not self.include_contacts.data:
            raise ValidationError("Tick at least one region (or name the people to invite below).")

    def validate_ends_at(self, field: DateTimeLocalField) -> None:
        check_end(self.starts_at.data, field.data)

    def validate_online_url(self, field: StringField) -> None:
        value = (field.data or "").strip()
        if value and not value.lower().startswith(("https://", "http://")):
            raise ValidationError("Enter a link that starts with https://.")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Both fields are optional on their own (Optional() ends their checks when empty), but not both at once.
        if not (self.location.data or "").strip() and not (self.online_url.data or "").strip():
            self.location.errors = [*self.location.errors, "Give a place, an online link, or both."]
            valid = False
        return valid

    def times(self) -> tuple[dt.datetime, dt.datetime]:
        return parse_local(self.starts_at.data, self.timezone.data), parse_local(self.ends_at.data, self.timezone.data)

    def command(self) -> cmd.CreateConvening:
        """The draft the form describes; call it only after validate() passed."""
        starts_at, ends_at = self.times()
        audience = self.audience()
        return cmd.CreateConvening(
            title=self.title.data.strip(), purpose=(self.purpose.data or "").strip(), regions=audience.regions,
            timezone=self.timezone.data, starts_at=starts_at, ends_at=ends_at, location=(self.location.data or "").strip(),
            online_url=(self.online_url.data or "").strip(), capacity=self.capacity.data, audience=audience,
            reminders=self.reminder_policy())


class CapacityForm(FlaskForm):
    """The seats of a convening already made (the wizard's field, said for a convening that has answers)."""

    capacity = ConveningForm.capacity

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.capacity.label.text = "Number of seats"
        self.capacity.description = ("Leave empty for no limit. It cannot be fewer than the people who already have a "
                                     "seat. Seats you add go to the waitlist in order, and each person is emailed.")


class RescheduleForm(FlaskForm):
    starts_at = DateTimeLocalField("New start", format=DATETIME_FORMAT, validators=[InputRequired("Enter the new start.")],
                                   description="In the convening's time zone.")
    ends_at = DateTimeLocalField("New end", format=DATETIME_FORMAT, validators=[InputRequired("Enter the new end.")])
    reason = StringField("Why (told to everyone invited)", validators=[Optional(), Length(max=1000)])

    def validate_ends_at(self, field: DateTimeLocalField) -> None:
        check_end(self.starts_at.data, field.data)


class WalkInForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter their name."), Length(max=200)])
    email = StringField("Email address", validators=[DataRequired("Enter their email address."), Length(max=320)])
    organization_id = SelectField("Organization", choices=[], validate_choice=False, coerce=str,
                                  description="Choose theirs, or leave it on “Another organization” and name it below.")
    organization_name = StringField("Another organization", validators=[Optional(), Length(max=300)],
                                    description="Added as a new organization of the convening's first region.")
    org_type = SelectField("Its type", choices=ORG_TYPE_CHOICES, default="partner")


class OutcomeNoteForm(FlaskForm):
    text = TextAreaField("What came out of it", validators=[DataRequired("Write the outcome."),
                                                            Length(max=rules.LONGEST_NOTE)],
                         description="Short, e.g. “Pilot area agreed” or “Linkage with the college navigator established”.")
    regions = CheckboxesField("Regions it concerns", choices=[], validate_choice=True)
    organizations = CheckboxesField("Organizations it concerns", choices=[], validate_choice=False, coerce=int)
