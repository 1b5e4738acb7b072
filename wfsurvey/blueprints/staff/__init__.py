"""Staff pages under /staff: the home page, stakeholders, templates and the event log (rounds come in their own modules).

Every view carries @staff_required (or @admin_required), which both enforces and declares who may call it.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, current_app

from wfsurvey.domain.reminders import slot_words
from wfsurvey.domain.rules import format_local_compact, hour_words, to_local

bp = Blueprint("staff", __name__, url_prefix="/staff")
#: "P7D" -> "7 days before close" in every template.
bp.add_app_template_filter(slot_words, "slot_words")
bp.add_app_template_filter(hour_words, "hour_words")


@bp.after_request
def _private(response: Response) -> Response:
    # Staff pages show contacts' details: never cached by a browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


def _aware(moment: dt.datetime | str) -> dt.datetime | str:
    """A datetime, or an ISO 8601 string as queries give it (naive means UTC), as an aware datetime; other text as is."""
    if isinstance(moment, str):
        try:
            moment = dt.datetime.fromisoformat(moment)
        except ValueError:
            return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment


@bp.app_template_filter("short_local")
def short_local(moment: dt.datetime | str | None, tz_name: str | None = None) -> str:
    """"Nov 5, 2026, 9:51 AM PST": a UTC time (a datetime, or an ISO 8601 string as queries give it) in the round's
    (or the configured) time zone, for tables and logs; format_local is the full form where one moment matters."""
    if not moment:
        return ""
    moment = _aware(moment)
    if isinstance(moment, str):
        return moment
    return format_local_compact(moment, tz_name or current_app.config["TIMEZONE"])


#: Month names as the short forms of US usage ("Sept." aside, AP style).
_MONTHS = ("Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.")


@bp.app_template_filter("brief_local")
def brief_local(moment: dt.datetime | str | None, tz_name: str | None = None) -> str:
    """"Nov. 2, 10:00 AM PST": a time in a row of a list (a datetime, or an ISO 8601 string as queries give it)."""
    if not moment:
        return ""
    moment = _aware(moment)
    if isinstance(moment, str):
        return moment
    local = to_local(moment, tz_name or current_app.config["TIMEZONE"])
    return f"{_MONTHS[local.month - 1]} {local.day}, {local_clock(moment, tz_name)} {local.tzname() or ''}".rstrip()


@bp.app_template_filter("local_clock")
def local_clock(moment: dt.datetime | None, tz_name: str | None = None) -> str:
    """"9:41 AM": the time of day of a UTC time in the round's (or the configured) time zone."""
    if moment is None:
        return ""
    local = to_local(moment, tz_name or current_app.config["TIMEZONE"])
    return f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


from wfsurvey.blueprints.staff import (  # noqa: E402,F401  (register the routes)
    builder,
    convenings,
    dashboard,
    events,
    home,
    jobs,
    reports,
    responses,
    rounds,
    series,
    stakeholders,
    templates_views,
)
