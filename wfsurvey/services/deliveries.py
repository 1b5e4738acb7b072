"""Recording what became of the messages a sender tried (the RecordDeliveryOutcomes handler): sent, retried with backoff, bounced, unknown, released.

Transient failures (4xx, refused connection, timeout, disconnect before the data) go back to
``queued`` with exponential backoff (1, 2, 4 ... minutes, at most 6 hours); after MAX_ATTEMPTS
(about three days) the message is given up as failed and bounced. Permanent failures (5xx to the
recipient or the data) fail at once, bounce, and mark the invitation ``bounced``. An outcome counts
only for a row still under the claim it names (wfsurvey.mail.outbox.Claim); the sender and its
rules are in wfsurvey.mail.sender.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

from sqlalchemy import Row, bindparam, case, func, or_, select, update
from sqlalchemy.orm import Session

from wfsurvey.database import one_of
from wfsurvey.domain import events as ev
from wfsurvey.domain.commands import DeliveryOutcome, RecordDeliveryOutcomes
from wfsurvey.mail.outbox import NO_CLAIM
from wfsurvey.models.convenings import ConveningInvitation
from wfsurvey.models.invitations import Invitation
from wfsurvey.models.outbox import OutboxMessage
from wfsurvey.models.stakeholders import Contact
from wfsurvey.prepared import Prepared
from wfsurvey.services.unit_of_work import AbstractUnitOfWork

log = logging.getLogger(__name__)

#: First retry delay, doubled at each further attempt, capped at MAX_BACKOFF.
BASE_BACKOFF = dt.timedelta(minutes=1)
MAX_BACKOFF = dt.timedelta(hours=6)
#: Attempts before a message is given up: 1+2+...+256 minutes, then every 6 hours, is about 3 days.
MAX_ATTEMPTS = 20
#: Kinds whose message carries the survey link: their delivery marks the invitation sent.
LINK_KINDS = frozenset({"invitation", "reminder", "resend", "forward", "forwarded"})
#: Kinds whose message carries a convening's link (/c/): their delivery marks the convening invitation sent.
CONVENING_LINK_KINDS = frozenset({"convening_invitation", "convening_reminder", "convening_promoted", "convening_moved"})
#: Outcomes that may bounce the invitation (a transient one once it is given up).
_MAY_BOUNCE = frozenset({"transient", "permanent"})

_outbox, _invitations, _contacts = OutboxMessage.__table__, Invitation.__table__, Contact.__table__
_convening_invitations = ConveningInvitation.__table__


def backoff(attempts: int) -> dt.timedelta:
    """Delay before the next try after `attempts` failed ones (1 -> 1 minute, 2 -> 2, 3 -> 4, ...)."""
    return min(BASE_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def record_delivery_outcomes(command: RecordDeliveryOutcomes, uow: AbstractUnitOfWork) -> Counter:
    """Apply each outcome to its outbox row, invitation and contact, and record the events; returns counts applied.

    Core statements on plain rows rather than ORM objects, and one statement for all the sent
    rows: a delivery run records one of these per OUTCOME_GROUP messages, nearly all sent, and
    per-row bookkeeping would cost more than sending. A send and a bounce of one invitation
    commute (a bounce wins, sent_at is kept), so the two are applied apart.
    """
    outcomes = {o.message_id: o for o in command.outcomes}
    sent, others = [], []
    for row in _OUTBOX_ROWS.execute(uow.session, {"ids": list(outcomes)}).fetchall():
        outcome = outcomes[row.id]
        if row.status != "sending" or (outcome.claim is not None and (row.claim_stage, row.claim_batch) != tuple(outcome.claim)):
            # Another sender, a recovery or a cancellation took the row over; its account of the row stands.
            log.warning("outbox %s: ignoring outcome %s, the row is %s (%s of batch %s)", row.id, outcome.result,
                        row.status, row.claim_stage, row.claim_batch)
            continue
        if outcome.result == "sent":
            sent.append(row)
        else:
            others.append((row, outcome))
    applied = _apply_failures(uow, others) if others else Counter()
    if sent:
        _apply_sent(uow, sent)
        applied["sent"] += len(sent)
    return applied


def _apply_sent(uow: AbstractUnitOfWork, rows: list[Row]) -> None:
    """Sent rows, their invitations (now sent, unless further along) and contacts, in a statement each."""
    session: Session = uow.session
    now: dt.datetime = uow.now
    _MARK_SENT.execute(session, {"ids": [row.id for row in rows], "now": now})
    links = [row.invitation_id for row in rows if row.invitation_id is not None and row.kind in LINK_KINDS]
    if links:
        _INVITATIONS_SENT.execute(session, {"ids": links, "now": now})
    convening_links = [row.convening_invitation_id for row in rows
                       if row.convening_invitation_id is not None and row.kind in CONVENING_LINK_KINDS]
    if convening_links:
        _CONVENING_INVITATIONS_SENT.execute(session, {"ids": convening_links, "now": now})
    # contacts.last_messaged_at feeds the minimum gap between two messages to one person.
    invitation_ids = [row.invitation_id for row in rows if row.invitation_id is not None]
    emails = [row.to_addr for row in rows if row.invitation_id is None]
    if invitation_ids and not emails:  # an invitation's messages, nearly all of them: one prepared statement
        _INVITEES_MESSAGED.execute(session, {"invitation_ids": invitation_ids, "now": now})
    else:
        whom = (([_contacts.c.id.in_(_invitees)] if invitation_ids else [])
                + ([_contacts.c.email.in_(emails)] if emails else []))
        session.execute(_messaged(or_(*whom)), {"invitation_ids": invitation_ids, "now": now})
    for row in rows:
        uow.record(ev.EmailDelivered(message_id=row.id, kind=row.kind, invitation_id=row.invitation_id, round_id=row.round_id))


def _apply_failures(uow: AbstractUnitOfWork, pairs: list[tuple[Row, DeliveryOutcome]]) -> Counter:
    """Every outcome but sent, a row at a time (they are few): retries, bounces, unknowns and releases."""
    session: Session = uow.session
    now: dt.datetime = uow.now
    # Only the invitations a bounce may change are locked (a release or an unknown changes none).
    invitation_ids = sorted({row.invitation_id for row, outcome in pairs
                             if row.invitation_id is not None and outcome.result in _MAY_BOUNCE})
    invitations = {
        found.id: found.status for found in _INVITATION_ROWS.execute(session, {"ids": invitation_ids})
    } if invitation_ids else {}
    bounced: set[int] = set()
    changes = []
    applied: Counter = Counter()
    for row, outcome in pairs:
        result, reason = outcome.result, outcome.reason
        change = {"row_id": row.id, "new_status": None, "new_error": reason, "new_attempts": row.attempts + 1, "retry_at": None}
        if result == "release":
            change.update(new_status="queued", new_error=reason or None, new_attempts=row.attempts)
        elif result == "transient" and row.attempts + 1 < MAX_ATTEMPTS:
            change.update(new_status="queued", retry_at=now + backoff(row.attempts + 1))
        elif result in ("transient", "permanent"):
            if result == "transient":
                reason = f"gave up after {row.attempts + 1} attempts: {reason}"
                result = "permanent"
            change.update(new_status="failed", new_error=reason)
            # A message that cannot reach the person means the invitation did not either, unless
            # they have already answered or opened it by another message.
            if invitations.get(row.invitation_id) in ("pending", "sent"):
                invitations[row.invitation_id] = "bounced"
                bounced.add(row.invitation_id)
            uow.record(ev.EmailBounced(message_id=row.id, kind=row.kind, invitation_id=row.invitation_id,
                                       round_id=row.round_id, reason=reason[:1000]))
        elif result == "unknown":
            change.update(new_status="unknown")
            uow.record(ev.EmailDeliveryUnknown(message_id=row.id, reason=reason[:1000]))
        else:
            raise ValueError(f"unknown delivery result {result!r} for outbox message {row.id}")
        changes.append(change)
        applied[result] += 1
    session.execute(_UPDATE_OUTBOX, changes)
    if bounced:
        session.execute(update(_invitations).where(_invitations.c.id.in_(bounced)).values(status="bounced"))
    # A convening's invitation that cannot reach the person bounces too (unless an earlier message reached them).
    convening_bounced = sorted({row.convening_invitation_id for row, change in zip((p[0] for p in pairs), changes)
                                if row.convening_invitation_id is not None and change["new_status"] == "failed"
                                and row.kind == "convening_invitation"})
    if convening_bounced:
        session.execute(update(_convening_invitations).where(_convening_invitations.c.id.in_(convening_bounced),
                                                             _convening_invitations.c.status == "pending")
                        .values(status="bounced"))
    return applied


_OUTBOX_ROWS = Prepared(
    select(_outbox.c.id, _outbox.c.kind, _outbox.c.invitation_id, _outbox.c.round_id, _outbox.c.to_addr,
           _outbox.c.convening_invitation_id,
           _outbox.c.status, _outbox.c.claim_stage, _outbox.c.claim_batch, _outbox.c.attempts)
    .where(one_of(_outbox.c.id, "ids")).order_by(_outbox.c.id).with_for_update()
)
_INVITATION_ROWS = Prepared(
    select(_invitations.c.id, _invitations.c.status)
    .where(one_of(_invitations.c.id, "ids")).order_by(_invitations.c.id).with_for_update()
)
#: Every outcome ends the row's claim.
_MARK_SENT = Prepared(
    update(_outbox).where(one_of(_outbox.c.id, "ids"))
    .values(status="sent", sent_at=bindparam("now"), last_error=None, attempts=_outbox.c.attempts + 1, **NO_CLAIM)
)
#: An invitation is sent with its first message that carries the link; a later status stays.
_INVITATIONS_SENT = Prepared(
    update(_invitations).where(one_of(_invitations.c.id, "ids"),
                               or_(_invitations.c.sent_at.is_(None), _invitations.c.status == "pending"))
    .values(sent_at=func.coalesce(_invitations.c.sent_at, bindparam("now")),
            status=case((_invitations.c.status == "pending", "sent"), else_=_invitations.c.status))
)
#: A convening's invitation is sent with its first message that carries the link.
_CONVENING_INVITATIONS_SENT = Prepared(
    update(_convening_invitations).where(one_of(_convening_invitations.c.id, "ids"),
                                         _convening_invitations.c.status == "pending")
    .values(sent_at=bindparam("now"), status="sent")
)
#: The contacts of the invitations given.
_invitees = select(_invitations.c.contact_id).where(one_of(_invitations.c.id, "invitation_ids"))


def _messaged(whom):
    """contacts.last_messaged_at set to now for the contacts `whom` selects (unless later already)."""
    return (update(_contacts).where(whom)
            .where(or_(_contacts.c.last_messaged_at.is_(None), _contacts.c.last_messaged_at < bindparam("now")))
            .values(last_messaged_at=bindparam("now")))


_INVITEES_MESSAGED = Prepared(_messaged(_contacts.c.id.in_(_invitees)))
#: Any other outcome, a row each; next_attempt_at changes only for a retry.
_UPDATE_OUTBOX = (
    update(_outbox).where(_outbox.c.id == bindparam("row_id"))
    .values(status=bindparam("new_status"), last_error=bindparam("new_error"), attempts=bindparam("new_attempts"),
            next_attempt_at=func.coalesce(bindparam("retry_at", type_=_outbox.c.next_attempt_at.type), _outbox.c.next_attempt_at),
            **NO_CLAIM)
)
