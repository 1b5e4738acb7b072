"""Series job: create and launch the round of every series period whose window is open and has no round yet.

Safe to run twice and from two schedulers at once: a period's round is unique (rounds.series_id, period), so the
second attempt at one fails on the constraint, changes nothing, and is counted as done already."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wfsurvey.domain import commands as cmd
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.series import periods_open_at
from wfsurvey.extensions import db
from wfsurvey.jobs.runs import JobFailed
from wfsurvey.models import Round, RoundSeries
from wfsurvey.services import handle

log = logging.getLogger(__name__)
ACTOR = "system:series"


def due(now: dt.datetime) -> list[tuple[int, int]]:
    """(series id, period) of every open period without a round, in order."""
    session = db.session
    found = []
    for series in session.scalars(select(RoundSeries).order_by(RoundSeries.id)):
        periods = list(periods_open_at(now, series.first_period_end, series.cadence, series.timezone,
                                       series.open_days_before, series.close_days_after))
        if not periods:
            continue
        made = set(session.scalars(select(Round.period).where(Round.series_id == series.id,
                                                              Round.period.in_(periods))))
        found += [(series.id, k) for k in periods if k not in made]
    session.rollback()
    return found


def run(now: dt.datetime, counts: dict[str, Any]) -> None:
    counts.update(started=0, already=0, skipped=0)
    failures: list[str] = []
    for series_id, period in due(now):
        try:
            handle(cmd.StartSeriesPeriod(series_id=series_id, period=period), actor=ACTOR, now=now)
        except IntegrityError:
            # Another scheduler made this period's round first: the constraint kept it to one.
            db.session.rollback()
            counts["already"] += 1
        except DomainError as exc:
            log.warning("series %s period %s not started: %s", series_id, period, exc)
            failures.append(f"series {series_id}, period {period}: {exc}")
            counts["skipped"] += 1
        except Exception as exc:  # noqa: BLE001  (one broken series must not hold up the others)
            log.exception("series %s period %s failed", series_id, period)
            failures.append(f"series {series_id}, period {period}: {type(exc).__name__}: {exc}")
        else:
            counts["started"] += 1
    if failures:
        raise JobFailed("; ".join(failures))
