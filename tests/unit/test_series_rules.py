"""The rules of a round series: period ends by cadence (month ends kept), each window at 09:00 and 17:00 local time
across daylight saving, the periods open at an instant, and the words."""
from __future__ import annotations

import datetime as dt

from wfsurvey.domain.series import CADENCE_WORDS, add_months, period_end, period_words, periods_open_at, window

UTC = dt.timezone.utc
LA = "America/Los_Angeles"


def test_period_ends_follow_the_cadence_and_keep_month_ends():
    assert [period_end(dt.date(2027, 3, 31), "P3M", k) for k in range(5)] == [
        dt.date(2027, 3, 31), dt.date(2027, 6, 30), dt.date(2027, 9, 30), dt.date(2027, 12, 31), dt.date(2028, 3, 31)]
    assert [period_end(dt.date(2027, 1, 31), "P1M", k) for k in range(3)] == [
        dt.date(2027, 1, 31), dt.date(2027, 2, 28), dt.date(2027, 3, 31)]
    assert [period_end(dt.date(2027, 1, 15), "P1M", k) for k in range(2)] == [dt.date(2027, 1, 15), dt.date(2027, 2, 15)]
    assert add_months(dt.date(2027, 1, 30), 1) == dt.date(2027, 2, 28)  # clamped, not at the month's end before
    assert add_months(dt.date(2027, 2, 28), 1) == dt.date(2027, 3, 31)  # February's last day: month ends kept


def test_each_window_opens_at_nine_and_closes_at_five_local_time_across_daylight_saving():
    # Period 0 ends Wednesday, March 31, 2027: opens March 24 at 09:00 PDT (16:00 UTC), closes April 7 at 17:00 PDT.
    assert window(dt.date(2027, 3, 31), "P3M", 0, LA, 7, 7) == (dt.datetime(2027, 3, 24, 16, 0, tzinfo=UTC),
                                                                 dt.datetime(2027, 4, 8, 0, 0, tzinfo=UTC))
    # Period 3 ends December 31 (PST): 09:00 PST is 17:00 UTC.
    opens, closes = window(dt.date(2027, 3, 31), "P3M", 3, LA, 10, 5)
    assert opens == dt.datetime(2027, 12, 21, 17, 0, tzinfo=UTC) and closes == dt.datetime(2028, 1, 6, 1, 0, tzinfo=UTC)


def test_the_periods_open_at_an_instant():
    def at(moment):
        return list(periods_open_at(moment, dt.date(2027, 3, 31), "P3M", LA, 7, 7))

    assert at(dt.datetime(2027, 3, 24, 15, 59, tzinfo=UTC)) == []
    assert at(dt.datetime(2027, 3, 24, 16, 0, tzinfo=UTC)) == [0]
    assert at(dt.datetime(2027, 4, 8, 0, 0, tzinfo=UTC)) == []  # closed at 17:00 PDT on April 7
    assert at(dt.datetime(2027, 6, 25, 12, 0, tzinfo=UTC)) == [1]
    # Windows longer than a month overlap under a monthly cadence: both periods are open.
    assert list(periods_open_at(dt.datetime(2027, 2, 25, 18, tzinfo=UTC), dt.date(2027, 1, 31), "P1M", LA, 20, 30)) == [0, 1]


def test_cadence_and_period_in_words():
    assert CADENCE_WORDS == {"P3M": "every quarter", "P1M": "every month"}
    assert period_words("P3M", dt.date(2027, 6, 30)) == "quarter ending June 30, 2027"
    assert period_words("P1M", dt.date(2027, 2, 28)) == "month ending February 28, 2027"
