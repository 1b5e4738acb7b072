"""API routes for convenings (create, get, invite, reschedule, cancel, RSVPs, attendance) and engagement (an
organization's timeline, a region's engagement summary)."""
from __future__ import annotations

from flask import url_for
from marshmallow import ValidationError
from sqlalchemy import func, select

from wfsurvey import settings
from wfsurvey.blueprints.api.core import ID, ApiError, dump, endpoint, json_body, load_body, run
from wfsurvey.clock import now
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.rules import parse_local
from wfsurvey.domain.stakeholders import slugify
from wfsurvey.extensions import db
from wfsurvey.models import Contact, ConveningInvitation
from wfsurvey.queries import convenings as queries
from wfsurvey.queries import engagement as engaged
from wfsurvey.schemas.convenings import (
    AttendanceSchema,
    CapacitySchema,
    ConveningCreateSchema,
    ConveningSchema,
    EngagementSchema,
    InviteResultSchema,
    RescheduleSchema,
    RsvpItemSchema,
    RsvpListSchema,
    TimelineSchema,
)
from wfsurvey.schemas.rounds import CancelSchema

JSON = "application/json"
TAG = "convenings"


def _convening(convening_id: int) -> dict:
    db.session.expire_all()  # a command just ran: read what it committed
    convening = queries.load_convening(db.session, convening_id)
    invitations = db.session.scalar(select(func.count()).select_from(ConveningInvitation)
                                    .where(ConveningInvitation.convening_id == convening_id)) or 0
    data = {name: getattr(convening, name) for name in ConveningSchema().fields if name != "invitations"}
    for name in ("starts_at", "ends_at", "created_at"):
        data[name] = data[name].isoformat()
    return {**data, "invitations": invitations}


def _item(row: queries.RsvpRow) -> dict:
    return {"contact": {"name": row.name, "email": row.email}, "organization": row.organization, "answer": row.answer,
            "waitlist_position": row.waitlist_position, "note": row.note, "needs": row.needs, "attended": row.attended}


@endpoint("/convenings", "POST", summary="Create a convening (a draft)", tag=TAG, body=ConveningCreateSchema,
          responses={201: ("The draft convening", JSON, ConveningSchema)},
          description="Times with an offset, or naive and local to `timezone` (default America/Los_Angeles). "
                      "The audience is chosen as a round's; its regions default to the convening's.")
def create_convening():
    convening = run(ConveningCreateSchema().load(json_body()))
    return dump(ConveningSchema, _convening(convening.id), 201,
                headers={"Location": url_for("api.get_convening", convening_id=convening.id)})


@endpoint(f"/convenings/<{ID}:convening_id>", summary="Get a convening", tag=TAG,
          responses={200: ("The convening", JSON, ConveningSchema)})
def get_convening(convening_id: int):
    return dump(ConveningSchema, _convening(convening_id))


@endpoint(f"/convenings/<{ID}:convening_id>/invite", "POST", summary="Send a draft convening's invitations", tag=TAG,
          responses={200: ("Scheduled: one email with a personal link and a calendar entry per person", JSON,
                           InviteResultSchema)})
def invite(convening_id: int):
    run(cmd.SendConveningInvitations(convening_id))
    convening = _convening(convening_id)
    return dump(InviteResultSchema, {"id": convening_id, "state": convening["state"],
                                     "invitations": convening["invitations"]})


@endpoint(f"/convenings/<{ID}:convening_id>/reschedule", "POST", summary="Move a convening", tag=TAG,
          body=RescheduleSchema, responses={200: ("The convening", JSON, ConveningSchema)},
          description="Everyone invited is emailed the new time with a calendar entry that moves theirs.")
def reschedule(convening_id: int):
    data = load_body(RescheduleSchema)
    convening = queries.load_convening(db.session, convening_id)
    tz = data.get("timezone") or convening.timezone
    try:
        starts_at, ends_at = parse_local(data["starts_at"], tz), parse_local(data["ends_at"], tz)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValidationError({"starts_at": [f"not an ISO 8601 time ({exc})"]}) from exc
    run(cmd.RescheduleConvening(convening_id, starts_at, ends_at, data["reason"]))
    return dump(ConveningSchema, _convening(convening_id))


