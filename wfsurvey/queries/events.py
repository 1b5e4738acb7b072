"""The event log as a feed: events after a sequence number, oldest first, for scripts that follow the log."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wfsurvey.models import EventRecord
from wfsurvey.queries import iso

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def event_dict(record: EventRecord) -> dict[str, Any]:
    return {
        "seq": record.seq, "type": record.type, "aggregate_type": record.aggregate_type,
        "aggregate_id": record.aggregate_id, "actor": record.actor, "occurred_at": iso(record.occurred_at),
        "recorded_at": iso(record.recorded_at), "schema_version": record.schema_version, "payload": record.payload,
    }


def events_after(session: Session, after: int = 0, limit: int = DEFAULT_LIMIT, *, type_: str | None = None,
                 aggregate_type: str | None = None, aggregate_id: str | None = None) -> dict[str, Any]:
    """{"events": [...], "next_after": seq}: pass next_after back as `after` to read on; it stays put at the end."""
    limit = min(max(1, limit), MAX_LIMIT)
    query = select(EventRecord).where(EventRecord.seq > after)
    if type_:
        query = query.where(EventRecord.type == type_)
    if aggregate_type:
        query = query.where(EventRecord.aggregate_type == aggregate_type)
    if aggregate_id:
        query = query.where(EventRecord.aggregate_id == aggregate_id)
    records = session.scalars(query.order_by(EventRecord.seq).limit(limit)).all()
    return {"events": [event_dict(r) for r in records], "next_after": records[-1].seq if records else after}
