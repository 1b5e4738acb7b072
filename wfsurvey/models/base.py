"""What every aggregate shares: a list of events recorded but not yet published."""
from __future__ import annotations

import contextvars

from wfsurvey.domain.events import Event

#: The unit of work running in this context; aggregates that record events register with it so
#: that they stay alive until it publishes (the session's identity map only holds weak references).
current_unit_of_work: contextvars.ContextVar = contextvars.ContextVar("wfsurvey_current_uow", default=None)


class Aggregate:
    """Mixin: aggregates record events; the unit of work collects and publishes them."""

    def record(self, event: Event) -> None:
        pending = self.__dict__.setdefault("_pending_events", [])
        pending.append(event)
        uow = current_unit_of_work.get()
        if uow is not None:
            uow.track(self)

    def take_events(self) -> list[Event]:
        return self.__dict__.pop("_pending_events", [])
