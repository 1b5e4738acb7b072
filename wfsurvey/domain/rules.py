"""Pure rules about time: parsing local times and durations, the window, reminder due times."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.timezone.utc
_DURATION = re.compile(r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?)?$")


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone '{name}'") from exc


def parse_local(value: str | dt.datetime, tz_name: str) -> dt.datetime:
    """An ISO 8601 time with an offset, or naive and local to `tz_name`, as aware UTC."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        local = zone(tz_name)
        moment = moment.replace(tzinfo=local)
        # A wall time in the spring-forward gap does not exist: move it past the gap.
        if moment.astimezone(UTC).astimezone(local).replace(tzinfo=None) != moment.replace(tzinfo=None):
            moment = moment.astimezone(UTC).astimezone(local)
    return moment.astimezone(UTC)


def parse_duration(value: str) -> dt.timedelta:
    """ISO 8601 durations of weeks, days, hours and minutes ("P7D", "PT12H", "P1DT6H")."""
    match = _DURATION.match(value.strip().upper()) if value else None
    if not match or value.strip().upper() in ("P", "PT"):
        raise ValueError(f"'{value}' is not a duration like P7D or PT12H")
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    return dt.timedelta(**parts)


def format_duration(value: dt.timedelta) -> str:
    """A duration as parse_duration reads it, in days, hours and minutes ("P7D", "PT12H", "P1DT6H"; weeks as days)."""
    if value < dt.timedelta(0) or value.seconds % 60 or value.microseconds:
        raise ValueError(f"{value} is not a whole number of minutes")
    hours, minutes = divmod(value.seconds // 60, 60)
    days = f"{value.days}D" if value.days or not (hours or minutes) else ""
    time = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return f"P{days}" + (f"T{time}" if time else "")


_UNIT = r"(weeks?|wks?|days?|d|hours?|hrs?|h|minutes?|mins?|m)"
_WORDS_PART = re.compile(rf"(\d+)\s*{_UNIT}\b", re.I)
_WORDS = re.compile(rf"^\s*(?:\d+\s*{_UNIT}\b\s*(?:and\s+)?)+$", re.I)
_UNIT_KEYWORD = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


def parse_durations(text: str | None) -> list[dt.timedelta]:
    """Durations as people type them, separated by commas, semicolons or new lines: "5 days, 12 hours" (two), "1 day
    and 6 hours" (one), or ISO 8601 ("P5D PT12H"). ValueError names the part that is neither."""
    found = []
    for chunk in re.split(r"[,;\n]+", text or ""):
        chunk = chunk.strip()
        if not chunk:
            continue
        if _WORDS.match(chunk):
            parts: dict[str, int] = {}
            for number, unit in _WORDS_PART.findall(chunk):
                key = _UNIT_KEYWORD[unit[0].lower()]
                parts[key] = parts.get(key, 0) + int(number)
            found.append(dt.timedelta(**parts))
            continue
        for item in chunk.split():
            try:
                found.append(parse_duration(item))
            except ValueError:
                raise ValueError(f"'{item}' is not a time before close like “5 days” or “12 hours”") from None
    return found


def duration_words(value: dt.timedelta | str) -> str:
    """A duration as people say it: "7 days", "12 hours", "1 day and 6 hours" (a week is said as 7 days)."""
    if isinstance(value, str):
        value = parse_duration(value)
    hours, minutes = divmod(value.seconds // 60, 60)
    parts = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in ((value.days, "day"), (hours, "hour"), (minutes, "minute")) if n]
    if not parts:
        return "no time"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def hour_words(hour: int) -> str:
    """An hour of the day as US readers say it: 8 -> "8 AM", 18 -> "6 PM", 12 -> "noon", 0 or 24 -> "midnight"."""
    if hour % 24 == 0:
        return "midnight"
    if hour == 12:
        return "noon"
    return f"{hour % 12 or 12} {'AM' if hour < 12 else 'PM'}"


def to_local(moment: dt.datetime, tz_name: str) -> dt.datetime:
    return moment.astimezone(zone(tz_name))


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def format_day(day: dt.date) -> str:
    """"October 6, 2026"."""
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def format_local(moment: dt.datetime, tz_name: str) -> str:
    """"Friday, December 4, 2026 at 5:00 PM PST": the zone's abbreviation follows daylight saving.

    Names are spelt out here rather than by strftime so that the server's locale cannot change them.
    """
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: give a UTC (or other aware) time")
    local = to_local(moment, tz_name)
    hour = local.hour % 12 or 12
    half = "AM" if local.hour < 12 else "PM"
    return (
        f"{_WEEKDAYS[local.weekday()]}, {_MONTHS[local.month - 1]} {local.day}, {local.year} "
        f"at {hour}:{local.minute:02d} {half} {local.tzname()}"
    )


def format_local_compact(moment: dt.datetime, tz_name: str) -> str:
    """"Nov 5, 2026, 9:51 AM PST": format_local's moment in the short form of a table row or a log line."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: give a UTC (or other aware) time")
    local = to_local(moment, tz_name)
    return (
        f"{_MONTHS[local.month - 1][:3]} {local.day}, {local.year}, "
        f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'} {local.tzname()}"
    )
