"""A round series with its periods: each period's end, window and round (once the scheduler made it)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wfsurvey.domain.series import CADENCE_WORDS, period_end, period_words, window
from wfsurvey.models import Round, RoundSeries
from wfsurvey.queries import NotFound, iso


def load_series(session: Session, series_id: int) -> RoundSeries:
    series = session.get(RoundSeries, series_id)
    if series is None:
        raise NotFound(f"no series {series_id}")
    return series


def periods(series: RoundSeries, rounds: dict[int, Round], now: dt.datetime, upcoming: int = 1) -> list[dict[str, Any]]:
    """Every period that has a round or has opened, and the next `upcoming` ones to open."""
    out = []
    k = 0
    to_come = 0
    while True:
        opens, closes = window(series.first_period_end, series.cadence, k, series.timezone, series.open_days_before,
                               series.close_days_after)
        end = period_end(series.first_period_end, series.cadence, k)
        round_ = rounds.get(k)
        out.append({"period": k, "period_end": end.isoformat(), "period_words": period_words(series.cadence, end),
                    "opens_at": iso(opens, series.timezone), "closes_at": iso(closes, series.timezone),
                    "round": None if round_ is None else {
                        "id": round_.id, "title": round_.title, "state": round_.state,
                        "opens_at": iso(round_.opens_at, round_.timezone),
                        "closes_at": iso(round_.closes_at, round_.timezone)}})
        if opens > now and k >= max(rounds, default=-1):
            to_come += 1
            if to_come >= upcoming:
                return out
        k += 1


def series_detail(session: Session, series_id: int, now: dt.datetime, upcoming: int = 1) -> dict[str, Any]:
    """The series with its periods: those opened or with a round, and the next `upcoming` to open."""
    series = load_series(session, series_id)
    rounds = {r.period: r for r in session.scalars(select(Round).where(Round.series_id == series.id))}
    return {"id": series.id, "title": series.title, "template": series.template_slug, "cadence": series.cadence,
            "cadence_words": CADENCE_WORDS.get(series.cadence, series.cadence),
            "first_period_end": series.first_period_end.isoformat(), "timezone": series.timezone,
            "open_days_before": series.open_days_before, "close_days_after": series.close_days_after,
            "audience": series.audience, "reminders": series.reminders, "rounds": periods(series, rounds, now, upcoming)}


def series_list(session: Session) -> list[RoundSeries]:
    return list(session.scalars(select(RoundSeries).order_by(RoundSeries.title, RoundSeries.id)))
