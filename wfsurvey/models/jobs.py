"""What scheduled jobs did, and the lease that keeps one scheduler active on SQLite."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from wfsurvey.database import Base


class JobRun(Base):
    __tablename__ = "job_runs"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Job name: windows, reminders, delivery, designations.
    job: Mapped[str] = mapped_column(String(40), index=True)
    #: The logical time the job ran at (UTC).
    logical_now: Mapped[dt.datetime]
    #: Wall-clock start (UTC); runs older than JOB_RUNS_KEEP_DAYS are deleted by this index.
    started_at: Mapped[dt.datetime] = mapped_column(index=True)
    #: Wall-clock end (UTC); None while running or if it died.
    finished_at: Mapped[dt.datetime | None]
    #: What it did, e.g. {"queued": 12}.
    counts: Mapped[dict[str, Any]]
    #: The error that stopped it, if any.
    error: Mapped[str | None] = mapped_column(Text)
    #: True when it finished having done nothing (wfsurvey.queries.job_runs.is_idle): the jobs page counts such
    #: runs per hour instead of listing them. False while running.
    idle: Mapped[bool] = mapped_column(default=False, server_default=false())

    def __repr__(self) -> str:
        return f"<JobRun {self.id} {self.job}>"


class SchedulerLease(Base):
    __tablename__ = "scheduler_leases"

    #: What the lease is for ("scheduler").
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: Which process holds it ("host:pid:random").
    holder: Mapped[str] = mapped_column(String(200))
    #: Until when; another process may take it after.
    expires_at: Mapped[dt.datetime]

    def __repr__(self) -> str:
        return f"<SchedulerLease {self.name} {self.holder}>"
