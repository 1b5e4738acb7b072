"""Messages waiting to leave the system, and the dev mailbox that stands in for SMTP in development."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wfsurvey.database import Base

OUTBOX_STATUSES = ("queued", "sending", "sent", "failed", "unknown", "cancelled")


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unique name of the side effect, e.g. "invitation:42" or "reminder:42:P2D": queuing it twice is a no-op.
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    #: invitation, reminder, resend, forward, cancelled, ...
    kind: Mapped[str] = mapped_column(String(20))
    #: The invitation the message is about, if any.
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id"), index=True)
    #: The round the message is about, if any.
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), index=True)
    #: The convening the message is about, if any.
    convening_id: Mapped[int | None] = mapped_column(ForeignKey("convenings.id"), index=True)
    #: The convening invitation the message is about, if any.
    convening_invitation_id: Mapped[int | None] = mapped_column(ForeignKey("convening_invitations.id"), index=True)
    #: Recipient address.
    to_addr: Mapped[str] = mapped_column(String(320))
    #: Subject line.
    subject: Mapped[str] = mapped_column(String(300))
    #: Plain-text part.
    body_text: Mapped[str] = mapped_column(Text)
    #: HTML part.
    body_html: Mapped[str] = mapped_column(Text)
    #: Extra headers (List-Unsubscribe, ...).
    headers: Mapped[dict[str, Any]]
    #: Files sent with the message: [{"filename", "content_type", "content"}] (text; a convening's .ics), or None.
    #: Never a respondent's link: a row's attachments are readable by whoever reads the outbox.
    attachments: Mapped[list[Any] | None]
    #: queued -> sending -> sent, or failed (permanent), unknown (outcome not known), cancelled.
    status: Mapped[str] = mapped_column(String(12), default="queued")
    #: Delivery attempts so far.
    attempts: Mapped[int] = mapped_column(default=0)
    #: Not to be tried before this time (UTC); backoff after transient failures.
    next_attempt_at: Mapped[dt.datetime]
    #: Why it has not gone out: the last error from the mail server or the connection, or, once
    #: cancelled, why it was (wfsurvey.mail.outbox.cancel_waiting). Never a sender's bookkeeping.
    last_error: Mapped[str | None] = mapped_column(Text)
    #: While status is "sending": "claimed" (a sender's batch holds it, not yet handed to the mail
    #: server: it may still be cancelled) or "sending" (started: the server may have it). Else None.
    claim_stage: Mapped[str | None] = mapped_column(String(8))
    #: While status is "sending": the random id of the sender's batch that claimed it; an outcome or
    #: a start from any other batch leaves the row alone.
    claim_batch: Mapped[str | None] = mapped_column(String(32))
    #: While status is "sending": when (logical time) it reached its claim stage; a claim or start
    #: older than the sender's STALE_AFTER belongs to a crashed sender and is recovered.
    claim_stage_at: Mapped[dt.datetime | None]
    #: When it was queued (UTC).
    created_at: Mapped[dt.datetime]
    #: When the mail server accepted it.
    sent_at: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        stage = f"/{self.claim_stage}" if self.claim_stage else ""
        return f"<OutboxMessage {self.id} {self.dedupe_key} {self.status}{stage}>"


class MailboxMessage(Base):
    """A message 'delivered' by the dev transport: kept here and listed at /dev/mailbox."""

    __tablename__ = "dev_mailbox"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The outbox row it came from.
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    #: Sender.
    from_addr: Mapped[str] = mapped_column(String(320))
    #: Recipient.
    to_addr: Mapped[str] = mapped_column(String(320), index=True)
    #: Subject line.
    subject: Mapped[str] = mapped_column(String(300))
    #: Plain-text part.
    body_text: Mapped[str] = mapped_column(Text)
    #: HTML part.
    body_html: Mapped[str] = mapped_column(Text)
    #: Headers as sent.
    headers: Mapped[dict[str, Any]]
    #: Files sent with it, as the outbox row gave them: [{"filename", "content_type", "content"}] (text), or None.
    attachments: Mapped[list[Any] | None]
    #: When it was delivered (UTC).
    received_at: Mapped[dt.datetime]

    def __repr__(self) -> str:
        return f"<MailboxMessage {self.id} to={self.to_addr}>"
