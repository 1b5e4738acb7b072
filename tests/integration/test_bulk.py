"""Bulk inserts (wfsurvey.bulk) on either backend: rows kept in their order, conflicts skipped and not counted, values typed."""
import datetime as dt

from sqlalchemy import func, select

from wfsurvey.bulk import insert_rows
from wfsurvey.extensions import db
from wfsurvey.models import EventRecord, Organization

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 6, 17, 0, 0, 123456, tzinfo=UTC)
PACIFIC = dt.timezone(dt.timedelta(hours=-7))


def org(name: str) -> dict:
    # A time zone other than UTC: the column's type stores it as UTC, as on every other path.
    return {"name": name, "org_type": "lwib", "created_at": NOW.astimezone(PACIFIC)}


def test_narrow_rows_keep_their_order_and_a_conflict_is_skipped_not_counted(app):
    table = Organization.__table__
    assert insert_rows(db.session, table, []) == 0
    assert insert_rows(db.session, table, [org("Board C"), org("Board A"), org("Board B")], skip_conflicts_on="name") == 3
    assert insert_rows(db.session, table, [org("Board A"), org("Board D")], skip_conflicts_on="name") == 1
    db.session.commit()
    rows = db.session.execute(select(Organization.name, Organization.created_at).order_by(Organization.id)).all()
    assert rows == [("Board C", NOW), ("Board A", NOW), ("Board B", NOW), ("Board D", NOW)]


def test_rows_with_json_go_through_their_column_types(app):
    payloads = [{"round_id": n, "regions": ["north", "los-angeles"], "note": "“quoted” & <b>"} for n in range(3)]
    rows = [{"type": "Probe", "aggregate_type": "round", "aggregate_id": str(n), "actor": "test", "occurred_at": NOW,
             "recorded_at": NOW.astimezone(PACIFIC), "schema_version": 1, "payload": payload}
            for n, payload in enumerate(payloads)]
    assert insert_rows(db.session, EventRecord.__table__, rows) == 3
    db.session.commit()
    stored = db.session.execute(
        select(EventRecord.payload, EventRecord.recorded_at).where(EventRecord.type == "Probe").order_by(EventRecord.seq)).all()
    assert stored == [(payload, NOW) for payload in payloads]


def test_many_rows_keep_their_order_and_types_and_a_conflict_raises_as_a_statement_would(app):
    # From COPY_FROM rows on, PostgreSQL gets them by COPY: the same order, types and errors as the other ways.
    from sqlalchemy.exc import IntegrityError

    from wfsurvey.bulk import COPY_FROM

    names = [f"Board {n:05d}" for n in range(COPY_FROM + 10)][::-1]
    assert insert_rows(db.session, Organization.__table__, [org(name) for name in names]) == len(names)
    payloads = [{"n": n, "note": "tab\there, “quoted”, back\\slash"} for n in range(COPY_FROM)]
    rows = [{"type": "Probe", "aggregate_type": "round", "aggregate_id": str(n), "actor": "test", "occurred_at": NOW,
             "recorded_at": NOW.astimezone(PACIFIC), "schema_version": 1, "payload": payload}
            for n, payload in enumerate(payloads)]
    assert insert_rows(db.session, EventRecord.__table__, rows) == len(rows)
    db.session.commit()
    assert db.session.scalars(select(Organization.name).order_by(Organization.id)).all() == names
    assert {db.session.scalar(select(Organization.created_at).limit(1))} == {NOW}
    stored = db.session.execute(select(EventRecord.payload, EventRecord.recorded_at).order_by(EventRecord.seq)).all()
    assert stored == [(payload, NOW) for payload in payloads]
    try:
        insert_rows(db.session, Organization.__table__, [org(name) for name in names])
    except IntegrityError:
        db.session.rollback()
    else:
        raise AssertionError("inserting the same names again must break the unique constraint")
    assert db.session.scalar(select(func.count()).select_from(Organization)) == len(names)
