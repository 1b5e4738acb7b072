"""Read models: the registry of which projection handles which event, and rebuilding them all from the log."""
from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from wfsurvey.domain import events as ev
from wfsurvey.domain.events import runs_of_one_type
from wfsurvey.models.eventlog import EventRecord
from wfsurvey.projections import baseline, completion, designations, organizations

#: Every read model's event handlers, in one place. Projections only read the event and their
#: own tables (and immutable template versions), so replaying the log gives the same result.
PROJECTIONS: dict[type[ev.Event], list] = {
    ev.InvitationIssued: [completion.on_invitations_issued, organizations.on_invitations_issued,
                         designations.on_invitations_issued],
    ev.EmailDelivered: [completion.on_email_delivered],
    ev.EmailBounced: [completion.on_email_bounced],
    ev.ResponseDraftSaved: [completion.on_draft_saved],
    ev.ResponseSubmitted: [completion.on_submitted, organizations.on_submitted, baseline.on_answers],
    ev.ResponseAmended: [baseline.on_answers],
    ev.ContactOptedOut: [completion.on_opted_out],
    ev.InvitationForwarded: [completion.on_forwarded],
    ev.DesignationChanged: [designations.on_changed],
}

MODULES = (completion, organizations, baseline, designations)
TABLES = tuple(table for module in MODULES for table in module.TABLES)


class _Replay:
    """What a projection handler needs of a unit of work during a rebuild: the session."""

    def __init__(self, session: Session):
        self.session = session


def replay_events(session: Session, batch: int = 5000) -> Iterator[ev.Event]:
    last = 0
    while True:
        rows = session.execute(
            select(EventRecord.seq, EventRecord.type, EventRecord.payload)
            .where(EventRecord.seq > last, EventRecord.type.in_([t.__name__ for t in PROJECTIONS]))
            .order_by(EventRecord.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        for seq, type_name, payload in rows:
            yield ev.from_record(type_name, payload)
        last = rows[-1].seq


def rebuild(session: Session) -> int:
    """Empty every projection and replay the whole log into it, in one transaction. Returns events replayed."""
    for module in MODULES:
        module.clear(session)
    session.flush()
    replay = _Replay(session)
    count = 0
    pending: list[ev.Event] = []

    def flush_pending() -> None:
        for run in runs_of_one_type(pending):
            for handler in PROJECTIONS[type(run[0])]:
                handler(run, replay)
        pending.clear()

    for event in replay_events(session):
        pending.append(event)
        count += 1
        if len(pending) >= 5000:
            flush_pending()
    flush_pending()
    session.commit()
    return count
