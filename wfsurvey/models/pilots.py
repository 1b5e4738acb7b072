"""Pilot regions: the 2–3 regions the program engages first, chosen from a baseline round by staff and confirmed by
an admin (PilotRegionSelected, PilotRegionConfirmed, PilotRegionDropped)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wfsurvey.database import Base
from wfsurvey.models.base import Aggregate


class PilotRegion(Aggregate, Base):
    __tablename__ = "pilot_regions"

    #: Region code; a region is a pilot region once at most.
    region: Mapped[str] = mapped_column(String(80), primary_key=True)
    #: The round whose baseline the choice rests on.
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    #: Why this region, in the proposer's words.
    reason: Mapped[str] = mapped_column(Text)
    #: False while proposed by staff; True once an admin confirmed (or selected) it.
    confirmed: Mapped[bool] = mapped_column(default=False)
    #: When and by whom it was selected (UTC; an actor string, "user:3").
    selected_at: Mapped[dt.datetime]
    selected_by: Mapped[str] = mapped_column(String(80))
    #: When and by which admin it was confirmed; None while proposed.
    confirmed_at: Mapped[dt.datetime | None]
    confirmed_by: Mapped[str | None] = mapped_column(String(80))

    def __repr__(self) -> str:
        return f"<PilotRegion {self.region} {'confirmed' if self.confirmed else 'proposed'}>"
