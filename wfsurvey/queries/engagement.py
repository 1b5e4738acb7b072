"""Who is engaged: an organization's or a region's timeline read from the event log (invitations, responses, RSVPs,
attendance, designations, outcome notes), and a region's engagement summary (the boards and colleges that answered
the last round, came to the last convening, and whether the region has a designated navigator counterpart)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from wfsurvey.domain.stakeholders import ORG_TYPE_LABELS, slugify
from wfsurvey.models import (
    Convening,
    ConveningInvitation,
    Designation,
    EventRecord,
    Invitation,
    Organization,
    Region,
    Round,
    organization_regions,
)
from wfsurvey.queries import NotFound
from wfsurvey.queries.event_log import EventLine, describe_events

#: Events about one organization, found by the organization_id in their payload.
ORGANIZATION_EVENTS = ("InvitationIssued", "ResponseSubmitted", "ResponseAmended", "ConveningInvitationIssued",
                       "RsvpGiven", "RsvpPromoted", "AttendanceRecorded")
#: Events about a region's navigator counterpart, found by the region code in their payload.
DESIGNATION_EVENTS = ("DesignationChanged", "DesignationOverridden")
#: A timeline shows at most this many events, the latest ones, oldest first.
TIMELINE_LIMIT = 500
#: The organization types the engagement summary counts.
ENGAGED_TYPES = ("lwib", "college")


def organization_by_slug(session: Session, slug: str) -> Organization:
    """The organization whose name makes this slug (names are unique; the oldest wins should two make one slug)."""
    wanted = (slug or "").strip().lower()
    for org_id, name in session.execute(select(Organization.id, Organization.name).order_by(Organization.id)):
        if slugify(name) == wanted:
            return session.get(Organization, org_id)
    raise NotFound(f"no organization '{slug}'")


def region_by_code(session: Session, code: str, scheme: str) -> Region:
    region = session.scalar(select(Region).where(Region.scheme == scheme, Region.code == code))
    if region is None:
        raise NotFound(f"no region '{code}'")
    return region


def _latest_first(records: list[EventRecord]) -> list[EventRecord]:
    unique = {record.seq: record for record in records}
    return [unique[seq] for seq in sorted(unique)][-TIMELINE_LIMIT:]


def organization_timeline(session: Session, organization: Organization) -> list[EventLine]:
    """Every invitation, response, RSVP, attendance, designation and outcome note of the organization, in order."""
    about = EventRecord.payload["organization_id"].as_integer()
    records = list(session.scalars(
        select(EventRecord).where(EventRecord.type.in_(ORGANIZATION_EVENTS), about == organization.id)
        .order_by(EventRecord.seq.desc()).limit(TIMELINE_LIMIT)))
    records += [r for r in session.scalars(select(EventRecord).where(EventRecord.type == "OutcomeNoteRecorded"))
                if organization.id in (r.payload.get("organization_ids") or [])]
    # A designation is the organization's when it names someone of it, or when it was one of the boards that nominated.
    for record in session.scalars(select(EventRecord).where(
            EventRecord.type.in_(DESIGNATION_EVENTS),
            EventRecord.payload["region"].as_string().in_(organization.region_codes))):
        nominee = record.payload.get("nominee") or {}
        boards = {b for n in record.payload.get("nominations") or [] for b in (n.get("boards") or [])}
        if nominee.get("organization") == organization.name or organization.name in boards:
            records.append(record)
    return describe_events(session, _latest_first(records))


def region_timeline(session: Session, region: Region) -> list[EventLine]:
    """The same for every organization of the region, with the region's designations, convenings and notes."""
    members = select(organization_regions.c.organization_id).where(organization_regions.c.region_id == region.id)
    about = EventRecord.payload["organization_id"].as_integer()
    records = list(session.scalars(
        select(EventRecord).where(EventRecord.type.in_(ORGANIZATION_EVENTS), about.in_(members))
        .order_by(EventRecord.seq.desc()).limit(TIMELINE_LIMIT)))
    records += session.scalars(select(EventRecord).where(
        EventRecord.type.in_(DESIGNATION_EVENTS), EventRecord.payload["region"].as_string() == region.code)).all()
    records += [r for r in session.scalars(select(EventRecord).where(
        EventRecord.type.in_(("OutcomeNoteRecorded", "ConveningCreated")))) if region.code in (r.payload.get("regions") or [])]
    return describe_events(session, _latest_first(records))


