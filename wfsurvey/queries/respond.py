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
