"""Inserting thousands of rows at once: what a launch (100,000 invitations) and a reminder sweep write.

On PostgreSQL an executemany still sends and executes one INSERT per row (and an INSERT ... RETURNING
of many rows is slower yet); for narrow rows, one INSERT ... SELECT FROM unnest(one array per column)
does the same work in a single statement, several times faster. Long values (message bodies, JSON
documents) are the exception: as text arrays they cost more to send and parse than the executemany,
so such tables keep it. From a thousand rows on, COPY beats both, wide rows included: an import of
100,000 contacts appends 200,000 events. SQLite runs an executemany in process, which is as fast as it
gets there. Values go through their columns' types every way (JSON, UTC timestamps).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import JSON, Table, Text, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import ARRAY

from wfsurvey.prepared import Prepared

#: The position of each row in the arrays (WITH ORDINALITY).
ORDINAL = "bulk_row_number"
#: From this many rows on (and when no conflict is to be skipped), PostgreSQL gets them by COPY, its fastest way
#: in for narrow and wide rows alike: no statement per row, no arrays to build and parse.
COPY_FROM = 1000
#: Column types whose values make a table's rows too wide for arrays (see above).
LONG_VALUES = (Text, JSON)
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *,
                skip_conflicts_on: str | None = None) -> int:
    """Insert `rows` (dicts with the same keys) in one statement; how many were inserted.

    With skip_conflicts_on (a unique column), a row whose value is there already is skipped
    (ON CONFLICT DO NOTHING) and not counted. Give a few thousand rows at a time.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    names = tuple(rows[0])
    if dialect not in _INSERTS:
        raise NotImplementedError(f"bulk inserts support PostgreSQL and SQLite, not {dialect}")
    if dialect == "postgresql" and skip_conflicts_on is None and len(rows) >= COPY_FROM:
        return _copy(session, table, names, rows)
    if dialect == "postgresql" and not any(isinstance(table.c[name].type, LONG_VALUES) for name in names):
        columns = {name: [row[name] for row in rows] for name in names}
        return session.execute(_unnest_statement(table, names, skip_conflicts_on), columns).rowcount
    if dialect == "sqlite":
        return _prepared(dialect, table, skip_conflicts_on, names).execute(session, rows).rowcount
    return session.execute(_statement(dialect, table, skip_conflicts_on), rows).rowcount


def _copy(session: Session, table: Table, names: tuple[str, ...], rows: Sequence[Mapping[str, Any]]) -> int:
    """COPY `rows` into `table` on the session's connection, inside its transaction, in the rows' order (so that
    serial ids follow it). Values go through their columns' bind processing, as a statement's would."""
    from wfsurvey.projections.upsert import flush_pending  # (bulk lies beneath the projections)

    connection = session.connection()
    flush_pending(connection)  # COPY goes around SQLAlchemy's execution, which sends waiting writes first
    dialect = connection.dialect
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    quote = dialect.identifier_preparer
    statement = (f"COPY {quote.format_table(table)} ({', '.join(quote.quote(name) for name in names)}) "
                 "FROM STDIN")
    try:
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([process(row[name]) if process else row[name] for name, process in zip(names, processors)])
    except dialect.loaded_dbapi.Error as exc:
        # As SQLAlchemy raises the driver's errors everywhere else (IntegrityError for a lost race, OperationalError
        # for a lost connection), so that callers' retries and 503s work the same for COPY.
        raise DBAPIError.instance(statement, None, exc, dialect.loaded_dbapi.Error,
                                  dialect=dialect, connection_invalidated=dialect.is_disconnect(exc, None, None)) from exc
    return len(rows)


# The statements are built once per table and reused: the collector is paused while a command runs
# (services.messagebus), and the reference cycles of a statement built per chunk would stay till its end.

@cache
def _statement(dialect: str, table: Table, skip_conflicts_on: str | None) -> Insert:
    # The dialects' own INSERT (needed for ON CONFLICT) is never in SQLAlchemy's compiled cache: it
    # would be compiled at every call, and the event log's insert runs in every command.
    return _finish(_INSERTS[dialect](table) if skip_conflicts_on else insert(table), skip_conflicts_on)


@cache
def _prepared(dialect: str, table: Table, skip_conflicts_on: str | None, names: tuple[str, ...]) -> Prepared:
    """_statement for rows of these columns, as a prepared statement (wfsurvey.prepared): an executemany in process."""
    return Prepared(_statement(dialect, table, skip_conflicts_on), column_keys=names)


@cache
def _unnest_statement(table: Table, names: tuple[str, ...], skip_conflicts_on: str | None) -> Insert:
    arrays = [bindparam(name, type_=ARRAY(table.c[name].type)) for name in names]
    source = func.unnest(*arrays).table_valued(*names, with_ordinality=ORDINAL).render_derived()
    # In the rows' order, so that the ids given follow it.
    stmt = postgresql.insert(table).from_select(names, select(*(source.c[name] for name in names)).order_by(source.c[ORDINAL]))
    return _finish(stmt, skip_conflicts_on)


def _finish(stmt: Any, skip_conflicts_on: str | None) -> Insert:
    if skip_conflicts_on is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=[skip_conflicts_on])
    # The driver's row count (summed over an executemany) is what ON CONFLICT DO NOTHING kept.
    return stmt.execution_options(preserve_rowcount=True)
