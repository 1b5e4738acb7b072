"""Convening commands: create, send invitations, reschedule, cancel, mark held; RSVPs with a waitlist; attendance,
walk-ins and outcome notes; and the reminder sweep before the start.

Built on what rounds use: the audience resolver (queries.audience), access tokens made and hashed by
domain.tokens, the outbox (each message under a unique dedupe key, queued by the handler that made its
token), the reminder rules of domain.reminders (offsets counted before the start), and the jobs.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from wfsurvey import settings
from wfsurvey.bulk import insert_rows
from wfsurvey.domain import commands as cmd
from wfsurvey.domain import convenings as rules
from wfsurvey.domain import events as ev
from wfsurvey.domain import reminders as reminder_rules
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.text import without_controls
from wfsurvey.mail.outbox import OPTED_OUT, cancel_waiting
from wfsurvey.models import (
    AccessToken,
    Contact,
    Convening,
    ConveningInvitation,
    Organization,
    OutboxMessage,
    OutcomeNote,
)
from wfsurvey.queries import audience
from wfsurvey.services import stakeholders
from wfsurvey.services.invitations import issue_rows, link_base, message_link
from wfsurvey.services.stakeholder_edits import record_opt_out
from wfsurvey.services.unit_of_work import AbstractUnitOfWork

CHUNK = 5000
#: Convening mail that asks for an answer or reminds: a cancellation stops what is still waiting.
WAITING_KINDS = ("convening_invitation", "convening_reminder", "convening_promoted", "convening_moved")
#: The slot of the one reminder to people who have not answered.
NO_ANSWER_SLOT = "no-answer"


class NotFound(DomainError):
    code = "not_found"


class RsvpClosed(DomainError):
    """The convening no longer takes answers (it started, was cancelled or held)."""
    code = "closed"


class RsvpInvalid(DomainError):
    """What the invitee typed cannot be taken; `errors` names each field, in words for the page."""
    code = "invalid"

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()), code="invalid", fields={k: [v] for k, v in errors.items()})
        self.errors = errors


@dataclass
class Recipient:
    convening_invitation_id: int
    email: str
    name: str
    organization_name: str
    answer: str | None = None


def get_convening(session: Session, convening_id: int, *, lock: bool = False) -> Convening:
    convening = session.get(Convening, convening_id, with_for_update=lock or None)
    if convening is None:
        raise NotFound(f"no convening {convening_id}")
    return convening


def _region_codes(session: Session, values) -> list[str]:
    try:
        return audience.region_codes(session, values)
    except DomainError as exc:
        # The resolver names the audience's field; here the convening's (or the note's) own regions were at fault.
        raise DomainError(exc.message, code="invalid", fields={"regions": [exc.message]}) from None


def _invitation(session: Session, invitation_id: int, *, lock: bool = False) -> ConveningInvitation:
    invitation = session.get(ConveningInvitation, invitation_id, with_for_update=lock or None)
    if invitation is None:
        raise NotFound(f"no convening invitation {invitation_id}")
    return invitation


# --- the convening ---------------------------------------------------------------------------------

def create_convening(command: cmd.CreateConvening, uow: AbstractUnitOfWork) -> Convening:
    """The edges checked the values (see cmd.CreateConvening); here the regions, made codes, and the times."""
    session = uow.session
    rules.check_times(command.starts_at, command.ends_at, uow.now)
    regions = _region_codes(session, command.regions)
    # The audience's regions default to the convening's own: "the boards and colleges of these regions".
    chosen = command.audience
    chosen = replace(chosen, regions=tuple(audience.region_codes(session, chosen.regions)) if chosen.regions else tuple(regions))
    convening = Convening(
        title=command.title, purpose=command.purpose, regions=regions, timezone=command.timezone,
        starts_at=command.starts_at, ends_at=command.ends_at, location=command.location, online_url=command.online_url,
        capacity=command.capacity, audience=chosen.to_stored(), reminders=command.reminders.to_stored(), state="draft",
        sequence=0, created_at=uow.now, created_by=uow.actor,
    )
    session.add(convening)
    session.flush()
    convening.record(ev.ConveningCreated(
        convening_id=convening.id, title=convening.title, regions=list(regions), starts_at=convening.starts_at.isoformat(),
        ends_at=convening.ends_at.isoformat(), timezone=convening.timezone, capacity=convening.capacity,
    ))
    return convening


def send_invitations(command: cmd.SendConveningInvitations, uow: AbstractUnitOfWork) -> Convening:
    session = uow.session
    convening = get_convening(session, command.convening_id, lock=True)
    people = audience.resolve(session, cmd.Audience.from_stored(convening.audience)).eligible
    # Invitations first, then ConveningInvitationsSent (which send_invitations refuses, rolling all back, if it must).
    recipients = _issue(uow, convening, people)
    convening.send_invitations(uow.now, len(people))
    queue_messages(uow, convening, recipients, kind="convening_invitation", dedupe="convening_invitation:{id}",
                   method="REQUEST")
    return convening


def _issue(uow: AbstractUnitOfWork, convening: Convening, people: Sequence[audience.Eligible]) -> list[Recipient]:
    issued = issue_rows(
        uow, ConveningInvitation, ConveningInvitation.convening_id, convening.id, people,
        values={"note": "", "needs": "", "attended": False, "reminders_sent": 0},
        event=lambda invitation_id, p: ev.ConveningInvitationIssued(
            convening_invitation_id=invitation_id, convening_id=convening.id, contact_id=p.contact_id,
            organization_id=p.organization_id, regions=list(p.regions)))
    return [Recipient(invitation_id, p.email, p.name, p.organization_name) for invitation_id, p in issued]


def reschedule_convening(command: cmd.RescheduleConvening, uow: AbstractUnitOfWork) -> Convening:
    session = uow.session
    convening = get_convening(session, command.convening_id, lock=True)
    old_when = rules.when_words(convening.starts_at, convening.ends_at, convening.timezone)
    convening.reschedule(command.starts_at, command.ends_at, uow.now, command.reason)
    if convening.state == "scheduled":
        # Reminders queued for the old time must not go out; the sweep queues them again for the new one.
        _cancel_waiting_of(session, convening.id, ("convening_reminder",), "not sent: the convening moved")
        queue_messages(uow, convening, _told(session, convening.id), kind="convening_moved",
                       dedupe=f"convening_moved:{{id}}:{convening.sequence}", method="REQUEST",
                       extra={"old_when_local": old_when, "reason": command.reason})
    return convening


@dataclass
class CapacitySet:
    convening: Convening
    #: Convening invitation ids that moved from the waitlist to a seat (each emailed).
    promoted: list[int]


def set_capacity(command: cmd.SetConveningCapacity, uow: AbstractUnitOfWork) -> CapacitySet:
    """Change the seats, never below those already given; seats added go to the waitlist as a seat given up does."""
    session = uow.session
    # The row lock serializes this with the answers, which count seats under it too (answer_rsvp).
    convening = get_convening(session, command.convening_id, lock=True)
    if not convening.set_capacity(command.capacity, _confirmed(session, convening.id)):
        return CapacitySet(convening, [])
    return CapacitySet(convening, promote_waitlist(uow, convening))


def cancel_convening(command: cmd.CancelConvening, uow: AbstractUnitOfWork) -> Convening:
    session = uow.session
    convening = get_convening(session, command.convening_id, lock=True)
    was_scheduled = convening.state == "scheduled"
    convening.cancel(uow.now, command.reason)
    if was_scheduled:
        _cancel_waiting_of(session, convening.id, WAITING_KINDS, "not sent: the convening was cancelled")
        queue_messages(uow, convening, _told(session, convening.id), kind="convening_cancelled",
                       dedupe="convening_cancelled:{id}", method="CANCEL", with_link=False,
                       extra={"reason": command.reason})
    return convening


def mark_held(command: cmd.MarkConveningHeld, uow: AbstractUnitOfWork) -> Convening:
    convening = get_convening(uow.session, command.convening_id, lock=True)
    convening.mark_held(uow.now)
    _cancel_waiting_of(uow.session, convening.id, WAITING_KINDS, "not sent: the convening took place")
    return convening


def _told(session: Session, convening_id: int) -> list[Recipient]:
    """Everyone whose invitation was queued and not bounced: a new time or a cancellation reaches each of them."""
    invited = select(OutboxMessage.convening_invitation_id).where(
        OutboxMessage.convening_id == convening_id, OutboxMessage.kind == "convening_invitation")
    return _recipients(session, [ConveningInvitation.convening_id == convening_id,
                                 ConveningInvitation.status.in_(("pending", "sent")),
                                 ConveningInvitation.id.in_(invited)])


def _recipients(session: Session, where: list) -> list[Recipient]:
    rows = session.execute(
        select(ConveningInvitation.id, Contact.email, Contact.name, Organization.name, ConveningInvitation.answer)
        .join(Contact, Contact.id == ConveningInvitation.contact_id)
        .join(Organization, Organization.id == ConveningInvitation.organization_id)
        .where(*where).order_by(ConveningInvitation.id)
    ).all()
    return [Recipient(*row) for row in rows]


def _cancel_waiting_of(session: Session, convening_id: int, kinds: Sequence[str], reason: str) -> int:
    ids = session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.convening_id == convening_id, OutboxMessage.kind.in_(list(kinds)),
        OutboxMessage.status.in_(("queued", "sending")))).all()
    return cancel_waiting(session, reason=reason, message_ids=ids) if ids else 0


# --- mail --------------------------------------------------------------------------------------------

def _found(session: Session, column, values: list, *where) -> set:
    """Which of `values` the outbox holds in `column` (among rows meeting `where`), CHUNK values per statement."""
    found: set = set()
    for start in range(0, len(values), CHUNK):
        found.update(session.scalars(select(column).where(column.in_(values[start:start + CHUNK]), *where)))
    return found


def links(base: str, token: str) -> tuple[str, str]:
    return f"{base}/c/{token}", f"{base}/c/{token}/opt-out"


def calendar_entry(convening: Convening):
    from wfsurvey.mail.calendar import CalendarEntry

    current = settings.current()
    return CalendarEntry(
        convening_id=convening.id, title=convening.title, description=convening.purpose, starts_at=convening.starts_at,
        ends_at=convening.ends_at, timezone=convening.timezone, location=convening.location,
        online_url=convening.online_url, sequence=convening.sequence, organizer=current["MAIL_FROM"],
        base_url=current["BASE_URL"])


def queue_messages(uow: AbstractUnitOfWork, convening: Convening, recipients: Sequence[Recipient], *, kind: str,
                   dedupe: str, method: str | None, extra: dict | None = None, with_link: bool = True) -> list[int]:
    """Queue one message per recipient, each with its own new /c/ link and (with `method`) its calendar entry;
    `dedupe` is formatted with the convening invitation's id. Returns the invitation ids whose message was queued.

    As for rounds (services.invitations.queue_messages), the raw token exists only here and in the message body.
    """
    from wfsurvey.mail import calendar
    from wfsurvey.mail.outbox import enqueue_many
    from wfsurvey.mail.render import render_email, sender_name

    session = uow.session
    current = settings.current()
    reply_to = current.get("MAIL_REPLY_TO") or ""
    keys = {r.convening_invitation_id: dedupe.format(id=r.convening_invitation_id) for r in recipients}
    existing = _found(session, OutboxMessage.dedupe_key, list(keys.values()))
    common = {
        "convening_title": convening.title, "purpose": convening.purpose,
        "when_local": rules.when_words(convening.starts_at, convening.ends_at, convening.timezone),
        "location": convening.location, "online_url": convening.online_url,
        "sender_name": sender_name(current["MAIL_FROM"]), "reply_to": reply_to, **(extra or {}),
    }
    entry = calendar_entry(convening) if method else None
    base = link_base()
    tokens: list[dict] = []
    rows: list[dict] = []
    for r in recipients:
        key = keys[r.convening_invitation_id]
        if key in existing:
            continue
        link, opt_out, headers = message_link(uow, tokens, kind=kind, base=base, make_links=links, reply_to=reply_to,
                                              with_link=with_link, convening_invitation_id=r.convening_invitation_id,
                                              invitation_id=None)
        context = {**common, "contact_name": r.name, "organization_name": r.organization_name, "link": link,
                   "opt_out_link": opt_out}
        if kind == "convening_reminder":
            context.setdefault("answer", r.answer or "")
        attachments = [calendar.attachment(entry, method=method, attendee_email=r.email, attendee_name=r.name,
                                           stamp=uow.now)] if entry is not None else None
        rows.append({"dedupe_key": key, "kind": kind, "to_addr": r.email, "rendered": render_email(kind, **context),
                     "headers": headers, "convening_id": convening.id,
                     "convening_invitation_id": r.convening_invitation_id, "attachments": attachments})
    insert_rows(session, AccessToken.__table__, tokens)
    enqueue_many(session, rows, now=uow.now)
    return [row["convening_invitation_id"] for row in rows]


# --- RSVPs -------------------------------------------------------------------------------------------

def answer_rsvp(command: cmd.AnswerRsvp, uow: AbstractUnitOfWork) -> ConveningInvitation:
    """Take (or change) an answer; a yes beyond capacity waits, and a seat given up goes to the first waiting."""
    session = uow.session
    invitation = _invitation(session, command.convening_invitation_id)
    # The convening's row lock serializes every answer to it: seats are counted and given one answer at a time.
    convening = get_convening(session, invitation.convening_id, lock=True)
    session.refresh(invitation, with_for_update=True)
    if not convening.takes_rsvps(uow.now):
        raise RsvpClosed(_closed_words(convening))
    errors = {}
    if command.answer not in rules.ANSWERS:
        errors["answer"] = "Choose yes, no or maybe."
    note = without_controls(command.note or "", multiline=True).strip()
    needs = without_controls(command.needs or "", multiline=True).strip()
    for name, value in (("note", note), ("needs", needs)):
        if len(value) > rules.LONGEST_NOTE:
            errors[name] = f"Keep this under {rules.LONGEST_NOTE:,} characters (it has {len(value):,})."
    if errors:
        raise RsvpInvalid(errors)
    before = invitation.standing
    invitation.note, invitation.needs, invitation.answered_at = note, needs, uow.now
    invitation.answer = command.answer
    if command.answer == "yes":
        if before not in ("yes", "waitlisted"):
            if rules.has_seat(_confirmed(session, convening.id, exclude=invitation.id), convening.capacity):
                invitation.waitlist_seq = None
            else:
                last = session.scalar(select(func.max(ConveningInvitation.waitlist_seq))
                                      .where(ConveningInvitation.convening_id == convening.id))
                invitation.waitlist_seq = (last or 0) + 1
    else:
        invitation.waitlist_seq = None
    session.flush()
    invitation.record(ev.RsvpGiven(
        convening_invitation_id=invitation.id, convening_id=convening.id, contact_id=invitation.contact_id,
        organization_id=invitation.organization_id, answer=command.answer, waitlisted=invitation.waitlisted,
        with_note=bool(note or needs)))
    if before == "yes" and invitation.standing != "yes":
        promote_waitlist(uow, convening)
    return invitation


def _closed_words(convening: Convening) -> str:
    if convening.state == "cancelled":
        return "the convening was cancelled"
    if convening.state == "draft":
        return "the convening's invitations have not gone out"
    return "the convening has started, so answers can no longer be changed"


def _confirmed(session: Session, convening_id: int, *, exclude: int | None = None) -> int:
    query = select(func.count()).select_from(ConveningInvitation).where(
        ConveningInvitation.convening_id == convening_id, ConveningInvitation.answer == "yes",
        ConveningInvitation.waitlist_seq.is_(None))
    if exclude is not None:
        query = query.where(ConveningInvitation.id != exclude)
    return session.scalar(query) or 0


def promote_waitlist(uow: AbstractUnitOfWork, convening: Convening) -> list[int]:
    """Give free seats to the waitlist in order of arrival, and email each person promoted (with their link)."""
    session = uow.session
    waiting = session.scalars(
        select(ConveningInvitation).where(ConveningInvitation.convening_id == convening.id,
                                          ConveningInvitation.answer == "yes",
                                          ConveningInvitation.waitlist_seq.is_not(None))
        .order_by(ConveningInvitation.waitlist_seq, ConveningInvitation.id).with_for_update()
    ).all()
    count = rules.seats_to_fill(_confirmed(session, convening.id), convening.capacity, len(waiting))
    promoted = list(waiting[:count])
    for invitation in promoted:
        invitation.waitlist_seq = None
        invitation.record(ev.RsvpPromoted(convening_invitation_id=invitation.id, convening_id=convening.id,
                                          contact_id=invitation.contact_id, organization_id=invitation.organization_id))
    session.flush()
    for invitation in promoted:
        earlier = session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.convening_invitation_id == invitation.id, OutboxMessage.kind == "convening_promoted")) or 0
        queue_messages(uow, convening, _recipients(session, [ConveningInvitation.id == invitation.id]),
                       kind="convening_promoted", dedupe=f"convening_promoted:{{id}}:{earlier + 1}", method=None)
    return [invitation.id for invitation in promoted]


def opt_out(command: cmd.OptOutOfConvenings, uow: AbstractUnitOfWork) -> Contact:
    """The person asks, from a convening link, for no more mail: the same opt-out as from a survey link."""
    invitation = _invitation(uow.session, command.convening_invitation_id)
    contact = uow.session.get(Contact, invitation.contact_id, with_for_update=True)
    record_opt_out(contact, uow, via_invitation_id=None, via_convening_invitation_id=invitation.id)
    waiting = uow.session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.to_addr == contact.email, OutboxMessage.convening_id.is_not(None))).all()
    if waiting:
        cancel_waiting(uow.session, reason=OPTED_OUT, message_ids=waiting)
    return contact


# --- attendance, walk-ins and outcomes -----------------------------------------------------------

def record_attendance(command: cmd.RecordAttendance, uow: AbstractUnitOfWork) -> ConveningInvitation:
    session = uow.session
    invitation = _invitation(session, command.convening_invitation_id, lock=True)
    _check_in_open(invitation.convening)
    if invitation.attended != command.attended:
        invitation.attended = command.attended
        invitation.attended_at = uow.now if command.attended else None
        invitation.record(ev.AttendanceRecorded(
            convening_invitation_id=invitation.id, convening_id=invitation.convening_id,
            contact_id=invitation.contact_id, organization_id=invitation.organization_id, attended=command.attended))
    return invitation


def _check_in_open(convening: Convening) -> None:
    if convening.state not in ("scheduled", "held"):
        raise DomainError(f"the convening is {convening.state}: nobody can be checked in")


def add_walk_in(command: cmd.AddWalkIn, uow: AbstractUnitOfWork) -> ConveningInvitation:
    """Check in someone who came uninvited; a new person becomes a contact (of a new organization if need be)."""
    session = uow.session
    convening = get_convening(session, command.convening_id, lock=True)
    _check_in_open(convening)
    name, email, _title, problems = stakeholders.checked_contact_fields(session, command.name, command.email, "")
    contact = None
    if problems.get("email", "").endswith("is already a contact"):
        contact = session.scalar(select(Contact).where(Contact.email == email))
        problems.pop("email")
    if command.organization_id is None and not command.organization_name.strip() and contact is None:
        problems["organization"] = "choose their organization or name a new one"
    if problems:
        raise stakeholders.invalid(problems, "walk-in")
    if contact is None:
        organization_id = command.organization_id
        if organization_id is None:
            existing = session.scalar(select(Organization.id).where(
                func.lower(Organization.name) == command.organization_name.strip().lower()))
            organization_id = existing or stakeholders.create_organization(cmd.CreateOrganization(
                name=command.organization_name, org_type=command.org_type, regions=tuple(convening.regions[:1])), uow)
        contact_id = stakeholders.create_contact(cmd.CreateContact(organization_id, name, email), uow)
        contact = session.get(Contact, contact_id)
    invitation = session.scalar(select(ConveningInvitation).where(
        ConveningInvitation.convening_id == convening.id, ConveningInvitation.contact_id == contact.id))
    if invitation is None:
        organization = session.get(Organization, contact.organization_id)
        invitation = ConveningInvitation(
            convening_id=convening.id, contact_id=contact.id, organization_id=contact.organization_id, status="walk_in",
            issued_at=uow.now, note="", needs="", attended=False, reminders_sent=0)
        session.add(invitation)
        session.flush()
        invitation.record(ev.ConveningInvitationIssued(
            convening_invitation_id=invitation.id, convening_id=convening.id, contact_id=contact.id,
            organization_id=contact.organization_id, regions=organization.region_codes, walk_in=True))
    return record_attendance(cmd.RecordAttendance(invitation.id, True), uow)


def record_outcome_note(command: cmd.RecordOutcomeNote, uow: AbstractUnitOfWork) -> OutcomeNote:
    session = uow.session
    text = without_controls(command.text or "", multiline=True).strip()
    problems = {}
    if not text:
        problems["text"] = "write what came out of it"
    elif len(text) > rules.LONGEST_NOTE:
        problems["text"] = f"at most {rules.LONGEST_NOTE:,} characters"
    if command.convening_id is not None:
        get_convening(session, command.convening_id)
    regions = _region_codes(session, command.regions)
    organization_ids = sorted(set(command.organization_ids))
    found = set(session.scalars(select(Organization.id).where(Organization.id.in_(organization_ids))))
    unknown = [str(i) for i in organization_ids if i not in found]
    if unknown:
        problems["organizations"] = f"no organization {', '.join(unknown)}"
    if not regions and not organization_ids and not problems:
        problems["regions"] = "link the note to at least one region or organization"
    if problems:
        raise stakeholders.invalid(problems, "outcome note")
    note = OutcomeNote(convening_id=command.convening_id, text=text, regions=regions, organization_ids=organization_ids,
                       created_at=uow.now, created_by=uow.actor)
    session.add(note)
    session.flush()
    uow.record(ev.OutcomeNoteRecorded(note_id=note.id, convening_id=command.convening_id, text=text, regions=regions,
                                      organization_ids=organization_ids))
    return note


# --- reminders ---------------------------------------------------------------------------------------

@dataclass
class ConveningSweep:
    convening_id: int
    slot: str | None = None
    queued: int = 0
    note: str = ""


def queue_convening_reminders(command: cmd.QueueConveningReminders, uow: AbstractUnitOfWork) -> ConveningSweep:
    """The reminder slot due now (offsets before the start, as a round's before its close): to those who said yes or
    maybe, and the one reminder to those who have not answered; sending hours, the minimum gap and opt-outs as for
    rounds. Dedupe keys name the slot and the convening's SEQUENCE, so a moved convening is reminded afresh."""
    session = uow.session
    now = uow.now
    convening = get_convening(session, command.convening_id, lock=True)
    sweep = ConveningSweep(convening_id=convening.id)
    if convening.state != "scheduled":
        sweep.note = f"convening is {convening.state}"
        return sweep
    policy = convening.reminders or {}
    due = reminder_rules.due_now(policy, convening.starts_at, convening.timezone, now, opens_at=convening.invited_at)
    sweep.slot, sweep.note = due.slot_name, due.note
    if due.note:
        return sweep
    slots, slot = due.slots, due.slot
    rows = session.execute(
        select(ConveningInvitation.id, ConveningInvitation.answer, ConveningInvitation.waitlist_seq,
               ConveningInvitation.sent_at, Contact.email, Contact.name, Contact.last_messaged_at,
               Organization.name.label("organization_name"))
        .join(Contact, Contact.id == ConveningInvitation.contact_id)
        .join(Organization, Organization.id == ConveningInvitation.organization_id)
        .where(ConveningInvitation.convening_id == convening.id, ConveningInvitation.status == "sent",
               Contact.opted_out_at.is_(None))
        .order_by(ConveningInvitation.id).with_for_update(of=ConveningInvitation)
    ).all()
    prefix = f"convening_reminder:{{id}}:{convening.sequence}:"
    keys = set(session.scalars(select(OutboxMessage.dedupe_key).where(
        OutboxMessage.convening_id == convening.id, OutboxMessage.kind == "convening_reminder")))
    # Mail not yet sent to a person counts as a message now, as in the rounds' sweep (services.reminders).
    waiting = _found(session, OutboxMessage.to_addr, [r.email for r in rows],
                     OutboxMessage.status.in_(("queued", "sending")))
    covering = reminder_rules.superseding(slots, slot)
    by_slot: dict[str, list[Recipient]] = {}
    for row in rows:
        standing = rules.standing(row.answer, row.waitlist_seq)
        if standing in rules.REMINDED:
            name = slot.name
            done = any(prefix.format(id=row.id) + s in keys for s in covering)
        elif standing == "no_answer":
            name = NO_ANSWER_SLOT
            done = prefix.format(id=row.id) + name in keys
        else:
            continue
        if done or not reminder_rules.received_before(row.sent_at, slot):
            continue
        if row.email in waiting or not reminder_rules.gap_respected(row.last_messaged_at, now, policy.get("min_gap_hours")):
            continue
        by_slot.setdefault(name, []).append(Recipient(row.id, row.email, row.name, row.organization_name, row.answer))
    for name, recipients in by_slot.items():
        queued = queue_messages(uow, convening, recipients, kind="convening_reminder", dedupe=prefix + name,
                                method=None)
        if not queued:
            continue
        message_ids = dict(session.execute(select(OutboxMessage.convening_invitation_id, OutboxMessage.id).where(
            OutboxMessage.dedupe_key.in_([prefix.format(id=i) + name for i in queued]))).all())
        session.execute(update(ConveningInvitation).where(ConveningInvitation.id.in_(queued))
                        .values(reminders_sent=ConveningInvitation.reminders_sent + 1)
                        .execution_options(synchronize_session=False))
        for invitation_id in queued:
            uow.record(ev.ConveningReminderQueued(convening_invitation_id=invitation_id, convening_id=convening.id,
                                                  slot=name, message_id=message_ids[invitation_id]))
        sweep.queued += len(queued)
    return sweep
