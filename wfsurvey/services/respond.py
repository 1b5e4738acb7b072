"""What respondents do through their link: save a draft, submit, edit, opt out, forward to a colleague."""
from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update

from wfsurvey.domain import commands as cmd
from wfsurvey.domain import events as ev
from wfsurvey.domain.answers import clean_answers
from wfsurvey.models import Contact, Invitation, OutboxMessage, Response, Round
from wfsurvey.models.base import DomainError
from wfsurvey.services import invitations
from wfsurvey.services.audience import Eligible
from wfsurvey.services.stakeholder_edits import record_opt_out


class RoundNotAccepting(DomainError):
    """The round is not open: not yet, closed, or cancelled."""

    code = "closed"

    def __init__(self, round_: Round, state: str):
        super().__init__(f"the round is {state.replace('_', ' ')}")
        self.round = round_
        self.state = state


class AnswersInvalid(DomainError):
    code = "invalid"

    def __init__(self, errors: dict[str, str], answers: dict[str, Any]):
        super().__init__("some answers need attention", fields=errors)
        self.errors = errors
        self.answers = answers


class StaleForm(DomainError):
    """The response changed after this form was shown (a double submit, or another tab)."""

    code = "conflict"


class OrganizationAlreadyAnswered(DomainError):
    code = "conflict"

    def __init__(self, response: Response):
        super().__init__("your organisation has already submitted a response to this round")
        self.response = response


class InvitationClosed(DomainError):
    """The invitation was forwarded or opted out: its link no longer takes answers."""

    code = "conflict"


def _load(session, invitation_id: int) -> Invitation:
    # The row lock serialises two submits on one token on PostgreSQL; SQLite's BEGIN IMMEDIATE
    # already serialises every writing transaction.
    invitation = session.get(Invitation, invitation_id, with_for_update=True)
    if invitation is None:
        raise DomainError("no such invitation", code="not_found")
    return invitation


def organization_response(session, invitation: Invitation) -> Response | None:
    """Under the one-response-per-organisation rule, a submitted response of a colleague, if any."""
    if invitation.round.response_rule != "organization":
        return None
    return session.scalar(
        select(Response).where(
            Response.round_id == invitation.round_id, Response.organization_slot == invitation.organization_id,
            Response.invitation_id != invitation.id,
        )
    )


def save_answers(command: cmd.SaveAnswers, uow) -> Response:
    session = uow.session
    invitation = _load(session, command.invitation_id)
    round_ = invitation.round
    state = round_.window_state(uow.now)
    if state != "open":
        raise RoundNotAccepting(round_, state)
    if invitation.status in ("forwarded", "opted_out"):
        raise InvitationClosed(f"this invitation was {invitation.status.replace('_', ' ')}")
    other = organization_response(session, invitation)
    if other is not None:
        raise OrganizationAlreadyAnswered(other)
    response = invitation.response
    if command.revision is not None and (response.revision if response else 0) != command.revision:
        raise StaleForm("your answers changed since this page was opened (perhaps in another tab, or the form was sent twice)")
    org = invitation.organization
    answers, errors = clean_answers(round_.template.questions, command.form, org.org_type, complete=command.submit)
    if errors:
        raise AnswersInvalid(errors, answers)
    regions = _regions(session, invitation)
    if response is None:
        response = Response(
            invitation=invitation, round_id=round_.id, organization_id=invitation.organization_id,
            organization_slot=None, answers=answers, status="draft", revision=0, created_at=uow.now, updated_at=uow.now,
        )
        session.add(response)
        session.flush()
    elif response.status == "submitted" and not command.submit:
        raise StaleForm("your response is already submitted; change it with “Submit changes”")
    response.answers = answers
    response.revision += 1
    response.updated_at = uow.now
    if invitation.started_at is None:
        invitation.started_at = uow.now
    if not command.submit:
        if invitation.status in ("pending", "sent", "bounced"):
            invitation.status = "started"
        invitation.record(ev.ResponseDraftSaved(invitation_id=invitation.id, round_id=round_.id, response_id=response.id))
        return response
    payload = dict(invitation_id=invitation.id, round_id=round_.id, response_id=response.id,
                   organization_id=invitation.organization_id, org_type=org.org_type, regions=regions, answers=answers)
    if response.status == "submitted":
        invitation.record(ev.ResponseAmended(**payload))
        return response
    response.status = "submitted"
    response.submitted_at = uow.now
    if round_.response_rule == "organization":
        response.organization_slot = invitation.organization_id
    invitation.status = "submitted"
    invitation.submitted_at = uow.now
    invitation.record(ev.ResponseSubmitted(**payload))
    return response


