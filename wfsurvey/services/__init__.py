"""The service layer: command handlers, the unit of work, and the bus that joins them."""
from __future__ import annotations

import datetime as dt
from typing import Any

from wfsurvey.services.messagebus import MessageBus
from wfsurvey.services.unit_of_work import SqlAlchemyUnitOfWork


def bus() -> MessageBus:
    """The bus of the current app: commands run in a unit of work on the app's session."""
    from wfsurvey.extensions import db
    from wfsurvey.projections import PROJECTIONS
    from wfsurvey.services.handlers import COMMAND_HANDLERS, EVENT_HANDLERS

    return MessageBus(
        uow_factory=lambda **kw: SqlAlchemyUnitOfWork(db.session, **kw),
        command_handlers=COMMAND_HANDLERS,
        projections=PROJECTIONS,
        event_handlers=EVENT_HANDLERS,
    )


def handle(command: Any, *, actor: str, now: dt.datetime | None = None) -> Any:
    """Run one command for `actor` at logical time `now` (default: the clock) and commit."""
    return bus().handle(command, actor=actor, now=now)
