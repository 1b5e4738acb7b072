"""Running a command for a caller with its refusal kept as a value: the one way pages, the API and the command line
run commands, each through a thin adapter (wfsurvey.blueprints.outcomes, blueprints.api.core.run, cli.run_or_exit)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError

from wfsurvey import clock, services
from wfsurvey.domain.errors import DomainError
from wfsurvey.services.lost_connections import surviving_lost_connection

T = TypeVar("T")

#: SQLSTATEs of PostgreSQL's lock and serialization failures, worth one retry.
CONTENTION_SQLSTATES = {"40001", "40P01", "55P03"}


class Contention(DomainError):
    """Another request changed the same rows at the same moment, even after a retry."""

    code = "conflict"

    def __init__(self, message: str = "the same rows were being changed by another request at the same moment"):
        super().__init__(message)


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What running a command came to: the handler's return value, or the DomainError that refused it."""

    value: T | None = None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def attempt(action: Callable[[], T]) -> Outcome[T]:
    """Call `action`; a refusal (DomainError) comes back as the outcome's error instead of being raised."""
    try:
        return Outcome(value=action())
    except DomainError as exc:
        return Outcome(error=exc)


def is_contention(exc: Exception) -> bool:
    """Whether a database error is a clash with a concurrent transaction (a unique constraint, a lock, a deadlock)."""
    if isinstance(exc, IntegrityError):
        return True
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) in CONTENTION_SQLSTATES:
        return True
    return "locked" in str(orig).lower() or "deadlock" in str(orig).lower()


def run_command(command: Any, *, actor: str, now: dt.datetime | None = None,
                retry_on_contention: bool = False, survive_lost_connection: bool = False) -> Outcome[Any]:
    """Run one command as `actor` at `now` (default: the app's clock) and commit; a refusal is the outcome's error.

    With retry_on_contention, a clash with a concurrent request is run once more: the retry reads the
    rows afresh, so it usually ends in a clear refusal (the form is stale, the organization has
    answered) rather than a second copy; a clash that happens again is a Contention refusal.
    With survive_lost_connection (for what respondents do: wfsurvey.services.lost_connections), a
    connection that dies under the command is asked about on a new one: stored, the command is done
    (the outcome's value is None); not stored, it runs once more. Other errors (a database that is
    down, a bug) are raised as they are.
    """
    moment = now if now is not None else clock.now()

    def handled() -> Any:
        return services.handle(command, actor=actor, now=moment)

    def once() -> Any:
        if survive_lost_connection:
            return surviving_lost_connection(handled, command, moment, services.session())
        return handled()

    if not retry_on_contention:
        return attempt(once)
    try:
        return attempt(once)
    except (IntegrityError, OperationalError) as exc:
        # The unit of work rolled the transaction back; the retry starts a new one.
        if not is_contention(exc):
            raise
    try:
        return attempt(once)
    except (IntegrityError, OperationalError) as exc:
        if not is_contention(exc):
            raise
        contention = Contention()
        contention.__cause__ = exc
        return Outcome(error=contention)
