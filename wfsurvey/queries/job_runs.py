"""What the scheduled jobs did, in words: each job's name and counts as staff read them, which runs count as idle,
and a day of runs hour by hour (runs that did something one by one, idle runs as a count per hour)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from wfsurvey.domain.rules import parse_local, to_local
from wfsurvey.models import JobRun

#: Runs of one day listed one by one at most (a day of a busy delivery job); the idle counts are always whole.
MAX_LISTED = 500


@dataclass(frozen=True)
class JobWords:
    """How the jobs page and the event log word a job."""

    #: What the job does, as a heading: "Email delivery".
    title: str
    #: Counts that mean a run did something, each with its words for one and for several ("{n}" is the count).
    actions: dict[str, tuple[str, str]]
    #: Counts said beside the actions when a run did something, which alone do not make a run busy.
    notes: dict[str, tuple[str, str]] = field(default_factory=dict)


#: Every job of wfsurvey.jobs.JOBS, by name. A job missing here is still shown (its counts as they are).
JOB_WORDS: dict[str, JobWords] = {
    "series": JobWords(
        "Rounds of a series",
        actions={"started": ("created and launched {n} period's round", "created and launched {n} periods' rounds")},
        notes={"already": ("{n} period's round was made by another scheduler", "{n} periods' rounds were made by another "
                           "scheduler"),
               "skipped": ("{n} period could not start", "{n} periods could not start")},
    ),
    "windows": JobWords(
        "Opening and closing rounds",
        actions={"opened": ("opened {n} round", "opened {n} rounds"), "closed": ("closed {n} round", "closed {n} rounds")},
        notes={"skipped": ("{n} round was moved by someone meanwhile", "{n} rounds were moved by someone meanwhile")},
    ),
    "reminders": JobWords(
        "Reminders",
        actions={"queued": ("queued {n} reminder", "queued {n} reminders"),
                 "convening_queued": ("queued {n} convening reminder", "queued {n} convening reminders")},
        notes={"waiting_gap": ("{n} person written to too recently gets one later",
                               "{n} people written to too recently get one later")},
    ),
    "delivery": JobWords(
        "Email delivery",
        actions={
            "sent": ("sent {n} email", "sent {n} emails"),
            "retried": ("{n} email to try again later", "{n} emails to try again later"),
            "failed": ("{n} email refused for good", "{n} emails refused for good"),
            "unknown": ("{n} email with an unknown outcome", "{n} emails with an unknown outcome"),
            "released": ("{n} email put back, not tried", "{n} emails put back, not tried"),
            "skipped": ("{n} email not sent: the person opted out", "{n} emails not sent: the people opted out"),
        },
    ),
    "designations": JobWords(
        "Designations",
        actions={"changed": ("changed {n} region's designation", "changed {n} regions' designations")},
    ),
}


def job_title(job: str) -> str:
    words = JOB_WORDS.get(job)
    return words.title if words else job.replace("_", " ").capitalize()


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def is_idle(job: str, counts: dict[str, Any], error: str | None) -> bool:
    """A run is idle when it failed in nothing and did nothing (no action count above zero; for a job without
    words, no count at all above zero)."""
    if error:
        return False
    words = JOB_WORDS.get(job)
    names = words.actions if words else counts
    return not any(_count(counts.get(name)) > 0 for name in names)


def _phrase(forms: tuple[str, str], n: int) -> str:
    return (forms[0] if n == 1 else forms[1]).format(n=f"{n:,}")


def describe_counts(job: str, counts: dict[str, Any], error: str | None = None) -> str:
    """What a run did in a sentence: "Sent 12 emails, 1 email to try again later." or "Nothing to do." (nothing at
    all for a run that failed before doing anything: its error says what happened)."""
    nothing = "" if error else "Nothing to do."
    words = JOB_WORDS.get(job)
    if words is None:
        said = ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in sorted(counts.items()) if value)
        return said[0].upper() + said[1:] + "." if said else nothing
    done = [_phrase(forms, _count(counts.get(name))) for name, forms in words.actions.items() if _count(counts.get(name))]
    if not done:
        return nothing
    noted = [_phrase(forms, _count(counts.get(name))) for name, forms in words.notes.items() if _count(counts.get(name))]
    sentence = ", ".join(done)
    sentence = sentence[0].upper() + sentence[1:]
    return sentence + (f" ({'; '.join(noted)})" if noted else "") + "."


# --- a day of runs --------------------------------------------------------------------------------

@dataclass
class Hour:
    """One local hour of a day: its runs that did something (newest first) and how many idle runs it had."""

    start: dt.datetime
    end: dt.datetime
    runs: list[JobRun] = field(default_factory=list)
    idle: int = 0


@dataclass
class RunsOfDay:
    day: dt.date
    hours: list[Hour]
    #: More runs did something that day than are listed (MAX_LISTED).
    truncated: bool = False

    @property
    def listed(self) -> int:
        return sum(len(hour.runs) for hour in self.hours)

    @property
    def idle(self) -> int:
        return sum(hour.idle for hour in self.hours)


def local_hours(day: dt.date, tz_name: str) -> list[tuple[dt.datetime, dt.datetime]]:
    """The hours of a local day as UTC (start, end) pairs: 23 or 25 of them on a day daylight saving time changes."""
    start = parse_local(dt.datetime.combine(day, dt.time()), tz_name)
    end = parse_local(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()), tz_name)
    hours, moment = [], start
    while moment < end:
        hours.append((moment, min(moment + dt.timedelta(hours=1), end)))
        moment += dt.timedelta(hours=1)
    return hours


def runs_of_day(session: Session, day: dt.date, tz_name: str) -> RunsOfDay:
    """The runs started on a local day, newest hour first, hours without any run left out. Two statements: the
    runs that did something, and the idle ones counted per hour (both on the index of started_at)."""
    hours = [Hour(start, end) for start, end in local_hours(day, tz_name)]
    first, last = hours[0].start, hours[-1].end
    in_day = and_(JobRun.started_at >= first, JobRun.started_at < last)
    busy = session.scalars(
        select(JobRun).where(in_day, JobRun.idle.is_(False)).order_by(JobRun.started_at.desc(), JobRun.id.desc())
        .limit(MAX_LISTED + 1)
    ).all()
    idle_counts = session.execute(select(*(
        func.coalesce(func.sum(case((and_(JobRun.started_at >= hour.start, JobRun.started_at < hour.end), 1), else_=0)), 0)
        for hour in hours
    )).where(in_day, JobRun.idle.is_(True))).one()
    for hour, idle in zip(hours, idle_counts, strict=True):
        hour.idle = int(idle)
    index = {hour.start: hour for hour in hours}
    for run in busy[:MAX_LISTED]:
        start = first + dt.timedelta(hours=(run.started_at - first) // dt.timedelta(hours=1))
        index[start].runs.append(run)
    shown = [hour for hour in reversed(hours) if hour.runs or hour.idle]
    return RunsOfDay(day, shown, truncated=len(busy) > MAX_LISTED)


def _clock(moment: dt.datetime) -> tuple[str, str]:
    """(the hour as said, AM/PM): (9, "AM"), ("noon", ""), ("midnight", "")."""
    if moment.hour == 0 and moment.minute == 0:
        return "midnight", ""
    if moment.hour == 12 and moment.minute == 0:
        return "noon", ""
    hour = moment.hour % 12 or 12
    said = f"{hour}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}"
    return said, "AM" if moment.hour < 12 else "PM"


def hour_span(start: dt.datetime, end: dt.datetime, tz_name: str) -> str:
    """"between 9 and 10 AM", "between 11 AM and noon", "between 1 AM PDT and 1 AM PST" (a local hour, in words)."""
    a, b = to_local(start, tz_name), to_local(end, tz_name)
    (first, first_half), (second, second_half) = _clock(a), _clock(b)
    if a.tzname() != b.tzname():
        return f"between {first} {first_half} {a.tzname()} and {second} {second_half} {b.tzname()}".replace("  ", " ")
    if first_half and first_half == second_half:
        return f"between {first} and {second} {second_half}"
    return " ".join(part for part in ("between", first, first_half, "and", second, second_half) if part)