# --- the engagement summary ------------------------------------------------------------------------

@dataclass
class EngagementRow:
    organization_id: int
    organization: str
    slug: str
    org_type: str
    #: Whether the organization submitted a response to the last round.
    answered_last_round: bool
    #: Whether anyone of it came to the last convening (None: not invited to it).
    attended_last_convening: bool | None
    #: The region's navigator counterpart, when they are of this organization.
    counterpart: str = ""


@dataclass
class Engagement:
    region: Region
    last_round: Round | None
    last_convening: Convening | None
    #: The region's designation in the last round: status and the nominee's name, organization.
    designation_status: str
    counterpart: dict[str, Any] | None
    rows: list[EngagementRow] = field(default_factory=list)

    def count(self, org_type: str, what: str) -> tuple[int, int]:
        """(how many of that type did it, how many there are)."""
        of_type = [r for r in self.rows if r.org_type == org_type]
        return sum(1 for r in of_type if getattr(r, what)), len(of_type)


def engagement(session: Session, region: Region, now: dt.datetime) -> Engagement:
    organizations = [o for o in region.organizations if o.org_type in ENGAGED_TYPES]
    ids = [o.id for o in organizations]
    last_round = session.scalar(
        select(Round).where(Round.state.in_(("open", "closed")),
                            Round.id.in_(select(Invitation.round_id).where(Invitation.organization_id.in_(ids))))
        .order_by(Round.opens_at.desc(), Round.id.desc()).limit(1)) if ids else None
    answered: set[int] = set()
    if last_round is not None:
        answered = set(session.scalars(select(Invitation.organization_id).where(
            Invitation.round_id == last_round.id, Invitation.status == "submitted")))
    last_convening = next((c for c in session.scalars(
        select(Convening).where(Convening.state.in_(("scheduled", "held")), Convening.starts_at <= now)
        .order_by(Convening.starts_at.desc(), Convening.id.desc())) if region.code in (c.regions or [])), None)
    invited: set[int] = set()
    came: set[int] = set()
    if last_convening is not None:
        for org_id, attended in session.execute(select(ConveningInvitation.organization_id, func.max(
                case((ConveningInvitation.attended, 1), else_=0)).label("came")).where(
                ConveningInvitation.convening_id == last_convening.id).group_by(ConveningInvitation.organization_id)):
            invited.add(org_id)
            if attended:
                came.add(org_id)
    designation = session.get(Designation, (last_round.id, region.code)) if last_round is not None else None
    nominee = designation.nominee if designation is not None else None
    rows = [EngagementRow(
        organization_id=o.id, organization=o.name, slug=slugify(o.name), org_type=o.org_type,
        answered_last_round=o.id in answered,
        attended_last_convening=(o.id in came) if o.id in invited else None,
        counterpart=(nominee or {}).get("name", "") if (nominee or {}).get("organization") == o.name else "",
    ) for o in sorted(organizations, key=lambda o: (o.org_type, o.name.lower()))]
    return Engagement(region=region, last_round=last_round, last_convening=last_convening,
                      designation_status=designation.status if designation is not None else "none",
                      counterpart=nominee, rows=rows)


def engagement_rows(summary: Engagement) -> list[list[Any]]:
    """The summary as a table to download (CSV or XLSX): one row per board or college, a header first."""
    round_title = summary.last_round.title if summary.last_round else "no round yet"
    convening_title = summary.last_convening.title if summary.last_convening else "no convening yet"
    rows: list[list[Any]] = [["Region", "Organization", "Type", f"Answered the last round ({round_title})",
                              f"Attended the last convening ({convening_title})", "Navigator counterpart of the region"]]
    for row in summary.rows:
        attended = "not invited" if row.attended_last_convening is None else ("yes" if row.attended_last_convening else "no")
        rows.append([summary.region.name, row.organization, ORG_TYPE_LABELS.get(row.org_type, row.org_type),
                     "yes" if row.answered_last_round else "no", attended, row.counterpart])
    return rows
