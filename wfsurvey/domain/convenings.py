"""Pure rules of convenings: their states, the answers an invitee gives, seats and the waitlist, and the times."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.rules import format_local, to_local

#: draft -> scheduled (invitations out) -> held, or cancelled.
STATES = ("draft", "scheduled", "held", "cancelled")
#: A convening invitation's delivery: pending -> sent, or bounced; walk_in for someone added at the door.
INVITATION_STATUSES = ("pending", "sent", "bounced", "walk_in")
#: What an invitee may answer.
ANSWERS = ("yes", "no", "maybe")
#: What the totals count: a yes with a seat, a yes waiting for one, no, maybe, and no answer yet.
STANDINGS = ("yes", "waitlisted", "no", "maybe", "no_answer")
ANSWER_WORDS = {"yes": "Yes, I will come", "no": "No, I cannot come", "maybe": "Maybe"}
STANDING_WORDS = {"yes": "Coming", "waitlisted": "On the waitlist", "no": "Not coming", "maybe": "Maybe",
                  "no_answer": "No answer yet"}
#: Reminders go to these standings; the non-answerers get one reminder of their own (NO_ANSWER_SLOT).
REMINDED = ("yes", "maybe")
#: The one reminder to people who have not answered goes out with the first slot.
LONGEST_NOTE = 2000
#: Most seats a convening may have.
MOST_SEATS = 100_000


def standing(answer: str | None, waitlist_seq: int | None) -> str:
    if answer is None:
        return "no_answer"
    if answer == "yes" and waitlist_seq is not None:
        return "waitlisted"
    return answer


def capacity_problem(capacity: int | None, confirmed: int) -> str | None:
    """Why a convening cannot now have `capacity` seats (None: no limit) when `confirmed` people hold one, else None."""
    if capacity is None:
        return None
    if capacity < 1:
        return "must be at least 1 (leave it empty for no limit)"
    if capacity > MOST_SEATS:
        return f"must be at most {MOST_SEATS:,}"
    if capacity < confirmed:
        if confirmed == 1:
            return "1 person has a seat already, so it needs at least 1 seat"
        return f"{confirmed:,} people have a seat already, so it needs at least {confirmed:,} seats"
    return None


def has_seat(confirmed: int, capacity: int | None) -> bool:
    """Whether one more yes gets a seat when `confirmed` people hold one."""
    return capacity is None or confirmed < capacity


def seats_to_fill(confirmed: int, capacity: int | None, waiting: int) -> int:
    """How many of the waitlist move up when `confirmed` people hold seats."""
    if capacity is None:
        return waiting
    return max(0, min(waiting, capacity - confirmed))


def waitlist_positions(seqs: Sequence[tuple[int, int]]) -> dict[int, int]:
    """{invitation id: 1, 2, ...} in order of arrival, from (invitation id, waitlist seq) pairs."""
    return {invitation_id: n for n, (invitation_id, _) in enumerate(sorted(seqs, key=lambda p: (p[1], p[0])), start=1)}


def times_problem(starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime | None = None) -> tuple[str, str] | None:
    """(field, message) for a start and end that cannot be, else None."""
    if ends_at <= starts_at:
        return "ends_at", "must be after the start"
    if ends_at - starts_at > dt.timedelta(days=7):
        return "ends_at", "a convening lasts at most 7 days"
    if now is not None and starts_at <= now:
        return "starts_at", "must be in the future"
    return None


def check_times(starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime | None = None) -> None:
    """Refuse a start and end that cannot be (times_problem), naming the field at fault: what creating and moving a
    convening both check."""
    problem = times_problem(starts_at, ends_at, now)
    if problem:
        raise DomainError(problem[1], code="invalid", fields={problem[0]: [problem[1]]})


def when_words(starts_at: dt.datetime, ends_at: dt.datetime, tz_name: str) -> str:
    """"Tuesday, March 2, 2027 at 9:00 AM PST to 12:30 PM PST", the end's date spelt out only when it differs."""
    start, end = to_local(starts_at, tz_name), to_local(ends_at, tz_name)
    end_words = format_local(ends_at, tz_name)
    if start.date() == end.date():
        end_words = end_words.split(" at ", 1)[1]
    return f"{format_local(starts_at, tz_name)} to {end_words}"
