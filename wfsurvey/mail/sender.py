"""Delivering the outbox: claim due messages, send each batch over one connection, record each outcome as events.

The rule that keeps a message from going out twice, without a column beyond the outbox's own:

1. *Claim* (one short transaction; `FOR UPDATE SKIP LOCKED` on PostgreSQL so senders share the
   work): due rows (status ``queued``, ``next_attempt_at <= now``) become ``sending`` and their
   ``last_error`` holds the marker ``claimed:<batch>:<time>``.
2. A batch is sent in groups of OUTCOME_GROUP. Just before a group is handed to the mail server,
   its rows' marker becomes ``sending:<batch>:<time>`` in one conditional update that only
   succeeds for rows still carrying this batch's claim.
3. The group's outcomes are committed together, through the RecordDeliveryOutcomes command (events
   EmailDelivered, EmailBounced, EmailDeliveryUnknown), on a thread of their own while the next
   group goes out, and always before the group after that one starts and before the sender gives
   up a connection or fails; each only if the row still carries this batch's marker. Rows started
   but not tried (a lost connection) are released. Sent, failed and unknown rows are never sent
   again. (A transaction per message would cost more than sending it does; recording on the
   sender's thread would leave it idle while the mail server answers.)
4. A crashed sender leaves rows in ``sending``. Once the marker is older than STALE_AFTER, a later
   run puts rows still marked ``claimed`` back in the queue (they never reached the server) and
   records rows marked ``sending`` as ``unknown`` (the server may have accepted them): only the
   group being sent when it crashed and the one before it, whose outcomes were being recorded
   (at most 2 × OUTCOME_GROUP messages), are in doubt, and they are reported, never resent. A live
   sender stops sending messages of a batch after half of STALE_AFTER, so recovery never races it.

Transient failures (4xx, refused connection, timeout, disconnect before the data) go back to
``queued`` with exponential backoff (1, 2, 4 ... minutes, at most 6 hours); after MAX_ATTEMPTS
(about three days) the message is given up as failed and bounced. Permanent failures (5xx to the
recipient or the data) fail at once, bounce, and mark the invitation ``bounced``. A message to
someone who opted out after it was queued is ``cancelled`` when claimed, never sent.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Row, bindparam, case, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from wfsurvey.database import immediate_transactions
from wfsurvey.domain import events as ev
from wfsurvey.domain.commands import DeliveryOutcome, RecordDeliveryOutcomes
from wfsurvey.mail.transports import DeliveryError, OutgoingMessage, Transport, build_message, transport_from_config
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
#: Messages started, and outcomes recorded, per transaction (see rules 2 and 3 of the module docstring):
#: a crash leaves at most two groups, 100 messages, in doubt.
OUTCOME_GROUP = 50

_outbox, _invitations, _contacts = OutboxMessage.__table__, Invitation.__table__, Contact.__table__


@dataclasses.dataclass
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


@dataclasses.dataclass(frozen=True)
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


#: The outbox columns a ClaimedMessage copies.
_CLAIMED_COLUMNS = tuple(f.name for f in dataclasses.fields(ClaimedMessage) if f.name != "claim")


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
    """Apply each outcome to its outbox row, invitation and contact, and record the events; returns counts applied.

    Core statements on plain rows rather than ORM objects, and one statement for all the sent
    rows: a delivery run records one of these per OUTCOME_GROUP messages, nearly all sent, and
    per-row bookkeeping would cost more than sending. A send and a bounce of one invitation
    commute (a bounce wins, sent_at is kept), so the two are applied apart.
    """
    outcomes = {o.message_id: o for o in command.outcomes}
    sent, others = [], []
    for row in uow.session.execute(_OUTBOX_ROWS, {"ids": list(outcomes)}):
        outcome = outcomes[row.id]
        if row.status != "sending" or (outcome.claim is not None and row.last_error != outcome.claim):
            # Another sender or a recovery took the row over; its account of the row stands.
            log.warning("outbox %s: ignoring outcome %s, the row is %s (%s)", row.id, outcome.result, row.status, row.last_error)
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


def _apply_sent(uow, rows: list[Row]) -> None:
    """Sent rows, their invitations (now sent, unless further along) and contacts, in a statement each."""
    session: Session = uow.session
    now: dt.datetime = uow.now
    session.execute(_MARK_SENT, {"ids": [row.id for row in rows], "now": now})
    links = [row.invitation_id for row in rows if row.invitation_id is not None and row.kind in LINK_KINDS]
    if links:
        session.execute(_INVITATIONS_SENT, {"ids": links, "now": now})
    # contacts.last_messaged_at feeds the minimum gap between two messages to one person.
    invitation_ids = [row.invitation_id for row in rows if row.invitation_id is not None]
    emails = [row.to_addr for row in rows if row.invitation_id is None]
    whom = (([_contacts.c.id.in_(select(_invitations.c.contact_id).where(_invitations.c.id.in_(invitation_ids)))]
             if invitation_ids else []) + ([_contacts.c.email.in_(emails)] if emails else []))
    session.execute(
        update(_contacts).where(or_(*whom))
        .where(or_(_contacts.c.last_messaged_at.is_(None), _contacts.c.last_messaged_at < now))
        .values(last_messaged_at=now)
    )
    for row in rows:
        uow.record(ev.EmailDelivered(message_id=row.id, kind=row.kind, invitation_id=row.invitation_id, round_id=row.round_id))


def _apply_failures(uow, pairs: list[tuple[Row, DeliveryOutcome]]) -> Counter:
    """Every outcome but sent, a row at a time (they are few): retries, bounces, unknowns and releases."""
    session: Session = uow.session
    now: dt.datetime = uow.now
    invitation_ids = sorted({row.invitation_id for row, _ in pairs if row.invitation_id is not None})
    invitations = {
        found.id: found.status for found in session.execute(_INVITATION_ROWS, {"ids": invitation_ids})
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
    return applied


_OUTBOX_ROWS = (
    select(_outbox.c.id, _outbox.c.kind, _outbox.c.invitation_id, _outbox.c.round_id, _outbox.c.to_addr,
           _outbox.c.status, _outbox.c.last_error, _outbox.c.attempts)
    .where(_outbox.c.id.in_(bindparam("ids", expanding=True))).order_by(_outbox.c.id).with_for_update()
)
_INVITATION_ROWS = (
    select(_invitations.c.id, _invitations.c.status)
    .where(_invitations.c.id.in_(bindparam("ids", expanding=True))).order_by(_invitations.c.id).with_for_update()
)
_MARK_SENT = (
    update(_outbox).where(_outbox.c.id.in_(bindparam("ids", expanding=True)))
    .values(status="sent", sent_at=bindparam("now"), last_error=None, attempts=_outbox.c.attempts + 1)
)
#: An invitation is sent with its first message that carries the link; a later status stays.
_INVITATIONS_SENT = (
    update(_invitations).where(_invitations.c.id.in_(bindparam("ids", expanding=True)),
                               or_(_invitations.c.sent_at.is_(None), _invitations.c.status == "pending"))
    .values(sent_at=func.coalesce(_invitations.c.sent_at, bindparam("now")),
            status=case((_invitations.c.status == "pending", "sent"), else_=_invitations.c.status))
)
#: Any other outcome, a row each; next_attempt_at changes only for a retry.
_UPDATE_OUTBOX = (
    update(_outbox).where(_outbox.c.id == bindparam("row_id"))
    .values(status=bindparam("new_status"), last_error=bindparam("new_error"), attempts=bindparam("new_attempts"),
            next_attempt_at=func.coalesce(bindparam("retry_at", type_=_outbox.c.next_attempt_at.type), _outbox.c.next_attempt_at))
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
    """Claim up to `limit` due rows for one batch; rows to people who opted out since queuing are cancelled.

    Core statements, as in record_delivery_outcomes: the rows are copied out, never kept as objects.
    """
    batch = uuid.uuid4().hex[:12]
    marker = _marker(CLAIMED, batch, now)
    with immediate_transactions():
        if session.in_transaction():
            session.rollback()
        rows = session.execute(
            select(*(_outbox.c[name] for name in _CLAIMED_COLUMNS))
            .where(_outbox.c.status == "queued", _outbox.c.next_attempt_at <= now)
            .order_by(_outbox.c.next_attempt_at, _outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        # A message may wait days in the retry queue; an opt-out in the meantime must still stop it.
        opted_out = set(session.scalars(
            select(_contacts.c.email)
            .where(_contacts.c.email.in_({r.to_addr for r in rows}), _contacts.c.opted_out_at.is_not(None))
        )) if rows else set()
        cancelled = [r.id for r in rows if r.to_addr in opted_out]
        claimed = [ClaimedMessage(**{**r._asdict(), "headers": dict(r.headers or {})}, claim=marker)
                   for r in rows if r.to_addr not in opted_out]
        if cancelled:
            session.execute(update(_outbox).where(_outbox.c.id.in_(cancelled))
                            .values(status="cancelled", last_error="not sent: the recipient opted out"))
            if report is not None:
                report.skipped += len(cancelled)
        if claimed:
            session.execute(update(_outbox).where(_outbox.c.id.in_([m.id for m in claimed]))
                            .values(status="sending", last_error=marker))
        session.commit()
    return claimed


def _start(session: Session | Connection, messages: list[ClaimedMessage], now: dt.datetime) -> tuple[str, set[int]]:
    """Mark a group of one batch's rows as handed to the server: the marker, and the ids still claimed by the batch.

    One short transaction for the group (one per message would cost more than sending does), on
    the session or (cheaper, as a batch does) on a connection. A row missing from the ids lost
    its claim (a recovery requeued it) and must not be sent.
    """
    if not messages:
        return "", set()
    claim = messages[0].claim
    if any(m.claim != claim for m in messages):
        raise ValueError("a group to start must come from one claimed batch")
    marker = _marker(SENDING, claim.split(":", 2)[1], now)
    params = {"ids": [m.id for m in messages], "claim": claim, "marker": marker}
    with immediate_transactions():
        if isinstance(session, Connection):
            with session.begin():
                started = set(session.execute(_START_SENDING, params).scalars())
        else:
            if session.in_transaction():
                session.rollback()
            started = set(session.execute(_START_SENDING, params).scalars())
            session.commit()
    return marker, started


#: _start's statement, built once: a Core statement on the table skips the ORM's update
#: machinery (no ORM object is affected: the claimed rows were copied out).
_START_SENDING = (
    update(_outbox)
    .where(_outbox.c.id.in_(bindparam("ids", expanding=True)), _outbox.c.status == "sending",
           _outbox.c.last_error == bindparam("claim"))
    .values(last_error=bindparam("marker"))
    .returning(_outbox.c.id)
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


def _build_group(
    messages: list[ClaimedMessage], mail_from: str,
) -> tuple[list[tuple[ClaimedMessage, OutgoingMessage]], list[DeliveryOutcome]]:
    """Each message built, and a permanent failure for each that cannot be (a header it cannot carry, say)."""
    built, unbuildable = [], []
    for message in messages:
        try:
            built.append((message, build_message(message, mail_from)))
        except (ValueError, TypeError) as exc:
            unbuildable.append(DeliveryOutcome(message.id, "permanent", f"cannot build the message: {exc}", claim=message.claim))
    return built, unbuildable


class _Recorder:
    """Records a group's outcomes on a thread of its own while the next group goes out.

    Recording (the outcome rows, the events, their projections) takes about as long as the
    mail server takes to answer a group, and the sender would otherwise wait on it doing
    nothing: here it runs while the sender waits for the server instead. One group at a time
    is in its hands, and `wait` is called before the group after the next one starts, so a
    crash leaves at most two groups unrecorded (rule 3 of the module docstring). A database
    in memory has one connection, so there it records on the caller's thread.
    """

    def __init__(self, session: Session, *, actor: str, now: dt.datetime, report: DeliveryReport):
        self.actor, self.now, self.report = actor, now, report
        bind = session.get_bind()
        in_memory = bind.dialect.name == "sqlite" and bind.url.database in (None, "", ":memory:")
        self._app = current_app._get_current_object()  # type: ignore[attr-defined]
        self._pool = None if in_memory else ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-record")
        self._in_flight: Future[Counter] | None = None

    def _run(self, outcomes: list[DeliveryOutcome]) -> Counter:
        with self._app.app_context():
            return _record(outcomes, actor=self.actor, now=self.now)

    def hand_over(self, outcomes: list[DeliveryOutcome]) -> None:
        """Record these (after the group before them is on record); returns at once where a thread records."""
        self.wait()
        if not outcomes:
            return
        if self._pool is None:
            self.report.add(_record(outcomes, actor=self.actor, now=self.now))
        else:
            self._in_flight = self._pool.submit(self._run, outcomes)

    def wait(self) -> None:
        """Until the group in hand is on record (its failure raises here)."""
        future, self._in_flight = self._in_flight, None
        if future is not None:
            self.report.add(future.result())

    def close(self) -> None:
        try:
            self.wait()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)


def _send_batch(
    session: Session, transport: Transport, batch: list[ClaimedMessage], *, mail_from: str, now: dt.datetime,
    actor: str, report: DeliveryReport,
) -> bool:
    """Send one claimed batch over one connection; True if anything was settled beyond connection trouble.

    The batch goes in groups of OUTCOME_GROUP: each group is built and started (one transaction),
    then the previous group's outcomes are handed to the recorder, and the group is sent while
    they are recorded (one more transaction). The recording of a group ends before the group
    after the next one starts, so a crash leaves at most two groups in doubt (rule 4).
    """
    pending = {m.id: m.claim for m in batch}  # not yet settled: the marker each row carries
    outcomes: list[DeliveryOutcome] = []  # settled, not yet handed to the recorder
    progress = False
    started_at = time.monotonic()
    recorder = _Recorder(session, actor=actor, now=now, report=report)

    def hand_over() -> None:
        settled = list(outcomes)
        outcomes.clear()
        recorder.hand_over(settled)

    def settle(outcome: DeliveryOutcome) -> None:
        pending.pop(outcome.message_id, None)
        outcomes.append(outcome)

    try:
        with contextlib.ExitStack() as stack:
            try:
                conn = stack.enter_context(transport.connect())
            except DeliveryError as exc:
                for m in batch:
                    settle(DeliveryOutcome(m.id, "transient", exc.reason, claim=m.claim))
                log.warning("outbox: %s; %d message(s) will be retried", exc.reason, len(batch))
                return False
            # Its own connection for the start markers: no ORM session bookkeeping per group.
            marking = stack.enter_context(session.get_bind().connect())
            for first in range(0, len(batch), OUTCOME_GROUP):
                built, unbuildable = _build_group(batch[first:first + OUTCOME_GROUP], mail_from)
                for outcome in unbuildable:
                    settle(outcome)
                    progress = True
                recorder.wait()  # the group before the last one is on record before this one starts
                marker, started = _start(marking, [m for m, _ in built], now)
                hand_over()  # the last group's outcomes are recorded while this one goes out
                for message, _ in built:
                    if message.id in started:
                        pending[message.id] = marker
                    else:
                        pending.pop(message.id)
                        log.warning("outbox %s: claim lost before sending; skipped", message.id)
                for message, outgoing in (pair for pair in built if pair[0].id in started):
                    if time.monotonic() - started_at > STALE_AFTER.total_seconds() / 2:
                        return progress  # the rest are released below, before a recovery could consider them stale
                    try:
                        conn.send(outgoing)
                    except DeliveryError as exc:
                        settle(DeliveryOutcome(message.id, exc.outcome, exc.reason, claim=marker))
                        if exc.connection_lost:
                            log.warning("outbox: connection lost (%s); the rest of the batch waits for a new one", exc.reason)
                            return progress or exc.outcome != "transient"
                        progress = True
                    except Exception as exc:  # noqa: BLE001  (whatever it was, the server may have the message)
                        settle(DeliveryOutcome(message.id, "unknown", f"sending failed unexpectedly: {exc!r}", claim=marker))
                        raise
                    else:
                        settle(DeliveryOutcome(message.id, "sent", claim=marker))
                        progress = True
    finally:
        # If recording fails (the database is gone), the rows stay in `sending` and a later run's
        # recovery records them unknown: never resent.
        try:
            recorder.close()
        finally:
            if outcomes:
                report.add(_record(list(outcomes), actor=actor, now=now))
                outcomes.clear()
        if pending:
            # Not tried (a lost connection, a slow batch): due again at once (a new connection, or
            # the next run). If even this fails (the database is gone), a later run's recovery
            # releases the claimed ones and records the started ones unknown.
            try:
                report.add(_record([DeliveryOutcome(message_id, "release", "not tried: released by the sender", claim=claim)
                                    for message_id, claim in pending.items()], actor=actor, now=now))
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

