"""Time limits on the database, so that an unreachable or slow PostgreSQL turns into a quick 503 rather than a
worker hung until gunicorn kills it; and a request's end that survives a connection killed under it.

Web requests wait at most DATABASE_CONNECT_TIMEOUT to connect and DATABASE_STATEMENT_TIMEOUT for a statement
(the server cancels it). The server cannot enforce anything when it never answers (a network that drops
packets, a proxy that stops forwarding), so the client gives up too: no wait on a connection lasts longer
than the statement limit and a little grace, and a pooled connection that does not answer its pre-ping
within the connect limit is dropped. Commands and the scheduler run outside requests and keep no statement
limit: a rebuild of a million events may take its time. SQLite keeps its busy timeout (wfsurvey.database).
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from wfsurvey.database import connection_lost

__all__ = ["UNAVAILABLE", "Limits", "connection_lost", "deadline", "install", "scope", "wait_limit"]

log = logging.getLogger(__name__)

#: Seconds the client waits beyond the statement limit before it gives the connection up: long enough for the
#: server's own cancellation (a clean error, the connection kept) to arrive first.
GRACE_SECONDS = 2.0
#: Where a pooled connection notes the statement_timeout it runs with (milliseconds; 0 = none).
_TIMEOUT_KEY = "wfsurvey_statement_timeout_ms"


@dataclass(frozen=True)
class Limits:
    """The limits of one kind of work (web requests)."""

    connect: float
    #: Seconds the server lets a statement run; None for no limit.
    statement: float | None

    @property
    def wait(self) -> float | None:
        """The longest the client waits for any answer on a connection."""
        return None if self.statement is None else self.statement + GRACE_SECONDS

    @property
    def statement_ms(self) -> int:
        return 0 if self.statement is None else int(self.statement * 1000)


#: The limits of the work in progress: a web request's, or None (commands, jobs, tests' own setup).
_limits: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("wfsurvey_db_limits", default=None)
#: An absolute deadline (time.monotonic()) over everything in a block, e.g. a health check.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("wfsurvey_db_deadline", default=None)
#: Connect timeout outside requests.
_connect_default: float = 5.0


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Within this block every wait on the database, connecting included, ends `seconds` from now at the latest."""
    end = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(end if outer is None else min(outer, end))
    try:
        yield
    finally:
        _deadline.reset(token)


def _remaining() -> float | None:
    end = _deadline.get()
    return None if end is None else max(0.0, end - time.monotonic())


def wait_limit() -> float | None:
    """Seconds the next wait on a connection may last, or None for no limit."""
    limits = _limits.get()
    limit = limits.wait if limits is not None else None
    remaining = _remaining()
    if remaining is not None:
        limit = remaining if limit is None else min(limit, remaining)
    return limit


#: What makes a request answer 503 "try again shortly" rather than 500: the database is out of reach or too slow.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout, PendingRollbackError)


# --- PostgreSQL: psycopg connections that give up waiting ------------------------------------------

def _timed_connection_class():
    import psycopg
    from psycopg import errors

    class TimedConnection(psycopg.Connection):
        """A psycopg connection whose every wait (query, commit, rollback, ping) ends at wait_limit().

        Connection.wait is the one place psycopg blocks on an open connection. When the limit runs out the
        protocol is mid-message, so the connection is closed: SQLAlchemy then sees a disconnect and drops it
        from the pool.
        """

        def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
            limit = wait_limit()
            if limit is None or (timeout is not None and timeout <= limit):
                return super().wait(gen, interval, timeout)
            try:
                return super().wait(gen, interval, limit)
            except errors._WaitTimeout:  # psycopg's own (private) signal that the wait ran out
                self.pgconn.finish()
                raise psycopg.OperationalError(
                    f"no answer from the database server within {limit:.1f} s: the connection is closed") from None

    return TimedConnection


