"""The unit of work: one transaction in which a command's changes, its events, and every handler's work commit together."""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session

from wfsurvey import clock
from wfsurvey.bulk import insert_rows
from wfsurvey.database import (
    began_immediate,
    immediate_transactions,
    late_write_lock,
    take_write_lock,
    write_lock_pending,
)
from wfsurvey.domain.events import Event, runs_of_one_type
from wfsurvey.models.base import Aggregate, current_unit_of_work
from wfsurvey.models.eventlog import EventRecord
from wfsurvey.projections.upsert import insert_later

#: Events appended per INSERT statement.
APPEND_CHUNK = 5000
#: Publishes a run of events of one type (the message bus's dispatch).
Dispatch = Callable[[list[Event], "AbstractUnitOfWork"], None]
#: Seconds a SQLite writer waits for its turn before leaving the wait to SQLite's own busy timeout
#: (the same 15 s, see database.configure_engine).
WRITER_TURN_TIMEOUT = 15.0
#: The SQLite file whose writer turn this thread (or task) holds already: a turn taken again inside it is the same turn.
_turn_held: contextvars.ContextVar[str | None] = contextvars.ContextVar("wfsurvey_writer_turn", default=None)


@contextlib.contextmanager
def sqlite_writer_turn(engine: Engine) -> Iterator[None]:
    """On a SQLite file, units of work take turns to write through an OS file lock, held until they end.

    A writer that finds SQLite's write lock taken sleeps and retries, 1, 2, 5 ... up to 100 ms at a
    time: with several processes writing all the time (gunicorn's workers), the lock is often free
    while the next writer still sleeps, and an unlucky one loses the race for seconds. Waiting here
    instead, in steps of at most a quarter of a millisecond, hands the database over as soon as it
    is free. SQLite's lock still guards the data; this only orders the queue (and writers that do
    not use a unit of work keep SQLite's waiting). A memory database has one connection and no file.
    """
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    fd = (_open_lock_file(f"{database}.writer-lock")
          if database not in (None, "", ":memory:") and _turn_held.get() != database else None)
    if fd is None:
        yield
        return
    held = _turn_held.set(database)
    try:
        deadline = time.monotonic() + WRITER_TURN_TIMEOUT
        pause = 0.00005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    break
                time.sleep(pause)
                pause = min(pause * 2, 0.00025)
        yield
    finally:
        _turn_held.reset(held)
        os.close(fd)  # which releases the lock


@contextlib.contextmanager
def writing(session: Session | scoped_session) -> Iterator[None]:
    """A block that reads and then runs a command, all in the command's transaction: one connection, one transaction.

    A view that looks something up before its command (a respondent link's token) would otherwise read
    in a transaction of its own on SQLite, which the unit of work ends so that its own takes the write
    lock at BEGIN. Inside this block, on SQLite, the view's lookups read in autocommit on the connection the
    command then uses, before the writer's turn (database.late_write_lock): the unit of work takes its turn and
    the write lock on that connection, in the same SQLAlchemy transaction, and reads afresh what it decides on.
    Writers take turns on a SQLite file, so what is read before the turn is time the next writer does not wait.
    PostgreSQL carries on in the view's transaction anyway (see SqlAlchemyUnitOfWork.__enter__).
    """
    session = session() if isinstance(session, scoped_session) else session
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    with late_write_lock():
        try:
            yield
        finally:
            # What is still open in SQLite holds its write lock (a refusal after the command, say) or nothing at all
            # (a 404 before any command): it ends here, with the block.
            if session.in_transaction() and (began_immediate(session.connection())
                                             or write_lock_pending(session.connection())):
                session.rollback()


def _open_lock_file(path: str) -> int | None:
    """A descriptor of the lock file for one unit of work, or None when it cannot be opened.

    One per unit of work: a lock held through a descriptor shared by the threads of a process would
    not exclude them. Read-only, which is enough for flock, so that processes of other users can
    share the file. Without it the writer waits SQLite's way.
    """
    try:
        return os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError:
        return None


