"""Commands whose connection died under them. A commit whose connection is killed may have been made or not: the
database is asked on a new connection, so that what was stored is never reported as lost, and a command that
was not stored runs once more.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from wfsurvey.database import connection_lost
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.errors import DomainError
from wfsurvey.models import Invitation, Response

T = TypeVar("T")
log = logging.getLogger(__name__)


def stored(session: Session, command: Any, moment: dt.datetime) -> bool:
    """Whether `command`, run at logical time `moment`, is in the database (False when that cannot be told).

    Told for what respondents do: save or submit answers, opt out, forward.
    """
    if isinstance(command, cmd.SaveAnswers):
        if command.revision is None:
            return False
        row = session.execute(
            select(Response.revision, Response.status, Response.updated_at)
            .where(Response.invitation_id == command.invitation_id)
        ).first()
        # Each save adds one to the revision and stamps its own time: this save, not another tab's.
        return (row is not None and row.revision == command.revision + 1 and row.updated_at == moment
                and (row.status == "submitted" or not command.submit))
    if isinstance(command, (cmd.OptOut, cmd.ForwardInvitation)):
        wanted = "opted_out" if isinstance(command, cmd.OptOut) else "forwarded"
        return session.scalar(select(Invitation.status).where(Invitation.id == command.invitation_id)) == wanted
    return False


def surviving_lost_connection(once: Callable[[], T], command: Any, moment: dt.datetime,
                              session: Session) -> T | None:
    """Run `once` (the command at `moment`); if its connection dies, None when it was stored all the same, else
    run it once more. After a loss, a refusal (a stale form) may be the echo of the first try: stored, it is done.

    Anything else, and a second loss, is raised as it is (a 503 for the caller).
    """
    lost = False
    for attempt in (1, 2):
        try:
            return once()
        except DomainError:
            if lost and _stored_after_loss(session, command, moment):
                return None
            raise
        except (OperationalError, InterfaceError, PoolTimeout) as exc:
            if not connection_lost(exc):
                raise
            session.rollback()
            if _stored_after_loss(session, command, moment):
                return None
            if attempt == 2:
                raise
            lost = True
    raise AssertionError("unreachable")


def _stored_after_loss(session: Session, command: Any, moment: dt.datetime) -> bool:
    if stored(session, command, moment):
        log.info("%s of invitation %s was stored although its connection was lost", type(command).__name__,
                 getattr(command, "invitation_id", "?"))
        return True
    return False
