"""Respondent pages at /r/<token>: answer, save a draft, submit, edit until close, opt out, forward.

Anyone holding a link may call these routes (each is marked @public); the token is the only key.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app

from wfsurvey.extensions import limiter

bp = Blueprint("respond", __name__, url_prefix="/r")


def _page_limit() -> str:
    return current_app.config.get("RESPOND_RATE_LIMIT", "60 per minute")


def _not_found_limit() -> str:
    return current_app.config.get("RESPOND_NOT_FOUND_RATE_LIMIT", "20 per minute")


# Per client address, across every /r/ route. The second limit counts only 404s (unknown,
# revoked or cancelled links), so guessing tokens is slowed long before ordinary use is.
limiter.shared_limit(_page_limit, scope="respond")(bp)
limiter.shared_limit(_not_found_limit, scope="respond-not-found", deduct_when=lambda r: r.status_code == 404)(bp)


@bp.after_request
def _private(response: Response) -> Response:
    # The pages carry someone's answers: never cached by a browser or proxy, never indexed.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


from wfsurvey.blueprints.respond import views  # noqa: E402,F401  (registers the routes on bp)
