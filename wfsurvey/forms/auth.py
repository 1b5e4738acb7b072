"""Sign-in and password-change forms."""
from __future__ import annotations

from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from wfsurvey.services.users import MAX_PASSWORD_LENGTH, password_problem, verify_password


class LoginForm(FlaskForm):
    # No check against the database here: whether an email is known must not show (see the view).
    email = StringField("Email address", validators=[DataRequired("Enter your email address."), Length(max=320)],
                        render_kw={"autocomplete": "username", "type": "email"})
    password = PasswordField("Password", validators=[DataRequired("Enter your password."),
                                                     Length(max=MAX_PASSWORD_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField("New password", validators=[DataRequired("Enter a new password.")],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("New password again", validators=[EqualTo("new_password", "The two passwords differ.")],
                            render_kw={"autocomplete": "new-password"})

    def validate_current_password(self, field: PasswordField) -> None:
        if not verify_password(current_user, field.data or ""):
            raise ValidationError("This is not your current password.")

    def validate_new_password(self, field: PasswordField) -> None:
        problem = password_problem(field.data or "", current_user.email)
        if problem:
            raise ValidationError(problem[0].upper() + problem[1:] + ".")
