"""Survey templates (versioned question lists) and rounds (a template sent to an audience in a window)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wfsurvey.database import Base
from wfsurvey.domain import events
from wfsurvey.domain import rounds as rules
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.questions import answerable
from wfsurvey.models.base import Aggregate

ROUND_STATES = ("draft", "scheduled", "open", "closed", "cancelled")


class Template(Aggregate, Base):
    __tablename__ = "templates"
    __table_args__ = (UniqueConstraint("slug", "version"),)

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable name shared by all versions, e.g. "regional-collaboration-am".
    slug: Mapped[str] = mapped_column(String(80))
    #: 1, 2, ...: a version once used by a round never changes; an edit makes the next one.
    version: Mapped[int]
    #: Title shown to respondents.
    title: Mapped[str] = mapped_column(String(300))
    #: Introduction shown above the questions.
    description: Mapped[str] = mapped_column(Text, default="")
    #: Validated question list (wfsurvey.schemas.templates.QuestionSchema), in display order.
    questions: Mapped[list[Any]]
    #: When this version was created (UTC).
    created_at: Mapped[dt.datetime]
    #: Who created it ("user:3", "cli", "demo").
    created_by: Mapped[str] = mapped_column(String(80))

    rounds: Mapped[list[Round]] = relationship(back_populates="template")

    def question(self, key: str) -> dict[str, Any] | None:
        """The question with that key, or None; a section is not a question, so its key finds nothing."""
        return next((q for q in answerable(self.questions) if q["key"] == key), None)

    def __repr__(self) -> str:
        return f"<Template {self.slug} v{self.version}>"


class Round(Aggregate, Base):
    __tablename__ = "rounds"
    __table_args__ = (
        CheckConstraint(
            "state IN ('draft', 'scheduled', 'open', 'closed', 'cancelled')", name="state"
        ),
        # One round per period of a series, whoever (which scheduler) creates it.
        UniqueConstraint("series_id", "period"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The template version the round asks.
    template_id: Mapped[int] = mapped_column(ForeignKey("templates.id"), index=True)
    #: Title shown to staff and respondents, e.g. "Advanced Manufacturing baseline, winter 2026".
    title: Mapped[str] = mapped_column(String(300))
    #: IANA time zone in which the window and the sending hours are shown and read.
    timezone: Mapped[str] = mapped_column(String(64))
    #: When respondents may start answering (UTC).
    opens_at: Mapped[dt.datetime]
    #: When answers stop being accepted (UTC).
    closes_at: Mapped[dt.datetime]
    #: True: the window starts when the round is launched (a draft's opens_at is only an estimate until then).
    opens_on_launch: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Set while a round opened by "Open now" ahead of its planned time: that time (UTC), to schedule it back to.
    planned_opens_at: Mapped[dt.datetime | None]
    #: {"regions": [codes], "org_types": [...], "include_contacts": [ids], "exclude_contacts": [ids]}.
    audience: Mapped[dict[str, Any]]
    #: {"offsets": ["P7D", ...] before close, "min_gap_hours": n, "send_hours": [from, to]}.
    reminders: Mapped[dict[str, Any]]
    #: True when later rounds of the same template are compared against this one.
    is_baseline: Mapped[bool] = mapped_column(default=False)
    #: "organization": the first submission of an organization wins; "contact": one per person.
    response_rule: Mapped[str] = mapped_column(String(20), default="organization")
    #: draft -> scheduled -> open -> closed, or cancelled.
    state: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    #: When the round was created (UTC).
    created_at: Mapped[dt.datetime]
    #: Who created it.
    created_by: Mapped[str] = mapped_column(String(80))
    #: When it was launched; None while a draft.
    launched_at: Mapped[dt.datetime | None]
    #: When it actually closed (the window's end, or earlier when closed early).
    closed_at: Mapped[dt.datetime | None]
    #: When it was cancelled.
    cancelled_at: Mapped[dt.datetime | None]
    #: The series it is a period of, and which period (0, 1, ...); None for a round of its own.
    series_id: Mapped[int | None] = mapped_column(ForeignKey("round_series.id"), index=True)
    period: Mapped[int | None]

    template: Mapped[Template] = relationship(back_populates="rounds")

    def __repr__(self) -> str:
        return f"<Round {self.id} {self.state} {self.title!r}>"

    # --- state, asked of the aggregate rather than worked out in views ------------------

    def is_accepting(self, now: dt.datetime) -> bool:
        return self.state == "open" and self.opens_at <= now < self.closes_at

    def window_state(self, now: dt.datetime) -> str:
        """What a respondent sees: "not_open", "open", "closed" or "cancelled" (domain.rounds.window_state)."""
        return rules.window_state(self.state, self.opens_at, self.closes_at, now)

    # --- moves --------------------------------------------------------------------------

    def launch(self, now: dt.datetime, invitations: int) -> None:
        if self.state != "draft":
            raise DomainError(f"round {self.id} is {self.state}; only a draft can be launched")
        rules.check_window(self.opens_at, self.closes_at)
        if self.closes_at <= now:
            raise DomainError("the round's close time has passed", code="invalid", fields={"closes_at": ["must be in the future"]})
        if invitations == 0:
            raise DomainError("the audience is empty: nobody would be invited", code="invalid", fields={"audience": ["no eligible contact"]})
        self.launched_at = now
        if self.opens_on_launch:
            self.opens_at = now
        self.state = "open" if self.opens_at <= now else "scheduled"
        self.record(events.RoundLaunched(round_id=self.id, state=self.state, invitations=invitations))

    def open(self, now: dt.datetime) -> None:
        if self.state != "scheduled":
            raise DomainError(f"round {self.id} is {self.state}; only a scheduled round opens")
        if now < self.opens_at:
            raise DomainError("the round's window has not started")
        self.state = "open"
        self.planned_opens_at = None
        self.record(events.RoundOpened(round_id=self.id))

    def edit(self, definition: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
        """Change a draft's definition (every field of rules.DEFINITION_FIELDS, as stored); returns what changed."""
        rules.check_editable(self.id, self.state)
        opens_at = now if definition["opens_on_launch"] else definition["opens_at"]
        rules.check_window(opens_at, definition["closes_at"])
        changes: dict[str, Any] = {}
        for name in rules.DEFINITION_FIELDS:
            if name == "opens_at" and definition["opens_on_launch"] and self.opens_on_launch:
                continue  # still opening when launched: its estimate is left as it was
            value = opens_at if name == "opens_at" else definition[name]
            if getattr(self, name) != value:
                setattr(self, name, value)
                if not (name == "opens_at" and definition["opens_on_launch"]):  # an estimate is no opening time
                    changes[name] = value.isoformat() if isinstance(value, dt.datetime) else value
        if changes:
            self.record(events.RoundEdited(round_id=self.id, changes=changes))
        return changes

    def open_now(self, now: dt.datetime) -> None:
        rules.check_open_now(self.id, self.state, self.closes_at, now)
        self.planned_opens_at, self.opens_at = self.opens_at, now
        self.state = "open"
        self.record(events.RoundOpenedEarly(round_id=self.id, planned_opens_at=self.planned_opens_at.isoformat(),
                                            opens_at=now.isoformat()))

    def schedule_back(self, now: dt.datetime, answered: int, hold_back: Callable[[], int]) -> None:
        """Wait for the planned opening again; `hold_back` stops the invitation emails still waiting (how many)."""
        rules.check_schedule_back(self.id, self.state, self.planned_opens_at, now, answered)
        self.opens_at, self.planned_opens_at = self.planned_opens_at, None
        self.state = "scheduled"
        self.record(events.RoundRescheduled(round_id=self.id, opens_at=self.opens_at.isoformat(), held_back=hold_back()))

    def extend(self, closes_at: dt.datetime, now: dt.datetime) -> None:
        if self.state not in ("draft", "scheduled", "open"):
            raise DomainError(f"round {self.id} is {self.state}; it cannot be extended")
        if closes_at <= self.closes_at:
            raise DomainError("the new close time must be later than the current one", code="invalid", fields={"closes_at": ["must be later"]})
        old = self.closes_at
        self.closes_at = closes_at
        self.record(events.RoundExtended(round_id=self.id, old_closes_at=old.isoformat(), closes_at=closes_at.isoformat()))

    def close(self, now: dt.datetime) -> None:
        if self.state not in ("scheduled", "open"):
            raise DomainError(f"round {self.id} is {self.state}; only a scheduled or open round closes")
        early = now < self.closes_at
        self.state = "closed"
        self.closed_at = min(now, self.closes_at)
        if early:
            self.closes_at = now
        self.record(events.RoundClosed(round_id=self.id, closed_at=self.closed_at.isoformat(), early=early))

    def cancel(self, now: dt.datetime, reason: str) -> None:
        if self.state in ("closed", "cancelled"):
            raise DomainError(f"round {self.id} is {self.state}; it cannot be cancelled")
        self.state = "cancelled"
        self.cancelled_at = now
        self.record(events.RoundCancelled(round_id=self.id, reason=reason))
