"""The current time for web requests: the UTC clock, or the app's FIXED_NOW when a test or a demo pins it."""
from __future__ import annotations

import datetime as dt

from flask import current_app, has_app_context


def now() -> dt.datetime:
    """Aware UTC now; `FIXED_NOW` (an aware datetime) in the app config wins, so tests can travel in time."""
    fixed = current_app.config.get("FIXED_NOW") if has_app_context() else None
    if fixed is not None:
        if fixed.tzinfo is None:
            raise ValueError("FIXED_NOW must be an aware datetime (give it a time zone)")
        return fixed.astimezone(dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc)
