"""Running a command from a page: as the signed-in user (or the link's respondent) at the app's clock, with a refusal
shown on the page (flashed, or beside the form's fields), never a 500."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash
from wtforms import Form

from wfsurvey import authz
from wfsurvey.domain.errors import DomainError
from wfsurvey.forms import add_domain_errors
from wfsurvey.services.outcomes import Outcome, run_command


def run(command: Any, *, actor: str | None = None, retry_on_contention: bool = False,
        survive_lost_connection: bool = False) -> Outcome[Any]:
    """Run `command` as `actor` (default: the signed-in user); the refusal, if any, is the outcome's error.

    The options are run_command's (wfsurvey.services.outcomes).
    """
    return run_command(command, actor=actor or authz.actor(), retry_on_contention=retry_on_contention,
                       survive_lost_connection=survive_lost_connection)


def run_or_flash(command: Any, *, wording: str = "{message}", actor: str | None = None) -> Outcome[Any]:
    """Run `command` as `actor` (default: the signed-in user); a refusal is flashed as an error, in `wording`
    ("Not done: {message}.")."""
    outcome = run(command, actor=actor)
    if outcome.error is not None:
        flash(wording.format(message=outcome.error.message), "error")
    return outcome


def run_on_form(command: Any, form: Form, *, aliases: dict[str, str] | None = None,
                place: Callable[[Form, DomainError], None] | None = None) -> Outcome[Any]:
    """Run `command` as the signed-in user; a refusal's fields go beside the form's fields, the rest above the form.

    `aliases` maps the command's field names to the form's; `place` replaces the placing altogether.
    """
    outcome = run(command)
    if outcome.error is not None:
        if place is not None:
            place(form, outcome.error)
        else:
            add_domain_errors(form, outcome.error, aliases)
    return outcome
