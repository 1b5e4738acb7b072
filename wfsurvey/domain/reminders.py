"""Pure reminder rules: when each slot of a round's schedule falls due, which one is due now, sending hours, minimum gap.

A slot is one offset before close ("P7D"). Days and weeks are counted on the round's local
calendar (seven days before a 5 PM close is 5 PM, even across a DST change); hours and minutes
are exact. After downtime several slots may have passed: only the latest one is due, so a late
scheduler sends at most one reminder, never a burst.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wfsurvey.domain.rules import duration_words, format_day, format_duration, parse_duration, parse_local, to_local

_CALENDAR_PART = re.compile(r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?")
#: Dedupe keys of reminder messages: "reminder:<invitation id>:<slot>".
KEY_PREFIX = "reminder:"
MANUAL = "manual"
#: Invitation statuses that may be reminded: the invitation message went out, no answer yet.
REMINDABLE = ("sent", "started")


#: A new round's schedule when none is given: a week, two days and one day before close.
DEFAULT_OFFSETS = (dt.timedelta(days=7), dt.timedelta(days=2), dt.timedelta(days=1))


@dataclass(frozen=True)
class ReminderPolicy:
    """A round's reminder settings: when reminders fall due, how often one person may be written to, and when.

    Offsets are kept largest first and once each; whole days of an offset count on the round's local
    calendar (see due_time), so P2D and PT48H are one offset. The edges (the API's schema, the staff
    wizard) check the values; the round stores the policy as JSON (to_stored), in the shape the
    reminders job reads.
    """

    #: Times before close at which a reminder falls due.
    offsets: tuple[dt.timedelta, ...] = DEFAULT_OFFSETS
    #: Least time between two messages to one person, across rounds, in hours (0: no gap).
    min_gap_hours: int = 20
    #: Local hours [from, until) in which reminders go out.
    send_hours: tuple[int, int] = (8, 18)

    def __post_init__(self) -> None:
        object.__setattr__(self, "offsets", tuple(sorted(set(self.offsets), reverse=True)))
        object.__setattr__(self, "send_hours", tuple(self.send_hours))

    def offset_names(self) -> list[str]:
        """The offsets as slot names ("P7D", "PT12H"), largest first: what the stored policy lists."""
        return [format_duration(offset) for offset in self.offsets]

    def slots(self, closes_at: dt.datetime, tz_name: str, *, opens_at: dt.datetime | None = None) -> list[Slot]:
        return schedule(closes_at, tz_name, self.offset_names(), opens_at=opens_at)

    def to_stored(self) -> dict[str, Any]:
        """{"offsets": ["P7D", ...], "min_gap_hours": n, "send_hours": [from, until]}: the round's JSON column."""
        return {"offsets": self.offset_names(), "min_gap_hours": self.min_gap_hours, "send_hours": list(self.send_hours)}

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any] | None) -> ReminderPolicy:
        """The policy a round stored (to_stored's shape); what it leaves out takes the defaults."""
        stored = stored or {}
        default = cls()
        return cls(
            offsets=tuple(parse_duration(o) for o in stored["offsets"]) if "offsets" in stored else default.offsets,
            min_gap_hours=int(stored.get("min_gap_hours", default.min_gap_hours) or 0),
            send_hours=tuple(stored.get("send_hours") or default.send_hours),
        )


@dataclass(frozen=True)
class Slot:
    #: The offset as configured, upper-cased ("P2D"); part of the dedupe key.
    name: str
    #: When the slot falls due (UTC).
    due_at: dt.datetime


def slot_name(offset: str) -> str:
    return offset.strip().upper()


def due_time(closes_at: dt.datetime, offset: str, tz_name: str) -> dt.datetime:
    """closes_at minus `offset`: whole days on the local calendar (keeping the wall-clock time), the rest exact."""
    total = parse_duration(offset)
    calendar = _CALENDAR_PART.match(slot_name(offset))
    days = int(calendar["weeks"] or 0) * 7 + int(calendar["days"] or 0) if calendar else 0
    local_wall = to_local(closes_at, tz_name).replace(tzinfo=None) - dt.timedelta(days=days)
    # parse_local resolves a wall time that DST skipped or repeated.
    return parse_local(local_wall, tz_name) - (total - dt.timedelta(days=days))


