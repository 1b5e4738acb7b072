"""Whether this process may still act as the scheduler. The scheduler process says how to tell, around each run of
the jobs; the delivery job asks between two batches, so that a scheduler that lost its lock (a stolen lease, a
killed lock connection) stops claiming mail before its next batch. A run of `wfsurvey jobs run` holds no lock,
and may always go on.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

_check: ContextVar[Callable[[], bool] | None] = ContextVar("wfsurvey_scheduler_leadership", default=None)


@contextlib.contextmanager
def held_while(check: Callable[[], bool]) -> Iterator[None]:
    """Jobs run inside are this scheduler's while `check()` says it still holds its lock."""
    token = _check.set(check)
    try:
        yield
    finally:
        _check.reset(token)


def still_held() -> bool:
    """True unless the scheduler running the jobs has lost its lock (or cannot tell: then it stops too)."""
    check = _check.get()
    if check is None:
        return True
    try:
        held = check()
    except SQLAlchemyError:
        log.warning("cannot tell whether this scheduler still holds its lock; stopping as if it did not", exc_info=True)
        return False
    if not held:
        log.warning("this scheduler no longer holds its lock: it stops claiming work")
    return held
