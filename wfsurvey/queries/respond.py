"""Read-only questions the respondent pages ask: a colleague's response that stands for the organization, and
answers to carry forward from an earlier round."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wfsurvey.models import Invitation, Response, Round, Template


@dataclass(frozen=True)
class CarriedAnswers:
    """Answers of an earlier round that start a new form, and where they came from."""

    answers: dict[str, Any]
    round_id: int
    round_title: str
    #: "contact" when the same person answered, "organization" when a colleague did.
    source: str


def previous_answers(session: Session, invitation: Invitation) -> CarriedAnswers | None:
    """The latest submitted answers to an earlier round of the same template (by slug).

    The same contact's response is preferred; failing that, one from the same organization.
    Only answers to questions this round's template still asks with the same type are kept, so a
    changed question never receives a value of the wrong shape. None when nothing fits.
    """
    current = invitation.round
    questions = {q["key"]: q["type"] for q in current.template.questions}
    query = (
        select(Response, Round.title, Invitation.contact_id, Template.questions)
        .join(Invitation, Invitation.id == Response.invitation_id)
        .join(Round, Round.id == Response.round_id)
        .join(Template, Template.id == Round.template_id)
        .where(
            Template.slug == current.template.slug,
            Round.id != current.id,
            Round.opens_at < current.opens_at,
            Round.state != "cancelled",
            Response.status == "submitted",
            Response.organization_id == invitation.organization_id,
        )
        .order_by(Round.opens_at.desc(), Response.submitted_at.desc(), Response.id.desc())
    )
    rows = session.execute(query).all()
    if not rows:
        return None
    mine = [row for row in rows if row.contact_id == invitation.contact_id]
    # Same person first; the organization's answers otherwise (a new colleague inherits them).
    response, title, contact_id, old_questions = (mine or rows)[0]
    old_types = {q["key"]: q["type"] for q in old_questions}
    answers = {
        key: value for key, value in (response.answers or {}).items()
        if key in questions and old_types.get(key) == questions[key]
    }
    if not answers:
        return None
    return CarriedAnswers(answers, response.round_id, title, "contact" if contact_id == invitation.contact_id else "organization")


def organization_response(session: Session, invitation: Invitation) -> Response | None:
    """Under the one-response-per-organization rule, a submitted response of a colleague, if any."""
    if invitation.round.response_rule != "organization":
        return None
    return session.scalar(
        select(Response).where(
            Response.round_id == invitation.round_id, Response.organization_slot == invitation.organization_id,
            Response.invitation_id != invitation.id,
        )
    )


@dataclass(frozen=True)
class SeriesReference:
    """The organization's answers to the previous period of a series, shown beside the questions (never filled in:
    each period counts what happened in it)."""

    answers: dict[str, Any]
    #: "quarter ending March 31, 2027".
    period_words: str


def series_reference(session: Session, invitation: Invitation) -> SeriesReference | None:
    """The latest submitted response of the invitation's organization to the previous period's round, or None (a
    round of no series, the first period, or nothing submitted then)."""
    from wfsurvey.domain.series import period_end, period_words
    from wfsurvey.models import RoundSeries

    current = invitation.round
    if current.series_id is None or not current.period:
        return None
    row = session.execute(
        select(Response.answers)
        .join(Round, Round.id == Response.round_id)
        .where(Round.series_id == current.series_id, Round.period == current.period - 1,
               Response.status == "submitted", Response.organization_id == invitation.organization_id)
        .order_by(Response.submitted_at.desc(), Response.id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    series = session.get(RoundSeries, current.series_id)
    end = period_end(series.first_period_end, series.cadence, current.period - 1)
    return SeriesReference(dict(row.answers or {}), period_words(series.cadence, end))