def schedule(closes_at: dt.datetime, tz_name: str, offsets: Iterable[str], *,
             opens_at: dt.datetime | None = None) -> list[Slot]:
    """The round's slots in the order they fall due; a slot due before the round opens never comes."""
    slots: dict[str, Slot] = {}
    for offset in offsets:
        name = slot_name(offset)
        due = due_time(closes_at, name, tz_name)
        if due < closes_at and (opens_at is None or due > opens_at):
            slots[name] = Slot(name, due)
    return sorted(slots.values(), key=lambda s: (s.due_at, s.name))


def due_slot(slots: Sequence[Slot], now: dt.datetime, closes_at: dt.datetime) -> Slot | None:
    """The latest slot whose time has come, while the round is still open; earlier missed slots are skipped."""
    if now >= closes_at:
        return None
    come = [s for s in slots if s.due_at <= now]
    return come[-1] if come else None


@dataclass(frozen=True)
class DueNow:
    """What a reminder sweep may send now: the schedule's slots, the slot due (None when none is), and, when nothing
    may go out now, why ("no reminder due", "outside sending hours"; empty when the slot may go out)."""

    slots: list[Slot]
    slot: Slot | None
    note: str = ""

    @property
    def slot_name(self) -> str | None:
        return self.slot.name if self.slot else None


def due_now(policy: Mapping[str, Any] | None, deadline: dt.datetime, tz_name: str, now: dt.datetime, *,
            opens_at: dt.datetime | None) -> DueNow:
    """The slot of a stored policy (ReminderPolicy.to_stored's shape) due now, its offsets counted before `deadline`
    (a round's close, a convening's start), and whether the local hour lets it go out."""
    policy = policy or {}
    slots = schedule(deadline, tz_name, policy.get("offsets") or (), opens_at=opens_at)
    slot = due_slot(slots, now, deadline)
    if slot is None:
        return DueNow(slots, None, "no reminder due")
    if not in_sending_hours(now, tz_name, policy.get("send_hours")):
        return DueNow(slots, slot, "outside sending hours")
    return DueNow(slots, slot)


def superseding(slots: Sequence[Slot], slot: Slot) -> set[str]:
    """Names of `slot` and every slot due at the same time or later: a reminder for any of them covers `slot`."""
    return {s.name for s in slots if s.due_at >= slot.due_at}


def in_sending_hours(now: dt.datetime, tz_name: str, send_hours: Sequence[int] | None) -> bool:
    """Whether the local time is inside [from, to) hours; a range like [20, 6] wraps over midnight."""
    if not send_hours:
        return True
    start, end = int(send_hours[0]), int(send_hours[1])
    if start == end or (start <= 0 and end >= 24):
        return True
    local = to_local(now, tz_name)
    hour = local.hour + local.minute / 60 + local.second / 3600
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end


def gap_respected(last_messaged_at: dt.datetime | None, now: dt.datetime, min_gap_hours: float | None) -> bool:
    """Whether enough time has passed since the person's last message (across rounds)."""
    if last_messaged_at is None or not min_gap_hours:
        return True
    return now - last_messaged_at >= dt.timedelta(hours=float(min_gap_hours))


def received_before(sent_at: dt.datetime | None, slot: Slot) -> bool:
    """A slot reminds people of an invitation they had before it fell due (not one delivered since)."""
    return sent_at is None or sent_at < slot.due_at


def slot_key(invitation_id: int, slot: str) -> str:
    return f"{KEY_PREFIX}{invitation_id}:{slot}"


def slot_words(name: str) -> str:
    """A reminder slot as staff read it: "P7D" -> "7 days before close", "manual:2026-10-06" -> "sent by hand on
    October 6, 2026"."""
    if name.startswith(MANUAL + ":"):
        day = name.partition(":")[2]
        try:
            return f"sent by hand on {format_day(dt.date.fromisoformat(day))}"
        except ValueError:
            return "sent by hand"
    try:
        return f"{duration_words(name)} before close"
    except ValueError:
        return name


def manual_slot(now: dt.datetime, tz_name: str) -> str:
    """A hand-sent reminder's slot: one per local calendar day."""
    return f"{MANUAL}:{to_local(now, tz_name).date().isoformat()}"


def slot_of_key(dedupe_key: str) -> str | None:
    """The slot of a reminder dedupe key ("reminder:42:P2D" -> "P2D"), None for other keys."""
    if not dedupe_key.startswith(KEY_PREFIX):
        return None
    parts = dedupe_key.split(":", 2)
    return parts[2] if len(parts) == 3 else None
