"""Round series: a template asked again every period (a quarter or a month). Pure rules: when period k ends, when its
round opens and closes, how the cadence and the period are said in words.

Period k (0, 1, 2, ...) ends on first_period_end plus k cadences (a date): a series whose first period ends on the last
day of a month ends every period on the last day of its month (March 31, June 30, September 30, December 31); otherwise
on the same day of the month, or the month's last day where the month is shorter. Its round opens `open_days_before`
days before that date at 09:00 and closes `close_days_after` days after it at 17:00, local time in the series' zone.
"""
from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator

from wfsurvey.domain.rules import parse_local

#: Cadences as stored (ISO 8601 durations) and their months.
CADENCE_MONTHS = {"P3M": 3, "P1M": 1}
#: How a cadence is said.
CADENCE_WORDS = {"P3M": "every quarter", "P1M": "every month"}
#: What staff are told when a cadence is not one of these (never its stored code).
CADENCE_REFUSED = "Choose how often: every quarter or every month."
#: What one period is called ("the quarter ending ...").
PERIOD_NOUNS = {"P3M": "quarter", "P1M": "month"}
OPENS_AT = dt.time(9, 0)
CLOSES_AT = dt.time(17, 0)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus whole months, kept at the month's end when `day` is one, else clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    at_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return dt.date(year, month, last if at_end else min(day.day, last))


def period_end(first_period_end: dt.date, cadence: str, k: int) -> dt.date:
    return add_months(first_period_end, CADENCE_MONTHS[cadence] * k)


def window(first_period_end: dt.date, cadence: str, k: int, timezone: str, open_days_before: int,
           close_days_after: int) -> tuple[dt.datetime, dt.datetime]:
    """(opens_at, closes_at) of period k's round, aware UTC."""
    end = period_end(first_period_end, cadence, k)
    opens = dt.datetime.combine(end - dt.timedelta(days=open_days_before), OPENS_AT)
    closes = dt.datetime.combine(end + dt.timedelta(days=close_days_after), CLOSES_AT)
    return parse_local(opens, timezone), parse_local(closes, timezone)


def periods_open_at(now: dt.datetime, first_period_end: dt.date, cadence: str, timezone: str, open_days_before: int,
                    close_days_after: int) -> Iterator[int]:
    """The periods whose round should be taking answers at `now`: opened and not yet closed (a period missed while no
    scheduler ran still gets its round until it closes)."""
    k = 0
    while True:
        opens, closes = window(first_period_end, cadence, k, timezone, open_days_before, close_days_after)
        if opens > now:
            return
        if now < closes:
            yield k
        k += 1


def date_words(day: dt.date) -> str:
    """"March 31, 2027"."""
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def period_words(cadence: str, end: dt.date) -> str:
    """"quarter ending March 31, 2027"."""
    return f"{PERIOD_NOUNS[cadence]} ending {date_words(end)}"
