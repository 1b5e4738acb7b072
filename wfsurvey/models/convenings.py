"""Convenings (a meeting of a region's partners, with RSVPs), their invitations and the outcome notes staff keep.

A convening's invitation opens through the same access tokens as a round's (models.invitations.AccessToken, its
convening_invitation_id), its mail goes through the same outbox, and its reminders through the same sweep.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wfsurvey.database import Base
from wfsurvey.domain import convenings as rules
from wfsurvey.domain import events
from wfsurvey.domain.errors import DomainError
from wfsurvey.models.base import Aggregate
from wfsurvey.models.stakeholders import Contact, Organization


class Convening(Aggregate, Base):
    __tablename__ = "convenings"
    __table_args__ = (
        CheckConstraint(f"state IN ({', '.join(repr(s) for s in rules.STATES)})", name="state"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Title shown to staff and invitees, e.g. "Inland Empire advanced manufacturing convening".
    title: Mapped[str] = mapped_column(String(300))
    #: What the meeting is for, in a few sentences (in the invitation and on the RSVP page).
    purpose: Mapped[str] = mapped_column(Text, default="")
    #: Region codes the convening is for (the audience may name further people).
    regions: Mapped[list[Any]]
    #: IANA time zone the start and end are shown in.
    timezone: Mapped[str] = mapped_column(String(64))
    #: Start and end (UTC).
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    #: Street address or room; "" when online only.
    location: Mapped[str] = mapped_column(String(500), default="")
    #: Link to join online; "" when in person only.
    online_url: Mapped[str] = mapped_column(String(500), default="")
    #: Seats; None for no limit. Yes answers beyond it join the waitlist.
    capacity: Mapped[int | None]
    #: As a round's: {"regions", "org_types", "include_contacts", "exclude_contacts"}.
    audience: Mapped[dict[str, Any]]
    #: As a round's reminder policy, offsets counted before the start: {"offsets", "min_gap_hours", "send_hours"}.
    reminders: Mapped[dict[str, Any]]
    #: draft -> scheduled (invitations sent) -> held, or cancelled.
    state: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    #: iCalendar SEQUENCE: 0, +1 at each reschedule and at the cancellation (calendars keep the highest).
    sequence: Mapped[int] = mapped_column(default=0)
    #: When it was created (UTC) and by whom.
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(80))
    #: When invitations were sent, when it was cancelled, when staff marked it held.
    invited_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    held_at: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"<Convening {self.id} {self.state} {self.title!r}>"

    # --- state ---------------------------------------------------------------------------

    def takes_rsvps(self, now: dt.datetime) -> bool:
        """Answers may be given or changed while invitations are out and the meeting has not started."""
        return self.state == "scheduled" and now < self.starts_at

    # --- moves ---------------------------------------------------------------------------

    def send_invitations(self, now: dt.datetime, invitations: int) -> None:
        if self.state != "draft":
            raise DomainError(f"the convening is {self.state}; invitations go out once, from the draft")
        if self.starts_at <= now:
            raise DomainError("the convening's start has passed", code="invalid", fields={"starts_at": ["must be in the future"]})
        if invitations == 0:
            raise DomainError("the audience is empty: nobody would be invited", code="invalid",
                              fields={"audience": ["no eligible contact"]})
        self.state = "scheduled"
        self.invited_at = now
        self.record(events.ConveningInvitationsSent(convening_id=self.id, invitations=invitations))

    def reschedule(self, starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime, reason: str) -> None:
        if self.state not in ("draft", "scheduled"):
            raise DomainError(f"the convening is {self.state}; it cannot be moved")
        rules.check_times(starts_at, ends_at, now)
        old_starts, old_ends = self.starts_at, self.ends_at
        self.starts_at, self.ends_at = starts_at, ends_at
        if self.state == "scheduled":
            self.sequence += 1
        self.record(events.ConveningRescheduled(
            convening_id=self.id, old_starts_at=old_starts.isoformat(), old_ends_at=old_ends.isoformat(),
            starts_at=starts_at.isoformat(), ends_at=ends_at.isoformat(), sequence=self.sequence, reason=reason,
        ))

    def set_capacity(self, capacity: int | None, confirmed: int) -> bool:
        """Change the seats (None: no limit) while `confirmed` people hold one; returns whether they changed."""
        if self.state not in ("draft", "scheduled"):
            raise DomainError(f"the convening is {self.state}; its seats can no longer change")
        problem = rules.capacity_problem(capacity, confirmed)
        if problem:
            raise DomainError(problem, code="invalid", fields={"capacity": [problem]})
        if capacity == self.capacity:
            return False
        old, self.capacity = self.capacity, capacity
        self.record(events.ConveningCapacityChanged(convening_id=self.id, capacity=capacity, old_capacity=old))
        return True

    def cancel(self, now: dt.datetime, reason: str) -> None:
        if self.state not in ("draft", "scheduled"):
            raise DomainError(f"the convening is {self.state}; it cannot be cancelled")
        self.state = "cancelled"
        self.cancelled_at = now
        self.sequence += 1
        self.record(events.ConveningCancelled(convening_id=self.id, reason=reason, sequence=self.sequence))

    def mark_held(self, now: dt.datetime) -> None:
        if self.state != "scheduled":
            raise DomainError(f"the convening is {self.state}; only a scheduled convening is held")
        if now < self.starts_at:
            raise DomainError("the convening has not started yet")
        self.state = "held"
        self.held_at = now
        self.record(events.ConveningHeld(convening_id=self.id))


class ConveningInvitation(Aggregate, Base):
    """One person invited to one convening: their link's status, their answer, and whether they came."""

    __tablename__ = "convening_invitations"
    __table_args__ = (
        UniqueConstraint("convening_id", "contact_id"),
        Index("ix_convening_invitations_organization", "organization_id", "convening_id"),
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in rules.INVITATION_STATUSES)})", name="status"),
        CheckConstraint(f"answer IS NULL OR answer IN ({', '.join(repr(a) for a in rules.ANSWERS)})", name="answer"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The convening.
    convening_id: Mapped[int] = mapped_column(ForeignKey("convenings.id"), index=True)
    #: The person invited (or a walk-in added at the door).
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    #: The person's organization when invited.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    #: pending -> sent, or bounced; "walk_in" for someone added at the door (never emailed).
    status: Mapped[str] = mapped_column(String(12), default="pending")
    #: When issued, and when the first message with the link was accepted by the mail server (UTC).
    issued_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    #: yes, no or maybe; None until they answer.
    answer: Mapped[str | None] = mapped_column(String(8))
    #: Their note to the organizers, and access or dietary needs.
    note: Mapped[str] = mapped_column(Text, default="")
    needs: Mapped[str] = mapped_column(Text, default="")
    #: When they last answered (UTC).
    answered_at: Mapped[dt.datetime | None]
    #: While a yes waits for a seat: its place in the order of arrival (smaller first); None otherwise.
    waitlist_seq: Mapped[int | None]
    #: Whether staff ticked them on the check-in list, and when.
    attended: Mapped[bool] = mapped_column(default=False)
    attended_at: Mapped[dt.datetime | None]
    #: Reminders queued for it.
    reminders_sent: Mapped[int] = mapped_column(default=0)

    convening: Mapped[Convening] = relationship()
    contact: Mapped[Contact] = relationship()
    organization: Mapped[Organization] = relationship()

    @property
    def waitlisted(self) -> bool:
        return self.waitlist_seq is not None

    @property
    def standing(self) -> str:
        """yes, waitlisted, no, maybe or no_answer: what the totals count."""
        return rules.standing(self.answer, self.waitlist_seq)

    def __repr__(self) -> str:
        return f"<ConveningInvitation {self.id} convening={self.convening_id} contact={self.contact_id} {self.answer}>"


class OutcomeNote(Base):
    """A short note of what a convening (or any engagement) achieved, linked to regions and organizations."""

    __tablename__ = "outcome_notes"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The convening it came out of, if any.
    convening_id: Mapped[int | None] = mapped_column(ForeignKey("convenings.id"), index=True)
    #: The note, e.g. "pilot area agreed".
    text: Mapped[str] = mapped_column(Text)
    #: Region codes and organization ids it concerns.
    regions: Mapped[list[Any]]
    organization_ids: Mapped[list[Any]]
    #: When and by whom it was written.
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(80))

    def __repr__(self) -> str:
        return f"<OutcomeNote {self.id} convening={self.convening_id}>"
