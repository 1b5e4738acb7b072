"""The pure rules of convenings: standings, seats and the waitlist's order, the times a convening may have, and how
its time is said."""
import datetime as dt

from wfsurvey.domain import convenings as rules

UTC = dt.timezone.utc


def test_standing_says_yes_with_a_seat_apart_from_yes_on_the_waitlist():
    assert rules.standing(None, None) == "no_answer"
    assert rules.standing("yes", None) == "yes"
    assert rules.standing("yes", 3) == "waitlisted"
    assert rules.standing("maybe", None) == "maybe" and rules.standing("no", None) == "no"


def test_seats_and_the_waitlist():
    assert rules.has_seat(1, 2) and not rules.has_seat(2, 2) and rules.has_seat(500, None)
    assert rules.seats_to_fill(confirmed=1, capacity=2, waiting=3) == 1
    assert rules.seats_to_fill(confirmed=2, capacity=2, waiting=3) == 0
    assert rules.seats_to_fill(confirmed=0, capacity=5, waiting=2) == 2
    # First come, first served; the id breaks a tie.
    assert rules.waitlist_positions([(9, 2), (4, 1), (7, 2)]) == {4: 1, 7: 2, 9: 3}


def test_times_a_convening_may_not_have():
    start = dt.datetime(2027, 3, 2, 17, 0, tzinfo=UTC)
    assert rules.times_problem(start, start) == ("ends_at", "must be after the start")
    assert rules.times_problem(start, start + dt.timedelta(days=8))[0] == "ends_at"
    assert rules.times_problem(start, start + dt.timedelta(hours=3), now=start + dt.timedelta(minutes=1))[0] == "starts_at"
    assert rules.times_problem(start, start + dt.timedelta(hours=3), now=start - dt.timedelta(days=1)) is None


def test_when_words_follow_the_zone_and_daylight_saving():
    summer = rules.when_words(dt.datetime(2026, 7, 1, 16, 0, tzinfo=UTC), dt.datetime(2026, 7, 1, 19, 0, tzinfo=UTC),
                              "America/Los_Angeles")
    assert summer == "Wednesday, July 1, 2026 at 9:00 AM PDT to 12:00 PM PDT"
    overnight = rules.when_words(dt.datetime(2027, 1, 5, 17, 0, tzinfo=UTC), dt.datetime(2027, 1, 6, 19, 0, tzinfo=UTC),
                                 "America/Los_Angeles")
    assert overnight == "Tuesday, January 5, 2027 at 9:00 AM PST to Wednesday, January 6, 2027 at 11:00 AM PST"


def test_check_times_refuses_what_creating_and_moving_both_refuse_naming_the_field():
    import pytest

    from wfsurvey.domain.errors import DomainError

    start = dt.datetime(2027, 3, 2, 17, 0, tzinfo=UTC)
    now = dt.datetime(2027, 2, 1, 17, 0, tzinfo=UTC)
    rules.check_times(start, start + dt.timedelta(hours=3), now)  # a good time passes
    cases = [
        (start, start, now, {"ends_at": ["must be after the start"]}),
        (start, start + dt.timedelta(days=8), now, {"ends_at": ["a convening lasts at most 7 days"]}),
        (start, start + dt.timedelta(hours=3), start, {"starts_at": ["must be in the future"]}),
    ]
    for starts, ends, at, fields in cases:
        with pytest.raises(DomainError) as refused:
            rules.check_times(starts, ends, at)
        assert refused.value.code == "invalid" and refused.value.fields == fields


def test_capacity_never_below_the_seats_given():
    assert rules.capacity_problem(None, 40) is None and rules.capacity_problem(3, 3) is None
    assert rules.capacity_problem(2, 3) == "3 people have a seat already, so it needs at least 3 seats"
    assert rules.capacity_problem(None, 1) is None
    assert rules.capacity_problem(0, 1) == "must be at least 1 (leave it empty for no limit)"
    assert rules.capacity_problem(0, 0) == "must be at least 1 (leave it empty for no limit)"
    assert rules.capacity_problem(rules.MOST_SEATS + 1, 0) == "must be at most 100,000"
