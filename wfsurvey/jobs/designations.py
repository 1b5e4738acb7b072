"""Designation job: recompute the navigator-counterpart designations of every open round (a no-op when nothing changed)."""
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
ACTOR = "system:designations"


def run(now: dt.datetime, counts: dict[str, Any]) -> None:
    from wfsurvey.services.handlers import COMMAND_HANDLERS

    command = getattr(cmd, "RecomputeDesignations", None)
    if command is None or command not in COMMAND_HANDLERS:
        counts["skipped"] = "no RecomputeDesignations command"
        return
    session = db.session
    round_ids = session.scalars(select(Round.id).where(Round.state == "open").order_by(Round.id)).all()
    session.rollback()
    counts.update(rounds=len(round_ids), changed=0)
    failures: list[str] = []
    for round_id in round_ids:
        try:
            changed = handle(command(round_id=round_id), actor=ACTOR, now=now)
        except Exception as exc:  # noqa: BLE001  (the other rounds still get theirs)
            log.exception("designations of round %s failed", round_id)
            failures.append(f"round {round_id}: {type(exc).__name__}: {exc}")
        else:
            counts["changed"] += changed if isinstance(changed, int) else 0
    if failures:
        raise JobFailed("; ".join(failures))
