"""Completion status of a round (totals, by region, by organisation type), its non-respondents and its blocked regions.

Counts come from the proj_round_progress projection; the whole status takes six statements
whatever the size of the round.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased, joinedload

from wfsurvey.domain.designation import NOMINATING_ORG_TYPE
from wfsurvey.models import (
    ORG_TYPES, Contact, Designation, Invitation, InvitationProgress, Organization, OutboxMessage, Region, Response,
    Round, RoundProgress,
)
from wfsurvey.projections.completion import COUNTERS
from wfsurvey.queries import NotFound, iso

#: Invitations that no longer wait for an answer from this person.
SETTLED = ("submitted", "forwarded")
#: How many non-respondents a status lists by default (the total is always given).
NON_RESPONDENTS_LIMIT = 500


def load_round(session: Session, round_id: int) -> Round:
    """The round with its template, in one statement; NotFound if there is none."""
    round_ = session.scalars(select(Round).options(joinedload(Round.template)).where(Round.id == round_id)).first()
    if round_ is None:
        raise NotFound(f"no round {round_id}")
    return round_


def _zero() -> dict[str, int]:
    return {c: 0 for c in COUNTERS}


def _counts(row: RoundProgress | None) -> dict[str, int]:
    return {c: getattr(row, c) for c in COUNTERS} if row is not None else _zero()


def region_names(session: Session, codes: list[str]) -> dict[str, str]:
    """Display names of region codes; the configured scheme wins when two schemes share a code."""
    scheme = current_app.config.get("REGION_SCHEME", "cc-macro") if has_app_context() else "cc-macro"
    rows = session.execute(
        select(Region.code, Region.name).where(Region.code.in_(codes))
        .order_by(case((Region.scheme == scheme, 1), else_=0), Region.scheme)
    ).all()
    return {code: name for code, name in rows}  # later rows (the configured scheme) win


def progress_rows(session: Session, round_id: int) -> dict[tuple[str, str], RoundProgress]:
    return {(r.scope, r.key): r for r in session.scalars(select(RoundProgress).where(RoundProgress.round_id == round_id))}


def round_region_codes(round_: Round, progress: dict[tuple[str, str], RoundProgress]) -> list[str]:
    """The regions a round is about: its audience's regions and every region an invitation counts in."""
    codes = set(round_.audience.get("regions") or [])
    codes.update(key for scope, key in progress if scope == "region")
    return sorted(codes)


def round_status(session: Session, round_id: int, *, non_respondents_limit: int = NON_RESPONDENTS_LIMIT) -> dict[str, Any]:
    """What the completion dashboard shows: the DESIGN.md status shape plus non-respondents and blocked regions."""
    round_ = load_round(session, round_id)
    progress = progress_rows(session, round_id)
    codes = round_region_codes(round_, progress)
    names = region_names(session, codes)
    by_region = [{"region": code, "name": names.get(code, code), **_counts(progress.get(("region", code)))} for code in codes]
    by_region.sort(key=lambda r: (r["name"].casefold(), r["region"]))
    types = sorted({key for scope, key in progress if scope == "org_type"}, key=lambda t: (ORG_TYPES.index(t) if t in ORG_TYPES else 99, t))
    by_org_type = [{"org_type": t, **_counts(progress.get(("org_type", t)))} for t in types]
    by_region_org_type = [
        {"region": code, "org_type": t, **_counts(progress[("region_org", f"{code}|{t}")])}
        for code in codes for t in types if ("region_org", f"{code}|{t}") in progress
    ]
    designated = {
        region for region, status in session.execute(
            select(Designation.region, Designation.status).where(Designation.round_id == round_id)
        ) if status == "designated"
    }
    listed, total = non_respondents(session, round_, limit=non_respondents_limit)
    return {
        "round": {"id": round_.id, "title": round_.title, "state": round_.state, "timezone": round_.timezone,
                  "opens_at": iso(round_.opens_at, round_.timezone), "closes_at": iso(round_.closes_at, round_.timezone)},
        "totals": _counts(progress.get(("total", ""))),
        "by_region": by_region,
        "by_org_type": by_org_type,
        "by_region_org_type": by_region_org_type,
        "blocked_regions": blocked_regions(codes, names, progress, designated),
        "non_respondents": listed,
        "non_respondents_total": total,
    }


