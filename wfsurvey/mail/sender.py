"""Delivering the outbox: claim due messages, send each batch over one connection, record each outcome as events.

The rule that keeps a message from going out twice, without a column beyond the outbox's own:

1. *Claim* (one short transaction; `FOR UPDATE SKIP LOCKED` on PostgreSQL so senders share the
   work): due rows (status ``queued``, ``next_attempt_at <= now``) become ``sending`` and their
   ``last_error`` holds the marker ``claimed:<batch>:<time>``.
2. Just before a row is handed to the mail server its marker becomes ``sending:<batch>:<time>``
   in a conditional update that only succeeds while the row still carries this batch's claim.
3. The outcomes are committed in groups, through the RecordDeliveryOutcomes command (events
   EmailDelivered, EmailBounced, EmailDeliveryUnknown): every OUTCOME_GROUP messages, at the end
   of each batch, and before the sender gives up a connection or fails; each only if the row still
   carries this batch's marker. Sent, failed and unknown rows are never sent again. (One
   transaction per message would cost more than sending the message does.)
4. A crashed sender leaves rows in ``sending``. Once the marker is older than STALE_AFTER, a later
   run puts rows still marked ``claimed`` back in the queue (they never reached the server) and
   records rows marked ``sending`` as ``unknown`` (the server may have accepted them): only the
   messages handed to the server since the last recorded group (at most OUTCOME_GROUP) are in
   doubt, and they are reported, never resent. A live sender stops starting messages of a batch
   after half of STALE_AFTER, so recovery never races it.

Transient failures (4xx, refused connection, timeout, disconnect before the data) go back to
``queued`` with exponential backoff (1, 2, 4 ... minutes, at most 6 hours); after MAX_ATTEMPTS
(about three days) the message is given up as failed and bounced. Permanent failures (5xx to the
recipient or the data) fail at once, bounce, and mark the invitation ``bounced``. A message to
someone who opted out after it was queued is ``cancelled`` when claimed, never sent.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from wfsurvey.database import immediate_transactions
from wfsurvey.domain import events as ev
from wfsurvey.domain.commands import DeliveryOutcome, RecordDeliveryOutcomes
from wfsurvey.mail.transports import DeliveryError, Transport, build_message, transport_from_config
from wfsurvey.models.invitations import Invitation
from wfsurvey.models.outbox import OutboxMessage
from wfsurvey.models.stakeholders import Contact

log = logging.getLogger(__name__)

#: A claim or a send older than this (by the logical clock) belongs to a crashed sender.
STALE_AFTER = dt.timedelta(minutes=10)
#: First retry delay, doubled at each further attempt, capped at MAX_BACKOFF.
BASE_BACKOFF = dt.timedelta(minutes=1)
MAX_BACKOFF = dt.timedelta(hours=6)
#: Attempts before a message is given up: 1+2+...+256 minutes, then every 6 hours, is about 3 days.
MAX_ATTEMPTS = 20
#: Kinds whose message carries the survey link: their delivery marks the invitation sent.
LINK_KINDS = frozenset({"invitation", "reminder", "resend", "forward", "forwarded"})

CLAIMED, SENDING = "claimed", "sending"
#: Outcomes recorded per RecordDeliveryOutcomes transaction (see rule 3 of the module docstring).
OUTCOME_GROUP = 100


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0
    #: Claimed but not tried (lost connection, slow batch, crashed sender): due again, no attempt counted.
    released: int = 0
    #: Not sent because the recipient opted out after the message was queued.
    skipped: int = 0

    def add(self, applied: Counter) -> None:
        """Count what the outcome handler applied (a transient failure may have become a final one)."""
        for result, n in applied.items():
            field = {"sent": "sent", "transient": "retried", "permanent": "failed", "unknown": "unknown", "release": "released"}[result]
            setattr(self, field, getattr(self, field) + n)


@dataclass(frozen=True)
class ClaimedMessage:
    """What the sender needs of a claimed row, copied so that sending touches no ORM state."""

    id: int
    dedupe_key: str
    kind: str
    to_addr: str
    subject: str
    body_text: str
    body_html: str
    headers: dict[str, Any]
    claim: str


def backoff(attempts: int) -> dt.timedelta:
    """Delay before the next try after `attempts` failed ones (1 -> 1 minute, 2 -> 2, 3 -> 4, ...)."""
    return min(BASE_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _marker(stage: str, batch: str, now: dt.datetime) -> str:
    return f"{stage}:{batch}:{now.isoformat()}"


def _parse_marker(value: str | None) -> tuple[str, dt.datetime] | None:
    try:
        stage, _batch, when = (value or "").split(":", 2)
        return stage, dt.datetime.fromisoformat(when)
    except ValueError:
        return None


# --- recording outcomes (the command handler) ----------------------------------------------

def record_delivery_outcomes(command: RecordDeliveryOutcomes, uow) -> Counter:
    """Apply each outcome to its outbox row, invitation and contact, and record the events; returns counts applied."""
    session: Session = uow.session
    now: dt.datetime = uow.now
    outcomes = {o.message_id: o for o in command.outcomes}
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(list(outcomes))).order_by(OutboxMessage.id)
        .with_for_update().execution_options(populate_existing=True)
    ).all()
    applied: Counter = Counter()
    valid = []
    for row in rows:
        outcome = outcomes[row.id]
        if row.status != "sending" or (outcome.claim is not None and row.last_error != outcome.claim):
            # Another sender or a recovery took the row over; its account of the row stands.
            log.warning("outbox %s: ignoring outcome %s, the row is %s (%s)", row.id, outcome.result, row.status, row.last_error)
            continue
        valid.append((row, outcome))

    invitation_ids = sorted({row.invitation_id for row, _ in valid if row.invitation_id is not None})
    invitations = {
        i.id: i for i in session.scalars(
            select(Invitation).where(Invitation.id.in_(invitation_ids)).order_by(Invitation.id)
            .with_for_update().execution_options(populate_existing=True)
        )
    } if invitation_ids else {}
    sent_to: list[OutboxMessage] = []

    for row, outcome in valid:
        result, reason = outcome.result, outcome.reason
        invitation = invitations.get(row.invitation_id) if row.invitation_id is not None else None
        if result == "release":
            row.status, row.last_error = "queued", reason or None
        elif result == "sent":
            row.status, row.sent_at, row.last_error = "sent", now, None
            row.attempts += 1
            sent_to.append(row)
            if invitation is not None and row.kind in LINK_KINDS:
                if invitation.sent_at is None:
                    invitation.sent_at = now
                if invitation.status == "pending":
                    invitation.status = "sent"
            uow.record(ev.EmailDelivered(message_id=row.id, kind=row.kind, invitation_id=row.invitation_id, round_id=row.round_id))
        elif result == "transient" and row.attempts + 1 < MAX_ATTEMPTS:
            row.attempts += 1
            row.status, row.last_error = "queued", reason
            row.next_attempt_at = now + backoff(row.attempts)
        elif result in ("transient", "permanent"):
            row.attempts += 1
            if result == "transient":
                reason = f"gave up after {row.attempts} attempts: {reason}"
                result = "permanent"
            row.status, row.last_error = "failed", reason
            # A message that cannot reach the person means the invitation did not either, unless
            # they have already answered or opened it by another message.
            if invitation is not None and invitation.status in ("pending", "sent"):
                invitation.status = "bounced"
            uow.record(ev.EmailBounced(message_id=row.id, kind=row.kind, invitation_id=row.invitation_id,
                                       round_id=row.round_id, reason=reason[:1000]))
        elif result == "unknown":
            row.attempts += 1
            row.status, row.last_error = "unknown", reason
            uow.record(ev.EmailDeliveryUnknown(message_id=row.id, reason=reason[:1000]))
        else:
            raise ValueError(f"unknown delivery result {result!r} for outbox message {row.id}")
        applied[result] += 1

    _touch_contacts(session, sent_to, invitations, now)
    return applied


def _touch_contacts(session: Session, rows: list[OutboxMessage], invitations: dict[int, Invitation], now: dt.datetime) -> None:
    """contacts.last_messaged_at feeds the minimum gap between two messages to one person."""
    if not rows:
        return
    contact_ids = {invitations[r.invitation_id].contact_id for r in rows if r.invitation_id in invitations}
    emails = {r.to_addr for r in rows if r.invitation_id not in invitations}
    session.execute(
        update(Contact)
        .where(or_(Contact.id.in_(contact_ids), Contact.email.in_(emails)))
        .where(or_(Contact.last_messaged_at.is_(None), Contact.last_messaged_at < now))
        .values(last_messaged_at=now)
        # Nothing later in the command reads these contacts, and the next unit of work expires them.
        .execution_options(synchronize_session=False)
    )


# --- the sender ----------------------------------------------------------------------------

def _record(outcomes: Iterable[DeliveryOutcome], *, actor: str, now: dt.datetime) -> Counter:
    from wfsurvey.services import handle

    outcomes = tuple(outcomes)
    if not outcomes:
        return Counter()
    for attempt in range(3):
        try:
            return handle(RecordDeliveryOutcomes(outcomes), actor=actor, now=now)
        except OperationalError:
            # A deadlock or a lock timeout: the mail already went out, so the record must be kept.
            if attempt == 2:
                raise
            log.warning("recording %d delivery outcome(s) failed; retrying", len(outcomes), exc_info=True)
            time.sleep(0.2 * (attempt + 1))


def _session() -> Session:
    from wfsurvey.extensions import db

    return db.session()


def _claim(session: Session, *, now: dt.datetime, limit: int, report: DeliveryReport | None = None) -> list[ClaimedMessage]:
    """Claim up to `limit` due rows for one batch; rows to people who opted out since queuing are cancelled."""
    batch = uuid.uuid4().hex[:12]
    marker = _marker(CLAIMED, batch, now)
    with immediate_transactions():
        if session.in_transaction():
            session.rollback()
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).all()
        # A message may wait days in the retry queue; an opt-out in the meantime must still stop it.
        opted_out = set(session.scalars(
            select(Contact.email).where(Contact.email.in_({r.to_addr for r in rows}), Contact.opted_out_at.is_not(None))
        )) if rows else set()
        claimed = []
        for row in rows:
            if row.to_addr in opted_out:
                row.status, row.last_error = "cancelled", "not sent: the recipient opted out"
                if report is not None:
                    report.skipped += 1
                continue
            row.status, row.last_error = "sending", marker
            claimed.append(ClaimedMessage(
                id=row.id, dedupe_key=row.dedupe_key, kind=row.kind, to_addr=row.to_addr, subject=row.subject,
                body_text=row.body_text, body_html=row.body_html, headers=dict(row.headers or {}), claim=marker,
            ))
        session.commit()
    return claimed


def _start(session: Session | Connection, message: ClaimedMessage, now: dt.datetime) -> str | None:
    """Mark the row as handed to the server; None if the batch lost its claim (a recovery requeued it).

    One short transaction of its own, on the session or (cheaper, as a batch does) on a connection.
    """
    batch = message.claim.split(":", 2)[1]
    marker = _marker(SENDING, batch, now)
    params = {"message_id": message.id, "claim": message.claim, "marker": marker}
    with immediate_transactions():
        if isinstance(session, Connection):
            with session.begin():
                result = session.execute(_START_SENDING, params)
        else:
            if session.in_transaction():
                session.rollback()
            result = session.execute(_START_SENDING, params)
            session.commit()
    return marker if result.rowcount == 1 else None


_outbox = OutboxMessage.__table__
#: _start's statement, built once: it runs once per message, and a Core statement on the table
#: skips the ORM's update machinery (no ORM object is affected: the claimed rows were copied out).
_START_SENDING = (
    update(_outbox)
    .where(_outbox.c.id == bindparam("message_id"), _outbox.c.status == "sending", _outbox.c.last_error == bindparam("claim"))
    .values(last_error=bindparam("marker"))
)


def recover_stale(*, now: dt.datetime, actor: str = "system:delivery") -> DeliveryReport:
    """Settle rows a crashed sender left in `sending` for longer than STALE_AFTER (see the module docstring)."""
    session = _session()
    if session.in_transaction():
        session.rollback()
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.last_error).where(OutboxMessage.status == "sending")
    ).all()
    session.rollback()
    outcomes = []
    for message_id, marker in rows:
        parsed = _parse_marker(marker)
        if parsed is not None and parsed[1] > now - STALE_AFTER:
            continue
        if parsed is not None and parsed[0] == CLAIMED:
            outcomes.append(DeliveryOutcome(message_id, "release", "released after a sender stopped before trying it", claim=marker))
        else:
            outcomes.append(DeliveryOutcome(message_id, "unknown", "the sender stopped while the mail server had the message", claim=marker))
    report = DeliveryReport()
    report.add(_record(outcomes, actor=actor, now=now))
    if outcomes:
        log.warning("outbox recovery: %d released, %d unknown", report.released, report.unknown)
    return report


def _send_batch(
    session: Session, transport: Transport, batch: list[ClaimedMessage], *, mail_from: str, now: dt.datetime,
    actor: str, report: DeliveryReport,
) -> bool:
    """Send one claimed batch over one connection; True if anything was settled beyond connection trouble."""
    pending = {m.id: m for m in batch}  # claimed, not yet handed to the server
    outcomes: list[DeliveryOutcome] = []  # settled, not yet recorded
    progress = False
    started_at = time.monotonic()

    def record_settled() -> None:
        if outcomes:
            report.add(_record(list(outcomes), actor=actor, now=now))
            outcomes.clear()

    def settle(outcome: DeliveryOutcome) -> None:
        pending.pop(outcome.message_id, None)
        outcomes.append(outcome)
        if len(outcomes) >= OUTCOME_GROUP:
            record_settled()

    try:
        with contextlib.ExitStack() as stack:
            try:
                conn = stack.enter_context(transport.connect())
            except DeliveryError as exc:
                for m in batch:
                    pending.pop(m.id)
                report.add(_record([DeliveryOutcome(m.id, "transient", exc.reason, claim=m.claim) for m in batch],
                                   actor=actor, now=now))
                log.warning("outbox: %s; %d message(s) will be retried", exc.reason, len(batch))
                return False
            # Its own connection for the per-message markers: no ORM session bookkeeping per message.
            marking = stack.enter_context(session.get_bind().connect())
            for message in batch:
                if time.monotonic() - started_at > STALE_AFTER.total_seconds() / 2:
                    break  # the rest are released below, before a recovery could consider them stale
                try:
                    email_message = build_message(message, mail_from)
                except (ValueError, TypeError) as exc:
                    settle(DeliveryOutcome(message.id, "permanent", f"cannot build the message: {exc}", claim=message.claim))
                    progress = True
                    continue
                marker = _start(marking, message, now)
                pending.pop(message.id)
                if marker is None:
                    log.warning("outbox %s: claim lost before sending; skipped", message.id)
                    continue
                try:
                    conn.send(email_message)
                except DeliveryError as exc:
                    settle(DeliveryOutcome(message.id, exc.outcome, exc.reason, claim=marker))
                    if exc.connection_lost:
                        log.warning("outbox: connection lost (%s); the rest of the batch waits for a new one", exc.reason)
                        progress = progress or exc.outcome != "transient"
                        break
                    progress = True
                except Exception as exc:  # noqa: BLE001  (whatever it was, the server may have the message)
                    settle(DeliveryOutcome(message.id, "unknown", f"sending failed unexpectedly: {exc!r}", claim=marker))
                    raise
                else:
                    settle(DeliveryOutcome(message.id, "sent", claim=marker))
                    progress = True
    finally:
        # If this fails (the database is gone), the rows stay in `sending` and a later run's
        # recovery records them unknown: never resent.
        record_settled()
        if pending:
            # Claimed but never handed over: due again at once (a new connection, or the next run).
            # If even this fails (the database is gone), a later run's recovery releases them.
            try:
                report.add(_record([DeliveryOutcome(m.id, "release", "not tried: released by the sender", claim=m.claim)
                                    for m in pending.values()], actor=actor, now=now))
            except Exception:  # noqa: BLE001
                log.exception("outbox: could not release %d claimed message(s)", len(pending))
    return progress


def deliver_outbox(
    app: Flask | None = None, *, now: dt.datetime, batch_size: int | None = None, transport: Transport | None = None,
    actor: str = "system:delivery", max_batches: int | None = None,
) -> DeliveryReport:
    """Send every due outbox message once, in batches of `batch_size` over one connection each.

    Runs in `app`'s context (default: the current one). `now` is the logical time (jobs run with
    --now); `transport` defaults to the configured one. Stops early when a batch makes no
    progress (the mail server is down); what is left stays due for the next run.
    """
    with app.app_context() if app is not None else contextlib.nullcontext():
        config = current_app.config
        batch_size = batch_size or int(config.get("OUTBOX_BATCH_SIZE", 200))
        transport = transport or transport_from_config(config)
        mail_from = config["MAIL_FROM"]
        report = recover_stale(now=now, actor=actor)
        session = _session()
        batches = 0
        while max_batches is None or batches < max_batches:
            skipped = report.skipped
            batch = _claim(session, now=now, limit=batch_size, report=report)
            if not batch:
                if report.skipped > skipped:
                    continue  # a batch of opted-out recipients only; more may be due
                break
            batches += 1
            if not _send_batch(session, transport, batch, mail_from=mail_from, now=now, actor=actor, report=report):
                break
        if report.sent or report.retried or report.failed or report.unknown:
            log.info("outbox delivery: %s", report)
        return report

