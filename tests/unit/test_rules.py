"""Time rules: local times with DST, durations, formatting with the zone's abbreviation."""
import datetime as dt

import pytest

from wfsurvey.domain.rules import (
    duration_words, format_local, format_local_compact, parse_duration, parse_durations, parse_local,
)

UTC = dt.timezone.utc


def test_naive_time_is_local_to_the_round_zone_across_dst():
    # 2026-11-01 is the end of DST in Los Angeles: 17:00 PST on 2026-11-02 is 01:00 UTC on 11-03.
    assert parse_local("2026-11-02T17:00", "America/Los_Angeles") == dt.datetime(2026, 11, 3, 1, 0, tzinfo=UTC)
    # Before the change, 17:00 PDT is 00:00 UTC the next day.
    assert parse_local("2026-10-30T17:00", "America/Los_Angeles") == dt.datetime(2026, 10, 31, 0, 0, tzinfo=UTC)


def test_time_with_offset_keeps_its_offset():
    assert parse_local("2026-12-04T17:00:00-08:00", "Europe/Paris") == dt.datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    assert parse_local("2026-12-04T17:00:00Z", "America/Los_Angeles") == dt.datetime(2026, 12, 4, 17, 0, tzinfo=UTC)


def test_format_local_names_the_zone_on_each_side_of_dst():
    assert format_local(dt.datetime(2026, 11, 3, 1, 0, tzinfo=UTC), "America/Los_Angeles") == "Monday, November 2, 2026 at 5:00 PM PST"
    assert format_local(dt.datetime(2026, 7, 1, 16, 30, tzinfo=UTC), "America/Los_Angeles") == "Wednesday, July 1, 2026 at 9:30 AM PDT"


def test_compact_local_time_for_tables_and_logs():
    # The same moments as above in a row's short form: month abbreviated, the year kept, no weekday, the zone named.
    assert format_local_compact(dt.datetime(2026, 11, 3, 1, 0, tzinfo=UTC), "America/Los_Angeles") == "Nov 2, 2026, 5:00 PM PST"
    assert format_local_compact(dt.datetime(2026, 7, 1, 16, 30, tzinfo=UTC), "America/Los_Angeles") == "Jul 1, 2026, 9:30 AM PDT"
    # Noon and midnight as US clocks show them, and UTC named as such (the round page's tooltip).
    assert format_local_compact(dt.datetime(2027, 1, 13, 0, 5, tzinfo=UTC), "UTC") == "Jan 13, 2027, 12:05 AM UTC"
    assert format_local_compact(dt.datetime(2027, 1, 12, 12, 0, tzinfo=UTC), "UTC") == "Jan 12, 2027, 12:00 PM UTC"
    with pytest.raises(ValueError, match="naive"):
        format_local_compact(dt.datetime(2027, 1, 12, 12, 0), "UTC")


def test_durations():
    assert parse_duration("P7D") == dt.timedelta(days=7)
    assert parse_duration("pt12h") == dt.timedelta(hours=12)
    assert parse_duration("P1DT6H30M") == dt.timedelta(days=1, hours=6, minutes=30)
    for bad in ("", "P", "7D", "P1Y", "PT"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_unknown_zone_is_refused():
    with pytest.raises(ValueError, match="unknown time zone"):
        parse_local("2026-01-01T09:00", "Mars/Olympus")


@pytest.mark.parametrize("typed, hours", [
    ("5 days, 12 hours", [120, 12]), ("1 day and 6 hours", [30]), ("P5D PT12H", [120, 12]), ("p5d, pt12h", [120, 12]),
    ("2 weeks; 3h", [336, 3]), ("", []), ("48 hours\n1 day", [48, 24]),
])
def test_durations_as_people_type_them(typed, hours):
    assert [d / dt.timedelta(hours=1) for d in parse_durations(typed)] == hours


@pytest.mark.parametrize("typed", ["soon", "5 parsecs", "P5X", "5 days, later"])
def test_durations_that_are_neither_words_nor_iso_are_refused_by_name(typed):
    with pytest.raises(ValueError, match="is not a time before close"):
        parse_durations(typed)


@pytest.mark.parametrize("value, words", [
    ("P7D", "7 days"), ("PT1H", "1 hour"), ("P1DT6H30M", "1 day, 6 hours and 30 minutes"), ("PT0M", "no time"),
])
def test_durations_in_words(value, words):
    assert duration_words(value) == words
