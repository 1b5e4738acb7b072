"""Invitee pages of convenings at /c/<token>: see the convening, answer yes, no or maybe (and change it until the
start), opt out.

Anyone holding a link may call these routes (each is marked @public); the token is the only key. The rate limits are
those of survey links (wfsurvey.blueprints.respond.guard): unknown links per client address, working links per link.
"""
from __future__ import annotations

from flask import Blueprint, Response

bp = Blueprint("rsvp", __name__, url_prefix="/c")


@bp.after_request
def _private(response: Response) -> Response:
    # The pages carry someone's answer and needs: never cached by a browser or proxy, never indexed.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


from wfsurvey.blueprints.rsvp import views  # noqa: F401  (registers the routes on bp)
