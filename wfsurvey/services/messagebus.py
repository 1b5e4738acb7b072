"""The message bus: a command goes to its one handler, events go to the projections and then the policies."""
from __future__ import annotations

import contextlib
import datetime as dt
import gc
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from wfsurvey.domain.events import Event
from wfsurvey.services.unit_of_work import AbstractUnitOfWork

CommandHandler = Callable[[Any, AbstractUnitOfWork], Any]
#: Takes a run of events of one type: projections and policies work in batches (a launch issues thousands).
EventHandler = Callable[[list[Event], AbstractUnitOfWork], None]


_pauses = threading.Lock()
#: Commands running with the collector paused, and whether it was enabled before the first of them.
_paused = {"count": 0, "was_enabled": False}


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a command runs (nested and concurrent commands too).

    A launch holds 100,000 events, invitation rows and messages at once, and each full collection
    walks every one of them: a dozen of those cost a fifth of the launch. Reference counting frees
    a command's objects as usual; the rare cycles wait for the next collection after it.
    """
    with _pauses:
        if _paused["count"] == 0:
            _paused["was_enabled"] = gc.isenabled()
            gc.disable()
        _paused["count"] += 1
    try:
        yield
    finally:
        with _pauses:
            _paused["count"] -= 1
            if _paused["count"] == 0 and _paused["was_enabled"]:
                gc.enable()


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
        with collector_paused(), uow:
            result = handler(command, uow)
            uow.commit()
        return result
