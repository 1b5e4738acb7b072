"""Reminder job: for every open round, queue the reminder slot due now, one chunk of invitations per transaction; then
the same for every scheduled convening (one transaction each)."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select

from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.jobs.runs import JobFailed
from wfsurvey.models import Convening, Round
from wfsurvey.services import handle

log = logging.getLogger(__name__)
ACTOR = "system:reminders"
#: Invitations per QueueDueReminders command: short transactions, so respondents' writes never wait long.
CHUNK = 5000


def run(now: dt.datetime, counts: dict[str, Any]) -> None:
    session = db.session
    round_ids = session.scalars(select(Round.id).where(Round.state == "open").order_by(Round.id)).all()
    session.rollback()
    counts.update(rounds=len(round_ids), queued=0, covered=0, not_theirs=0, waiting_gap=0, outside_hours=0)
    failures: list[str] = []
    for round_id in round_ids:
        after = 0
        try:
            while True:
                sweep = handle(cmd.QueueDueReminders(round_id, after_invitation_id=after, limit=CHUNK), actor=ACTOR, now=now)
                for name, value in sweep.counts().items():
                    counts[name] += value
                if sweep.note == "outside sending hours":
                    counts["outside_hours"] += 1
                if not sweep.more:
                    break
                after = sweep.last_invitation_id
        except Exception as exc:
            log.exception("reminders of round %s failed after invitation %s", round_id, after)
            failures.append(f"round {round_id}: {type(exc).__name__}: {exc}")
    _convenings(now, counts, failures)
    if failures:
        raise JobFailed("; ".join(failures))


def _convenings(now: dt.datetime, counts: dict[str, Any], failures: list[str]) -> None:
    session = db.session
    convening_ids = session.scalars(
        select(Convening.id).where(Convening.state == "scheduled", Convening.starts_at > now).order_by(Convening.id)
    ).all()
    session.rollback()
    counts.update(convenings=len(convening_ids), convening_queued=0)
    for convening_id in convening_ids:
        try:
            sweep = handle(cmd.QueueConveningReminders(convening_id), actor=ACTOR, now=now)
        except Exception as exc:
            log.exception("reminders of convening %s failed", convening_id)
            failures.append(f"convening {convening_id}: {type(exc).__name__}: {exc}")
        else:
            counts["convening_queued"] += sweep.queued
