"""Forms of the stakeholders pages: regions, organizations, contacts, the CSV import, and the list filters."""
from __future__ import annotations

from email_validator import EmailNotValidError
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import (
    Form,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from wfsurvey.domain.stakeholders import ORG_TYPE_LABELS, ORG_TYPES, clean_text, normalize_email
from wfsurvey.extensions import db
from wfsurvey.models import Contact, Organization, Region
from wfsurvey.services.stakeholders import MAX_LENGTHS, SLUG_RE, org_key

ORG_TYPE_CHOICES = [SelectChoice(t, ORG_TYPE_LABELS[t]) for t in ORG_TYPES]


def region_choices(scheme: str) -> list[SelectChoice]:
    regions = db.session.scalars(select(Region).where(Region.scheme == scheme).order_by(Region.name))
    return [SelectChoice(r.code, r.name) for r in regions]


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class RegionForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter the region's name."), Length(max=200)])
    code = StringField("Code", validators=[Optional(), Length(max=80),
                                           Regexp(SLUG_RE, message="Lower-case letters, digits and single hyphens.")],
                       description="A slug such as inland-empire-desert; left empty, it is made from the name.")

    def __init__(self, *args, scheme: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.scheme = scheme

    def validate_name(self, field: StringField) -> None:
        name = clean_text(field.data)
        if db.session.scalar(select(Region.code).where(Region.scheme == self.scheme, Region.name == name)):
            raise ValidationError(f"A region named {name!r} already exists.")


class OrganizationForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter the organization's name."),
                                           Length(max=MAX_LENGTHS["organization"])])
    org_type = SelectField("Type", choices=ORG_TYPE_CHOICES)
    regions = CheckboxesField("Regions", choices=[], validate_choice=True,
                              description="A board may straddle two regions.")

    def __init__(self, *args, scheme: str, organization_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization_id = organization_id
        self.regions.choices = region_choices(scheme)

    def validate_name(self, field: StringField) -> None:
        key = org_key(field.data or "")
        query = select(Organization.id, Organization.name)
        if self.organization_id is not None:
            query = query.where(Organization.id != self.organization_id)
        for _other_id, other_name in db.session.execute(query):
            if org_key(other_name) == key:
                raise ValidationError(f"An organization named {other_name!r} already exists.")


class ContactForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter the person's name."), Length(max=MAX_LENGTHS["name"])])
    email = StringField("Email address", validators=[DataRequired("Enter an email address."),
                                                     Length(max=MAX_LENGTHS["email"])],
                        render_kw={"type": "email"})
    title = StringField("Job title", validators=[Length(max=MAX_LENGTHS["title"])])

    def __init__(self, *args, contact_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.contact_id = contact_id

    def validate_email(self, field: StringField) -> None:
        try:
            email = normalize_email(field.data or "")
        except EmailNotValidError as exc:
            raise ValidationError(str(exc)) from None
        query = select(Contact.id).where(Contact.email == email)
        if self.contact_id is not None:
            query = query.where(Contact.id != self.contact_id)
        if db.session.scalar(query) is not None:
            raise ValidationError(f"{email} is already a contact.")


class OptInForm(FlaskForm):
    reason = StringField("How did they ask to receive survey mail again?",
                         validators=[DataRequired("Say how the person asked (for example: email of 20 Nov to J. Diaz)."),
                                     Length(max=500)],
                         description="Kept in the event log: opting someone back in needs their own request.")


class ImportForm(FlaskForm):
    # As large as any request may be (MAX_CONTENT_LENGTH, 10 MB): a larger one is refused before it is read, with 413.
    csv_file = FileField("CSV file")
    csv_text = TextAreaField("…or paste the CSV here",
                             description="Columns: organization,org_type,region,name,email,title "
                                         "(several regions joined by “;”, a region by code or name).")

    def validate_csv_text(self, field: TextAreaField) -> None:
        if not (field.data or "").strip() and not self.csv_file.data:
            raise ValidationError("Choose a CSV file or paste its contents.")


class OrganizationFilterForm(Form):
    """The GET filters of the organizations list (no CSRF: it changes nothing)."""

    q = StringField("Name contains", validators=[Optional(), Length(max=300)])
    org_type = SelectField("Type", choices=[SelectChoice("", "Any type"), *ORG_TYPE_CHOICES], validators=[Optional()])
    region = SelectField("Region", choices=[], validators=[Optional()])
    page = IntegerField(validators=[Optional()])

    def __init__(self, *args, scheme: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.region.choices = [SelectChoice("", "Any region"), *region_choices(scheme)]


class ContactFilterForm(OrganizationFilterForm):
    q = StringField("Name or email contains", validators=[Optional(), Length(max=320)])
    status = SelectField("Mail", choices=[SelectChoice("", "Everyone"), SelectChoice("receiving", "Receiving survey mail"),
                                          SelectChoice("opted_out", "Opted out")], validators=[Optional()])
