"""The designations table: each region's navigator counterpart in a round, as the last DesignationChanged says."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.orm import Session

from wfsurvey.domain import events as ev
from wfsurvey.models.projections import Designation
from wfsurvey.projections.context import ProjectionContext
from wfsurvey.projections.upsert import put_rows

TABLES = (Designation,)
#: What a DesignationChanged sets.
FIELDS = ("status", "final", "nominee", "nominations", "explanation", "overridden", "updated_at")


def on_changed(events: list[ev.DesignationChanged], uow: ProjectionContext) -> None:
    """Each region's row becomes what its last DesignationChanged says, written without reading it first."""
    latest = {(e.round_id, e.region): e for e in events}
    rows = [
        {"round_id": e.round_id, "region": e.region, "status": e.status, "final": e.final, "nominee": e.nominee,
         "nominations": e.nominations, "explanation": e.explanation, "overridden": e.overridden,
         "updated_at": dt.datetime.fromisoformat(e.decided_at)}
        for _, e in sorted(latest.items())
    ]
    put_rows(uow.session, Designation.__table__, ("round_id", "region"), FIELDS, rows)


def clear(session: Session) -> None:
    for table in TABLES:
        session.execute(delete(table))
