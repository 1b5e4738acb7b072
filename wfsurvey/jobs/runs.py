"""JobRun records: each job run is written when it starts and when it ends, each time in a short transaction of its own."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wfsurvey.clock import wall_now
from wfsurvey.database import immediate_transactions
from wfsurvey.models import JobRun


class JobFailed(RuntimeError):
    """Some of a job's work failed; the rest was done, and counted in the run's counts."""


def _session() -> Session:
    # Not the app's session: a run's record must be committed whatever the job left in that one.
    from wfsurvey.extensions import db

    return Session(db.engine, expire_on_commit=False)


def start(job: str, logical_now: dt.datetime) -> int:
    """Record that `job` starts at logical time `logical_now`; returns the run's id."""
    with immediate_transactions(), _session() as session:
        run = JobRun(job=job, logical_now=logical_now, started_at=wall_now(), finished_at=None, counts={}, error=None)
        session.add(run)
        session.commit()
        return run.id


def finish(run_id: int, counts: dict[str, Any], error: str | None) -> None:
    with immediate_transactions(), _session() as session:
        run = session.get(JobRun, run_id)
        run.finished_at = wall_now()
        run.counts = dict(counts)
        run.error = error
        session.commit()


def last_runs(session: Session) -> dict[str, JobRun]:
    """The latest run of each job that has run, by job name."""
    latest = select(func.max(JobRun.id)).group_by(JobRun.job)
    return {run.job: run for run in session.scalars(select(JobRun).where(JobRun.id.in_(latest)))}


def duration(run: JobRun) -> dt.timedelta | None:
    return run.finished_at - run.started_at if run.finished_at is not None else None
