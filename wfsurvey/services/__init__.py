"""The service layer: command handlers, the unit of work, and the bus that joins them."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wfsurvey.domain import commands as cmd
from wfsurvey.services.messagebus import MessageBus
from wfsurvey.services.unit_of_work import SqlAlchemyUnitOfWork

#: Commands that create stakeholders by name, run once more when they lose a race (see `handle`).
RETRIED_ON_CONFLICT = (cmd.ImportContacts, cmd.ImportRegions, cmd.CreateOrganization, cmd.CreateContact,
                       cmd.CreateRegion)


def _no_session() -> Session:
    raise RuntimeError("no database session: create the app (create_app binds services to its session)")


#: Gives the session commands run on; create_app binds the app's (see bind_session).
_session_source: Callable[[], Session] = _no_session


def bind_session(source: Callable[[], Session]) -> None:
    """Where commands find their session (create_app binds "the session of the app in context")."""
    global _session_source
    _session_source = source


def session() -> Session:
    """The session commands run on (the app's, once create_app has bound it)."""
    return _session_source()


def bus() -> MessageBus:
    """The bus of the current app: commands run in a unit of work on the app's session."""
    from wfsurvey.projections import PROJECTIONS
    from wfsurvey.services.handlers import COMMAND_HANDLERS, EVENT_HANDLERS

    return MessageBus(
        uow_factory=lambda **kw: SqlAlchemyUnitOfWork(session(), **kw),
        command_handlers=COMMAND_HANDLERS,
        projections=PROJECTIONS,
        event_handlers=EVENT_HANDLERS,
    )


def handle(command: Any, *, actor: str, now: dt.datetime | None = None) -> Any:
    """Run one command for `actor` at logical time `now` (default: the clock) and commit.

    A command that creates stakeholders by name can lose a race: two imports naming the same new
    organization both see it missing, and the second insert breaks a unique constraint (on PostgreSQL;
    SQLite serializes writers). Such a command runs once more, in a new transaction that sees the
    winner's rows: the import then updates that organization, and a single create says it exists.
    """
    retries = 1 if isinstance(command, RETRIED_ON_CONFLICT) else 0
    while True:
        try:
            return bus().handle(command, actor=actor, now=now)
        except IntegrityError:
            if retries == 0:
                raise
            retries -= 1
