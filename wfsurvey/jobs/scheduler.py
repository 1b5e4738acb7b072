"""The `wfsurvey scheduler` process: while it is the one active scheduler, APScheduler runs every due job at an interval.

Exactly one process is active. On PostgreSQL it holds a session-level advisory lock on a
connection of its own, which the server releases when the process dies; elsewhere (SQLite) it
holds a lease row in scheduler_leases that it renews and that expires if it stops renewing.
The other processes stand by and try again every few seconds.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import threading
from typing import Protocol

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import create_engine, delete, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from wfsurvey import clock
from wfsurvey.database import configure_engine, immediate_transactions
from wfsurvey.jobs import leadership
from wfsurvey.models import SchedulerLease

log = logging.getLogger(__name__)

#: Arbitrary, fixed for every wfsurvey process sharing a database: the advisory lock's key.
ADVISORY_LOCK_KEY = 0x7766_7375_7276  # "wfsurv"
LEASE_NAME = "scheduler"
#: APScheduler's id of the one job; stable, so that replace_existing keeps exactly one.
JOB_ID = "wfsurvey.run_due_jobs"

#: Defaults of the settings of the same names (config/default.py, WFSURVEY_CONFIG).
DEFAULT_INTERVAL_SECONDS = 60.0
DEFAULT_HEARTBEAT_SECONDS = 5.0
DEFAULT_LEASE_SECONDS = 60.0


def holder_name() -> str:
    """Who holds the lease: "host:pid:random", so that a restarted process with a reused pid is still someone else."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Leadership(Protocol):
    """How a scheduler process claims the right to be the active one."""

    def hold(self) -> bool:
        """Take or keep the right to be active; False when another process has it (or it was lost)."""

    def still_held(self) -> bool:
        """Whether the right is still this process's, without renewing it; callable from a job's thread."""

    def dispose(self) -> None:
        """Give the right up (if held) and close what holding it needed."""


#: Whether the session asking holds the advisory lock whose 64-bit key is split in two 32-bit halves (as pg_locks
#: shows a bigint key).
_HELD = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() "
    "AND objsubid = 1 AND classid::bigint = :high AND objid::bigint = :low)"
)


