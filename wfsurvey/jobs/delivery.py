"""Delivery job: drain the outbox through the mail sender (wfsurvey.mail.sender), recording outcomes with the RecordDeliveryOutcomes command."""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy.exc import OperationalError

from wfsurvey.domain.commands import DeliveryOutcome, RecordDeliveryOutcomes
from wfsurvey.extensions import db
from wfsurvey.jobs import leadership
from wfsurvey.mail import sender
from wfsurvey.mail.transports import Transport, transport_from_config
from wfsurvey.services import handle

log = logging.getLogger(__name__)

ACTOR = "system:delivery"


def run(now: dt.datetime, counts: dict[str, Any]) -> None:
    report = deliver_outbox(now=now, actor=ACTOR)
    counts.update(dataclasses.asdict(report))


def deliver_outbox(
    app: Flask | None = None, *, now: dt.datetime, batch_size: int | None = None, transport: Transport | None = None,
    actor: str = ACTOR, max_batches: int | None = None,
) -> sender.DeliveryReport:
    """Send every due outbox message once (wfsurvey.mail.sender.send_due), with the app's settings, session and transport.

    Runs in `app`'s context (default: the current one). `now` is the logical time; `transport`
    defaults to the configured one (SMTP_URL, or the dev mailbox); batches of `batch_size`
    (OUTBOX_BATCH_SIZE) messages share a connection. Run by a scheduler that loses its lock, it stops before
    the next batch (wfsurvey.jobs.leadership).
    """
    with app.app_context() if app is not None else contextlib.nullcontext():
        the_app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        config = the_app.config
        return sender.send_due(
            db.session(), now=now, record=recorder(the_app, actor=actor, now=now),
            transport=transport or transport_from_config(config), mail_from=config["MAIL_FROM"],
            batch_size=batch_size or int(config.get("OUTBOX_BATCH_SIZE", 200)), max_batches=max_batches,
            keep_claiming=leadership.still_held,
        )


def recorder(app: Flask, *, actor: str, now: dt.datetime) -> sender.Record:
    """The sender's `record`: record_outcomes in `app`, on whichever thread the sender calls it."""

    def record(outcomes: Sequence[DeliveryOutcome]) -> Counter:
        # The sender records on a thread of its own, which has no app context (nor, so, a session).
        with contextlib.nullcontext() if has_app_context() else app.app_context():
            return record_outcomes(outcomes, actor=actor, now=now)

    return record


def record_outcomes(outcomes: Sequence[DeliveryOutcome], *, actor: str, now: dt.datetime) -> Counter:
    """Run RecordDeliveryOutcomes in the app in context; counts applied by result. A lost lock race is tried again."""
    outcomes = tuple(outcomes)
    if not outcomes:
        return Counter()
    for attempt in (1, 2, 3):
        try:
            return handle(RecordDeliveryOutcomes(outcomes), actor=actor, now=now)
        except OperationalError:
            # A deadlock or a lock timeout: the mail already went out, so the record must be kept.
            if attempt == 3:
                raise
            log.warning("recording %d delivery outcome(s) failed; retrying", len(outcomes), exc_info=True)
            time.sleep(0.2 * attempt)
    return Counter()  # not reached: the third failure raises
