"""The designations table: each region's navigator counterpart in a round, as the last DesignationChanged says; and the
region membership of a round's local boards (proj_board_regions), which the designation policy reads to find the boards
of a region."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.orm import Session

from wfsurvey.bulk import insert_rows
from wfsurvey.domain import events as ev
from wfsurvey.domain.designation import NOMINATING_ORG_TYPE
from wfsurvey.models.projections import BoardRegion, Designation
from wfsurvey.projections.context import ProjectionContext
from wfsurvey.projections.upsert import put_rows

TABLES = (Designation, BoardRegion)
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


def on_invitations_issued(events: list[ev.InvitationIssued], uow: ProjectionContext) -> None:
    """A local board's invitation is a member of each region it was issued in (other organizations nominate no one)."""
    rows = [{"round_id": e.round_id, "region": code, "invitation_id": e.invitation_id, "organization_id": e.organization_id}
            for e in events if e.org_type == NOMINATING_ORG_TYPE for code in dict.fromkeys(e.regions)]
    for start in range(0, len(rows), 5000):
        insert_rows(uow.session, BoardRegion.__table__, rows[start:start + 5000])


def clear(session: Session) -> None:
    for table in TABLES:
        session.execute(delete(table))