def blocked_regions(codes: list[str], names: dict[str, str], progress: dict[tuple[str, str], RoundProgress],
                    designated: set[str]) -> list[dict[str, Any]]:
    """Regions where no local board has submitted (so no board has named a navigator counterpart) and none is designated."""
    out = []
    for code in codes:
        boards = progress.get(("region_org", f"{code}|{NOMINATING_ORG_TYPE}"))
        invited = boards.invited - boards.forwarded if boards is not None else 0
        submitted = boards.submitted if boards is not None else 0
        if submitted or code in designated:
            continue
        reason = ("no local board of the region was invited" if invited <= 0
                  else f"none of the {invited} local board invitation{'s' if invited != 1 else ''} has been answered")
        out.append({"region": code, "name": names.get(code, code), "boards_invited": max(invited, 0), "reason": reason})
    out.sort(key=lambda r: (r["name"].casefold(), r["region"]))
    return out


def non_respondents(session: Session, round_: Round, *, limit: int | None = NON_RESPONDENTS_LIMIT) -> tuple[list[dict[str, Any]], int]:
    """People still expected to answer, with their last message and its state; and how many there are.

    Forwarded invitations are left out (the colleague's invitation stands for them), and so is
    anyone whose organisation has already submitted when the round takes one response per organisation.
    Two statements: the count and the list.
    """
    condition = and_(Invitation.round_id == round_.id, Invitation.status.not_in(SETTLED))
    if round_.response_rule == "organization":
        # organization_slot is set exactly when a response is submitted under this rule, and
        # (round_id, organization_slot) is unique, so this is one index lookup per invitation
        # (matching organization_id instead scanned the round's responses for each: minutes at 100k).
        answered = exists().where(Response.round_id == round_.id, Response.organization_slot == Invitation.organization_id)
        condition = and_(condition, ~answered)
    total = session.scalar(select(func.count(Invitation.id)).where(condition)) or 0
    last_id = (
        select(OutboxMessage.invitation_id, func.max(OutboxMessage.id).label("message_id"))
        .where(OutboxMessage.round_id == round_.id, OutboxMessage.invitation_id.is_not(None))
        .group_by(OutboxMessage.invitation_id)
        .subquery()
    )
    message = aliased(OutboxMessage)
    query = (
        select(Invitation.id, Invitation.status, Invitation.sent_at, Invitation.reminders_sent,
               Contact.id, Contact.name, Contact.email, Organization.id, Organization.name, Organization.org_type,
               InvitationProgress.regions, message.kind, message.status, message.created_at, message.sent_at,
               message.last_error)
        .join(Contact, Contact.id == Invitation.contact_id)
        .join(Organization, Organization.id == Invitation.organization_id)
        .outerjoin(InvitationProgress, InvitationProgress.invitation_id == Invitation.id)
        .outerjoin(last_id, last_id.c.invitation_id == Invitation.id)
        .outerjoin(message, message.id == last_id.c.message_id)
        .where(condition)
        .order_by(Organization.name, Contact.name, Invitation.id)
    )
    if limit is not None:
        query = query.limit(limit)
    items = []
    for (inv_id, status, sent_at, reminders, contact_id, name, email, org_id, org_name, org_type, regions,
         kind, msg_status, created_at, msg_sent_at, error) in session.execute(query):
        items.append({
            "invitation_id": inv_id, "status": status, "sent_at": iso(sent_at), "reminders_sent": reminders,
            "contact": {"id": contact_id, "name": name, "email": email},
            "organization": {"id": org_id, "name": org_name, "org_type": org_type},
            "regions": regions.split(",") if regions else [],
            "last_message": None if kind is None else {
                "kind": kind, "status": msg_status, "queued_at": iso(created_at), "sent_at": iso(msg_sent_at),
                "error": (error or "")[:300] or None,
            },
        })
    return items, total
