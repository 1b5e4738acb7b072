"""Completion status of a round (totals, by region, by organization type), its non-respondents, its blocked regions and
the regions whose navigator counterpart is in conflict or unfilled.

Counts come from the projections (proj_round_progress, and proj_organization_counts for how many are
still expected to answer), and non-respondents come a page at a time: the status takes the same seven
statements whatever the size of the round (eight on PostgreSQL), and none of them reads every invitation
of the round when it waits on many (see _rows).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, case, exists, func, select, text, tuple_
from sqlalchemy.orm import Session, aliased, joinedload

from wfsurvey import settings
from wfsurvey.domain.designation import CONFLICT, DESIGNATED, NOMINATING_ORG_TYPE, UNFILLED, contact_question_key
from wfsurvey.domain.invitations import SETTLED
from wfsurvey.domain.stakeholders import ORG_TYPES
from wfsurvey.models import (
    Contact,
    Designation,
    Invitation,
    InvitationProgress,
    Organization,
    OrganizationCounts,
    OutboxMessage,
    Region,
    Response,
    Round,
    RoundProgress,
)
from wfsurvey.projections.completion import COUNTERS
from wfsurvey.queries import DEFAULT_PER_PAGE, MAX_PER_PAGE, NotFound, Page, iso

#: Non-respondents per page by default (the total is always given).
NON_RESPONDENTS_PER_PAGE = DEFAULT_PER_PAGE
#: How much dearer it is to step over one organization in name order (and look for its invitations in the
#: round) than to sort one non-respondent: about 3 on SQLite and on PostgreSQL (100,000 organizations).
WALK_COST = 3


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
    scheme = settings.region_scheme()
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


def round_status(session: Session, round_id: int, *, page: int = 1,
                 per_page: int = NON_RESPONDENTS_PER_PAGE) -> dict[str, Any]:
    """What the completion dashboard shows: the DESIGN.md status shape plus a page of non-respondents and blocked regions.

    per_page=0 lists no non-respondents (their total is still given).
    """
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
    decided = dict(session.execute(select(Designation.region, Designation.status).where(Designation.round_id == round_id)).all())
    designated = {region for region, status in decided.items() if status == DESIGNATED}
    listed = non_respondents(session, round_, awaiting(session, round_, progress.get(("total", ""))), page, per_page)
    return {
        "round": {"id": round_.id, "title": round_.title, "state": round_.state, "timezone": round_.timezone,
                  "opens_at": iso(round_.opens_at, round_.timezone), "closes_at": iso(round_.closes_at, round_.timezone)},
        "totals": _counts(progress.get(("total", ""))),
        "by_region": by_region,
        "by_org_type": by_org_type,
        "by_region_org_type": by_region_org_type,
        "blocked_regions": blocked_regions(codes, names, progress, designated),
        "designations": designation_problems(round_, codes, names, decided),
        "non_respondents": listed.items,
        "non_respondents_total": listed.total,
        "non_respondents_page": listed,
    }


def designation_problems(round_: Round, codes: list[str], names: dict[str, str],
                         decided: dict[str, str]) -> dict[str, Any] | None:
    """How many regions have a navigator counterpart, and which are in conflict or unfilled (a region no rule run has
    reached yet counts as unfilled); None when the round designates nothing (a draft, cancelled, or no contact
    question)."""
    if round_.state in ("draft", "cancelled") or contact_question_key(round_.template.questions) is None:
        return None
    regions = sorted(set(codes) | set(decided), key=lambda code: (names.get(code, code).casefold(), code))

    def listed(status: str) -> list[dict[str, str]]:
        return [{"region": code, "name": names.get(code, code)} for code in regions if decided.get(code, UNFILLED) == status]

    return {"designated": sum(1 for code in regions if decided.get(code) == DESIGNATED), "regions": len(regions),
            "conflict": listed(CONFLICT), "unfilled": listed(UNFILLED)}


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


def awaiting(session: Session, round_: Round, total: RoundProgress | None) -> int:
    """How many invitations are still expected to be answered (the non-respondents' total), from the projections.

    `total` is the round's ("total", "") row of proj_round_progress. An invitation stops waiting once
    submitted or forwarded (both final: see services.respond), so when each person answers for
    themselves that is invited - submitted - forwarded. When one response per organization is taken, an
    organization's answer also settles its colleagues' invitations: the organization projection counts
    the standing invitations of organizations without an answer (one statement).
    """
    if round_.response_rule == "organization":
        return session.scalar(select(OrganizationCounts.awaiting).where(
            OrganizationCounts.round_id == round_.id, OrganizationCounts.scope == "total", OrganizationCounts.key == "")) or 0
    return total.invited - total.submitted - total.forwarded if total is not None else 0


@dataclass(frozen=True)
class Listing:
    """Non-respondents after a cursor: the items, how many wait in all, and whether more follow the last item."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    more: bool


def non_respondents_after(session: Session, round_id: int, after: int | None = None,
                          limit: int = NON_RESPONDENTS_PER_PAGE) -> Listing:
    """The non-respondents that follow invitation `after` in the list's order (from the start without it).

    The API's cursor: each page starts from the last one's key (organization name, contact name,
    invitation id) instead of counting past the rows before it, so the last page costs what the first
    does. `after` need not be waiting any more, only an invitation of the round (else NotFound).
    Two statements and those of _rows, one more with `after`.
    """
    round_ = load_round(session, round_id)
    key = None
    if after is not None:
        key = session.execute(
            select(Organization.name, Contact.name, Invitation.id)
            .join(Contact, Contact.id == Invitation.contact_id)
            .join(Organization, Organization.id == Invitation.organization_id)
            .where(Invitation.id == after, Invitation.round_id == round_id)
        ).first()
        if key is None:
            raise NotFound(f"round {round_id} has no invitation {after}")
    progress = session.get(RoundProgress, (round_id, "total", "")) if round_.response_rule != "organization" else None
    total = awaiting(session, round_, progress)
    limit = min(max(1, limit), MAX_PER_PAGE)
    rows = _rows(session, round_, total, limit + 1, after=tuple(key) if key is not None else None)
    return Listing(rows[:limit], total, limit, len(rows) > limit)


def non_respondents(session: Session, round_: Round, total: int, page: int = 1,
                    per_page: int = NON_RESPONDENTS_PER_PAGE) -> Page:
    """Page `page` of the people still expected to answer (what the dashboard shows), `total` being how many
    there are (see awaiting()). The statements of _rows, or none when per_page is 0."""
    page = max(1, page)
    per_page = min(max(0, per_page), MAX_PER_PAGE)
    items = _rows(session, round_, total, per_page, skip=(page - 1) * per_page) if per_page else []
    return Page(items, page, per_page, total)


def _rows(session: Session, round_: Round, total: int, count: int, *, skip: int = 0,
          after: tuple[str, str, int] | None = None) -> list[dict[str, Any]]:
    """`count` non-respondents by organization and name, past the first `skip` or after the key `after`, each with
    their last message and its state.

    Forwarded invitations are left out (the colleague's invitation stands for them), and so is anyone
    whose organization has already submitted when the round takes one response per organization.

    The order needs names from two other tables, so no index gives it for a round. When the round
    waits on few people, they are all found through the round's index and sorted. When it waits on
    many, organizations are walked in name order (their name index), keeping those with somebody
    waiting, until the page is full: the first page of 50 among 60,000 then reads about 50
    organizations instead of sorting 60,000 rows (skip + count organizations, one more after a key,
    hold every row up to the page's end). WALK_COST weighs one way against the other, taking the
    highest organization id as the length of the walk (it is never below the number of organizations).
    Two statements (three on PostgreSQL).
    """
    organizations = session.scalar(select(func.max(Organization.id))) or 0
    walk = (skip + count) * organizations * WALK_COST < total * total
    params: dict[str, Any] = {"round_id": round_.id, "count": count, "skip": skip,
                              "organizations": skip + count + (after is not None)}
    if after is not None:
        params.update(zip(("after_organization", "after_contact", "after_invitation"), after, strict=True))
    if session.get_bind().dialect.name == "postgresql":
        # psycopg prepares a statement run 5 times on a connection, and PostgreSQL may then keep a
        # generic plan, made without the page's numbers, that sorts every waiting row even when walking.
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    rows = session.execute(_list_statement(round_.response_rule == "organization", walk, after is not None), params)
    return [_non_respondent(row) for row in rows]


def _waiting(invitation: type[Invitation], by_organization: bool) -> ColumnElement[bool]:
    """The invitations of the round (bound as :round_id) still expected to be answered; `invitation` may be an alias."""
    condition = and_(invitation.round_id == bindparam("round_id"), invitation.status.not_in(SETTLED))
    if by_organization:
        # organization_slot is set exactly when a response is submitted under this rule, and
        # (round_id, organization_slot) is unique: one index lookup per invitation.
        answered = exists().where(Response.round_id == bindparam("round_id"),
                                  Response.organization_slot == invitation.organization_id)
        condition = and_(condition, ~answered)
    return condition


@cache
def _list_statement(by_organization: bool, walk: bool, keyed: bool) -> Select:
    """The list query for a response rule, a way of finding the rows (see _rows) and a start (skip or key), built once.

    Bound at execution: :round_id, :count, :skip; with walk, :organizations (how many to walk); and
    when keyed, the key :after_organization, :after_contact, :after_invitation.
    """
    query = (
        select(Invitation.id.label("invitation_id"), Invitation.status, Invitation.sent_at, Invitation.reminders_sent,
               Contact.id.label("contact_id"), Contact.name.label("contact_name"), Contact.email,
               Organization.id.label("organization_id"), Organization.name.label("organization_name"),
               Organization.org_type)
        .join(Contact, Contact.id == Invitation.contact_id)
        .join(Organization, Organization.id == Invitation.organization_id)
        .where(_waiting(Invitation, by_organization))
        .order_by(Organization.name, Contact.name, Invitation.id)
        .limit(bindparam("count", type_=Integer))
        .offset(bindparam("skip", type_=Integer))
    )
    if keyed:
        key = (Organization.name, Contact.name, Invitation.id)
        after = (bindparam(name, type_=column.type) for name, column in zip(
            ("after_organization", "after_contact", "after_invitation"), key, strict=True))
        query = query.where(tuple_(*key) > tuple_(*after))
    if walk:
        walked, invitation = aliased(Organization), aliased(Invitation)
        first = (
            select(walked.id)
            .where(exists().where(invitation.organization_id == walked.id, _waiting(invitation, by_organization)))
            .order_by(walked.name)
            .limit(bindparam("organizations", type_=Integer))
        )
        if keyed:
            first = first.where(walked.name >= bindparam("after_organization"))
        query = query.where(Invitation.organization_id.in_(first))
    listed = query.subquery()
    # The last message of each listed invitation only: one index lookup per row of the page.
    message = aliased(OutboxMessage)
    last_id = select(func.max(OutboxMessage.id)).where(OutboxMessage.invitation_id == listed.c.invitation_id).scalar_subquery()
    return (
        select(listed, InvitationProgress.regions, message.kind, message.status.label("message_status"),
               message.created_at, message.sent_at.label("message_sent_at"), message.last_error)
        .outerjoin(InvitationProgress, InvitationProgress.invitation_id == listed.c.invitation_id)
        .outerjoin(message, message.id == last_id)
        .order_by(listed.c.organization_name, listed.c.contact_name, listed.c.invitation_id)
    )


def _non_respondent(row: Any) -> dict[str, Any]:
    return {
        "invitation_id": row.invitation_id, "status": row.status, "sent_at": iso(row.sent_at),
        "reminders_sent": row.reminders_sent,
        "contact": {"id": row.contact_id, "name": row.contact_name, "email": row.email},
        "organization": {"id": row.organization_id, "name": row.organization_name, "org_type": row.org_type},
        "regions": row.regions.split(",") if row.regions else [],
        "last_message": None if row.kind is None else {
            "kind": row.kind, "status": row.message_status, "queued_at": iso(row.created_at),
            "sent_at": iso(row.message_sent_at), "error": (row.last_error or "")[:300] or None,
        },
    }
