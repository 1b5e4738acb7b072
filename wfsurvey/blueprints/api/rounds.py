"""API routes for rounds: create, list, get, edit a draft, and the moves launch, open now, schedule, extend, close
and cancel."""
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
    RoundEditSchema,
    RoundPageSchema,
    RoundQuerySchema,
    RoundSchema,
    round_command,
    round_edit_command,
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


@endpoint(f"/rounds/<{ID}:round_id>", "PATCH", summary="Change a draft round", tag=TAG, body=RoundEditSchema,
          responses={200: ("The draft round", JSON, RoundSchema)},
          description="Any field of POST /rounds; those left out keep their value. Only a draft can be changed (409).")
def edit_round(round_id: int):
    body = json_body()
    current = queries.round_definition(load_round(db.session, round_id))
    run(round_edit_command(round_id, current, body))
    return dump(RoundSchema, _round(round_id))


@endpoint(f"/rounds/<{ID}:round_id>/open-now", "POST", summary="Open a scheduled round now", tag=TAG,
          responses={200: ("The round, open; its invitations are queued", JSON, RoundSchema)},
          description="The planned opening is kept as planned_opens_at, so that POST .../schedule can return to it.")
def open_round_now(round_id: int):
    run(cmd.OpenRoundNow(round_id))
    return dump(RoundSchema, _round(round_id))


@endpoint(f"/rounds/<{ID}:round_id>/schedule", "POST", summary="Schedule a round opened early back to its time", tag=TAG,
          responses={200: ("The round, scheduled for its planned opening", JSON, RoundSchema)},
          description="Only a round opened by open-now, while its planned opening is ahead and nobody has started "
                      "answering (409 otherwise). Invitation emails not yet handed to the mail server wait until then.")
def schedule_round(round_id: int):
    run(cmd.ScheduleRound(round_id))
    return dump(RoundSchema, _round(round_id))
