"""The append-only log of domain events, in one global sequence."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from wfsurvey.database import Base


class EventRecord(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_aggregate", "aggregate_type", "aggregate_id"),
        Index("ix_events_type", "type"),
    )

    #: Global order of the log; never reused.
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    #: Event class name, e.g. "RoundLaunched".
    type: Mapped[str] = mapped_column(String(60))
    #: Kind of aggregate the event is about ("round", "invitation", ...).
    aggregate_type: Mapped[str] = mapped_column(String(30))
    #: Id of that aggregate, as text.
    aggregate_id: Mapped[str] = mapped_column(String(80))
    #: Who caused it: "user:<id>", "token:<invitation id>", "system:<job>", "cli", "api:<token id>".
    actor: Mapped[str] = mapped_column(String(80), index=True)
    #: Logical time of the command (jobs run with --now record that time), UTC.
    occurred_at: Mapped[dt.datetime] = mapped_column(index=True)
    #: Wall-clock time the event was written, UTC.
    recorded_at: Mapped[dt.datetime]
    #: Version of the payload's shape for this type.
    schema_version: Mapped[int]
    #: The event's fields.
    payload: Mapped[dict[str, Any]]

    def __repr__(self) -> str:
        return f"<EventRecord {self.seq} {self.type} {self.aggregate_type}:{self.aggregate_id}>"


#: The event-log page filters a round's events by the round_id in their payload (invitations, responses,
#: mail and designations name their round there): an index on that expression keeps it a lookup however
#: long the log. The expression must match the query's (`payload["round_id"].as_integer()`) to be used.
Index("ix_events_payload_round", EventRecord.payload["round_id"].as_integer())
