"""One active scheduler per database: the SQLite lease, the PostgreSQL advisory lock, failover, clean shutdown."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from tests.conftest import PG_URL
from wfsurvey.extensions import db
from wfsurvey.jobs.scheduler import AdvisoryLock, Lease, SchedulerProcess
from wfsurvey.models import JobRun, SchedulerLease

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 30, 17, 0, tzinfo=UTC)


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def job_runs() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(JobRun))


# --- the lease ------------------------------------------------------------------------------

def test_two_leases_contend_one_wins_and_an_expired_lease_is_taken_over(app):
    a = Lease(db.engine, holder="host-a:1:aaaa", seconds=60)
    b = Lease(db.engine, holder="host-b:2:bbbb", seconds=60)
    assert a.hold(NOW) is True
    assert b.hold(NOW) is False
    assert b.hold(NOW + dt.timedelta(seconds=59)) is False
    assert a.hold(NOW + dt.timedelta(seconds=30)) is True  # renewed until NOW + 90 s
    assert b.hold(NOW + dt.timedelta(seconds=61)) is False
    # a stops renewing: once the lease has expired, b takes it, and a cannot take it back.
    assert b.hold(NOW + dt.timedelta(seconds=91)) is True
    assert a.hold(NOW + dt.timedelta(seconds=92)) is False
    lease = db.session.get(SchedulerLease, "scheduler")
    assert lease.holder == "host-b:2:bbbb" and lease.expires_at == NOW + dt.timedelta(seconds=151)
    a.release()  # not a's to release: nothing changes
    assert b.hold(NOW + dt.timedelta(seconds=100)) is True and a.hold(NOW + dt.timedelta(seconds=100)) is False
    b.release()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(SchedulerLease)) == 0
    assert a.hold(NOW + dt.timedelta(seconds=100)) is True


@pytest.mark.postgres_only
def test_advisory_lock_is_held_by_one_connection_at_a_time(app):
    first, second = AdvisoryLock(db.engine.url), AdvisoryLock(db.engine.url)
    try:
        assert first.hold() and first.hold()  # holding again just checks the connection
        assert not second.hold()
        first.release()
        assert second.hold() and not first.hold()
    finally:
        first.dispose()
        second.dispose()


# --- the process, in threads ----------------------------------------------------------------

def test_only_one_scheduler_is_active_and_the_standby_takes_over_when_it_stops(app):
    app.config.update(SCHEDULER_INTERVAL_SECONDS=0.2, SCHEDULER_HEARTBEAT_SECONDS=0.05, SCHEDULER_LEASE_SECONDS=5)
    first, second = SchedulerProcess(app), SchedulerProcess(app)
    stop_first, stop_second = threading.Event(), threading.Event()
    threads = [threading.Thread(target=first.run, args=(stop_first,)),
               threading.Thread(target=second.run, args=(stop_second,))]
    try:
        threads[0].start()
        assert wait_until(first.active.is_set, 5)
        threads[1].start()
        assert wait_until(lambda: job_runs() >= 8, 10)  # two ticks of the four jobs
        assert not second.active.is_set()
        stop_first.set()
        threads[0].join(10)
        assert not threads[0].is_alive() and not first.active.is_set()
        # The first released its claim on the way out: the standby takes over at its next try.
        assert wait_until(second.active.is_set, 5)
        done = job_runs()
        assert wait_until(lambda: job_runs() >= done + 4, 10)
    finally:
        stop_first.set()
        stop_second.set()
        for thread in threads:
            if thread.is_alive() or thread.ident is not None:
                thread.join(10)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(SchedulerLease)) == 0
    runs = db.session.scalars(select(JobRun)).all()
    assert {run.job for run in runs} == {"series", "windows", "reminders", "delivery", "designations"}
    assert all(run.error is None and run.finished_at is not None for run in runs)


def test_scheduler_refuses_settings_that_would_let_its_lease_lapse(app, runner):
    app.config.update(SCHEDULER_HEARTBEAT_SECONDS=40, SCHEDULER_LEASE_SECONDS=60)
    if db.engine.dialect.name == "postgresql":
        app.config.update(SCHEDULER_INTERVAL_SECONDS=0)
        message = "must be positive"
    else:
        message = "SCHEDULER_HEARTBEAT_SECONDS (40) must be at most half of SCHEDULER_LEASE_SECONDS (60)"
    result = runner.invoke(args=["scheduler"])
    assert result.exit_code == 1 and message in result.output
    assert job_runs() == 0


# --- the `wfsurvey scheduler` command, as processes -------------------------------------------

class SchedulerCommand:
    """A `wfsurvey scheduler` child process whose log lines are collected as they come."""

    def __init__(self, env: dict[str, str]):
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from wfsurvey.cli import main; main()", "scheduler"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self._reader.join(5)
        self.proc.stderr.close()


@pytest.fixture
def start_scheduler(database_url, tmp_path):
    config = tmp_path / "scheduler_config.py"
    config.write_text(
        "SCHEDULER_INTERVAL_SECONDS = 0.5\n"
        "SCHEDULER_HEARTBEAT_SECONDS = 0.2\n"
        "SCHEDULER_LEASE_SECONDS = 2\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("WFSURVEY_")}
    env.update(WFSURVEY_DATABASE_URL=database_url, WFSURVEY_CONFIG=str(config), WFSURVEY_INSTANCE_PATH=str(tmp_path),
               PYTHONUNBUFFERED="1")
    started: list[SchedulerCommand] = []

    def start() -> SchedulerCommand:
        process = SchedulerCommand(env)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def standby_takes_over_when_the_active_one_is_killed(start_scheduler) -> float:
    first = start_scheduler()
    assert wait_until(lambda: first.said("scheduler active"), 30), first.log
    second = start_scheduler()
    assert wait_until(lambda: second.said("scheduler standing by"), 30), second.log
    assert wait_until(lambda: job_runs() >= 8, 20)
    assert not second.said("scheduler active"), second.log

    first.proc.send_signal(signal.SIGKILL)  # no clean shutdown: nothing released by the process itself
    first.proc.wait(10)
    killed_at = time.monotonic()
    assert wait_until(lambda: second.said("scheduler active"), 60), second.log
    took = time.monotonic() - killed_at
    done = job_runs()
    assert wait_until(lambda: job_runs() >= done + 4, 20), second.log  # the new active one runs the jobs
    return took


@pytest.mark.slow
@pytest.mark.postgres_only
def test_second_scheduler_on_postgresql_stands_by_and_takes_over_when_the_first_is_killed(app, start_scheduler):
    # The server ends the killed process's session, and its advisory lock with it, at once.
    assert standby_takes_over_when_the_active_one_is_killed(start_scheduler) < 10


@pytest.mark.slow
@pytest.mark.skipif(PG_URL is not None, reason="the lease is the SQLite mechanism")
def test_second_scheduler_on_sqlite_takes_over_once_the_killed_one_lease_expires(app, start_scheduler):
    # The lease lasts 2 s: the standby cannot take over before it expires, and does soon after.
    took = standby_takes_over_when_the_active_one_is_killed(start_scheduler)
    assert 0.5 < took < 10


@pytest.mark.slow
def test_sigterm_stops_the_scheduler_cleanly_and_frees_its_claim(app, start_scheduler):
    first = start_scheduler()
    assert wait_until(lambda: first.said("scheduler active"), 30), first.log
    assert wait_until(lambda: job_runs() >= 4, 20)
    first.proc.send_signal(signal.SIGTERM)
    assert first.proc.wait(20) == 0
    first.stop()
    assert first.said("SIGTERM received: stopping") and first.said("scheduler stopped"), first.log
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(SchedulerLease)) == 0
    assert all(run.finished_at is not None for run in db.session.scalars(select(JobRun)))
    # Freed at once (no waiting for an expiry): a new scheduler is active at its first try.
    second = start_scheduler()
    assert wait_until(lambda: second.said("scheduler active"), 30), second.log
    assert not second.said("standing by"), second.log
