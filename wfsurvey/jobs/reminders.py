"""Reminder job: for every open round, queue the reminder slot due now, one chunk of invitations per transaction."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select

from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.jobs.runs import JobFailed
from wfsurvey.models import Round
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
        except Exception as exc:  # noqa: BLE001  (the other rounds still get their reminders)
            log.exception("reminders of round %s failed after invitation %s", round_id, after)
            failures.append(f"round {round_id}: {type(exc).__name__}: {exc}")
    if failures:
        raise JobFailed("; ".join(failures))
