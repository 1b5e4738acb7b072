"""Whether a respondent's command was stored although the connection died before its answer came back.

A commit whose connection is killed may have been made or not. The view asks the database on a new
connection, so that answers that were stored are never reported to the respondent as lost.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select

from wfsurvey.domain import commands as cmd
from wfsurvey.models import Invitation, Response

log = logging.getLogger(__name__)


def landed(session, command: Any, moment: dt.datetime) -> bool:
    """Whether `command`, run at logical time `moment`, is in the database (False when that cannot be told)."""
    stored = _stored(session, command, moment)
    if stored:
        log.info("%s of invitation %s was stored although its connection was lost", type(command).__name__,
                 command.invitation_id)
    return stored


def _stored(session, command: Any, moment: dt.datetime) -> bool:
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
