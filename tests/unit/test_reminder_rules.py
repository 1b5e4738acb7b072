"""The pure reminder rules: due times on the local calendar across DST, the latest due slot, sending hours, the gap."""
import datetime as dt

import pytest

from wfsurvey.domain import reminders as rules

UTC = dt.timezone.utc
LA = "America/Los_Angeles"
# Friday 2026-11-06 17:00 PST, five days after the clocks went back.
CLOSES = dt.datetime(2026, 11, 7, 1, 0, tzinfo=UTC)


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


def test_days_before_close_keep_the_local_hour_across_the_dst_change():
    # Seven days before 5 PM PST is 5 PM PDT: 167 hours, not 168.
    assert rules.due_time(CLOSES, "P7D", LA) == local("2026-10-30T17:00:00-07:00")
    assert rules.due_time(CLOSES, "P1W", LA) == local("2026-10-30T17:00:00-07:00")
    assert rules.due_time(CLOSES, "P2D", LA) == local("2026-11-04T17:00:00-08:00")
    # Hours are exact.
    assert rules.due_time(CLOSES, "PT12H", LA) == CLOSES - dt.timedelta(hours=12)
    assert rules.due_time(CLOSES, "P1DT2H", LA) == local("2026-11-05T15:00:00-08:00")


def test_a_due_time_in_the_spring_forward_gap_moves_past_it():
    closes = local("2026-03-09T02:30:00-07:00")  # 02:30 on 8 March does not exist in Los Angeles
    assert rules.due_time(closes, "P1D", LA) == local("2026-03-08T03:30:00-07:00")


def test_schedule_orders_slots_and_drops_those_due_before_the_round_opens():
    opens = local("2026-11-01T09:00:00-08:00")
    slots = rules.schedule(CLOSES, LA, ["p1d", "P7D", "P2D"], opens_at=opens)
    assert [s.name for s in slots] == ["P2D", "P1D"]


def test_only_the_latest_due_slot_is_due_so_a_late_run_sends_one_reminder():
    slots = rules.schedule(CLOSES, LA, ["P7D", "P2D", "P1D"])
    assert rules.due_slot(slots, local("2026-10-30T16:59:00-07:00"), CLOSES) is None
    assert rules.due_slot(slots, local("2026-10-30T17:00:00-07:00"), CLOSES).name == "P7D"
    assert rules.due_slot(slots, local("2026-11-06T09:00:00-08:00"), CLOSES).name == "P1D"
    assert rules.due_slot(slots, CLOSES, CLOSES) is None
    p2d = slots[1]
    assert rules.superseding(slots, p2d) == {"P2D", "P1D"}


@pytest.mark.parametrize(("when", "hours", "inside"), [
    ("2026-10-30T07:59:00-07:00", [8, 18], False),
    ("2026-10-30T08:00:00-07:00", [8, 18], True),
    ("2026-10-30T17:59:59-07:00", [8, 18], True),
    ("2026-10-30T18:00:00-07:00", [8, 18], False),
    ("2026-11-04T17:00:00-08:00", [8, 18], True),
    ("2026-10-30T23:00:00-07:00", [20, 6], True),
    ("2026-10-30T05:00:00-07:00", [20, 6], True),
    ("2026-10-30T12:00:00-07:00", [20, 6], False),
    ("2026-10-30T03:00:00-07:00", None, True),
    ("2026-10-30T03:00:00-07:00", [0, 24], True),
])
def test_sending_hours_are_read_in_the_round_time_zone(when, hours, inside):
    assert rules.in_sending_hours(local(when), LA, hours) is inside


def test_gap_and_keys():
    now = local("2026-10-30T17:00:00-07:00")
    assert rules.gap_respected(None, now, 20)
    assert not rules.gap_respected(now - dt.timedelta(hours=19, minutes=59), now, 20)
    assert rules.gap_respected(now - dt.timedelta(hours=20), now, 20)
    assert rules.gap_respected(now, now, 0)
    assert rules.slot_key(42, "P2D") == "reminder:42:P2D"
    assert rules.slot_of_key("reminder:42:P2D") == "P2D"
    assert rules.slot_of_key("invitation:42") is None
    # 23:30 PDT is already the next day in UTC; the manual slot follows the local calendar.
    assert rules.manual_slot(local("2026-10-20T23:30:00-07:00"), LA) == "manual:2026-10-20"


@pytest.mark.parametrize("slot, words", [
    ("P7D", "7 days before close"), ("P1D", "1 day before close"), ("PT12H", "12 hours before close"),
    ("P1DT6H", "1 day and 6 hours before close"), ("P2W", "14 days before close"), ("PT1H30M", "1 hour and 30 minutes before close"),
    ("manual:2026-10-06", "sent by hand on October 6, 2026"), ("manual:garbled", "sent by hand"), ("later", "later"),
])
def test_a_slot_in_words(slot, words):
    assert rules.slot_words(slot) == words


def test_due_now_names_the_slot_due_and_why_nothing_goes_out():
    policy = {"offsets": ["P7D", "P2D", "P1D"], "send_hours": [8, 18]}
    opens = local("2026-11-01T09:00:00-08:00")
    # Before the first slot of the window (P7D fell before it opened): nothing due.
    early = rules.due_now(policy, CLOSES, LA, local("2026-11-03T10:00:00-08:00"), opens_at=opens)
    assert early.slot is None and early.note == "no reminder due" and [s.name for s in early.slots] == ["P2D", "P1D"]
    # The P2D slot came at 5 PM; at 7 PM it is due but outside the sending hours.
    late = rules.due_now(policy, CLOSES, LA, local("2026-11-04T19:00:00-08:00"), opens_at=opens)
    assert late.slot.name == "P2D" and late.note == "outside sending hours"
    # The next morning at 9 AM it may go out.
    ready = rules.due_now(policy, CLOSES, LA, local("2026-11-05T09:00:00-08:00"), opens_at=opens)
    assert ready.slot.name == "P2D" and ready.note == ""
    # No policy stored: no slots, nothing due.
    assert rules.due_now(None, CLOSES, LA, local("2026-11-05T09:00:00-08:00"), opens_at=None).note == "no reminder due"
