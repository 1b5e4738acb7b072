"""Rows written by the database: insert a row, or add to (or overwrite) the row with its key, reading nothing first.

A projection that read its rows, changed them in Python and wrote them back would cost a SELECT,
ORM bookkeeping and an UPDATE per row, and on PostgreSQL two transactions adding to one row at the
same moment could both read the old value. INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n
does it in the database, atomically, on SQLite (3.24+) and PostgreSQL alike.

On PostgreSQL these writes wait (`_Pending`): every write of a transaction that nobody reads back is
sent with the others in one statement, a WITH of one INSERT ... SELECT FROM json_to_recordset(rows) [ON
CONFLICT ...] per table (or UPDATE ... FROM unnest(arrays), for update_rows), just before the
first statement that names one of their tables, or before the commit. So a respondent's submit sends
its counters, its answers' cells and the event in one round trip, and anything that reads those tables
in the same transaction (a policy, the rebuild, an amendment taking back its old cells) reads them
written. Rows for one key are merged first (counters summed, the last of
an overwrite kept), as two statements in a row would leave them. SQLite writes at once: it has no
round trips to save.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    Table,
    Text,
    TextClause,
    bindparam,
    cast,
    column,
    event,
    func,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.types import ARRAY

from wfsurvey.prepared import Prepared

#: The INSERT construct with an ON CONFLICT clause, per dialect name.
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
_DIALECTS = {"sqlite": sqlite.dialect, "postgresql": postgresql.dialect}
#: The dialect the waiting writes' statement is compiled for: psycopg's, which casts each array parameter to its type.
_PSYCOPG = postgresql.psycopg.dialect


def dialect_name(session: Session) -> str:
    return session.get_bind().dialect.name


@cache
def _upsert(dialect_name: str, table: Table, keys: tuple[str, ...], columns: tuple[str, ...], add: bool) -> Prepared:
    """The statement, compiled once per use and kept as text, run as a prepared statement (wfsurvey.prepared).

    SQLAlchemy does not cache INSERT ... ON CONFLICT (the dialects' Insert has no cache key), so
    the construct would be compiled anew at every execution, costing more than running it. As
    text with typed parameters, values are still converted by their columns' types (JSON, timestamps).
    """
    stmt = _INSERTS[dialect_name](table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys],
        set_={c: table.c[c] + stmt.excluded[c] if add else stmt.excluded[c] for c in columns},
    )
    names = keys + columns
    sql = str(stmt.compile(dialect=_DIALECTS[dialect_name](paramstyle="named"), column_keys=list(names)))
    # text() reads ":name" as a parameter: a PostgreSQL cast ("::JSONB") must be escaped.
    return Prepared(text(sql.replace("::", "\\:\\:")).bindparams(*(bindparam(n, type_=table.c[n].type) for n in names)))


def add_counts(session: Session, table: Table, keys: Sequence[str], counters: Sequence[str],
               rows: list[dict[str, Any]]) -> None:
    """Insert each row, or add its counters to the row with the same key (the table's primary key).

    Give the rows sorted by key: two PostgreSQL transactions then lock shared rows in the same
    order and cannot deadlock on them.
    """
    if not rows:
        return
    if dialect_name(session) == "postgresql" and len(rows) <= PENDING_ROWS:
        _add_pending(session, table, "add", tuple(keys), tuple(counters), rows)
        return
    _upsert(dialect_name(session), table, tuple(keys), tuple(counters), True).execute(session, rows)


def put_rows(session: Session, table: Table, keys: Sequence[str], columns: Sequence[str],
             rows: list[dict[str, Any]]) -> None:
    """Insert each row, or overwrite `columns` of the row with the same key; one row per key, sorted by key."""
    if not rows:
        return
    if dialect_name(session) == "postgresql" and len(rows) <= PENDING_ROWS:
        _add_pending(session, table, "put", tuple(keys), tuple(columns), rows)
        return
    _upsert(dialect_name(session), table, tuple(keys), tuple(columns), False).execute(session, rows)


def update_rows(session: Session, table: Table, keys: Sequence[str], columns: Sequence[str],
                rows: list[dict[str, Any]]) -> None:
    """Set `columns` of the existing row with each row's key (rows missing are left missing); sorted by key.

    On PostgreSQL the UPDATE waits with the transaction's other writes (an UPDATE ... FROM unnest(arrays) part of
    their WITH); elsewhere it runs now.
    """
    if not rows:
        return
    if dialect_name(session) == "postgresql" and len(rows) <= PENDING_ROWS:
        _add_pending(session, table, "update", tuple(keys), tuple(columns), rows)
        return
    _update(table, tuple(keys), tuple(columns)).execute(
        session, [{**{f"k_{k}": row[k] for k in keys}, **{f"v_{c}": row[c] for c in columns}} for row in rows])


@cache
def _update(table: Table, keys: tuple[str, ...], columns: tuple[str, ...]) -> Prepared:
    """UPDATE table SET columns WHERE keys, prepared (parameters named apart from the columns: a parameter named like
    a column of the updated table would be set too)."""
    return Prepared(update(table).where(*(table.c[k] == bindparam(f"k_{k}", type_=table.c[k].type) for k in keys))
                    .values({c: bindparam(f"v_{c}", type_=table.c[c].type) for c in columns}))


def insert_later(session: Session, table: Table, rows: list[dict[str, Any]]) -> bool:
    """On PostgreSQL, insert a few rows with the transaction's other waiting writes (see the module docstring).

    True when they wait; False when the caller is to insert them now (SQLite, or many rows).
    """
    if not rows or dialect_name(session) != "postgresql" or len(rows) > PENDING_ROWS:
        return False
    _add_pending(session, table, "insert", (), tuple(rows[0]), rows)
    return True


# --- PostgreSQL: writes that wait for the transaction's next statement on their tables ------------------------

#: Rows up to which a write waits (a launch's hundreds of counter rows do; bulk inserts go their own way).
PENDING_ROWS = 2000
#: Where a connection keeps its transaction's waiting writes.
_KEY = "wfsurvey_pending_writes"


class _Pending:
    """The waiting writes of one transaction on one connection: per (table, kind, keys, columns), rows by key."""

    def __init__(self, transaction: Any):
        self.transaction = transaction
        self.writes: dict[tuple[Table, str, tuple[str, ...], tuple[str, ...]], Any] = {}
        #: Table names, as statements name them.
        self.tables: set[str] = set()
        self.flushing = False

    def add(self, connection: Connection, table: Table, kind: str, keys: tuple[str, ...], columns: tuple[str, ...],
            rows: list[dict[str, Any]]) -> None:
        if any(t is table and (k, ks, cs) != (kind, keys, columns) and not k == kind == "insert"
               for t, k, ks, cs in self.writes):
            # Two parts of one statement must not write the same row (PostgreSQL makes only one of them count): a
            # table's waiting writes of another kind or shape are sent first.
            self.flush(connection)
        self.tables.add(table.name)
        if kind == "insert":
            self.writes.setdefault((table, kind, keys, columns), []).extend(rows)
            return
        merged = self.writes.setdefault((table, kind, keys, columns), {})
        for row in rows:
            key = tuple(row[k] for k in keys)
            old = merged.get(key)
            if old is None or kind != "add":
                merged[key] = dict(row)
            else:
                for column in columns:
                    old[column] += row[column]

    def flush(self, connection: Connection) -> None:
        """Send every waiting write in one statement, on the connection they wait on."""
        if not self.writes or self.flushing:
            return
        writes = sorted(self.writes.items(), key=lambda item: (item[0][0].name, item[0][1]))
        self.writes, self.tables = {}, set()
        shape, params = [], {}
        for n, ((table, kind, keys, columns), rows) in enumerate(writes):
            rows = list(rows) if kind == "insert" else [rows[key] for key in sorted(rows)]
            names = keys + columns if kind != "insert" else columns
            shape.append((table, kind, keys, columns))
            if kind == "update":  # arrays, one per column (see _combined)
                params.update({f"w{n}_{name}": [row[name] for row in rows] for name in names})
            else:
                params[f"w{n}"] = _as_json(table, names, rows)
        self.flushing = True
        try:
            _combined(tuple(shape)).execute(connection, params)
        finally:
            self.flushing = False


@cache
def _combined(shape: tuple[tuple[Table, str, tuple[str, ...], tuple[str, ...]], ...]) -> Prepared:
    """One statement for the writes of `shape`: a WITH of one INSERT ... SELECT FROM json_to_recordset(rows) per
    write (an UPDATE ... FROM unnest(arrays) for update_rows).

    Each write's rows come as one JSON document (_as_json), typed by the statement's column list: one text
    parameter per table, where arrays of each column's values cost the driver far more to send (psycopg
    inspects every element of every array), and a short statement with few parameters, which the driver
    converts once and the server prepares. Compiled once per shape and kept as text with typed parameters, run as
    a prepared statement, as _upsert is: an INSERT ... ON CONFLICT has no cache key, and would be compiled at every
    execution.
    """
    parts, params = [], []
    for n, (table, kind, keys, columns) in enumerate(shape):
        names = keys + columns if kind != "insert" else columns
        if kind == "update":
            # An UPDATE joins its rows to the table: from arrays, whose length the planner knows, it looks each key up
            # by the index; json_to_recordset's estimate of 100 rows would make it scan a big table instead.
            arrays = [bindparam(f"w{n}_{name}", type_=ARRAY(table.c[name].type)) for name in names]
            params += arrays
            rows = func.unnest(*arrays).table_valued(*names).render_derived(name=f"w{n}_rows")
            parts.append(update(table).where(*(table.c[k] == rows.c[k] for k in keys))
                         .values({c: rows.c[c] for c in columns}).cte(f"w{n}"))
            continue
        param = bindparam(f"w{n}", type_=Text)
        params.append(param)
        source = (func.json_to_recordset(cast(param, postgresql.JSON))
                  .table_valued(*(column(name, postgresql.JSONB if _is_json(table, name) else table.c[name].type)
                                  for name in names))
                  .render_derived(name=f"w{n}_rows", with_types=True))
        stmt = postgresql.insert(table).from_select(list(names), select(*(source.c[name] for name in names)))
        if kind != "insert":
            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c[k] for k in keys],
                set_={c: table.c[c] + stmt.excluded[c] if kind == "add" else stmt.excluded[c] for c in columns})
        parts.append(stmt.cte(f"w{n}"))
    statement = select(literal_column("1")).add_cte(*parts)
    sql = str(statement.compile(dialect=_PSYCOPG(paramstyle="named")))
    # text() reads ":name" as a parameter: a cast ("::JSON") must be escaped.
    return Prepared(text(sql.replace("::", "\\:\\:")).bindparams(*(bindparam(p.key, type_=p.type) for p in params)))


def _as_json(table: Table, names: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    """The rows as a JSON array of objects, each value as its column's type binds it (a timestamp as naive UTC, in
    ISO 8601), JSON columns' documents nested as they are."""
    convert = _converters(table, names)
    if convert:
        rows = [{**row, **{name: process(row[name]) for name, process in convert}} for row in rows]
    return json.dumps([{name: row[name] for name in names} for row in rows], default=_json_default,
                      separators=(",", ":"))


