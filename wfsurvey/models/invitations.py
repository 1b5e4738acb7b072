"""Invitations (one per contact per round), the access tokens of their links, and responses."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wfsurvey.database import Base
from wfsurvey.domain.invitations import INVITATION_STATUSES
from wfsurvey.models.base import Aggregate
from wfsurvey.models.stakeholders import Contact, Organization
from wfsurvey.models.surveys import Round


class Invitation(Aggregate, Base):
    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("round_id", "contact_id"),
        Index("ix_invitations_round_status", "round_id", "status"),
        # An organization's invitations in a round: the non-respondents list walks organizations by name.
        Index("ix_invitations_organization_round", "organization_id", "round_id"),
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in INVITATION_STATUSES)})", name="status"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The round the person is invited to.
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    #: The person invited.
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    #: The contact's organization when invited (kept even if the contact moves later).
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    #: pending -> sent -> started -> submitted, or forwarded / bounced / opted_out.
    status: Mapped[str] = mapped_column(String(12), default="pending")
    #: When the invitation was issued (UTC).
    issued_at: Mapped[dt.datetime]
    #: When the first message with the link was accepted by the mail server.
    sent_at: Mapped[dt.datetime | None]
    #: When the respondent first saved a draft (a page view does not count).
    started_at: Mapped[dt.datetime | None]
    #: When the response was first submitted.
    submitted_at: Mapped[dt.datetime | None]
    #: The invitation this one was forwarded from, if a colleague passed it on.
    forwarded_from_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id"))
    #: How many reminders have been queued for it.
    reminders_sent: Mapped[int] = mapped_column(default=0)

    round: Mapped[Round] = relationship()
    contact: Mapped[Contact] = relationship()
    organization: Mapped[Organization] = relationship()
    response: Mapped[Response | None] = relationship(back_populates="invitation", uselist=False)

    def __repr__(self) -> str:
        return f"<Invitation {self.id} round={self.round_id} contact={self.contact_id} {self.status}>"


class AccessToken(Base):
    """A link's secret, kept only as its SHA-256: each invitation or reminder message may carry a new one."""

    __tablename__ = "access_tokens"
    __table_args__ = (
        # A link opens one thing: a round's invitation (/r/) or a convening's (/c/).
        CheckConstraint("(invitation_id IS NULL) <> (convening_invitation_id IS NULL)", name="opens_one"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The round invitation the link opens (/r/<token>), or None for a convening's link.
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    #: The convening invitation the link opens (/c/<token>), or None for a round's link.
    convening_invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("convening_invitations.id", ondelete="CASCADE"), index=True)
    #: Hex SHA-256 of the token; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Why it was made: invitation, reminder, resend, forward, and the convening kinds (convening_invitation, ...).
    purpose: Mapped[str] = mapped_column(String(20))
    #: When it was made (UTC).
    created_at: Mapped[dt.datetime]
    #: When it stopped opening the invitation; None while valid.
    revoked_at: Mapped[dt.datetime | None]

    invitation: Mapped[Invitation] = relationship()

    def __repr__(self) -> str:
        return f"<AccessToken {self.id} invitation={self.invitation_id} {self.purpose}>"


class Response(Aggregate, Base):
    __tablename__ = "responses"
    __table_args__ = (
        # With the "organization" rule the organization's first submission takes the slot;
        # NULLs (drafts, or the "contact" rule) never collide, on SQLite and PostgreSQL alike.
        UniqueConstraint("round_id", "organization_slot"),
        # A round's responses in id order: the raw export walks them a chunk at a time from the last id it wrote.
        Index("ix_responses_round", "round_id", "id"),
        # A round's responses of one status, last edited first: each page of the staff list and of the API starts
        # from the last one's (updated_at, id) instead of counting past the rows before it.
        Index("ix_responses_round_status_updated", "round_id", "status", "updated_at", "id"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The invitation answered; one response per invitation.
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"), unique=True)
    #: The round (copied for queries by round).
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    #: The respondent's organization.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    #: The organization id once submitted under the one-response-per-organization rule, else None.
    organization_slot: Mapped[int | None]
    #: Answers by question key (only questions shown by the skip logic).
    answers: Mapped[dict[str, Any]]
    #: draft or submitted.
    status: Mapped[str] = mapped_column(String(12), default="draft")
    #: 1 at the first save, +1 at every save, submit or edit.
    revision: Mapped[int] = mapped_column(default=1)
    #: When the first draft or submission was stored (UTC).
    created_at: Mapped[dt.datetime]
    #: When it last changed (UTC).
    updated_at: Mapped[dt.datetime]
    #: When it was first submitted.
    submitted_at: Mapped[dt.datetime | None]

    invitation: Mapped[Invitation] = relationship(back_populates="response")

    def __repr__(self) -> str:
        return f"<Response {self.id} invitation={self.invitation_id} {self.status} r{self.revision}>"
