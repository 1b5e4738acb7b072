"""API routes for the pilot regions: list, propose or select (an admin's selection is confirmed; an admin posting a
proposed region confirms it), drop."""
from __future__ import annotations

from wfsurvey.blueprints.api.core import current_user, dump, endpoint, load_body, load_query, run
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.queries import NotFound
from wfsurvey.queries.pilots import pilot_regions
from wfsurvey.schemas.pilots import DropPilotQuerySchema, PilotBodySchema, PilotSchema

JSON = "application/json"
TAG = "pilots"


def _entry(region: str) -> dict:
    found = next((p for p in pilot_regions(db.session) if p["region"] == region), None)
    if found is None:
        raise NotFound(f"'{region}' is not a pilot region")
    return found


@endpoint("/pilots", summary="The pilot regions", tag=TAG,
          responses={200: ("Every pilot region, proposed or confirmed, by name", JSON, PilotSchema(many=True))})
def list_pilots():
    return dump(PilotSchema(many=True), pilot_regions(db.session))


@endpoint("/pilots", "POST", summary="Propose, select or confirm a pilot region", tag=TAG, body=PilotBodySchema,
          responses={201: ("The pilot region: proposed when staff post it, confirmed when an admin does", JSON,
                           PilotSchema)},
          description="At most 3 pilot regions at a time (409 for a fourth). Staff propose; an admin's selection is "
                      "confirmed at once, and an admin posting a region staff proposed confirms it.")
def select_pilot():
    data = load_body(PilotBodySchema)
    pilot = run(cmd.SelectPilotRegion(region=data["region"], round_id=data["round"], reason=data["reason"],
                                      by_admin=current_user().role == "admin"))
    return dump(PilotSchema, _entry(pilot.region), 201)


@endpoint("/pilots/<region>", "DELETE", summary="Drop a pilot region", tag=TAG, query=DropPilotQuerySchema,
          responses={200: ("The region dropped, as it was", JSON, PilotSchema)},
          description="A confirmed pilot region is dropped only by an admin (403 for staff).")
def drop_pilot(region: str):
    args = load_query(DropPilotQuerySchema)
    entry = _entry(region.strip())
    run(cmd.DropPilotRegion(region=region, reason=args["reason"], by_admin=current_user().role == "admin"))
    return dump(PilotSchema, entry)
