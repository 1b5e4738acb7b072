"""Scheduled jobs: each turns time into commands, as an idempotent sweep that finds all due work itself.

`run_due_jobs(app, now)` runs every job once, in a fixed order, at the logical time `now`; the
scheduler process (wfsurvey.jobs.scheduler) and `wfsurvey jobs run --now ...` both call it.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, current_app, has_app_context

from wfsurvey import clock
from wfsurvey.jobs import delivery, designations, reminders, runs, series, windows

log = logging.getLogger(__name__)

#: A job: does its due work at logical time `now`, adding what it did to `counts` as it goes (so a
#: failure halfway still reports the part done), and raises if any of it failed.
Job = Callable[[dt.datetime, dict[str, Any]], None]

#: Every job, in the order they run: series first (a period's round is created and launched, its invitations
#: queued), then windows (a round that opens gets its invitations out in the same run), reminders before delivery,
#: designations last.
JOBS: dict[str, Job] = {
    "series": series.run,
    "windows": windows.run,
    "reminders": reminders.run,
    "delivery": delivery.run,
    "designations": designations.run,
}


class JobsReport(dict):
    """Counts by job name, in run order; `errors` names the jobs that failed, with their error."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: dict[str, str] = {}

    @property
    def ok(self) -> bool:
        return not self.errors


def run_due_jobs(app: Flask, now: dt.datetime | None = None) -> JobsReport:
    """Run every job once at logical time `now` (default: the clock); a failing job is recorded and the others still run."""
    now = now or clock.now()
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r}: give a time zone")
    now = now.astimezone(dt.timezone.utc)
    report = JobsReport()
    with _context_of(app):
        for name, job in JOBS.items():
            counts, error = run_job(name, job, now)
            report[name] = counts
            if error is not None:
                report.errors[name] = error
    return report


def run_job(name: str, job: Job, now: dt.datetime) -> tuple[dict[str, Any], str | None]:
    """Run one job, recording the run (counts, duration, error) in job_runs before and after."""
    from wfsurvey.extensions import db

    run_id = runs.start(name, now)
    counts: dict[str, Any] = {}
    error = None
    try:
        job(now, counts)
    except Exception as exc:  # noqa: BLE001  (recorded for `jobs status`; the next job still runs)
        log.exception("job %s failed at %s", name, now.isoformat())
        error = f"{type(exc).__name__}: {exc}"
    finally:
        # Whatever the job left open in the app's session must not leak into the next job.
        db.session.rollback()
    runs.finish(run_id, counts, error)
    return counts, error


@contextlib.contextmanager
def _context_of(app: Flask) -> Iterator[None]:
    if has_app_context() and current_app._get_current_object() is app:  # type: ignore[attr-defined]
        yield
    else:
        with app.app_context():
            yield
