"""Projection writes that wait (projections.upsert, PostgreSQL): read back in their transaction as if sent at once,
merged per key as two statements would leave them, sent in one statement at the commit, and gone with a rollback."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select

from wfsurvey.extensions import db
from wfsurvey.models import BaselineStat, EventRecord
from wfsurvey.projections.upsert import add_counts, insert_later, update_rows

STATS = BaselineStat.__table__
KEY = ("round_id", "region", "question", "value")


def cell(region: str, count: int, total: float) -> dict:
    return {"round_id": 1, "region": region, "question": "colleges", "value": "3", "count": count, "total": total}


def statements_during(action) -> list[str]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return seen


def test_waiting_writes_are_read_back_merged_and_sent_together_at_the_commit(app):
    session = db.session
    postgres = db.engine.dialect.name == "postgresql"
    # What the rows carry goes as JSON (PostgreSQL): text with quotes and accents, a time given in another zone,
    # a JSON document holding lists, a fraction.
    payload = {"listed": [1, [2]], "said": 'Caf\u00e9 "Norte" \u2713', "none": None, "yes": True}
    pacific = _now().astimezone(dt.timezone(dt.timedelta(hours=-7)))
    event_row = {"type": "Noted", "aggregate_type": "test", "aggregate_id": "1", "actor": "staff:o'brien \"ops\"",
                 "occurred_at": pacific, "recorded_at": _now(), "schema_version": 1, "payload": payload}

    def write() -> None:
        add_counts(session, STATS, KEY, ("count", "total"), [cell("", 1, 3.0), cell("la", 1, 3.0)])
        add_counts(session, STATS, KEY, ("count", "total"), [cell("", 2, 6.0)])
        waited = insert_later(session, EventRecord.__table__, [event_row])
        assert waited == postgres
        if not waited:
            session.execute(EventRecord.__table__.insert(), [event_row])

    sent = [s for s in statements_during(write) if s != "BEGIN"]
    assert len(sent) == (0 if postgres else 3)  # PostgreSQL: nothing sent yet (SQLite: one statement each)
    # A statement that names a waiting table sends every waiting write first, in one statement.
    read = statements_during(lambda: session.execute(select(STATS.c.region, STATS.c.count, STATS.c.total)
                                                     .order_by(STATS.c.region)).all())
    assert len(read) == (2 if postgres else 1)
    assert session.execute(select(STATS.c.region, STATS.c.count, STATS.c.total).order_by(STATS.c.region)).all() == [
        ("", 3, 9.0), ("la", 1, 3.0)]
    add_counts(session, STATS, KEY, ("count", "total"), [cell("la", 0, 0.1), cell("la", 0, 0.2)])  # summed, then sent
    assert session.scalar(select(STATS.c.total).where(STATS.c.region == "la")) == pytest.approx(3.3)
    stored = session.execute(select(EventRecord.payload, EventRecord.actor, EventRecord.occurred_at)
                             .where(EventRecord.type == "Noted")).one()
    assert tuple(stored) == (payload, "staff:o'brien \"ops\"", _now())
    # Written later in the transaction, sent at the commit.
    add_counts(session, STATS, KEY, ("count", "total"), [cell("la", 1, 3.0)])
    committed = statements_during(session.commit)
    assert len(committed) == (1 if postgres else 0)
    assert session.scalar(select(STATS.c.count).where(STATS.c.region == "la")) == 2


def test_updates_wait_merged_set_only_their_columns_and_leave_missing_rows_missing(app):
    session = db.session
    postgres = db.engine.dialect.name == "postgresql"
    add_counts(session, STATS, KEY, ("count", "total"), [cell("", 1, 3.0), cell("la", 4, 8.0)])
    session.commit()

    def write() -> None:
        update_rows(session, STATS, KEY, ("count",), [cell("", 7, 0.0), cell("nowhere", 9, 0.0)])
        update_rows(session, STATS, KEY, ("count",), [cell("", 8, 0.0)])  # the last one for a key is kept

    sent = [s for s in statements_during(write) if s != "BEGIN"]
    assert len(sent) == (0 if postgres else 2)
    # A read of the table sends them first; the total is untouched, the missing row not made.
    assert session.execute(select(STATS.c.region, STATS.c.count, STATS.c.total).order_by(STATS.c.region)).all() == [
        ("", 8, 3.0), ("la", 4, 8.0)]
    # A write of another kind to a table with waiting writes sends those first: two parts of one statement must
    # not write the same row (PostgreSQL would keep only one of them).
    def update_then_add() -> None:
        update_rows(session, STATS, KEY, ("count",), [cell("la", 5, 0.0)])
        add_counts(session, STATS, KEY, ("count", "total"), [cell("la", 1, 1.0)])

    assert len([s for s in statements_during(update_then_add) if s != "BEGIN"]) == (1 if postgres else 2)
    assert len(statements_during(session.commit)) == (1 if postgres else 0)
    assert session.execute(select(STATS.c.count, STATS.c.total).where(STATS.c.region == "la")).one() == (6, 9.0)


def test_waiting_writes_go_with_a_rollback(app):
    session = db.session
    add_counts(session, STATS, KEY, ("count", "total"), [cell("", 5, 1.0)])
    session.rollback()
    assert statements_during(session.commit) == []
    assert session.scalar(select(STATS.c.count)) is None


def _now():
    return dt.datetime(2026, 10, 7, 17, 0, tzinfo=dt.timezone.utc)
