"""The designations table: each region's navigator counterpart in a round, as the last DesignationChanged says."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from wfsurvey.domain import events as ev
from wfsurvey.models.projections import Designation

TABLES = (Designation,)


def on_changed(events: list[ev.DesignationChanged], uow) -> None:
    session = uow.session
    keys = sorted({(e.round_id, e.region) for e in events})
    rows = {
        (d.round_id, d.region): d
        for d in session.scalars(select(Designation).where(tuple_(Designation.round_id, Designation.region).in_(keys)))
    }
    for e in events:
        row = rows.get((e.round_id, e.region))
        if row is None:
            row = rows[(e.round_id, e.region)] = Designation(round_id=e.round_id, region=e.region)
            session.add(row)
        row.status = e.status
        row.final = e.final
        row.nominee = e.nominee
        row.nominations = e.nominations
        row.explanation = e.explanation
        row.overridden = e.overridden
        row.updated_at = dt.datetime.fromisoformat(e.decided_at)
    session.flush()


def clear(session: Session) -> None:
    for table in TABLES:
        session.execute(delete(table))
