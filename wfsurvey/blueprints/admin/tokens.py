"""API tokens page: every live token with its owner, when it was made and last used, and a revoke button;
the tokens revoked lately below. Tokens are made on the command line (`wfsurvey tokens create`)."""
from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, redirect, render_template, url_for
from sqlalchemy import select

from wfsurvey.authz import admin_required
from wfsurvey.blueprints.admin import bp
from wfsurvey.blueprints.outcomes import run
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.rules import format_local
from wfsurvey.extensions import db
from wfsurvey.models import User
from wfsurvey.queries.tokens import api_tokens

#: Revoked tokens shown under the live ones: enough to see what just happened.
REVOKED_SHOWN = 20


@bp.app_template_filter("plain_time")
def plain_time(moment: dt.datetime | None) -> str:
    """"Friday, December 4, 2026 at 5:00 PM PST" in the configured time zone: what people read, not ISO 8601."""
    return format_local(moment, current_app.config["TIMEZONE"]) if moment is not None else ""


def _actor_names(actors: set[str]) -> dict[str, str]:
    """Who each event-log actor is, in words: a user by name, the command line, a script's token."""
    ids = {int(a[5:]) for a in actors if a.startswith("user:") and a[5:].isdigit()}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    names = {}
    for a in actors:
        kind, _, key = a.partition(":")
        if kind == "user" and key.isdigit() and int(key) in users:
            names[a] = users[int(key)].name or users[int(key)].email
        elif a == "cli":
            names[a] = "the command line"
        elif kind == "api":
            names[a] = f"a script (API token {key})"
        else:
            names[a] = a
    return names


@bp.get("/tokens")
@admin_required
def tokens():
    revoked = api_tokens(db.session, revoked=True)[:REVOKED_SHOWN]
    names = _actor_names({t.revoked_by for t in revoked if t.revoked_by})
    return render_template("admin/tokens.html", tokens=api_tokens(db.session), revoked=revoked,
                           revoked_by={t.id: names.get(t.revoked_by or "", "unknown") for t in revoked})


@bp.post("/tokens/<int:token_id>/revoke")
@admin_required
def revoke_token(token_id: int):
    # The CSRF token is checked for every form post (CSRFProtect); the confirmation is the page's.
    revoked = run(cmd.RevokeApiToken(token_id))
    if revoked.error is not None:  # the command's one refusal: no such token
        abort(404)
    token = revoked.value
    flash(f"Token “{token.name}” of {token.user.name or token.user.email} is revoked: scripts using it are refused "
          "from now on.", "success")
    return redirect(url_for("admin.tokens"))
