"""Reading convenings: the list, one convening's RSVP totals and list (with waitlist places), the check-in list."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wfsurvey.domain import convenings as rules
from wfsurvey.models import Contact, Convening, ConveningInvitation, Organization, OutcomeNote
from wfsurvey.queries import NotFound


def load_convening(session: Session, convening_id: int) -> Convening:
    convening = session.get(Convening, convening_id)
    if convening is None:
        raise NotFound(f"no convening {convening_id}")
    return convening


def convenings(session: Session) -> list[Convening]:
    """Every convening, the next to start first, then the past ones, latest first."""
    return list(session.scalars(select(Convening).order_by(Convening.starts_at.desc(), Convening.id.desc())))


def waitlist_position(session: Session, invitation: ConveningInvitation) -> int | None:
    """1 for the first on the waitlist; None when not on it."""
    if invitation.waitlist_seq is None:
        return None
    ahead = session.scalar(select(func.count()).select_from(ConveningInvitation).where(
        ConveningInvitation.convening_id == invitation.convening_id, ConveningInvitation.waitlist_seq.is_not(None),
        (ConveningInvitation.waitlist_seq < invitation.waitlist_seq)
        | ((ConveningInvitation.waitlist_seq == invitation.waitlist_seq) & (ConveningInvitation.id < invitation.id))))
    return (ahead or 0) + 1


@dataclass
class RsvpRow:
    invitation_id: int
    contact_id: int
    name: str
    email: str
    organization_id: int
    organization: str
    org_type: str
    answer: str | None
    standing: str
    waitlist_position: int | None
    note: str
    needs: str
    attended: bool
    status: str


def rsvps(session: Session, convening_id: int, *, search: str = "") -> list[RsvpRow]:
    """Everyone invited (and every walk-in), by name: answer, waitlist place, note and needs, attendance."""
    query = (
        select(ConveningInvitation.id, Contact.id, Contact.name, Contact.email, Organization.id, Organization.name,
               Organization.org_type, ConveningInvitation.answer, ConveningInvitation.waitlist_seq,
               ConveningInvitation.note, ConveningInvitation.needs, ConveningInvitation.attended,
               ConveningInvitation.status)
        .join(Contact, Contact.id == ConveningInvitation.contact_id)
        .join(Organization, Organization.id == ConveningInvitation.organization_id)
        .where(ConveningInvitation.convening_id == convening_id)
        .order_by(func.lower(Contact.name), ConveningInvitation.id)
    )
    words = search.strip().lower()
    if words:
        cleaned = words.replace("\\", "").replace("%", "").replace("_", "")
        pattern = f"%{cleaned}%"
        query = query.where(func.lower(Contact.name).like(pattern) | func.lower(Organization.name).like(pattern))
    rows = session.execute(query).all()
    positions = rules.waitlist_positions([(row[0], row[1]) for row in session.execute(
        select(ConveningInvitation.id, ConveningInvitation.waitlist_seq)
        .where(ConveningInvitation.convening_id == convening_id, ConveningInvitation.waitlist_seq.is_not(None)))])
    return [RsvpRow(invitation_id=r[0], contact_id=r[1], name=r[2], email=r[3], organization_id=r[4], organization=r[5],
                    org_type=r[6], answer=r[7], standing=rules.standing(r[7], r[8]), waitlist_position=positions.get(r[0]),
                    note=r[9], needs=r[10], attended=r[11], status=r[12])
            for r in rows]


def totals(rows: list[RsvpRow]) -> dict[str, int]:
    """{"yes", "no", "maybe", "waitlisted", "no_answer"} over the invited (walk-ins were never asked), and "attended"."""
    counts = dict.fromkeys(rules.STANDINGS, 0)
    for row in rows:
        if row.status != "walk_in":
            counts[row.standing] += 1
    counts["attended"] = sum(1 for row in rows if row.attended)
    return counts


def outcome_notes(session: Session, convening_id: int) -> list[OutcomeNote]:
    return list(session.scalars(select(OutcomeNote).where(OutcomeNote.convening_id == convening_id)
                                .order_by(OutcomeNote.created_at.desc(), OutcomeNote.id.desc())))
