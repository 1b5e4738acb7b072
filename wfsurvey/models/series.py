"""Round series: a template asked of an audience every period; the scheduler creates and launches each period's round
(rounds.series_id and rounds.period, unique together, so a period has one round whoever runs the job)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from wfsurvey.database import Base
from wfsurvey.domain.series import CADENCE_WORDS
from wfsurvey.models.base import Aggregate


class RoundSeries(Aggregate, Base):
    __tablename__ = "round_series"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The template's slug: each period's round asks its latest version when the round is made.
    template_slug: Mapped[str] = mapped_column(String(80))
    #: Title of the series; each round's title adds its period ("…: quarter ending June 30, 2027").
    title: Mapped[str] = mapped_column(String(300))
    #: "P3M" (every quarter) or "P1M" (every month).
    cadence: Mapped[str] = mapped_column(String(8))
    #: The day the first period ends; period k ends k cadences later.
    first_period_end: Mapped[dt.date] = mapped_column(Date)
    #: IANA zone of the windows (09:00 and 17:00 are local times).
    timezone: Mapped[str] = mapped_column(String(64))
    #: Each round opens this many days before its period's end, at 09:00.
    open_days_before: Mapped[int]
    #: Each round closes this many days after its period's end, at 17:00.
    close_days_after: Mapped[int]
    #: As a round's audience, plus "pilot_regions": true for the confirmed pilot regions at each period's start.
    audience: Mapped[dict[str, Any]]
    #: As a round's reminders.
    reminders: Mapped[dict[str, Any]]
    #: When and by whom it was created.
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(80))

    @property
    def cadence_words(self) -> str:
        return CADENCE_WORDS.get(self.cadence, self.cadence)

    def __repr__(self) -> str:
        return f"<RoundSeries {self.id} {self.title!r} {self.cadence}>"
