"""Round series: create one, and start a period (create and launch its round, once: rounds.series_id and period are
unique together, so a second scheduler's attempt fails on the constraint and changes nothing)."""
from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from wfsurvey.domain import commands as cmd
from wfsurvey.domain import events as ev
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.reminders import ReminderPolicy
from wfsurvey.domain.series import CADENCE_MONTHS, CADENCE_REFUSED, period_end, period_words, window
from wfsurvey.models import PilotRegion, Round, RoundSeries
from wfsurvey.queries import audience as audience_queries
from wfsurvey.queries.templates import find_template
from wfsurvey.services import rounds
from wfsurvey.services.unit_of_work import AbstractUnitOfWork

#: Regions named beside pilot_regions (the page says it in its own words, beside its "Regions" field).
REGIONS_WITH_PILOTS = ("A series that invites the confirmed pilot regions names no regions: leave the regions out, or "
                       "invite chosen regions instead.")


def create_series(command: cmd.CreateSeries, uow: AbstractUnitOfWork) -> RoundSeries:
    session = uow.session
    if command.cadence not in CADENCE_MONTHS:
        raise DomainError("unknown cadence", code="invalid", fields={"cadence": [CADENCE_REFUSED]})
    if find_template(session, command.template_slug, None) is None:
        raise DomainError(f"no template '{command.template_slug}'", code="invalid", fields={"template": ["unknown template"]})
    stored = command.audience.to_stored()
    if command.pilot_regions:
        if command.audience.regions:  # refused, not dropped: the caller meant one set of regions or the other
            raise DomainError("a series over the pilot regions names no regions", code="invalid",
                              fields={"audience.regions": [REGIONS_WITH_PILOTS]})
        stored["regions"] = []
    else:
        # Names resolved to codes now, as a round does, so that the stored audience is unambiguous.
        stored["regions"] = audience_queries.region_codes(session, command.audience.regions)
    stored["pilot_regions"] = command.pilot_regions
    series = RoundSeries(template_slug=command.template_slug, title=command.title, cadence=command.cadence,
                         first_period_end=command.first_period_end, timezone=command.timezone,
                         open_days_before=command.open_days_before, close_days_after=command.close_days_after,
                         audience=stored, reminders=command.reminders.to_stored(), created_at=uow.now,
                         created_by=uow.actor)
    session.add(series)
    session.flush()
    series.record(ev.SeriesCreated(series_id=series.id, title=series.title, template_slug=series.template_slug,
                                   cadence=series.cadence, first_period_end=series.first_period_end.isoformat(),
                                   timezone=series.timezone))
    return series


def period_round(session, series_id: int, period: int) -> Round | None:
    return session.scalars(select(Round).where(Round.series_id == series_id, Round.period == period)).first()


def start_series_period(command: cmd.StartSeriesPeriod, uow: AbstractUnitOfWork) -> Round:
    session = uow.session
    series = session.get(RoundSeries, command.series_id)
    if series is None:
        raise rounds.NotFound(f"no series {command.series_id}")
    existing = period_round(session, series.id, command.period)
    if existing is not None:
        return existing
    opens_at, closes_at = window(series.first_period_end, series.cadence, command.period, series.timezone,
                                 series.open_days_before, series.close_days_after)
    if closes_at <= uow.now:
        raise DomainError(f"period {command.period} of series {series.id} has closed already")
    audience = cmd.Audience.from_stored(series.audience)
    if series.audience.get("pilot_regions"):
        pilots = session.scalars(select(PilotRegion.region).where(PilotRegion.confirmed.is_(True))
                                 .order_by(PilotRegion.region)).all()
        if not pilots:
            raise DomainError(f"series {series.id} invites the pilot regions, and no pilot region is confirmed yet")
        audience = replace(audience, regions=tuple(pilots))
    end = period_end(series.first_period_end, series.cadence, command.period)
    round_ = rounds.create_round(cmd.CreateRound(
        template_slug=series.template_slug, title=f"{series.title}: {period_words(series.cadence, end)}",
        opens_at=opens_at, closes_at=closes_at, timezone=series.timezone, audience=audience,
        reminders=ReminderPolicy.from_stored(series.reminders), series_id=series.id, period=command.period,
    ), uow)
    rounds.launch_round(cmd.LaunchRound(round_.id), uow)
    uow.record(ev.SeriesPeriodStarted(series_id=series.id, period=command.period, round_id=round_.id,
                                      period_end=end.isoformat()))
    return round_
