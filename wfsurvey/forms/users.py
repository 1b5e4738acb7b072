"""Admin forms for accounts: create a user, change a role."""
from __future__ import annotations

from email_validator import EmailNotValidError
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from wfsurvey.domain.stakeholders import normalize_email
from wfsurvey.extensions import db
from wfsurvey.models.users import ROLES, User
from wfsurvey.services.users import password_problem

ROLE_CHOICES = [SelectChoice(role, role.title()) for role in ROLES]


class CreateUserForm(FlaskForm):
    email = StringField("Email address", validators=[DataRequired("Enter an email address."), Length(max=320)],
                        render_kw={"type": "email", "autocomplete": "off"})
    name = StringField("Name", validators=[Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES, default="staff")
    password = PasswordField("Password", validators=[DataRequired("Enter a password.")],
                             render_kw={"autocomplete": "new-password"},
                             description="At least 12 characters; common passwords are refused.")
    confirm = PasswordField("Password again", validators=[EqualTo("password", "The two passwords differ.")],
                            render_kw={"autocomplete": "new-password"})

    def validate_email(self, field: StringField) -> None:
        try:
            email = normalize_email(field.data or "")
        except EmailNotValidError as exc:
            raise ValidationError(str(exc)) from None
        if db.session.scalar(select(User.id).where(User.email == email)) is not None:
            raise ValidationError(f"{email} already has an account.")

    def validate_password(self, field: PasswordField) -> None:
        problem = password_problem(field.data or "", self.email.data or "")
        if problem:
            raise ValidationError(problem[0].upper() + problem[1:] + ".")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)

