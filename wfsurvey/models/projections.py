"""Read models fed by event handlers (wfsurvey.projections) and rebuilt from the log."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wfsurvey.database import Base


class InvitationProgress(Base):
    """Per invitation: which completion counters it has reached (so a repeated event counts once)."""

    __tablename__ = "proj_invitation_progress"
    __table_args__ = (
        # A round's invitations, and its local boards among them (a board's answer recomputes the
        # designations of its regions from the answers of their boards).
        Index("ix_proj_invitation_progress_round_org_type", "round_id", "org_type"),
    )

    #: The invitation.
    invitation_id: Mapped[int] = mapped_column(primary_key=True)
    #: Its round.
    round_id: Mapped[int]
    #: The organization's type when invited.
    org_type: Mapped[str] = mapped_column(String(20))
    #: The organization's region codes, comma-separated.
    regions: Mapped[str] = mapped_column(String(500))
    #: A message with its link was accepted by the mail server.
    sent: Mapped[bool] = mapped_column(default=False)
    #: A draft or submission was stored.
    started: Mapped[bool] = mapped_column(default=False)
    #: A response was submitted.
    submitted: Mapped[bool] = mapped_column(default=False)
    #: A message to it bounced permanently.
    bounced: Mapped[bool] = mapped_column(default=False)
    #: The person opted out.
    opted_out: Mapped[bool] = mapped_column(default=False)
    #: It was forwarded to a colleague.
    forwarded: Mapped[bool] = mapped_column(default=False)


class BoardRegion(Base):
    """Region membership of a round's local boards, as their invitations were issued: one row per region of each.

    A board's answer may change the designations of its own regions only, decided from the answers
    of the boards of those regions: this finds them by (round, region), through the primary key,
    instead of matching every board's comma-joined region list. Only the invitations of nominating
    organizations (local boards) are listed: no other answer designates anyone.
    """

    __tablename__ = "proj_board_regions"

    #: The round.
    round_id: Mapped[int] = mapped_column(primary_key=True)
    #: A region code the invitation was issued in.
    region: Mapped[str] = mapped_column(String(80), primary_key=True)
    #: The board's invitation.
    invitation_id: Mapped[int] = mapped_column(primary_key=True)
    #: The board.
    organization_id: Mapped[int]


class RoundProgress(Base):
    """Completion counters of a round: in total, by region, by organization type, and by both."""

    __tablename__ = "proj_round_progress"

    #: The round.
    round_id: Mapped[int] = mapped_column(primary_key=True)
    #: total, region, org_type or region_org.
    scope: Mapped[str] = mapped_column(String(12), primary_key=True)
    #: "" for total, a region code, an org type, or "<region>|<org type>".
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    #: Invitations issued.
    invited: Mapped[int] = mapped_column(default=0)
    #: Of those, with a message accepted by the mail server.
    sent: Mapped[int] = mapped_column(default=0)
    #: Started (draft saved or submitted).
    started: Mapped[int] = mapped_column(default=0)
    #: Submitted.
    submitted: Mapped[int] = mapped_column(default=0)
    #: Bounced.
    bounced: Mapped[int] = mapped_column(default=0)
    #: Opted out.
    opted_out: Mapped[int] = mapped_column(default=0)
    #: Forwarded to a colleague.
    forwarded: Mapped[int] = mapped_column(default=0)


class OrganizationProgress(Base):
    """Per round and organization: its invitations standing and submitted, and the regions it counts in."""

    __tablename__ = "proj_organization_progress"

    #: The round.
    round_id: Mapped[int] = mapped_column(primary_key=True)
    #: The organization.
    organization_id: Mapped[int] = mapped_column(primary_key=True)
    #: Its type when first invited.
    org_type: Mapped[str] = mapped_column(String(20))
    #: The union of the region codes its invitations were issued with, sorted, comma-separated.
    regions: Mapped[str] = mapped_column(String(500))
    #: Its invitations not forwarded (a forward puts a colleague's invitation in the forwarded one's place).
    invitations: Mapped[int] = mapped_column(default=0)
    #: Its invitations submitted.
    submitted: Mapped[int] = mapped_column(default=0)


class OrganizationCounts(Base):
    """Organization counters of a round, in the scopes of proj_round_progress (total, region, org_type, region_org)."""

    __tablename__ = "proj_organization_counts"

    #: The round.
    round_id: Mapped[int] = mapped_column(primary_key=True)
    #: total, region, org_type or region_org.
    scope: Mapped[str] = mapped_column(String(12), primary_key=True)
    #: "" for total, a region code, an org type, or "<region>|<org type>".
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    #: Organizations invited (with an invitation standing or submitted).
    invited: Mapped[int] = mapped_column(default=0)
    #: Organizations with a submitted response.
    responded: Mapped[int] = mapped_column(default=0)
    #: Submitted responses of those organizations.
    responses: Mapped[int] = mapped_column(default=0)
    #: Standing invitations of organizations without a submitted response: those still expected to
    #: answer when a round takes one response per organization.
    awaiting: Mapped[int] = mapped_column(default=0)


class SubmittedAnswers(Base):
    """The latest submitted answers of each invitation, so an amendment can take back the old ones."""

    __tablename__ = "proj_submitted_answers"

    #: The invitation.
    invitation_id: Mapped[int] = mapped_column(primary_key=True)
    #: Its round.
    round_id: Mapped[int] = mapped_column(index=True)
    #: The organization's type.
    org_type: Mapped[str] = mapped_column(String(20))
    #: The organization's region codes, comma-separated.
    regions: Mapped[str] = mapped_column(String(500))
    #: Answers by question key, as submitted last.
    answers: Mapped[dict[str, Any]]


class BaselineStat(Base):
    """One cell of the baseline table: how often a value was answered, per round, region and question."""

    __tablename__ = "proj_baseline_stats"

    #: The round.
    round_id: Mapped[int] = mapped_column(primary_key=True)
    #: Region code, or "" for the whole round.
    region: Mapped[str] = mapped_column(String(80), primary_key=True)
    #: Question key.
    question: Mapped[str] = mapped_column(String(80), primary_key=True)
    #: The answer value (option, scale point, yes/no), or "" for numbers.
    value: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: How many submitted responses gave it.
    count: Mapped[int] = mapped_column(default=0)
    #: Sum of numeric answers (number and scale questions), for means.
    total: Mapped[float] = mapped_column(Float, default=0.0)


class Designation(Base):
    """The navigator counterpart of a region in a round, as the latest DesignationChanged says."""

    __tablename__ = "designations"

    #: The round.
    round_id: Mapped[int] = mapped_column(primary_key=True)
    #: Region code.
    region: Mapped[str] = mapped_column(String(80), primary_key=True)
    #: designated, conflict or unfilled.
    status: Mapped[str] = mapped_column(String(12))
    #: False while the round is open (provisional), True from close.
    final: Mapped[bool] = mapped_column(default=False)
    #: {"name", "email", "organization"} of the counterpart, or None.
    nominee: Mapped[dict[str, Any] | None]
    #: [{"email", "name", "count", "boards"}], most nominated first.
    nominations: Mapped[list[Any]]
    #: Why the rule decided as it did, in a sentence.
    explanation: Mapped[str] = mapped_column(Text)
    #: True when an admin override decided.
    overridden: Mapped[bool] = mapped_column(default=False)
    #: Logical time of the last change (UTC).
    updated_at: Mapped[dt.datetime]

    def __repr__(self) -> str:
        return f"<Designation {self.round_id}:{self.region} {self.status}>"