class AdvisoryLock:
    """PostgreSQL: `pg_try_advisory_lock` on a dedicated connection kept for the life of the process."""

    def __init__(self, url, key: int = ADVISORY_LOCK_KEY):
        # Its own engine without a pool: closing the connection really ends the session (and the lock).
        self.engine: Engine = create_engine(url, poolclass=NullPool)
        self.key = key
        self.connection: Connection | None = None
        # The main loop holds and the jobs' thread checks: one connection, used by one thread at a time.
        self._using = threading.RLock()

    def hold(self) -> bool:
        with self._using:
            return self._hold()

    def still_held(self) -> bool:
        """Whether this connection's session still holds the lock, as the server's pg_locks says."""
        with self._using:
            if self.connection is None:
                return False
            try:
                return bool(self.connection.execute(_HELD, {"high": self.key >> 32, "low": self.key & 0xFFFFFFFF}).scalar())
            except DBAPIError:
                log.warning("the connection holding the scheduler lock is gone: the lock may be someone else's now")
                self._drop()
                return False

    def _hold(self) -> bool:
        if self.connection is not None:
            try:
                self.connection.execute(text("SELECT 1"))
                return True
            except DBAPIError:
                log.warning("the connection holding the scheduler lock is gone: the lock may be someone else's now")
                self._drop()
                return False
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
        except BaseException:
            connection.close()
            raise
        if got:
            self.connection = connection
            return True
        connection.close()
        return False

    def release(self) -> None:
        with self._using:
            self._release()

    def _release(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        except DBAPIError:
            pass  # the connection is gone, and the lock with it
        finally:
            self._drop()

    def _drop(self) -> None:
        try:
            if self.connection is not None:
                self.connection.close()
        except SQLAlchemyError:
            pass
        self.connection = None

    def dispose(self) -> None:
        self.release()
        self.engine.dispose()


class Lease:
    """A row in scheduler_leases: held until `expires_at`, renewed by its holder, taken by anyone once expired."""

    def __init__(self, engine: Engine, *, holder: str | None = None, seconds: float = DEFAULT_LEASE_SECONDS,
                 name: str = LEASE_NAME):
        self.engine = engine
        self.holder = holder or holder_name()
        self.ttl = dt.timedelta(seconds=seconds)
        self.name = name

    def hold(self, now: dt.datetime | None = None) -> bool:
        now = now or clock.wall_now()
        table = SchedulerLease.__table__
        values = {"holder": self.holder, "expires_at": now + self.ttl}
        # One immediate transaction: on SQLite the write lock is taken at BEGIN, so two contenders
        # take turns and the second sees the first's row.
        with immediate_transactions(), self.engine.begin() as connection:
            taken = connection.execute(
                update(table)
                .where(table.c.name == self.name, or_(table.c.expires_at < now, table.c.holder == self.holder))
                .values(**values)
            ).rowcount
            if taken:
                return True
            insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
            # RETURNING, not rowcount: drivers disagree on the rowcount of a skipped INSERT.
            return connection.execute(
                insert(table).values(name=self.name, **values).on_conflict_do_nothing(index_elements=["name"])
                .returning(table.c.name)
            ).first() is not None

    def still_held(self, now: dt.datetime | None = None) -> bool:
        """Whether the lease is this holder's and not yet expired (a read: it renews nothing)."""
        now = now or clock.wall_now()
        table = SchedulerLease.__table__
        with self.engine.connect() as connection:
            row = connection.execute(
                select(table.c.holder, table.c.expires_at).where(table.c.name == self.name)).first()
        return row is not None and row.holder == self.holder and row.expires_at > now

    def release(self) -> None:
        table = SchedulerLease.__table__
        with immediate_transactions(), self.engine.begin() as connection:
            connection.execute(delete(table).where(table.c.name == self.name, table.c.holder == self.holder))

    def dispose(self) -> None:
        self.release()


def leadership_for(app: Flask) -> Leadership:
    from wfsurvey.extensions import db

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            return AdvisoryLock(engine.url)
        # Its own engine, so that lease writes never wait for a pooled connection a job is using.
        lease_engine = create_engine(engine.url)
        configure_engine(lease_engine)
        return Lease(lease_engine, seconds=float(app.config.get("SCHEDULER_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)))


class SchedulerProcess:
    """The main loop: hold (or wait for) leadership every heartbeat; run the jobs every interval while active."""

    def __init__(self, app: Flask, leadership: Leadership | None = None, *,
                 interval: float | None = None, heartbeat: float | None = None):
        self.app = app
        self.leadership = leadership or leadership_for(app)
        self.interval = float(interval or app.config.get("SCHEDULER_INTERVAL_SECONDS", DEFAULT_INTERVAL_SECONDS))
        self.heartbeat = float(heartbeat or app.config.get("SCHEDULER_HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT_SECONDS))
        if self.interval <= 0 or self.heartbeat <= 0:
            raise ValueError("SCHEDULER_INTERVAL_SECONDS and SCHEDULER_HEARTBEAT_SECONDS must be positive")
        if isinstance(self.leadership, Lease) and self.heartbeat * 2 > self.leadership.ttl.total_seconds():
            # Renewed less than twice per lease, a lease would lapse between renewals and flap.
            raise ValueError(f"SCHEDULER_HEARTBEAT_SECONDS ({self.heartbeat:g}) must be at most half of "
                             f"SCHEDULER_LEASE_SECONDS ({self.leadership.ttl.total_seconds():g})")
        self.active = threading.Event()
        self.scheduler = BackgroundScheduler(timezone=dt.timezone.utc)

    def run(self, stop: threading.Event) -> None:
        """Until `stop` is set; then wait for a running tick, release leadership, and return."""
        logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
        self.scheduler.start(paused=True)
        standing_by_said = False
        try:
            while not stop.is_set():
                try:
                    held = self.leadership.hold()
                except SQLAlchemyError as exc:
                    log.warning("scheduler cannot reach the database (%s); trying again", exc.__class__.__name__)
                    held = False
                if held and not self.active.is_set():
                    self._become_active()
                    standing_by_said = False
                elif not held and self.active.is_set():
                    self._stand_by("lost leadership")
                    standing_by_said = True
                elif not held and not standing_by_said:
                    log.info("scheduler standing by: another scheduler is active; trying again every %g s", self.heartbeat)
                    standing_by_said = True
                stop.wait(self.heartbeat)
        finally:
            self.active.clear()
            self.scheduler.shutdown(wait=True)
            try:
                self.leadership.dispose()
            except SQLAlchemyError:
                log.warning("could not release the scheduler lease; it expires by itself", exc_info=True)
            log.info("scheduler stopped")

    def tick(self) -> None:
        """One scheduled run of every job, at the clock's time."""
        if not self.active.is_set():
            return
        from wfsurvey.jobs import run_due_jobs

        try:
            with self.app.app_context(), leadership.held_while(self.leadership.still_held):
                # The app's clock, so that a demo that pins FIXED_NOW has its jobs agree with its pages.
                report = run_due_jobs(self.app, now=clock.now())
        except Exception:  # noqa: BLE001  (the database may be away; the next tick tries again)
            log.exception("running the jobs failed")
            return
        for name, error in report.errors.items():
            log.error("job %s failed: %s", name, error)

    def _become_active(self) -> None:
        self.active.set()
        log.info("scheduler active: running the jobs every %g s (%s)", self.interval, _describe(self.leadership))
        self.scheduler.add_job(
            self.tick, "interval", seconds=self.interval, id=JOB_ID, name="run due jobs", replace_existing=True,
            # A missed run is not made up several times: one run finds all due work anyway.
            coalesce=True, max_instances=1, misfire_grace_time=max(1, int(self.interval)),
            next_run_time=dt.datetime.now(dt.timezone.utc),
        )
        self.scheduler.resume()

    def _stand_by(self, why: str) -> None:
        self.active.clear()
        self.scheduler.pause()
        if self.scheduler.get_job(JOB_ID) is not None:
            self.scheduler.remove_job(JOB_ID)
        log.warning("scheduler standing by (%s)", why)


def _describe(leadership: Leadership) -> str:
    if isinstance(leadership, Lease):
        return f"lease held by {leadership.holder}"
    if isinstance(leadership, AdvisoryLock):
        return f"PostgreSQL advisory lock {leadership.key}"
    return repr(leadership)