def _install_postgresql(engine: Engine) -> None:
    connection_class = _timed_connection_class()

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, record: Any, cargs: list, cparams: dict) -> Any:
        import psycopg

        limits = _limits.get()
        timeout = limits.connect if limits is not None else _connect_default
        remaining = _remaining()
        if remaining is not None:
            if remaining < 2:  # libpq's shortest connect timeout: a try now would overrun the deadline
                raise psycopg.OperationalError("no time left to connect to the database server")
            timeout = min(timeout, remaining)
        cparams["connect_timeout"] = max(2, int(timeout))
        statement_ms = limits.statement_ms if limits is not None else 0
        options = cparams.get("options", "")
        cparams["options"] = f"{options} -c statement_timeout={statement_ms}".strip()
        record.info[_TIMEOUT_KEY] = statement_ms
        return connection_class.connect(*cargs, **cparams)

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        # A connection made for other work (a command, a test's setup) gets the request's statement limit,
        # once; in a web process every connection is made by a request, so this never runs there.
        limits = _limits.get()
        wanted = limits.statement_ms if limits is not None else 0
        if record.info.get(_TIMEOUT_KEY, 0) != wanted:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(f"SET statement_timeout = {int(wanted)}")
            finally:
                cursor.close()
            dbapi_connection.commit()
            record.info[_TIMEOUT_KEY] = wanted

    ping = engine.dialect.do_ping

    def do_ping(dbapi_connection: Any) -> bool:
        # A pooled connection that does not answer a ping as fast as a new one would connect is as good as gone.
        import psycopg

        limits = _limits.get()
        try:
            with deadline(limits.connect if limits is not None else _connect_default):
                return ping(dbapi_connection)
        except psycopg.Error:
            # The server ended the connection during the ping: SQLAlchemy's ping then fails on restoring autocommit
            # with a ProgrammingError ("connection in transaction status ACTIVE"), which it does not take for a
            # disconnect, and the request got a 500. A connection that is closed or broken is gone: say so, and the
            # pool replaces it.
            if dbapi_connection.closed or dbapi_connection.broken:
                return False
            raise

    engine.dialect.do_ping = do_ping  # type: ignore[method-assign]


# --- wiring ------------------------------------------------------------------------------------------

@contextlib.contextmanager
def scope(limits: Limits | None) -> Iterator[None]:
    """Run a block of work under these limits."""
    token = _limits.set(limits)
    try:
        yield
    finally:
        _limits.reset(token)


def install(app: Flask, engine: Engine) -> None:
    """Apply the app's limits to its engine and to each request, and end each request's session safely."""
    global _connect_default
    limits = Limits(connect=float(app.config["DATABASE_CONNECT_TIMEOUT"]),
                    statement=float(app.config["DATABASE_STATEMENT_TIMEOUT"] or 0) or None)
    _connect_default = limits.connect
    if engine.dialect.name == "postgresql":
        _install_postgresql(engine)

    def begin_request() -> None:
        g.wfsurvey_db_request = _limits.set(limits)

    def end_request(_exc: BaseException | None) -> None:
        token = g.get("wfsurvey_db_request")
        if token is not None:
            g.wfsurvey_db_request = None  # the session still ends at the app context's end, see end_session
            try:
                _limits.reset(token)
            except ValueError:  # the request ended in another context than it began (a copied one)
                _limits.set(None)

    def end_session(_exc: BaseException | None) -> None:
        if "wfsurvey_db_request" not in g:
            return  # no request ran (a command, a job): Flask-SQLAlchemy ends the session as ever
        with scope(limits):
            _end_session_safely()

    # First of all: whatever runs before the view (loading the user, say) already has the limits.
    app.before_request_funcs.setdefault(None, []).insert(0, begin_request)
    app.teardown_request(end_request)
    # Registered after Flask-SQLAlchemy's, so it runs first (teardowns run in reverse): the session ends here,
    # within the request's limits, and a connection killed under it cannot fail a response already decided.
    app.teardown_appcontext(end_session)


def _end_session_safely() -> None:
    from wfsurvey.extensions import db

    try:
        db.session.remove()
    except Exception as exc:  # the connection died under the request; its answer stands
        log.warning("the database session could not end cleanly (the connection is gone): %s", exc)
        with contextlib.suppress(Exception):
            db.session.invalidate()
        db.session.registry.clear()