@endpoint(f"/convenings/<{ID}:convening_id>/capacity", "POST", summary="Change a convening's seats", tag=TAG,
          body=CapacitySchema, responses={200: ("The convening", JSON, ConveningSchema)},
          description="Refused (422) below the seats already given. Seats added are offered to the waitlist in order, "
                      "by email, as a seat given up is; null removes the limit.")
def set_capacity(convening_id: int):
    data = load_body(CapacitySchema)
    run(cmd.SetConveningCapacity(convening_id, data["capacity"]))
    return dump(ConveningSchema, _convening(convening_id))


@endpoint(f"/convenings/<{ID}:convening_id>/cancel", "POST", summary="Cancel a convening", tag=TAG, body=CancelSchema,
          body_required=False, responses={200: ("The convening", JSON, ConveningSchema)},
          description="Everyone invited is told, with the reason, and their calendars drop the entry (METHOD:CANCEL).")
def cancel(convening_id: int):
    data = load_body(CancelSchema, optional=True)
    run(cmd.CancelConvening(convening_id, data["reason"]))
    return dump(ConveningSchema, _convening(convening_id))


@endpoint(f"/convenings/<{ID}:convening_id>/rsvps", summary="A convening's answers", tag=TAG,
          responses={200: ("Totals and everyone invited, by name", JSON, RsvpListSchema)})
def rsvps(convening_id: int):
    queries.load_convening(db.session, convening_id)
    rows = queries.rsvps(db.session, convening_id)
    totals = queries.totals(rows)
    return dump(RsvpListSchema, {"totals": totals, "items": [_item(row) for row in rows]})


@endpoint(f"/convenings/<{ID}:convening_id>/attendance", "POST", summary="Record who came", tag=TAG,
          body=AttendanceSchema, responses={200: ("The person's line of the RSVP list", JSON, RsvpItemSchema)},
          description="By the invitee's email address; someone not invited is added at the check-in page.")
def attendance(convening_id: int):
    data = load_body(AttendanceSchema)
    queries.load_convening(db.session, convening_id)
    invitation_id = db.session.scalar(
        select(ConveningInvitation.id).join(Contact, Contact.id == ConveningInvitation.contact_id)
        .where(ConveningInvitation.convening_id == convening_id,
               func.lower(Contact.email) == data["email"].strip().lower()))
    if invitation_id is None:
        raise ApiError(404, "not_found", f"{data['email']} was not invited to convening {convening_id}",
                       {"email": ["not invited to this convening"]})
    run(cmd.RecordAttendance(invitation_id, data["attended"]))
    db.session.expire_all()
    row = next(r for r in queries.rsvps(db.session, convening_id) if r.invitation_id == invitation_id)
    return dump(RsvpItemSchema, _item(row))


@endpoint("/organizations/<org_slug>/timeline", summary="An organization's engagement timeline", tag=TAG,
          responses={200: ("Invitations, responses, RSVPs, attendance, designations and outcome notes, oldest first",
                           JSON, TimelineSchema)},
          description="The slug is made from the organization's name (`slug` in GET /organizations).")
def organization_timeline(org_slug: str):
    organization = engaged.organization_by_slug(db.session, org_slug)
    lines = engaged.organization_timeline(db.session, organization)
    return dump(TimelineSchema, {"organization": organization.name, "slug": slugify(organization.name), "items": [
        {"seq": line.record.seq, "occurred_at": line.record.occurred_at.isoformat(), "type": line.record.type, "title": line.title,
         "sentence": line.sentence, "actor": line.actor} for line in lines]})


@endpoint("/regions/<code>/engagement", summary="A region's engagement summary", tag=TAG,
          responses={200: ("Its boards and colleges: answered the last round, came to the last convening", JSON,
                           EngagementSchema)})
def region_engagement(code: str):
    region = engaged.region_by_code(db.session, code, settings.region_scheme())
    summary = engaged.engagement(db.session, region, now())
    return dump(EngagementSchema, engagement_dict(summary))


def engagement_dict(summary: engaged.Engagement) -> dict:
    last_round, last_convening = summary.last_round, summary.last_convening
    return {
        "region": summary.region.code, "name": summary.region.name,
        "last_round": {"id": last_round.id, "title": last_round.title} if last_round else None,
        "last_convening": {"id": last_convening.id, "title": last_convening.title} if last_convening else None,
        "designation": {"status": summary.designation_status, "nominee": summary.counterpart},
        "items": [vars(row) for row in summary.rows],
    }
