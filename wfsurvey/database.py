"""The declarative base, portable column types, the SQLite connection rules (WAL, foreign keys, immediate writes),
and what a lost connection looks like."""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, MetaData, String, bindparam, event
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase, scoped_session
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored as naive UTC on every backend and always read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give a time zone")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc)


#: JSON everywhere, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class ValueList(TypeDecorator[list[Any]]):
    """A list of ids (or of texts) as one bound value: an array on PostgreSQL, JSON text elsewhere (see one_of)."""

    impl = String
    cache_ok = True

    def __init__(self, text: bool = False):
        super().__init__()
        self.text = text

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(String() if self.text else Integer()))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        values = [str(v) for v in value] if self.text else [int(v) for v in value]
        return values if dialect.name == "postgresql" else json.dumps(values)


class OneOf(ColumnElement[bool]):
    """`column` is one of the values bound as `parameter` (a ValueList): `= ANY(array)` on PostgreSQL, `IN (SELECT value
    FROM json_each(text))` on SQLite.

    Where `column IN (:ids)` with an expanding parameter renders the statement anew for every length of list (and a
    prepared statement cannot take one), this is one statement for any number of ids.
    """

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a condition as it is: SQLite would otherwise be given "... = 1"
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("parameter", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: Any, parameter: BindParameter[Any]):
        self.column, self.parameter = column, parameter


def one_of(column: Any, name: str) -> OneOf:
    """The condition OneOf, its parameter named `name` (give it a list of ids, or of texts for a text column)."""
    return OneOf(column, bindparam(name, type_=ValueList(text=isinstance(column.type, String))))


@compiles(OneOf)
def _one_of_sqlite(element: OneOf, compiler: Any, **kw: Any) -> str:
    column, values = compiler.process(element.column, **kw), compiler.process(element.parameter, **kw)
    return f"{column} IN (SELECT value FROM json_each({values}))"


@compiles(OneOf, "postgresql")
def _one_of_postgresql(element: OneOf, compiler: Any, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(element.parameter, **kw)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSONType, list[Any]: JSONType}


_immediate: contextvars.ContextVar[bool | str] = contextvars.ContextVar("wfsurvey_begin_immediate", default=False)
#: Where a SQLite connection notes whether its transaction began with BEGIN IMMEDIATE (holding the write lock),
#: or (LATE) has not begun in SQLite yet: see late_write_lock.
IMMEDIATE_KEY = "wfsurvey_began_immediate"
LATE = "late"


@contextlib.contextmanager
def immediate_transactions() -> Iterator[None]:
    """Within this block, SQLite transactions take the write lock at BEGIN.

    A deferred transaction that reads and then writes must upgrade its lock, and SQLite
    answers "database is locked" at once if another writer got there first; taking the
    lock up front makes concurrent writers queue on the busy timeout instead.
    """
    token = _immediate.set(True)
    try:
        yield
    finally:
        _immediate.reset(token)


@contextlib.contextmanager
def late_write_lock() -> Iterator[None]:
    """Within this block, a SQLite transaction begins in SQLAlchemy but not yet in SQLite: its first statements read
    in autocommit, and it takes the write lock when take_write_lock says (the command that follows, in its turn).

    So a respondent's link is looked up before the writer's turn, on the connection its command then writes
    through (one check-out, one transaction as SQLAlchemy sees it): on a busy SQLite file the writers take turns,
    and every statement left out of the turn is time the next writer does not wait. The command reads afresh
    under the lock whatever it decides on.
    """
    token = _immediate.set(LATE)
    try:
        yield
    finally:
        _immediate.reset(token)


def take_write_lock(connection: Any) -> None:
    """Begin the SQLite transaction of a late_write_lock block now, with the write lock (BEGIN IMMEDIATE)."""
    if connection.info.get(IMMEDIATE_KEY) == LATE:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        connection.info[IMMEDIATE_KEY] = True


def configure_engine(engine: Engine) -> None:
    """Install the SQLite connection rules on an engine (a no-op for other backends)."""
    if engine.dialect.name != "sqlite":
        return
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, decide how a transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = _immediate.get()
        connection.info[IMMEDIATE_KEY] = immediate
        if immediate == LATE:  # SQLite's transaction begins later, at take_write_lock (reads before it autocommit)
            return
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def transaction_notes(session: Any, key: str) -> dict:
    """What the session's transaction in progress noted under `key`: a dict that starts empty with each transaction.

    For what a command learned under its locks and its handlers may rely on until the transaction ends (an
    invitation's row locked, no reminder queued, a round's state): a note never outlives what made it true.
    """
    if isinstance(session, scoped_session):
        session = session()
    transaction = session.get_transaction()
    noted = session.info.get(key)
    if noted is None or noted[0] is not transaction:
        noted = session.info[key] = (transaction, {})
    return noted[1]


def began_immediate(connection: Any) -> bool:
    """Whether the SQLite transaction in progress on `connection` holds the write lock since its BEGIN."""
    return connection.info.get(IMMEDIATE_KEY) is True


def write_lock_pending(connection: Any) -> bool:
    """Whether the SQLAlchemy transaction in progress on `connection` is one of late_write_lock's, not begun in SQLite."""
    return connection.info.get(IMMEDIATE_KEY) == LATE


def connection_lost(exc: BaseException) -> bool:
    """Whether a database error means the connection is gone (killed, timed out, server down), not a refusal."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    # Connection exceptions (class 08) and the server shutting the session down (57P01-57P03).
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None) or ""
    return isinstance(exc, (InterfaceError, PoolTimeout)) or (
        isinstance(exc, OperationalError) and (sqlstate.startswith("08") or sqlstate in ("57P01", "57P02", "57P03")))
