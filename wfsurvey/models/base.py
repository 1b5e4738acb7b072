"""What every aggregate shares: a list of events recorded but not yet published."""
from __future__ import annotations

from wfsurvey.domain.events import Event


class DomainError(Exception):
    """An illegal move on an aggregate (launching a closed round, answering after close, ...)."""

    code = "conflict"

    def __init__(self, message: str, *, code: str | None = None, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class Aggregate:
    """Mixin: aggregates record events; the unit of work collects and publishes them."""

    def record(self, event: Event) -> None:
        pending = self.__dict__.setdefault("_pending_events", [])
        pending.append(event)

    def take_events(self) -> list[Event]:
        return self.__dict__.pop("_pending_events", [])
