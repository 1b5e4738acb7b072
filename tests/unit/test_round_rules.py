"""The pure rules of a round's moves (wfsurvey.domain.rounds): which state allows each, and what happens next."""
from __future__ import annotations

import datetime as dt

import pytest

from wfsurvey.domain import rounds
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.rules import hour_words

UTC = dt.timezone.utc
LA = "America/Los_Angeles"
NOW = dt.datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
OPENS = dt.datetime(2026, 3, 3, 17, 0, tzinfo=UTC)  # Tuesday, March 3 at 9:00 AM PST
CLOSES = dt.datetime(2026, 3, 24, 0, 0, tzinfo=UTC)  # Monday, March 23 at 5:00 PM PDT
SLOTS = [("P7D", dt.datetime(2026, 3, 17, 0, 0, tzinfo=UTC)), ("P1D", dt.datetime(2026, 3, 23, 0, 0, tzinfo=UTC))]


def steps(state: str, *, now=NOW, opens_on_launch=False, slots=SLOTS) -> list[str]:
    return [s.text for s in rounds.next_steps(state=state, opens_at=OPENS, closes_at=CLOSES, opens_on_launch=opens_on_launch,
                                              reminder_slots=slots, send_hours=(8, 18), tz_name=LA, now=now)]


def test_a_scheduled_round_says_when_invitations_go_out_then_each_reminder_then_the_close():
    assert steps("scheduled") == [
        "Invitations go out when the round opens, Tuesday, March 3, 2026 at 9:00 AM PST.",
        "A reminder goes to everyone who has not answered 7 days before close (Monday, March 16, 2026 at 5:00 PM PDT, "
        "or the next sending hour between 8 AM and 6 PM after it).",
        "A reminder goes to everyone who has not answered 1 day before close (Sunday, March 22, 2026 at 5:00 PM PDT, "
        "or the next sending hour between 8 AM and 6 PM after it).",
        "The round closes Monday, March 23, 2026 at 5:00 PM PDT: answers stop and the designations become final.",
    ]


def test_an_open_round_leaves_out_reminders_already_past_and_other_states_say_theirs():
    later = dt.datetime(2026, 3, 18, 0, 0, tzinfo=UTC)
    open_steps = steps("open", now=later)
    assert open_steps[0].startswith("The round opened Tuesday, March 3, 2026 at 9:00 AM PST")
    assert len(open_steps) == 3 and "1 day before close" in open_steps[1]
    assert steps("draft", opens_on_launch=True)[0].startswith("Nothing is sent until you launch the round. When you launch it")
    assert "has passed, so launching opens it at once" in steps("draft", now=dt.datetime(2026, 3, 5, tzinfo=UTC))[0]
    assert steps("draft", slots=[])[-2] == "No reminders are set."
    assert steps("closed") == ["The round closed Monday, March 23, 2026 at 5:00 PM PDT: no more answers are accepted "
                               "and the designations are final."]
    assert steps("scheduled", now=OPENS)[0] == ("Its opening time, Tuesday, March 3, 2026 at 9:00 AM PST, has passed: "
                                                 "the scheduler opens it and sends the invitations within a minute.")
    assert steps("cancelled") == ["The round is cancelled: nothing more is sent and no answers are accepted."]


def test_which_state_allows_each_move():
    rounds.check_editable(1, "draft")
    with pytest.raises(DomainError, match="only a draft round can be edited"):
        rounds.check_editable(1, "scheduled")
    rounds.check_open_now(1, "scheduled", CLOSES, NOW)
    with pytest.raises(DomainError, match="only a scheduled round can be opened now"):
        rounds.check_open_now(1, "open", CLOSES, NOW)
    with pytest.raises(DomainError, match="close time has passed"):
        rounds.check_open_now(1, "scheduled", CLOSES, CLOSES)
    rounds.check_schedule_back(1, "open", OPENS, NOW, answered=0)
    with pytest.raises(DomainError, match="only a round opened ahead of its planned time"):
        rounds.check_schedule_back(1, "open", None, NOW, answered=0)
    with pytest.raises(DomainError, match="planned opening time has passed"):
        rounds.check_schedule_back(1, "open", OPENS, OPENS, answered=0)
    with pytest.raises(DomainError, match="2 people have started answering"):
        rounds.check_schedule_back(1, "open", OPENS, NOW, answered=2)


def test_hours_are_said_as_us_readers_say_them():
    assert [hour_words(h) for h in (0, 8, 12, 13, 18, 24)] == ["midnight", "8 AM", "noon", "1 PM", "6 PM", "midnight"]
