"""Window job: open scheduled rounds whose window has started, close rounds whose window has ended."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select

from wfsurvey.domain import commands as cmd
from wfsurvey.domain.errors import DomainError
from wfsurvey.extensions import db
from wfsurvey.jobs.runs import JobFailed
from wfsurvey.models import Round
from wfsurvey.services import handle

log = logging.getLogger(__name__)
ACTOR = "system:windows"


def run(now: dt.datetime, counts: dict[str, Any]) -> None:
    """Every due move, including ones missed while no scheduler ran: a round whose whole window passed just closes."""
    session = db.session
    to_open = session.scalars(
        select(Round.id).where(Round.state == "scheduled", Round.opens_at <= now, Round.closes_at > now).order_by(Round.id)
    ).all()
    to_close = session.scalars(
        select(Round.id).where(Round.state.in_(["scheduled", "open"]), Round.closes_at <= now).order_by(Round.id)
    ).all()
    session.rollback()
    counts.update(opened=0, closed=0, skipped=0)
    failures: list[str] = []
    for command, counter in [(cmd.OpenRound(i), "opened") for i in to_open] + [(cmd.CloseRound(i), "closed") for i in to_close]:
        try:
            handle(command, actor=ACTOR, now=now)
        except DomainError as exc:
            # Someone moved the round between the query and the command (closed it early, say).
            log.info("%s skipped: %s", command, exc)
            counts["skipped"] += 1
        except Exception as exc:  # noqa: BLE001  (one broken round must not hold up the others)
            log.exception("%s failed", command)
            failures.append(f"round {command.round_id}: {type(exc).__name__}: {exc}")
        else:
            counts[counter] += 1
    if failures:
        raise JobFailed("; ".join(failures))
