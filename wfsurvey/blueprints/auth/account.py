"""The signed-in user's account page: who they are, a link to change the password, and their own API tokens,
each of which they may revoke."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from wfsurvey.authz import staff_required
from wfsurvey.blueprints.auth import bp
from wfsurvey.blueprints.outcomes import run
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.queries.tokens import api_tokens


@bp.get("/account")
@staff_required
def account():
    return render_template("auth/account.html", tokens=api_tokens(db.session, user_id=current_user.id))


@bp.post("/account/tokens/<int:token_id>/revoke")
@staff_required
def revoke_own_token(token_id: int):
    # Only the user's own tokens: another's answers 404, as if it did not exist (the command's one refusal).
    revoked = run(cmd.RevokeApiToken(token_id, owner_id=current_user.id))
    if revoked.error is not None:
        abort(404)
    token = revoked.value
    flash(f"Your token “{token.name}” is revoked: scripts using it are refused from now on.", "success")
    return redirect(url_for("auth.account"))
