"""Admin pages under /admin: managing staff and admin accounts and their API tokens. Every view carries @admin_required."""
from __future__ import annotations

from flask import Blueprint, Response

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


from wfsurvey.blueprints.admin import users  # noqa: E402,F401  (registers the routes)
from wfsurvey.blueprints.admin import tokens  # noqa: E402,F401  (registers the routes)
