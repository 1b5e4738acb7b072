"""Respondent pages at /r/<token>: answer, save a draft, submit, edit until close, opt out, forward.

Anyone holding a link may call these routes (each is marked @public); the token is the only key. Rate limits:
wfsurvey.blueprints.respond.guard.
"""
from __future__ import annotations

from flask import Blueprint, Response

bp = Blueprint("respond", __name__, url_prefix="/r")

# Rate limits are counted in the views, once the link is looked up (wfsurvey.blueprints.respond.guard):
# unknown links per client address, working links per link.


@bp.after_request
def _private(response: Response) -> Response:
    # The pages carry someone's answers: never cached by a browser or proxy, never indexed.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


from wfsurvey.blueprints.respond import views  # noqa: E402,F401  (registers the routes on bp)
