"""The message bus: a command goes to its one handler, events go to the projections and then the policies."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from wfsurvey.domain.events import Event
from wfsurvey.services.unit_of_work import AbstractUnitOfWork

CommandHandler = Callable[[Any, AbstractUnitOfWork], Any]
#: Takes a run of events of one type: projections and policies work in batches (a launch issues thousands).
EventHandler = Callable[[list[Event], AbstractUnitOfWork], None]


class MessageBus:
    def __init__(
        self,
        uow_factory: Callable[..., AbstractUnitOfWork],
        command_handlers: Mapping[type, CommandHandler],
        projections: Mapping[type[Event], Sequence[EventHandler]],
        event_handlers: Mapping[type[Event], Sequence[EventHandler]],
    ):
        self.uow_factory = uow_factory
        self.command_handlers = command_handlers
        self.projections = projections
        self.event_handlers = event_handlers

    def dispatch(self, events: list[Event], uow: AbstractUnitOfWork) -> None:
        """Projections first (read models follow the log), then policies (which may act on them)."""
        kind = type(events[0])
        for handler in self.projections.get(kind, ()):
            handler(events, uow)
        for handler in self.event_handlers.get(kind, ()):
            handler(events, uow)

    def handle(self, command: Any, *, actor: str, now: dt.datetime | None = None) -> Any:
        """Run one command in its own unit of work and commit; return what the handler returned."""
        handler = self.command_handlers[type(command)]
        uow = self.uow_factory(actor=actor, now=now)
        uow.dispatch = self.dispatch
        with uow:
            result = handler(command, uow)
            uow.commit()
        return result
