"""A round's moves as pure rules: which state allows each (edit, open now, schedule back, new round from it), and
what happens next and when, said in words for the round's page."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.reminders import slot_words
from wfsurvey.domain.rules import format_local, hour_words

#: Only a draft is edited in place: once launched, invitations exist and the round's definition is what they answer.
EDITABLE_STATES = ("draft",)
#: What a draft's definition holds, as the edit's event names the fields that changed.
DEFINITION_FIELDS = ("template_id", "title", "timezone", "opens_at", "closes_at", "opens_on_launch", "audience",
                     "reminders", "is_baseline", "response_rule")
#: Each field of a definition as staff read it in the event log ("title, closing time and audience changed").
FIELD_WORDS = {
    "template_id": "template", "title": "title", "timezone": "time zone", "opens_at": "opening time",
    "closes_at": "closing time", "opens_on_launch": "when it opens", "audience": "audience", "reminders": "reminders",
    "is_baseline": "baseline", "response_rule": "responses per organization or person",
}


def window_state(state: str, opens_at: dt.datetime, closes_at: dt.datetime, now: dt.datetime) -> str:
    """What a respondent sees of a round in `state` with this window: "not_open", "open", "closed" or "cancelled"."""
    if state == "cancelled":
        return "cancelled"
    if state == "closed" or now >= closes_at:
        return "closed"
    if state in ("draft", "scheduled") or now < opens_at:
        return "not_open"
    return "open"


def check_editable(round_id: int, state: str) -> None:
    if state not in EDITABLE_STATES:
        raise DomainError(f"round {round_id} is {state}; only a draft round can be edited "
                          "(start a new round from this one instead)", code="conflict")


def check_window(opens_at: dt.datetime, closes_at: dt.datetime) -> None:
    if closes_at <= opens_at:
        raise DomainError("the round must close after it opens", code="invalid",
                          fields={"closes_at": ["must be after opens_at"]})


def check_open_now(round_id: int, state: str, closes_at: dt.datetime, now: dt.datetime) -> None:
    """"Open now": a scheduled round opens before its planned time (its invitations go out at once)."""
    if state != "scheduled":
        raise DomainError(f"round {round_id} is {state}; only a scheduled round can be opened now", code="conflict")
    if closes_at <= now:
        raise DomainError("the round's close time has passed", code="invalid", fields={"closes_at": ["must be in the future"]})


def check_schedule_back(round_id: int, state: str, planned_opens_at: dt.datetime | None, now: dt.datetime,
                        answered: int) -> None:
    """"Schedule": a round opened ahead of its planned time goes back to waiting for that time, while nobody has
    answered and that time is still ahead."""
    if state != "open" or planned_opens_at is None:
        raise DomainError(f"round {round_id} is {state}; only a round opened ahead of its planned time can be "
                          "scheduled back to it", code="conflict")
    if planned_opens_at <= now:
        raise DomainError("its planned opening time has passed, so it stays open", code="conflict")
    if answered:
        raise DomainError(f"{answered} {'person has' if answered == 1 else 'people have'} started answering, "
                          "so it stays open", code="conflict")


@dataclass(frozen=True)
class Step:
    """One thing the round will do (or did), in words; `at` orders the steps and is None for "when you launch it"."""

    text: str
    at: dt.datetime | None = None


def next_steps(*, state: str, opens_at: dt.datetime, closes_at: dt.datetime, opens_on_launch: bool,
               reminder_slots: Sequence[tuple[str, dt.datetime]], send_hours: Sequence[int], tz_name: str,
               now: dt.datetime) -> list[Step]:
    """What happens next and when, in the order it happens: opening and invitations, each reminder, the close.

    `reminder_slots` are (slot name, due time) as the reminder policy computes them for the window.
    """
    when = lambda moment: format_local(moment, tz_name)  # noqa: E731
    if state == "cancelled":
        return [Step("The round is cancelled: nothing more is sent and no answers are accepted.")]
    if state == "closed":
        return [Step(f"The round closed {when(closes_at)}: no more answers are accepted and the designations are final.",
                     closes_at)]
    steps: list[Step] = []
    if state == "draft":
        if opens_on_launch:
            steps.append(Step("Nothing is sent until you launch the round. When you launch it, it opens at once and "
                              "the invitations go out within a minute."))
        elif opens_at > now:
            steps.append(Step("Nothing is sent until you launch the round. Invitations go out when the round opens, "
                              f"{when(opens_at)}.", opens_at))
        else:
            steps.append(Step(f"Nothing is sent until you launch the round. Its opening time, {when(opens_at)}, has "
                              "passed, so launching opens it at once and the invitations go out within a minute."))
    elif state == "scheduled" and opens_at > now:
        steps.append(Step(f"Invitations go out when the round opens, {when(opens_at)}.", opens_at))
    elif state == "scheduled":
        steps.append(Step(f"Its opening time, {when(opens_at)}, has passed: the scheduler opens it and sends the "
                          "invitations within a minute.", opens_at))
    elif state == "open":
        steps.append(Step(f"The round opened {when(opens_at)}; its invitations have gone out (a few may still be "
                          "on their way).", opens_at))
    hours = f"between {hour_words(send_hours[0])} and {hour_words(send_hours[1])} " if len(send_hours) == 2 else ""
    # A draft that opens when launched has no opening time yet: its reminders are said by their distance to the close.
    upcoming = [(name, due) for name, due in reminder_slots if due > now and (state != "draft" or due > opens_at)]
    for name, due in upcoming:
        steps.append(Step(f"A reminder goes to everyone who has not answered {slot_words(name)} "
                          f"({when(due)}, or the next sending hour {hours}after it).", due))
    if state in ("draft", "scheduled") and not upcoming and reminder_slots:
        steps.append(Step("No reminder falls inside the window."))
    if not reminder_slots:
        steps.append(Step("No reminders are set."))
    steps.append(Step(f"The round closes {when(closes_at)}: answers stop and the designations become final.",
                      closes_at))
    return steps