def _regions(session, invitation: Invitation) -> list[str]:
    """The invitation's regions as issued (from its InvitationIssued event, via the progress projection)."""
    from wfsurvey.models import InvitationProgress

    row = session.get(InvitationProgress, invitation.id)
    if row is not None:
        return row.regions.split(",") if row.regions else []
    return invitation.organization.region_codes


def opt_out(command: cmd.OptOut, uow) -> Contact:
    session = uow.session
    invitation = _load(session, command.invitation_id)
    return record_opt_out(invitation.contact, uow, via_invitation_id=invitation.id)


def forward(command: cmd.ForwardInvitation, uow) -> Invitation:
    session = uow.session
    invitation = _load(session, command.invitation_id)
    round_ = invitation.round
    state = round_.window_state(uow.now)
    if state != "open":
        raise RoundNotAccepting(round_, state)
    if invitation.status not in ("pending", "sent", "started"):
        raise InvitationClosed(f"an invitation that is {invitation.status.replace('_', ' ')} cannot be forwarded")
    errors = {}
    name = command.name.strip()
    if not name:
        errors["name"] = "Enter your colleague's name."
    try:
        email = validate_email(command.email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        errors["email"] = f"Enter a valid email address ({exc})."
        email = ""
    if errors:
        raise AnswersInvalid(errors, {})
    contact = session.scalar(select(Contact).where(func.lower(Contact.email) == email))
    if contact is None:
        contact = Contact(organization_id=invitation.organization_id, name=name, email=email, title=command.title.strip(),
                          created_at=uow.now, updated_at=uow.now)
        session.add(contact)
        session.flush()
        uow.record(ev.ContactCreated(contact_id=contact.id, organization_id=contact.organization_id, name=name,
                                     email=email, title=contact.title))
    elif contact.organization_id != invitation.organization_id:
        raise AnswersInvalid({"email": "This address belongs to someone at another organisation; forward only within yours."}, {})
    if contact.id == invitation.contact_id:
        raise AnswersInvalid({"email": "That is your own address."}, {})
    if contact.opted_out_at is not None:
        raise AnswersInvalid({"email": "This person has opted out of survey mail."}, {})
    if session.scalar(select(Invitation.id).where(Invitation.round_id == round_.id, Invitation.contact_id == contact.id)):
        raise AnswersInvalid({"email": "This person is already invited to this round."}, {})
    org = invitation.organization
    person = Eligible(contact.id, contact.email, contact.name, org.id, org.name, org.org_type, _regions(session, invitation))
    [recipient] = invitations.issue(uow, round_, [person], forwarded_from=invitation.id)
    invitation.status = "forwarded"
    invitation.record(ev.InvitationForwarded(invitation_id=invitation.id, round_id=round_.id,
                                             to_invitation_id=recipient.invitation_id, to_contact_id=contact.id))
    session.execute(update(OutboxMessage).where(OutboxMessage.invitation_id == invitation.id, OutboxMessage.status == "queued")
                    .values(status="cancelled"))
    invitations.queue_messages(uow, round_, [recipient], kind="forwarded", dedupe="forwarded:{invitation_id}",
                               extra={"forwarded_by": invitation.contact.name})
    return session.get(Invitation, recipient.invitation_id)
