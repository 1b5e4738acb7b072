"""API routes that read a round's outcome: status, invitations, baseline (JSON, CSV, XLSX), designations; and the event feed."""
from __future__ import annotations

from flask import url_for

from wfsurvey.blueprints.api.core import ID, dump, endpoint, load_body, load_query, run
from wfsurvey.blueprints.downloads import baseline_filename, download
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.queries import NotFound, exports
from wfsurvey.queries import rounds as round_queries
from wfsurvey.queries.baseline import baseline_table
from wfsurvey.queries.consensus import round_consensus
from wfsurvey.queries.designations import round_designations
from wfsurvey.queries.events import events_after
from wfsurvey.queries.status import load_round, non_respondents_after, round_status
from wfsurvey.schemas.events import EventFeedSchema, EventsQuerySchema
from wfsurvey.schemas.reports import (
    BaselineSchema,
    ConsensusQuerySchema,
    ConsensusRegionSchema,
    DesignationSchema,
    OverrideSchema,
)
from wfsurvey.schemas.rounds import (
    InvitationPageSchema,
    InvitationQuerySchema,
    NonRespondentListSchema,
    NonRespondentQuerySchema,
    StatusQuerySchema,
    StatusSchema,
)

JSON = "application/json"
TAG = "results"
FILE = {"type": "string", "format": "binary"}


def _next_page(round_id: int, items: list[dict], limit: int, more: bool) -> str | None:
    """The link to the non-respondents after `items` (the first ones when there are none), or None at the end."""
    if not more:
        return None
    after = items[-1]["invitation_id"] if items else None
    return url_for("api.round_non_respondents", round_id=round_id, after=after, limit=limit or None)


@endpoint(f"/rounds/<{ID}:round_id>/status", summary="Completion status of a round", tag=TAG, query=StatusQuerySchema,
          responses={200: ("Totals, by region, by organization type; the first non-respondents; blocked regions", JSON,
                           StatusSchema)})
def round_status_view(round_id: int):
    args = load_query(StatusQuerySchema)
    status = round_status(db.session, round_id, per_page=args["non_respondents"])
    listed = status["non_respondents_page"]
    status["non_respondents_next"] = _next_page(round_id, listed.items, listed.per_page, listed.total > len(listed.items))
    return dump(StatusSchema, status)


@endpoint(f"/rounds/<{ID}:round_id>/non-respondents", summary="A round's non-respondents, a page at a time", tag=TAG,
          query=NonRespondentQuerySchema,
          responses={200: ("People still expected to answer, by organization and name, with their last message; "
                           "`next` links the following page", JSON, NonRespondentListSchema)},
          description="Forwarded invitations are left out, and so is everyone of an organization that has answered when the "
                      "round takes one response per organization. Follow `next` until it is null: each page starts after "
                      "the invitation the previous one ended with, so any page costs what the first does.")
def round_non_respondents(round_id: int):
    args = load_query(NonRespondentQuerySchema)
    listed = non_respondents_after(db.session, round_id, args.get("after"), args["limit"])
    return dump(NonRespondentListSchema, {"items": listed.items, "total": listed.total, "limit": listed.limit,
                                          "next": _next_page(round_id, listed.items, listed.limit, listed.more)})


@endpoint(f"/rounds/<{ID}:round_id>/invitations", summary="A round's invitations", tag=TAG, query=InvitationQuerySchema,
          responses={200: ("A page of invitations with their last message (never their links)", JSON, InvitationPageSchema)})
def round_invitations(round_id: int):
    args = load_query(InvitationQuerySchema)
    load_round(db.session, round_id)
    page = round_queries.invitations(db.session, round_id, status=args.get("status"), page=args["page"], per_page=args["per_page"])
    return dump(InvitationPageSchema, page.as_dict())


@endpoint(f"/rounds/<{ID}:round_id>/baseline", summary="Baseline table of a round", tag=TAG,
          responses={200: ("One row per region, the whole round, the change against the baseline round, the pilot ranking",
                           JSON, BaselineSchema)})
def round_baseline(round_id: int):
    return dump(BaselineSchema, baseline_table(db.session, round_id))


@endpoint(f"/rounds/<{ID}:round_id>/baseline.csv", summary="Baseline table as CSV", tag=TAG,
          responses={200: ("UTF-8 CSV; text that a spreadsheet would read as a formula starts with a quote", "text/csv",
                           {"type": "string"})})
def round_baseline_csv(round_id: int):
    return download(exports.baseline_csv(baseline_table(db.session, round_id)), exports.CSV_MEDIA_TYPE,
                    baseline_filename(round_id, "csv"))


@endpoint(f"/rounds/<{ID}:round_id>/baseline.xlsx", summary="Baseline table as an XLSX workbook", tag=TAG,
          responses={200: ("Sheets Baseline, Answers and Pilot ranking", exports.XLSX_MEDIA_TYPE, FILE)})
def round_baseline_xlsx(round_id: int):
    return download(exports.baseline_xlsx(baseline_table(db.session, round_id)), exports.XLSX_MEDIA_TYPE,
                    baseline_filename(round_id, "xlsx"))


@endpoint(f"/rounds/<{ID}:round_id>/consensus", summary="Regional consensus on a ranking question", tag=TAG,
          query=ConsensusQuerySchema,
          responses={200: ("One entry per region of the round: the options by Borda score and Kendall's W", JSON,
                           ConsensusRegionSchema(many=True))},
          description="404 when the round's template has no ranking question with that key.")
def round_consensus_view(round_id: int):
    args = load_query(ConsensusQuerySchema)
    return dump(ConsensusRegionSchema(many=True), round_consensus(db.session, round_id, args["question"])["regions"])


@endpoint(f"/rounds/<{ID}:round_id>/designations", summary="Navigator-counterpart designations of a round", tag=TAG,
          responses={200: ("One entry per region of the round", JSON, DesignationSchema(many=True))})
def round_designations_view(round_id: int):
    return dump(DesignationSchema(many=True), round_designations(db.session, round_id))


@endpoint(f"/rounds/<{ID}:round_id>/designations/<region>/override", "POST", role="admin",
          summary="Override a region's designation (admin)", tag=TAG, body=OverrideSchema,
          responses={200: ("The region's designation after the override", JSON, DesignationSchema)},
          description="The named counterpart wins over the rule until a later override, even after close.")
def override_designation(round_id: int, region: str):
    data = load_body(OverrideSchema)
    run(cmd.OverrideDesignation(round_id=round_id, region=region, name=data["name"], email=data["email"],
                                organization=data["organization"], reason=data["reason"]))
    db.session.expire_all()
    entry = next((d for d in round_designations(db.session, round_id) if d["region"] == region.strip()), None)
    if entry is None:  # the service accepted the region, so this only happens if the round asks no contact question
        raise NotFound(f"round {round_id} has no designation for '{region}'")
    return dump(DesignationSchema, entry)


@endpoint("/events", summary="The event log as a feed", tag="events", query=EventsQuerySchema,
          responses={200: ("Events after `after`, oldest first", JSON, EventFeedSchema)},
          description="Read on by passing next_after back as after; at the end next_after stays where it was.")
def event_feed():
    args = load_query(EventsQuerySchema)
    return dump(EventFeedSchema, events_after(db.session, args["after"], args["limit"], type_=args.get("type"),
                                              aggregate_type=args.get("aggregate_type"), aggregate_id=args.get("aggregate_id")))

