"""JobRun records: each job run is written when it starts and when it ends, each time in a short transaction of its own;
the end also deletes the runs older than JOB_RUNS_KEEP_DAYS (through the index on started_at: cheap every time)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from wfsurvey import settings
from wfsurvey.clock import wall_now
from wfsurvey.database import immediate_transactions
from wfsurvey.models import JobRun
from wfsurvey.queries.job_runs import is_idle

#: How long run records are kept when JOB_RUNS_KEEP_DAYS is not set.
KEEP_DAYS = 30


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
    """Record how the run ended (idle or not, see is_idle), and delete the runs older than JOB_RUNS_KEEP_DAYS."""
    with immediate_transactions(), _session() as session:
        run = session.get(JobRun, run_id)
        run.finished_at = wall_now()
        run.counts = dict(counts)
        run.error = error
        run.idle = is_idle(run.job, run.counts, error)
        session.execute(delete(JobRun).where(JobRun.started_at < run.finished_at - keep()))
        session.commit()


def keep() -> dt.timedelta:
    return dt.timedelta(days=int(settings.current().get("JOB_RUNS_KEEP_DAYS") or KEEP_DAYS))


def last_runs(session: Session) -> dict[str, JobRun]:
    """The latest run of each job that has run, by job name."""
    latest = select(func.max(JobRun.id)).group_by(JobRun.job)
    return {run.job: run for run in session.scalars(select(JobRun).where(JobRun.id.in_(latest)))}


def duration(run: JobRun) -> dt.timedelta | None:
    return run.finished_at - run.started_at if run.finished_at is not None else None
