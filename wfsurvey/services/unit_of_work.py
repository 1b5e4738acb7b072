"""The unit of work: one transaction in which a command's changes, its events, and every handler's work commit together."""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session, scoped_session

from wfsurvey.database import immediate_transactions
from wfsurvey.domain.events import Event
from wfsurvey.models.base import Aggregate, current_unit_of_work
from wfsurvey.models.eventlog import EventRecord

#: Events appended per INSERT statement.
APPEND_CHUNK = 5000
#: Publishes a run of events of one type (the message bus's dispatch).
Dispatch = Callable[[list[Event], "AbstractUnitOfWork"], None]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def runs_of_one_type(events: list[Event]) -> Iterable[list[Event]]:
    """Split events, in order, into maximal runs of the same type (handlers take a run at once)."""
    run: list[Event] = []
    for event in events:
        if run and type(run[-1]) is not type(event):
            yield run
            run = []
        run.append(event)
    if run:
        yield run


class AbstractUnitOfWork:
    """Collects events from the aggregates a command touched, appends them, and dispatches them.

    Handlers run inside the same transaction and may record further events; publishing goes on
    until nothing new was recorded, so a projection can never disagree with the log.
    """

    dispatch: Dispatch | None = None

    def __init__(self, *, actor: str, now: dt.datetime | None = None):
        self.actor = actor
        self.now = now or utcnow()
        self._loose: list[Event] = []
        self._tracked: dict[int, Aggregate] = {}
        self.published: list[Event] = []

    def track(self, aggregate: Aggregate) -> None:
        """Keep an aggregate that recorded events alive until they are published."""
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
        found = [e for obj in self._tracked.values() for e in obj.take_events()]
        self._tracked.clear()
        return found
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
        # Reads done before the command (in a view, say) end here, so that the command's
        # transaction starts afresh and, on SQLite, takes the write lock at BEGIN.
        if self.session.in_transaction():
            self.session.rollback()
        # Objects kept from earlier requests or commands (expire_on_commit is off) may be stale:
        # a command decides on what the database holds now.
        self.session.expire_all()
        self._stack.enter_context(immediate_transactions())
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
        self._tracked.clear()
        for obj in list(self.session.identity_map.values()) + list(self.session.new):
            if isinstance(obj, Aggregate):
                seen[id(obj)] = obj
        for obj in seen.values():
            found.extend(obj.take_events())
        return found

    def _append(self, events: list[Event]) -> None:
        recorded_at = utcnow()
        # In chunks: a launch appends 100,000 events, and their rows need not all exist at once.
        for start in range(0, len(events), APPEND_CHUNK):
            # The table, not the mapped class: Core's executemany skips the ORM's per-row bulk work.
            self.session.execute(
                insert(EventRecord.__table__),
                [
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
                ],
            )

    def _commit(self) -> None:
        self.session.commit()
        # What the command changed through Core statements or foreign keys alone (a new response
        # of an invitation, say) is not reflected in objects already loaded: reload on next access.
        self.session.expire_all()

    def rollback(self) -> None:
        # After a commit there is nothing to roll back; after an error this undoes everything.
        self.session.rollback()
