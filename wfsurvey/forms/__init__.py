"""Web forms (Flask-WTF): what each page accepts, checked against the database in validate_<field>.

A command may still refuse what a form let through (another user got there first); then
`add_domain_errors` puts the command's field errors on the form so the page shows them.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Form

from wfsurvey.domain.errors import DomainError


def add_domain_errors(form: Form, exc: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Attach a refused command's errors to the matching fields, the rest to the form as a whole."""
    aliases = aliases or {}
    placed = False
    for key, messages in (exc.fields or {}).items():
        field = getattr(form, aliases.get(key, key), None)
        if field is None or not hasattr(field, "errors") or not isinstance(messages, list):
            continue
        field.errors = [*field.errors, *(str(m) for m in messages)]
        placed = True
    if not placed:
        form.form_errors.append(exc.message)


class ActionForm(FlaskForm):
    """A button that needs nothing but the CSRF token: disable, enable, mark opted out, sign out."""
