"""Pilot regions: staff propose a region from a baseline round with a reason, an admin confirms it (or selects it
confirmed at once); at most MAX_PILOT_REGIONS at a time; a confirmed one is dropped only by an admin."""
from __future__ import annotations

from sqlalchemy import func, select

from wfsurvey.domain import commands as cmd
from wfsurvey.domain import events as ev
from wfsurvey.domain.errors import DomainError
from wfsurvey.models import PilotRegion, Region, Round
from wfsurvey.services.unit_of_work import AbstractUnitOfWork

#: The longest reason kept.
MAX_REASON = 1000


def _region_code(uow: AbstractUnitOfWork, region: str) -> str:
    """The code of a region named by code or name (case-insensitive), or a refusal naming the field."""
    wanted = region.strip().lower()
    code = uow.session.scalar(select(Region.code).where(
        (func.lower(Region.code) == wanted) | (func.lower(Region.name) == wanted)).order_by(Region.id).limit(1))
    if not wanted or code is None:
        raise DomainError(f"no region '{region.strip()}'", code="invalid",
                          fields={"region": ["Choose a region from the list."]})
    return code


def _reason(text: str, *, required: bool) -> str:
    reason = text.strip()
    if required and not reason:
        raise DomainError("a reason is needed", code="invalid",
                          fields={"reason": ["Say why this region should be a pilot region."]})
    if len(reason) > MAX_REASON:
        raise DomainError("reason too long", code="invalid",
                          fields={"reason": [f"Keep the reason under {MAX_REASON:,} characters."]})
    return reason


def select_pilot_region(command: cmd.SelectPilotRegion, uow: AbstractUnitOfWork) -> PilotRegion:
    session = uow.session
    code = _region_code(uow, command.region)
    round_ = session.get(Round, command.round_id)
    if round_ is None or round_.state in ("draft", "cancelled"):
        raise DomainError(f"no round {command.round_id} with answers to choose from", code="invalid",
                          fields={"round": ["Choose a round that has been launched (its baseline is what the choice "
                                            "rests on)."]})
    existing = session.get(PilotRegion, code, with_for_update=True)
    if existing is not None:
        if existing.confirmed or not command.by_admin:
            state = "confirmed" if existing.confirmed else "proposed, waiting for an admin to confirm it"
            raise DomainError(f"{code} is a pilot region already ({state})", code="conflict",
                              fields={"region": [f"It is a pilot region already ({state})."]})
        existing.confirmed, existing.confirmed_at, existing.confirmed_by = True, uow.now, uow.actor
        existing.record(ev.PilotRegionConfirmed(region=code, round_id=existing.round_id))
        return existing
    reason = _reason(command.reason, required=True)
    # Counted under a lock on every pilot row, so that two selections at once cannot both pass the limit.
    taken = session.scalars(select(PilotRegion.region).with_for_update()).all()
    if len(taken) >= cmd.MAX_PILOT_REGIONS:
        raise DomainError(f"there are {len(taken)} pilot regions already", code="conflict",
                          fields={"region": [f"There are {cmd.MAX_PILOT_REGIONS} pilot regions already: drop one "
                                             "before choosing another."]})
    pilot = PilotRegion(region=code, round_id=round_.id, reason=reason, confirmed=command.by_admin,
                        selected_at=uow.now, selected_by=uow.actor,
                        confirmed_at=uow.now if command.by_admin else None,
                        confirmed_by=uow.actor if command.by_admin else None)
    session.add(pilot)
    pilot.record(ev.PilotRegionSelected(region=code, round_id=round_.id, reason=reason, confirmed=command.by_admin))
    return pilot


def drop_pilot_region(command: cmd.DropPilotRegion, uow: AbstractUnitOfWork) -> str:
    session = uow.session
    wanted = command.region.strip()
    pilot = session.get(PilotRegion, wanted, with_for_update=True)
    if pilot is None:
        raise DomainError(f"'{wanted}' is not a pilot region", code="not_found")
    if pilot.confirmed and not command.by_admin:
        raise DomainError("only an admin can drop a confirmed pilot region", code="forbidden")
    reason = _reason(command.reason, required=False)
    pilot.record(ev.PilotRegionDropped(region=pilot.region, round_id=pilot.round_id, reason=reason,
                                       was_confirmed=pilot.confirmed))
    session.delete(pilot)
    return pilot.region
