"""API routes for rounds: create, list, get, and the moves launch, extend, close and cancel."""
from __future__ import annotations

from flask import url_for
from marshmallow import ValidationError

from wfsurvey.blueprints.api.core import ID, dump, endpoint, json_body, load_body, load_query, run
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.rules import parse_local
from wfsurvey.extensions import db
from wfsurvey.queries import rounds as queries
from wfsurvey.queries.status import load_round
from wfsurvey.schemas.rounds import (
    CancelSchema,
    ExtendSchema,
    LaunchResultSchema,
    RoundCreateSchema,
    RoundPageSchema,
    RoundQuerySchema,
    RoundSchema,
    round_command,
)

JSON = "application/json"
TAG = "rounds"


def _round(round_id: int) -> dict:
    db.session.expire_all()  # a command just ran: read what it committed
    return queries.round_dict(load_round(db.session, round_id), queries.invitation_count(db.session, round_id))


@endpoint("/rounds", "POST", summary="Create a round (a draft)", tag=TAG, body=RoundCreateSchema,
          responses={201: ("The draft round", JSON, RoundSchema)},
          description="Times with an offset, or naive and local to `timezone` (default America/Los_Angeles).")
def create_round():
    # The schema checks every field (a 422 naming each) and builds the command; the command checks the database.
    round_ = run(round_command(json_body()))
    return dump(RoundSchema, _round(round_.id), 201,
                headers={"Location": url_for("api.get_round", round_id=round_.id)})


@endpoint("/rounds", summary="List rounds", tag=TAG, query=RoundQuerySchema,
          responses={200: ("A page of rounds, latest window first", JSON, RoundPageSchema)})
def list_rounds():
    args = load_query(RoundQuerySchema)
    page = queries.round_list(db.session, state=args.get("state"), template=args.get("template"),
                              page=args["page"], per_page=args["per_page"])
    return dump(RoundPageSchema, page.as_dict([queries.round_dict(r) for r in page.items]))


@endpoint(f"/rounds/<{ID}:round_id>", summary="Get a round", tag=TAG, responses={200: ("The round", JSON, RoundSchema)})
def get_round(round_id: int):
    return dump(RoundSchema, _round(round_id))


@endpoint(f"/rounds/<{ID}:round_id>/launch", "POST", summary="Launch a draft round", tag=TAG,
          responses={200: ("Launched: open (mail queued) or scheduled", JSON, LaunchResultSchema)})
def launch_round(round_id: int):
    run(cmd.LaunchRound(round_id))
    round_ = _round(round_id)
    return dump(LaunchResultSchema, {"id": round_id, "state": round_["state"], "invitations": round_["invitations"]})


@endpoint(f"/rounds/<{ID}:round_id>/extend", "POST", summary="Move a round's close later", tag=TAG, body=ExtendSchema,
          responses={200: ("The round", JSON, RoundSchema)})
def extend_round(round_id: int):
    data = load_body(ExtendSchema)
    round_ = load_round(db.session, round_id)
    try:
        closes_at = parse_local(data["closes_at"], data.get("timezone") or round_.timezone)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValidationError({"closes_at": [f"not an ISO 8601 time ({exc})"]}) from exc
    run(cmd.ExtendRound(round_id, closes_at))
    return dump(RoundSchema, _round(round_id))


@endpoint(f"/rounds/<{ID}:round_id>/close", "POST", summary="Close a round now", tag=TAG,
          responses={200: ("The round", JSON, RoundSchema)})
def close_round(round_id: int):
    run(cmd.CloseRound(round_id))
    return dump(RoundSchema, _round(round_id))


@endpoint(f"/rounds/<{ID}:round_id>/cancel", "POST", summary="Cancel a round", tag=TAG, body=CancelSchema,
          body_required=False, responses={200: ("The round", JSON, RoundSchema)},
          description="People who received a link are told, with the reason (the body may be left out).")
def cancel_round(round_id: int):
    data = load_body(CancelSchema, optional=True)
    run(cmd.CancelRound(round_id, data["reason"]))
    return dump(RoundSchema, _round(round_id))
