"""The database rules: SQLite's connection settings and immediate write transactions, and an events table that refuses changes."""
from __future__ import annotations

import datetime as dt
import sqlite3
import threading

import pytest
from sqlalchemy import exc, func, select, text

from tests.conftest import PG_URL
from wfsurvey.database import immediate_transactions
from wfsurvey.domain.events import RegionRenamed
from wfsurvey.extensions import db
from wfsurvey.models.eventlog import EventRecord
from wfsurvey.models.jobs import JobRun
from wfsurvey.services.unit_of_work import SqlAlchemyUnitOfWork

sqlite_only = pytest.mark.skipif(PG_URL is not None, reason="SQLite connection rules")
NOW = dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.timezone.utc)


def record_event(name: str = "Inland Empire/Desert") -> int:
    """Append one event through a unit of work (the only way events are written) and return its seq."""
    with SqlAlchemyUnitOfWork(db.session(), actor="test", now=NOW) as uow:
        uow.record(RegionRenamed(region_id=1, name=name))
        uow.commit()
    return db.session.scalar(select(func.max(EventRecord.seq)))


def sqlite_path() -> str:
    return db.engine.url.database


def insert_job_run_sql(job: str) -> str:
    return (
        "INSERT INTO job_runs (job, logical_now, started_at, counts) "
        f"VALUES ('{job}', '2026-03-02 17:00:00', '2026-03-02 17:00:00', '{{}}')"
    )


@sqlite_only
def test_sqlite_connection_uses_wal_foreign_keys_and_busy_timeout(app):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0


@sqlite_only
def test_immediate_transaction_takes_write_lock_at_begin(app):
    other = sqlite3.connect(sqlite_path(), timeout=0.05, isolation_level=None)
    try:
        with immediate_transactions(), db.engine.connect() as conn:
            # Only a read so far: a deferred transaction would hold no write lock yet.
            assert conn.execute(select(func.count()).select_from(JobRun)).scalar() == 0
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                other.execute(insert_job_run_sql("blocked"))
            conn.rollback()
        # Once the immediate transaction has ended, the same write goes through.
        other.execute(insert_job_run_sql("after"))
        assert other.execute("SELECT job FROM job_runs").fetchall() == [("after",)]
    finally:
        other.close()


@sqlite_only
def test_deferred_read_does_not_block_writers_but_cannot_upgrade_after_one(app):
    """Why immediate transactions exist: a deferred reader loses its write to any writer in between."""
    other = sqlite3.connect(sqlite_path(), timeout=0.05, isolation_level=None)
    try:
        with db.engine.connect() as conn:
            conn.execute(select(func.count()).select_from(JobRun)).scalar()
            other.execute(insert_job_run_sql("in between"))  # a reader does not block a writer
            with pytest.raises(exc.OperationalError, match="database is locked"):
                conn.execute(text(insert_job_run_sql("too late")))
            conn.rollback()
    finally:
        other.close()


def test_concurrent_read_then_write_units_of_work_never_see_locked_database(app):
    threads_count, rounds_each = 8, 5
    start = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        # Flask-SQLAlchemy scopes its session to the app context, so each thread gets its own.
        with app.app_context():
            try:
                start.wait(timeout=10)
                for round_number in range(rounds_each):
                    with SqlAlchemyUnitOfWork(db.session(), actor=f"thread:{number}", now=NOW) as uow:
                        seen = uow.session.scalar(select(func.count()).select_from(JobRun))
                        uow.session.add(JobRun(job=f"t{number}-{round_number}", logical_now=NOW,
                                               started_at=NOW, counts={"seen": seen}))
                        uow.record(RegionRenamed(region_id=number, name=f"round {round_number}"))
                        uow.commit()
            except BaseException as error:  # noqa: BLE001  (reported by the main thread)
                errors.append(error)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads_count)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=60)

    assert errors == []
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == threads_count * rounds_each
    assert db.session.scalar(select(func.count()).select_from(EventRecord)) == threads_count * rounds_each
    if PG_URL is None:
        # On SQLite each writer holds the lock from its first read, so every one saw a distinct count.
        seen = db.session.scalars(select(JobRun.counts)).all()
        assert sorted(c["seen"] for c in seen) == list(range(threads_count * rounds_each))


@pytest.mark.parametrize(
    "statement",
    ["UPDATE events SET actor = 'intruder' WHERE seq = :seq", "DELETE FROM events WHERE seq = :seq"],
    ids=["update", "delete"],
)
def test_events_refuse_update_and_delete(app, statement):
    seq = record_event()
    with pytest.raises(exc.DBAPIError, match="append-only"):
        db.session.execute(text(statement), {"seq": seq})
    db.session.rollback()
    stored = db.session.get(EventRecord, seq, populate_existing=True)
    assert (stored.actor, stored.payload["name"]) == ("test", "Inland Empire/Desert")


@pytest.mark.postgres_only
def test_postgres_trigger_refuses_update_delete_and_truncate(app):
    import psycopg.errors

    seq = record_event()
    for statement in (
        f"UPDATE events SET payload = '{{}}' WHERE seq = {seq}",
        f"DELETE FROM events WHERE seq = {seq}",
        "TRUNCATE events",
    ):
        with pytest.raises(exc.ProgrammingError, match="append-only") as refused:
            db.session.execute(text(statement))
        assert isinstance(refused.value.orig, psycopg.errors.InsufficientPrivilege), statement
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(EventRecord)) == 1