class AbstractUnitOfWork:
    """Collects events from the aggregates a command touched, appends them, and dispatches them.

    Handlers run inside the same transaction and may record further events; publishing goes on
    until nothing new was recorded, so a projection can never disagree with the log.
    """

    dispatch: Dispatch | None = None
    #: The session the command reads and writes through (a concrete unit of work provides it).
    session: Session

    def __init__(self, *, actor: str, now: dt.datetime | None = None):
        self.actor = actor
        self.now = now or clock.now()
        self._loose: list[Event] = []
        self._tracked: dict[int, Aggregate] = {}
        self.published: list[Event] = []

    def track(self, aggregate: Aggregate) -> None:
        """Keep an aggregate that recorded events alive until the unit of work ends.

        The session's identity map holds objects weakly. Kept, the aggregate and what it loaded
        (an invitation's round and template, say) stay there for the handlers of its events, which
        then find them without SQL.
        """
        self._tracked[id(aggregate)] = aggregate

    def record(self, event: Event) -> None:
        """Record an event that no loaded aggregate carries (imports, deliveries, ...)."""
        self._loose.append(event)

    def publish(self) -> None:
        while True:
            self._flush()
            batch = self._loose + self._collect_from_aggregates()
            self._loose = []
            if not batch:
                return
            batch.sort(key=lambda e: e._order)
            self._append(batch)
            self.published.extend(batch)
            if self.dispatch is not None:
                for run in runs_of_one_type(batch):
                    self.dispatch(run, self)

    def commit(self) -> None:
        self.publish()
        self._commit()

    # What a concrete unit of work provides.
    def _flush(self) -> None: ...
    def _collect_from_aggregates(self) -> list[Event]:
        return [e for obj in self._tracked.values() for e in obj.take_events()]
    def _append(self, events: list[Event]) -> None: ...
    def _commit(self) -> None: ...
    def rollback(self) -> None: ...

    def __enter__(self) -> AbstractUnitOfWork:
        self._context_token = current_unit_of_work.set(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self.rollback()
        finally:
            current_unit_of_work.reset(self._context_token)


class SqlAlchemyUnitOfWork(AbstractUnitOfWork):
    def __init__(self, session: Session | scoped_session, *, actor: str, now: dt.datetime | None = None):
        super().__init__(actor=actor, now=now)
        # Flask-SQLAlchemy hands out a scoped_session; the unit of work needs the Session itself.
        self.session = session() if isinstance(session, scoped_session) else session
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> SqlAlchemyUnitOfWork:
        super().__enter__()
        # On SQLite, reads done before the command (in a view, say) end here, so that the command's
        # transaction starts afresh and takes the write lock at BEGIN. PostgreSQL reads afresh at
        # every statement (READ COMMITTED) and locks rows as the command reads them for update:
        # its transaction goes on, which saves a ROLLBACK, a pool check-out and a BEGIN.
        # A transaction that took the write lock at BEGIN (see `writing`) goes on too.
        late = False
        if self.session.in_transaction() and self.session.get_bind().dialect.name == "sqlite":
            connection = self.session.connection()
            late = write_lock_pending(connection)
            if not late and not began_immediate(connection):
                self.session.rollback()
        # Objects kept from earlier requests or commands (expire_on_commit is off) may be stale:
        # a command decides on what the database holds now.
        self.session.expire_all()
        self._stack.enter_context(sqlite_writer_turn(self.session.get_bind()))
        self._stack.enter_context(immediate_transactions())
        if late:  # a `writing` block's lookups are done: its transaction takes the write lock now, in this turn
            take_write_lock(self.session.connection())
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            super().__exit__(*exc)
        finally:
            self._stack.close()

    def _flush(self) -> None:
        self.session.flush()

    def _collect_from_aggregates(self) -> list[Event]:
        found: list[Event] = []
        seen = dict(self._tracked)
        for obj in list(self.session.identity_map.values()) + list(self.session.new):
            if isinstance(obj, Aggregate):
                seen[id(obj)] = obj
        for obj in seen.values():
            found.extend(obj.take_events())
        return found

    def _append(self, events: list[Event]) -> None:
        recorded_at = clock.wall_now()
        # In chunks: a launch appends 100,000 events, and their rows need not all exist at once.
        for start in range(0, len(events), APPEND_CHUNK):
            # The table, not the mapped class: a bulk insert skips the ORM's per-row work.
            rows = [
                {
                    "type": e.type,
                    "aggregate_type": e.aggregate,
                    "aggregate_id": e.aggregate_id,
                    "actor": self.actor,
                    "occurred_at": self.now,
                    "recorded_at": recorded_at,
                    "schema_version": e.schema_version,
                    "payload": e.payload(),
                }
                for e in events[start:start + APPEND_CHUNK]
            ]
            # A few events go with the projections' writes, in one statement on PostgreSQL (projections.upsert):
            # nothing reads them before the next statement that names the table or the commit.
            if not insert_later(self.session, EventRecord.__table__, rows):
                insert_rows(self.session, EventRecord.__table__, rows)

    def _commit(self) -> None:
        self.session.commit()
        # The transaction is over: the next SQLite writer's turn starts now, not once this one has tidied up.
        self._stack.close()
        # What the command changed through Core statements or foreign keys alone (a new response
        # of an invitation, say) is not reflected in objects already loaded: reload on next access.
        self.session.expire_all()

    def rollback(self) -> None:
        # After a commit there is nothing to roll back; after an error this undoes everything.
        self.session.rollback()
