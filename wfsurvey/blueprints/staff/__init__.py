"""Staff pages under /staff: the home page, stakeholders, templates and the event log (rounds come in their own modules).

Every view carries @staff_required (or @admin_required), which both enforces and declares who may call it.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, current_app

from wfsurvey.domain.rules import to_local

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.after_request
def _private(response: Response) -> Response:
    # Staff pages show contacts' details: never cached by a browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_filter("short_local")
def short_local(moment: dt.datetime | None, tz_name: str | None = None) -> str:
    """"2026-10-05 09:00 PDT": a UTC time in the round's (or the configured) time zone."""
    if moment is None:
        return ""
    local = to_local(moment, tz_name or current_app.config["TIMEZONE"])
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "")


from wfsurvey.blueprints.staff import (  # noqa: E402,F401  (register the routes)
    builder,
    dashboard,
    events,
    home,
    jobs,
    reports,
    rounds,
    stakeholders,
    templates_views,
)
