"""The pilot regions as staff, the API and the baseline page read them: each with its name, the round it was chosen
from, the reason, whether an admin confirmed it, and who did what (in words); three statements."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wfsurvey.domain.commands import MAX_PILOT_REGIONS
from wfsurvey.models import PilotRegion, Round
from wfsurvey.queries import iso
from wfsurvey.queries.actors import describe_actors
from wfsurvey.queries.status import region_names

#: The program engages this many pilot regions at least (the page says when fewer are chosen).
MIN_PILOT_REGIONS = 2


def pilot_regions(session: Session) -> list[dict[str, Any]]:
    """Every pilot region, by name: {region, name, round: {id, title}, reason, status: proposed|confirmed,
    selected_at, selected_by, confirmed_at, confirmed_by}."""
    rows = session.execute(select(PilotRegion, Round.title, Round.timezone)
                           .join(Round, Round.id == PilotRegion.round_id)).all()
    names = region_names(session, [p.region for p, _, _ in rows])
    actors = describe_actors(session, [a for p, _, _ in rows for a in (p.selected_by, p.confirmed_by) if a])
    out = [{
        "region": p.region, "name": names.get(p.region, p.region),
        "round": {"id": p.round_id, "title": title}, "reason": p.reason,
        "status": "confirmed" if p.confirmed else "proposed",
        "selected_at": iso(p.selected_at, zone), "selected_by": actors.get(p.selected_by, p.selected_by),
        "confirmed_at": iso(p.confirmed_at, zone),
        "confirmed_by": actors.get(p.confirmed_by, p.confirmed_by) if p.confirmed_by else None,
    } for p, title, zone in rows]
    return sorted(out, key=lambda p: (p["name"].casefold(), p["region"]))


def pilot_summary(pilots: list[dict[str, Any]]) -> dict[str, Any]:
    """What the pages say about the selection as a whole: how many, how many confirmed, and room for more."""
    confirmed = sum(1 for p in pilots if p["status"] == "confirmed")
    return {"count": len(pilots), "confirmed": confirmed, "proposed": len(pilots) - confirmed,
            "minimum": MIN_PILOT_REGIONS, "maximum": MAX_PILOT_REGIONS, "room": MAX_PILOT_REGIONS - len(pilots)}
