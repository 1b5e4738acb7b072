"""Rounds as lists and as one record, and a round's invitations with their last message (never their tokens)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, joinedload

from wfsurvey.models import (
    Contact,
    Invitation,
    InvitationProgress,
    Organization,
    OutboxMessage,
    Response,
    Round,
    Template,
)
from wfsurvey.queries import Page, iso, paginate


def round_dict(round_: Round, invitations: int | None = None) -> dict[str, Any]:
    """A round as the API shows it: window times in the round's own zone, with their offset."""
    tz = round_.timezone
    out = {
        "id": round_.id, "title": round_.title, "state": round_.state,
        "template": {"slug": round_.template.slug, "version": round_.template.version},
        "timezone": tz, "opens_at": iso(round_.opens_at, tz), "closes_at": iso(round_.closes_at, tz),
        "audience": round_.audience, "reminders": round_.reminders, "baseline": round_.is_baseline,
        "response_rule": round_.response_rule, "created_at": iso(round_.created_at), "created_by": round_.created_by,
        "launched_at": iso(round_.launched_at), "closed_at": iso(round_.closed_at), "cancelled_at": iso(round_.cancelled_at),
    }
    out["opens_on_launch"] = round_.opens_on_launch
    out["planned_opens_at"] = iso(round_.planned_opens_at, tz)
    if invitations is not None:
        out["invitations"] = invitations
    return out


def round_definition(round_: Round) -> dict[str, Any]:
    """A round's definition in the shape POST /rounds takes (times in the round's zone, with their offset): what a
    PATCH changes, field by field."""
    tz = round_.timezone
    return {
        "template": round_.template.slug, "version": round_.template.version, "title": round_.title, "timezone": tz,
        "opens_at": iso(round_.opens_at, tz), "closes_at": iso(round_.closes_at, tz),
        "opens_on_launch": round_.opens_on_launch, "audience": dict(round_.audience),
        "reminders": dict(round_.reminders), "baseline": round_.is_baseline, "response_rule": round_.response_rule,
    }


def round_list(session: Session, *, state: str | None = None, template: str | None = None, page: int = 1, per_page: int = 50) -> Page:
    query = select(Round).join(Template, Template.id == Round.template_id).options(joinedload(Round.template))
    if state:
        query = query.where(Round.state == state)
    if template:
        query = query.where(Template.slug == template)
    return paginate(session, query.order_by(Round.opens_at.desc(), Round.id.desc()), page, per_page)


def invitation_count(session: Session, round_id: int) -> int:
    return session.scalar(select(func.count(Invitation.id)).where(Invitation.round_id == round_id)) or 0


def invitations(session: Session, round_id: int, *, status: str | None = None, page: int = 1, per_page: int = 50) -> Page:
    """One page of a round's invitations: contact, organization, status, times, the last message and the response (a
    draft or submitted), if any (two statements)."""
    last_id = (
        select(OutboxMessage.invitation_id, func.max(OutboxMessage.id).label("message_id"))
        .where(OutboxMessage.round_id == round_id, OutboxMessage.invitation_id.is_not(None))
        .group_by(OutboxMessage.invitation_id)
        .subquery()
    )
    message = aliased(OutboxMessage)
    query = (
        select(Invitation, Contact, Organization, InvitationProgress.regions, message, Response.id, Response.status)
        .join(Contact, Contact.id == Invitation.contact_id)
        .join(Organization, Organization.id == Invitation.organization_id)
        .outerjoin(InvitationProgress, InvitationProgress.invitation_id == Invitation.id)
        .outerjoin(last_id, last_id.c.invitation_id == Invitation.id)
        .outerjoin(message, message.id == last_id.c.message_id)
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .where(Invitation.round_id == round_id)
        .order_by(Invitation.id)
    )
    if status:
        query = query.where(Invitation.status == status)
    result = paginate(session, query, page, per_page, scalars=False)
    items = [
        {
            "id": inv.id, "status": inv.status,
            "contact": {"id": contact.id, "name": contact.name, "email": contact.email},
            "organization": {"id": org.id, "name": org.name, "org_type": org.org_type},
            "regions": regions.split(",") if regions else [],
            "issued_at": iso(inv.issued_at), "sent_at": iso(inv.sent_at), "started_at": iso(inv.started_at),
            "submitted_at": iso(inv.submitted_at), "reminders_sent": inv.reminders_sent,
            "forwarded_from": inv.forwarded_from_id,
            "response": None if response_id is None else {"id": response_id, "status": response_status},
            "last_message": None if msg is None else {
                "kind": msg.kind, "status": msg.status, "queued_at": iso(msg.created_at), "sent_at": iso(msg.sent_at),
                "error": (msg.last_error or "")[:300] or None,
            },
        }
        for inv, contact, org, regions, msg, response_id, response_status in result.items
    ]
    return Page(items, result.page, result.per_page, result.total)
