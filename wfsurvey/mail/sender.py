"""Delivering the outbox: claim due messages, send each batch over one connection, hand each group's outcomes to be recorded.

The rule that keeps a message from going out twice, with the outbox's claim columns (claim_stage,
claim_batch, claim_stage_at; statements in wfsurvey.mail.outbox):

1. *Claim* (one short transaction; `FOR UPDATE SKIP LOCKED` on PostgreSQL so senders share the
   work): due rows (status ``queued``, ``next_attempt_at <= now``) become ``sending`` at claim stage
   ``claimed`` of a new batch. Rows to someone who opted out since they were queued are cancelled
   instead, never sent.
2. A batch is sent in groups of OUTCOME_GROUP. Just before a group is handed to the mail server,
   its rows go to stage ``sending`` in one conditional update that only succeeds for rows still
   ``claimed`` by this batch. Until then a row may be cancelled (mail.outbox.cancel_waiting: an
   answer, an opt-out, a forward, a round closed or cancelled), and a cancelled row is not started.
3. The group's outcomes are committed together, through the `record` callable the caller passes
   (the delivery job runs the RecordDeliveryOutcomes command: wfsurvey.services.deliveries), on a
   thread of their own while the next group goes out, and always before the group after that one
   starts and before the sender gives up a connection or fails; each only if the row is still under
   the claim the outcome names. Rows started but not tried (a lost connection) are released. Sent,
   failed and unknown rows are never sent again. (A transaction per message would cost more than
   sending it does; recording on the sender's thread would leave it idle while the server answers.)
4. A crashed sender leaves rows in ``sending``. Once a row's claim stage is older than STALE_AFTER,
   a later run puts rows still ``claimed`` back in the queue (they never reached the server) and
   records rows at stage ``sending`` as ``unknown`` (the server may have accepted them): only the
   group being sent when it crashed and the one before it, whose outcomes were being recorded (at
   most 2 × OUTCOME_GROUP messages), are in doubt, and they are reported, never resent. A live
   sender stops sending messages of a batch after half of STALE_AFTER, so recovery never races it.

Retries, backoff and bounces are the recording's business (wfsurvey.services.deliveries). The sender
knows nothing of Flask or of the service layer: the caller passes the session, the transport and
`record`.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from wfsurvey.database import immediate_transactions
from wfsurvey.domain.commands import DeliveryOutcome
from wfsurvey.mail import outbox
from wfsurvey.mail.outbox import CLAIMED, ClaimedMessage
from wfsurvey.mail.transports import DeliveryError, OutgoingMessage, Transport, build_message

log = logging.getLogger(__name__)

#: A claim or a start older than this (by the logical clock) belongs to a crashed sender.
STALE_AFTER = dt.timedelta(minutes=10)
#: Messages started, and outcomes recorded, per transaction (see rules 2 and 3 of the module docstring):
#: a crash leaves at most two groups, 100 messages, in doubt.
OUTCOME_GROUP = 50

#: Records outcomes (in a transaction of its own, committed when it returns) and counts what it
#: applied by result ("sent", "transient", "permanent", "unknown", "release"). Called on a thread of
#: the sender's own, so it must not rely on the caller's thread (its session, its app context).
Record = Callable[[Sequence[DeliveryOutcome]], Counter]


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


def _claim(session: Session, *, now: dt.datetime, limit: int, report: DeliveryReport | None = None) -> list[ClaimedMessage]:
    """Claim up to `limit` due rows for one batch, in a short transaction of its own (rule 1)."""
    with immediate_transactions():
        if session.in_transaction():
            session.rollback()
        claimed, cancelled = outbox.claim_due(session, now=now, limit=limit)
        session.commit()
    if report is not None:
        report.skipped += cancelled
    return claimed


def _start(session: Session | Connection, messages: list[ClaimedMessage], now: dt.datetime) -> tuple[outbox.Claim | None, set[int]]:
    """Start a group of one batch's rows (rule 2) in a transaction of its own: their claim now, and the ids still held.

    On the session or (cheaper, as a batch does) on a connection. A row missing from the ids lost
    its claim (cancelled, or a recovery requeued it) and must not be sent.
    """
    if not messages:
        return None, set()
    with immediate_transactions():
        if isinstance(session, Connection):
            with session.begin():
                return outbox.start(session, messages, now)
        if session.in_transaction():
            session.rollback()
        started = outbox.start(session, messages, now)
        session.commit()
        return started


def _record(record: Record, outcomes: Sequence[DeliveryOutcome]) -> Counter:
    return record(tuple(outcomes)) if outcomes else Counter()


def recover_stale(session: Session, *, now: dt.datetime, record: Record) -> DeliveryReport:
    """Settle rows a crashed sender left in `sending` for longer than STALE_AFTER (rule 4)."""
    if session.in_transaction():
        session.rollback()
    stale = outbox.stale_claims(session, before=now - STALE_AFTER)
    session.rollback()
    outcomes = []
    for message_id, claim in stale:
        if claim is not None and claim.stage == CLAIMED:
            outcomes.append(DeliveryOutcome(message_id, "release", "released after a sender stopped before trying it", claim=claim))
        else:
            outcomes.append(DeliveryOutcome(message_id, "unknown", "the sender stopped while the mail server had the message", claim=claim))
    report = DeliveryReport()
    report.add(_record(record, outcomes))
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

    def __init__(self, session: Session, record: Record, report: DeliveryReport):
        self.record, self.report = record, report
        bind = session.get_bind()
        in_memory = bind.dialect.name == "sqlite" and bind.url.database in (None, "", ":memory:")
        self._pool = None if in_memory else ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-record")
        self._in_flight: Future[Counter] | None = None

    def hand_over(self, outcomes: list[DeliveryOutcome]) -> None:
        """Record these (after the group before them is on record); returns at once where a thread records."""
        self.wait()
        if not outcomes:
            return
        if self._pool is None:
            self.report.add(_record(self.record, outcomes))
        else:
            self._in_flight = self._pool.submit(_record, self.record, outcomes)

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
    record: Record, report: DeliveryReport,
) -> bool:
    """Send one claimed batch over one connection; True if anything was settled beyond connection trouble.

    The batch goes in groups of OUTCOME_GROUP: each group is built and started (one transaction),
    then the previous group's outcomes are handed to the recorder, and the group is sent while
    they are recorded (one more transaction). The recording of a group ends before the group
    after the next one starts, so a crash leaves at most two groups in doubt (rule 4).
    """
    pending = {m.id: m.claim for m in batch}  # not yet settled: the claim each row is under
    outcomes: list[DeliveryOutcome] = []  # settled, not yet handed to the recorder
    progress = False
    started_at = time.monotonic()
    recorder = _Recorder(session, record, report)

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
            # Its own connection for the starts: no ORM session bookkeeping per group.
            marking = stack.enter_context(session.get_bind().connect())
            for first in range(0, len(batch), OUTCOME_GROUP):
                built, unbuildable = _build_group(batch[first:first + OUTCOME_GROUP], mail_from)
                for outcome in unbuildable:
                    settle(outcome)
                    progress = True
                recorder.wait()  # the group before the last one is on record before this one starts
                claim, started = _start(marking, [m for m, _ in built], now)
                hand_over()  # the last group's outcomes are recorded while this one goes out
                for message, _ in built:
                    if message.id in started:
                        pending[message.id] = claim
                    else:
                        pending.pop(message.id)
                        log.warning("outbox %s: claim lost before sending; skipped", message.id)
                for message, outgoing in (pair for pair in built if pair[0].id in started):
                    if time.monotonic() - started_at > STALE_AFTER.total_seconds() / 2:
                        return progress  # the rest are released below, before a recovery could consider them stale
                    try:
                        conn.send(outgoing)
                    except DeliveryError as exc:
                        settle(DeliveryOutcome(message.id, exc.outcome, exc.reason, claim=claim))
                        if exc.connection_lost:
                            log.warning("outbox: connection lost (%s); the rest of the batch waits for a new one", exc.reason)
                            return progress or exc.outcome != "transient"
                        progress = True
                    except Exception as exc:  # noqa: BLE001  (whatever it was, the server may have the message)
                        settle(DeliveryOutcome(message.id, "unknown", f"sending failed unexpectedly: {exc!r}", claim=claim))
                        raise
                    else:
                        settle(DeliveryOutcome(message.id, "sent", claim=claim))
                        progress = True
    finally:
        # If recording fails (the database is gone), the rows stay in `sending` and a later run's
        # recovery records them unknown: never resent.
        try:
            recorder.close()
        finally:
            if outcomes:
                report.add(_record(record, outcomes))
                outcomes.clear()
        if pending:
            # Not tried (a lost connection, a slow batch): due again at once (a new connection, or
            # the next run). If even this fails (the database is gone), a later run's recovery
            # releases the claimed ones and records the started ones unknown.
            try:
                report.add(_record(record, [DeliveryOutcome(message_id, "release", "not tried: released by the sender", claim=claim)
                                            for message_id, claim in pending.items()]))
            except Exception:  # noqa: BLE001
                log.exception("outbox: could not release %d claimed message(s)", len(pending))
    return progress


def send_due(
    session: Session, *, now: dt.datetime, record: Record, transport: Transport, mail_from: str, batch_size: int = 200,
    max_batches: int | None = None, keep_claiming: Callable[[], bool] = lambda: True,
) -> DeliveryReport:
    """Send every due outbox message once, in batches of `batch_size` over one connection each.

    `session` claims and starts (each batch starts its groups on a connection of the session's
    engine); `record` records outcomes (see Record); `now` is the logical time (jobs run with
    --now). Stale claims are recovered first. Stops early when a batch makes no progress (the
    mail server is down), or when `keep_claiming()` says no before a batch (a scheduler that lost its lock);
    what is left stays due for the next run.
    """
    report = recover_stale(session, now=now, record=record)
    batches = 0
    while max_batches is None or batches < max_batches:
        if not keep_claiming():
            break
        skipped = report.skipped
        batch = _claim(session, now=now, limit=batch_size, report=report)
        if not batch:
            if report.skipped > skipped:
                continue  # a batch of opted-out recipients only; more may be due
            break
        batches += 1
        if not _send_batch(session, transport, batch, mail_from=mail_from, now=now, record=record, report=report):
            break
    if report.sent or report.retried or report.failed or report.unknown:
        log.info("outbox delivery: %s", report)
    return report
