"""Reminder commands: queue the slot due now for a round's unanswered invitations, send one by hand, and drop reminders an answer made moot.

The sweep is set-based (one query for the invitations, one for the reminders already queued,
one for which of the people due have mail still waiting) so that a round of 100,000 invitations is swept in
seconds, and a second sweep at the same time finds nothing to do.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import distinct, inspect, select, update
from sqlalchemy.orm import Session

from wfsurvey.database import transaction_notes
from wfsurvey.domain import commands as cmd
from wfsurvey.domain import events as ev
from wfsurvey.domain import reminders as rules
from wfsurvey.domain.errors import DomainError
from wfsurvey.mail.outbox import cancel_waiting
from wfsurvey.models import Contact, Invitation, Organization, OutboxMessage
from wfsurvey.services import invitations
from wfsurvey.services.rounds import NotFound, get_round
from wfsurvey.services.unit_of_work import AbstractUnitOfWork

#: Invitations queued per INSERT batch and ids per IN (...) list.
CHUNK = 5000
#: Outbox statuses of a message that has not left yet: the person will hear from us soon anyway.
WAITING = ("queued", "sending")
#: Why an answer cancelled a reminder (kept with the message).
ANSWERED = "not sent: the person answered"


@dataclass
class ReminderSweep:
    """What one QueueDueReminders did for a round (or for one chunk of its invitations)."""

    round_id: int
    #: The slot that was due, e.g. "P2D"; None when none was.
    slot: str | None = None
    #: Reminders queued now.
    queued: int = 0
    #: Already reminded for this slot or a later one (also after a missed slot was skipped).
    covered: int = 0
    #: Their invitation reached them after the slot fell due: this slot is not theirs.
    not_theirs: int = 0
    #: Messaged too recently (sent, or still waiting in the outbox): they get it at a later sweep.
    waiting_gap: int = 0
    #: Highest invitation id looked at, and whether there are more beyond it (see the command's limit).
    last_invitation_id: int = 0
    more: bool = False
    #: Why nothing was looked at, if so: the round is not open, no slot is due, outside sending hours.
    note: str = ""

    def counts(self) -> dict[str, int]:
        return {"queued": self.queued, "covered": self.covered, "not_theirs": self.not_theirs, "waiting_gap": self.waiting_gap}


def queue_due_reminders(command: cmd.QueueDueReminders, uow: AbstractUnitOfWork) -> ReminderSweep:
    session = uow.session
    now = uow.now
    # Locking the round serializes two sweeps of it (two schedulers, or a sweep and a manual `jobs run`).
    round_ = get_round(session, command.round_id, lock=True)
    sweep = ReminderSweep(round_id=round_.id)
    if round_.state != "open":
        sweep.note = f"round is {round_.state}"
        return sweep
    settings = round_.reminders or {}
    due = rules.due_now(settings, round_.closes_at, round_.timezone, now, opens_at=round_.opens_at)
    sweep.slot, sweep.note = due.slot_name, due.note
    if due.note:
        return sweep
    slots, slot = due.slots, due.slot

    # Eligibility is read here, in the transaction that queues: on PostgreSQL the rows stay locked
    # until commit, so an answer submitted meanwhile waits and then cancels what was queued.
    query = (
        select(Invitation.id, Invitation.sent_at, Contact.email, Contact.last_messaged_at, Contact.name,
               Organization.name.label("organization_name"))
        .join(Contact, Contact.id == Invitation.contact_id)
        .join(Organization, Organization.id == Invitation.organization_id)
        .where(Invitation.round_id == round_.id, Invitation.status.in_(rules.REMINDABLE),
               Invitation.id > command.after_invitation_id, Contact.opted_out_at.is_(None))
        .order_by(Invitation.id)
        .with_for_update(of=Invitation)
    )
    if command.limit is not None:
        query = query.limit(command.limit)
    rows = session.execute(query).all()
    if not rows:
        return sweep
    sweep.last_invitation_id = rows[-1].id
    sweep.more = command.limit is not None and len(rows) == command.limit

    covering = rules.superseding(slots, slot)
    reminded = {
        invitation_id for invitation_id, key in _reminder_keys(session, rows[0].id, rows[-1].id)
        if rules.slot_of_key(key) in covering
    }
    candidates = []
    for row in rows:
        if row.id in reminded:
            sweep.covered += 1
        elif not rules.received_before(row.sent_at, slot):
            sweep.not_theirs += 1
        elif not rules.gap_respected(row.last_messaged_at, now, settings.get("min_gap_hours")):
            sweep.waiting_gap += 1
        else:
            candidates.append(row)

    # Mail queued but not yet sent counts as a message now: two rounds swept one after the
    # other must not both write to one person inside the gap.
    waiting = _addresses_with_mail_waiting(session, [row.email for row in candidates])
    due = []
    for row in candidates:
        if row.email in waiting:
            sweep.waiting_gap += 1
        else:
            due.append(invitations.Recipient(row.id, row.email, row.name, row.organization_name))

    for start in range(0, len(due), CHUNK):
        sweep.queued += _queue(uow, round_, due[start:start + CHUNK], slot.name)
    return sweep


def send_reminder_now(command: cmd.SendReminderNow, uow: AbstractUnitOfWork) -> int:
    """Queue one reminder for an invitation; returns the outbox message id."""
    session = uow.session
    invitation = session.get(Invitation, command.invitation_id, with_for_update=True)
    if invitation is None:
        raise NotFound(f"no invitation {command.invitation_id}")
    round_ = invitation.round
    if round_.window_state(uow.now) != "open":
        raise DomainError(f"reminders are sent only while the round is open; it is {round_.window_state(uow.now).replace('_', ' ')}")
    if invitation.status == "pending":
        raise DomainError("the invitation has not been delivered yet: nothing to remind of (resend it instead)")
    if invitation.status not in rules.REMINDABLE or invitation.contact.opted_out_at is not None:
        status = "opted_out" if invitation.contact.opted_out_at is not None else invitation.status
        raise DomainError(f"the invitation is {status.replace('_', ' ')}: no reminder is sent")
    slot = rules.manual_slot(uow.now, round_.timezone)
    key = rules.slot_key(invitation.id, slot)
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)) is not None:
        raise DomainError("a reminder was already sent by hand today; try again tomorrow", code="conflict")
    _queue(uow, round_, invitations.recipients_for(session, [invitation.id]), slot)
    return session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key))


def cancel_moot_reminders(events: list[ev.ResponseSubmitted], uow: AbstractUnitOfWork) -> None:
    """Policy: an answer cancels the person's reminders still waiting in the outbox (queued by a sweep just
    before it, or claimed by a sender that has not started them: wfsurvey.mail.outbox.cancel_waiting).

    Every reminder queued counts on its invitation (reminders_sent), so an invitation loaded in this
    unit of work with none counted has nothing to cancel, and no statement is sent for it: the usual
    case of a first answer. (The invitation was read under its row lock, so a sweep cannot have
    queued one since.) One UPDATE for the others, by the outbox's invitation index.
    """
    session = uow.session
    ids = {e.invitation_id for e in events if _may_have_reminders(session, e.invitation_id)}
    cancel_waiting(session, invitation_ids=ids, kinds=("reminder",), reason=ANSWERED)


def _may_have_reminders(session: Session, invitation_id: int) -> bool:
    """False only when this transaction read, under the invitation's row lock, that no reminder was ever queued for
    it: the invitation is loaded in the session with none counted, or a command noted so (note_no_reminders)."""
    if invitation_id in transaction_notes(session, _NO_REMINDERS_KEY):
        return False
    invitation = session.identity_map.get(session.identity_key(Invitation, invitation_id))
    return invitation is None or inspect(invitation).dict.get("reminders_sent", 1) > 0


#: Where a session notes the invitations its transaction read, locked, with no reminder queued.
_NO_REMINDERS_KEY = "wfsurvey_no_reminders"


def note_no_reminders(session: Session, invitation_id: int) -> None:
    """This transaction read the invitation under its row lock (or SQLite's write lock) with reminders_sent 0."""
    transaction_notes(session, _NO_REMINDERS_KEY)[invitation_id] = True


def _reminder_keys(session: Session, first_id: int, last_id: int) -> list[tuple[int, str]]:
    """(invitation id, dedupe key) of every reminder of the invitations with ids in [first_id, last_id].

    By the invitation index alone (an invitation belongs to one round): filtering by the round's
    index would make each chunk read every message of the round.
    """
    return session.execute(
        select(OutboxMessage.invitation_id, OutboxMessage.dedupe_key)
        .where(OutboxMessage.invitation_id.between(first_id, last_id), OutboxMessage.kind == "reminder")
    ).all()


def _addresses_with_mail_waiting(session: Session, addresses: list[str]) -> set[str]:
    """Which of these addresses have a message (of any round) not yet sent.

    Only the sweep's candidates are asked about, so the reminders the sweep's earlier chunks just
    queued are never read back (they went to other people: an address is one contact's, and a
    contact has one invitation per round). outbox.to_addr has no index: the database matches the
    waiting rows (by the status index) against the list.
    """
    found: set[str] = set()
    for start in range(0, len(addresses), CHUNK):
        found.update(session.scalars(
            select(distinct(OutboxMessage.to_addr))
            .where(OutboxMessage.status.in_(WAITING), OutboxMessage.to_addr.in_(addresses[start:start + CHUNK]))
        ))
    return found


def _queue(uow: AbstractUnitOfWork, round_, recipients: list[invitations.Recipient], slot: str) -> int:
    """Queue one reminder per recipient for `slot`, count it on the invitation, and record ReminderQueued."""
    session = uow.session
    # Only messages this call adds are counted and announced, should a key be in the outbox already.
    queued = invitations.queue_messages(uow, round_, recipients, kind="reminder", dedupe=f"reminder:{{invitation_id}}:{slot}")
    message_ids: dict[str, int] = {}
    for start in range(0, len(queued), CHUNK):
        ids = queued[start:start + CHUNK]
        # Each ReminderQueued names its message: the new rows' ids, found by their unique keys.
        message_ids.update(session.execute(
            select(OutboxMessage.dedupe_key, OutboxMessage.id)
            .where(OutboxMessage.dedupe_key.in_([rules.slot_key(invitation_id, slot) for invitation_id in ids]))
        ).all())
        session.execute(
            update(Invitation)
            .where(Invitation.id.in_(ids))
            .values(reminders_sent=Invitation.reminders_sent + 1)
            .execution_options(synchronize_session=False)
        )
    for invitation_id in queued:
        uow.record(ev.ReminderQueued(invitation_id=invitation_id, round_id=round_.id, slot=slot,
                                     message_id=message_ids[rules.slot_key(invitation_id, slot)]))
    return len(queued)