@cache
def _converters(table: Table, names: tuple[str, ...]) -> tuple[tuple[str, Any], ...]:
    """(name, bind processor) of the columns whose type converts values before they are sent (not JSON's)."""
    dialect = _PSYCOPG()
    found = []
    for name in names:
        column_type = table.c[name].type
        if _is_json(table, name):
            continue
        process = column_type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            found.append((name, process))
    return tuple(found)


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {value!r} ({type(value).__name__}) in a waiting write")


def _is_json(table: Table, name: str) -> bool:
    return isinstance(table.c[name].type, JSON)


def _add_pending(session: Session, table: Table, kind: str, keys: tuple[str, ...], columns: tuple[str, ...],
                 rows: list[dict[str, Any]]) -> None:
    connection = session.connection()
    _pending(session, connection).add(connection, table, kind, keys, columns, rows)


def _pending(session: Session, connection: Connection) -> _Pending:
    transaction = connection.get_transaction()
    pending = connection.info.get(_KEY)
    if pending is None or pending.transaction is not transaction:
        pending = connection.info[_KEY] = _Pending(transaction)
        session.info[_KEY] = connection
    engine = connection.engine
    if not event.contains(engine, "before_cursor_execute", _before_statement):
        event.listen(engine, "before_cursor_execute", _before_statement)
    return pending


def flush_pending(connection: Connection) -> None:
    """Send the transaction's waiting writes now (before a statement that bypasses SQLAlchemy's execution, a COPY)."""
    pending = connection.info.get(_KEY)
    if pending is not None and pending.writes and pending.transaction is connection.get_transaction():
        pending.flush(connection)


#: An execution option of a read that need not see the transaction's waiting writes to some of the tables it names:
#: their names (the overrides a board's answer is decided with come from the events: its command's own events are none
#: of them).
IGNORES_PENDING = "wfsurvey_ignores_pending_writes"


def _before_statement(connection: Connection, _cursor: Any, statement: str, _parameters: Any, context: Any,
                      _executemany: bool) -> None:
    pending = connection.info.get(_KEY)
    if (pending is not None and pending.writes and not pending.flushing
            and pending.transaction is connection.get_transaction()):
        ignored = context.execution_options.get(IGNORES_PENDING, ()) if context is not None else ()
        if any(name in statement and name not in ignored for name in pending.tables):
            pending.flush(connection)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    connection = session.info.pop(_KEY, None)
    if connection is not None and not connection.closed:
        flush_pending(connection)
