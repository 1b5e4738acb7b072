"""The one clock: aware UTC now, or the time the running app pins (FIXED_NOW) so tests and demos can travel.

Commands, jobs and pages ask `now()`. Only what measures real time whatever the app pretends (a
scheduler's lease, how long a job ran, when an event was written) asks `wall_now()`.
"""
from __future__ import annotations

import datetime as dt

from wfsurvey import settings

UTC = dt.timezone.utc


def now() -> dt.datetime:
    """Aware UTC now; `FIXED_NOW` (an aware datetime) in the app's settings wins, so tests can travel in time."""
    fixed = settings.current().get("FIXED_NOW")
    if fixed is not None:
        if fixed.tzinfo is None:
            raise ValueError("FIXED_NOW must be an aware datetime (give it a time zone)")
        return fixed.astimezone(UTC)
    return wall_now()


def wall_now() -> dt.datetime:
    """The real time, never pinned."""
    return dt.datetime.now(UTC)
