"""Prepared statements (wfsurvey.prepared) on either backend: the same values, events and errors as Session.execute."""
import datetime as dt

import pytest
from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.exc import IntegrityError

from wfsurvey.extensions import db
from wfsurvey.models import EventRecord, Organization
from wfsurvey.prepared import Prepared

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 6, 17, 0, 0, 123456, tzinfo=UTC)
PACIFIC = dt.timezone(dt.timedelta(hours=-7))
_events = EventRecord.__table__
_orgs = Organization.__table__

INSERT_EVENT = Prepared(insert(_events), column_keys=(
    "type", "aggregate_type", "aggregate_id", "actor", "occurred_at", "recorded_at", "schema_version", "payload"))
READ_EVENT = Prepared(select(_events.c.payload, _events.c.recorded_at, _events.c.aggregate_id)
                      .where(_events.c.aggregate_id == bindparam("id")))
#: A value the statement carries itself, besides the one given.
RENAME = Prepared(update(_orgs).where(_orgs.c.id == bindparam("b_id")).values(org_type="college")
                  .returning(_orgs.c.name, _orgs.c.org_type), column_keys=("name",))


def event_row(aggregate_id: str, payload: dict) -> dict:
    return {"type": "Probe", "aggregate_type": "round", "aggregate_id": aggregate_id, "actor": "test", "occurred_at": NOW,
            "recorded_at": NOW.astimezone(PACIFIC), "schema_version": 1, "payload": payload}


def test_values_go_through_their_column_types_both_ways(app):
    payload = {"regions": ["north", "los-angeles"], "note": "“quoted” & <b>", "n": 3}
    INSERT_EVENT.execute(db.session, [event_row("7", payload), event_row("8", {"n": 8})])  # an executemany
    # Written as Session.execute would have written them: read back through the ORM ...
    assert db.session.execute(select(EventRecord.payload, EventRecord.recorded_at).where(EventRecord.aggregate_id == "7")
                              ).one() == (payload, NOW)
    # ... and read through the prepared SELECT, converted by the columns' types (JSON, UTC timestamps).
    assert READ_EVENT.first(db.session, {"id": "7"}) == (payload, NOW, "7")
    assert READ_EVENT.rows(db.session, {"id": "8"}) == [({"n": 8}, NOW, "8")]
    assert READ_EVENT.first(db.session, {"id": "9"}) is None


def test_the_statements_own_values_are_used_unless_given(app):
    db.session.execute(insert(Organization), {"name": "Board A", "org_type": "lwib", "created_at": NOW})
    org_id = db.session.scalar(select(Organization.id))
    assert RENAME.execute(db.session, {"b_id": org_id, "name": "Board B"}).all() == [("Board B", "college")]
    assert db.session.execute(select(Organization.name, Organization.org_type)).one() == ("Board B", "college")


def test_engine_events_see_each_statement_and_errors_come_as_sqlalchemys(app):
    seen = []

    def listener(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement.split()[0])

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        READ_EVENT.first(db.session, {"id": "1"})
        db.session.execute(insert(Organization), {"name": "Board A", "org_type": "lwib", "created_at": NOW})
        duplicate = Prepared(insert(_orgs), column_keys=("name", "org_type", "created_at"))
        with pytest.raises(IntegrityError):  # what a command's retry on contention catches
            duplicate.execute(db.session, {"name": "Board A", "org_type": "lwib", "created_at": NOW})
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    # Counted like any statement (the statement-count tests and the benchmarks count this way).
    assert [s for s in seen if s in ("SELECT", "INSERT")] == ["SELECT", "INSERT", "INSERT"]


def test_an_expanding_in_list_is_refused_rather_than_run_wrong(app):
    statement = Prepared(select(_orgs.c.id).where(_orgs.c.id.in_(bindparam("ids", expanding=True))))
    with pytest.raises(ValueError, match="expanding"):
        statement.first(db.session, {"ids": [1, 2]})


def test_one_of_takes_any_number_of_ids_in_one_statement(app):
    """database.one_of: a list of ids as one bound value (an array on PostgreSQL, JSON text on SQLite), so a prepared
    statement or the statement cache keeps one form whatever the length; none, one or thousands."""
    from sqlalchemy import func

    from wfsurvey.database import one_of

    db.session.execute(insert(_orgs), [{"name": f"Org {i}", "org_type": "lwib", "created_at": NOW} for i in range(3000)])
    ids = sorted(db.session.scalars(select(_orgs.c.id)))
    count = Prepared(select(func.count()).select_from(_orgs).where(one_of(_orgs.c.id, "ids")))
    seen: list[str] = []

    def statement(_conn, _cursor, sql, *_args):
        seen.append(sql)

    event.listen(db.engine, "before_cursor_execute", statement)
    try:
        assert count.first(db.session, {"ids": []}) == (0,)
        assert count.first(db.session, {"ids": ids[:1]}) == (1,)
        assert count.first(db.session, {"ids": ids + [10**9]}) == (3000,)  # an id with no row: no match, no error
        renamed = db.session.execute(update(_orgs).where(one_of(_orgs.c.id, "ids"), _orgs.c.name != "x")
                                     .values(org_type="college"), {"ids": ids[::2]}).rowcount
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
    assert renamed == 1500
    assert len(set(seen[:3])) == 1  # one statement for every length of list
