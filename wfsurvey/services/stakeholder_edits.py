"""Changing organizations and contacts one at a time from the staff pages, and recording an opt-out staff were told of."""
from __future__ import annotations

from sqlalchemy import select

from wfsurvey.domain import commands as cmd
from wfsurvey.domain import events as ev
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.invitations import STOPPABLE
from wfsurvey.mail.outbox import OPTED_OUT, cancel_waiting
from wfsurvey.models import Contact, Invitation, Organization, Round
from wfsurvey.services.stakeholders import (
    checked_contact_fields,
    checked_organization_fields,
    default_scheme,
    invalid,
    resolve_regions,
)
from wfsurvey.services.unit_of_work import AbstractUnitOfWork

#: Rounds whose unanswered invitations an opt-out stops (as a respondent's own opt-out does).
RUNNING_STATES = ("draft", "scheduled", "open")


def update_organization(command: cmd.UpdateOrganization, uow: AbstractUnitOfWork) -> Organization:
    session = uow.session
    org = session.get(Organization, command.organization_id)
    if org is None:
        raise DomainError(f"no organization {command.organization_id}", code="not_found")
    name = checked_organization_fields(session, command.name, command.org_type, exclude_id=org.id)
    regions = resolve_regions(session, command.regions, command.scheme or default_scheme())
    changes = {}
    if org.name != name:
        changes["name"] = {"from": org.name, "to": name}
    if org.org_type != command.org_type:
        changes["org_type"] = {"from": org.org_type, "to": command.org_type}
    before, after = sorted(r.code for r in org.regions), [r.code for r in regions]
    if before != after:
        changes["regions"] = {"from": before, "to": after}
    if not changes:
        return org
    org.name, org.org_type, org.regions = name, command.org_type, regions
    session.flush()
    uow.record(ev.OrganizationUpdated(organization_id=org.id, changes=changes))
    return org


def update_contact(command: cmd.UpdateContact, uow: AbstractUnitOfWork) -> Contact:
    session = uow.session
    contact = session.get(Contact, command.contact_id)
    if contact is None:
        raise DomainError(f"no contact {command.contact_id}", code="not_found")
    name, email, title, problems = checked_contact_fields(session, command.name, command.email, command.title,
                                                          exclude_id=contact.id)
    if problems:
        raise invalid(problems, "contact")
    changes = {
        column: {"from": getattr(contact, column), "to": value}
        for column, value in (("name", name), ("email", email), ("title", title))
        if getattr(contact, column) != value
    }
    if not changes:
        return contact
    for column, change in changes.items():
        setattr(contact, column, change["to"])
    contact.updated_at = uow.now
    session.flush()
    uow.record(ev.ContactUpdated(contact_id=contact.id, changes=changes))
    return contact


def mark_contact_opted_in(command: cmd.MarkContactOptedIn, uow: AbstractUnitOfWork) -> Contact:
    """Survey mail again from the next round or invitation on. Invitations the opt-out stopped stay stopped:
    staff re-invite the person in a running round with "Invite latecomers" only if they want to."""
    contact = uow.session.get(Contact, command.contact_id, with_for_update=True)
    if contact is None:
        raise DomainError(f"no contact {command.contact_id}", code="not_found")
    reason = " ".join(command.reason.split())
    if not reason:
        raise DomainError("say how the person asked to receive survey mail again", code="invalid",
                          fields={"reason": ["required"]})
    if contact.opted_out_at is None:
        return contact
    contact.opted_out_at = None
    contact.updated_at = uow.now
    uow.record(ev.ContactOptedIn(contact_id=contact.id, reason=reason[:500]))
    return contact


def mark_contact_opted_out(command: cmd.MarkContactOptedOut, uow: AbstractUnitOfWork) -> Contact:
    """The same consequences as a respondent's own opt-out: running invitations stop, queued mail is cancelled."""
    session = uow.session
    contact = session.get(Contact, command.contact_id, with_for_update=True)
    if contact is None:
        raise DomainError(f"no contact {command.contact_id}", code="not_found")
    return record_opt_out(contact, uow, via_invitation_id=None)


def record_opt_out(contact: Contact, uow: AbstractUnitOfWork, via_invitation_id: int | None,
                   via_convening_invitation_id: int | None = None) -> Contact:
    """No more survey mail for `contact`: unanswered invitations of running rounds stop, their queued mail is
    cancelled. The same whether the person used their link (`via_invitation_id`, or a convening's:
    `via_convening_invitation_id`) or told staff."""
    if contact.opted_out_at is not None:
        return contact
    contact.opted_out_at = uow.now
    contact.updated_at = uow.now
    stopped = uow.session.scalars(
        select(Invitation).join(Round, Round.id == Invitation.round_id).where(
            Invitation.contact_id == contact.id, Round.state.in_(RUNNING_STATES),
            Invitation.status.in_(STOPPABLE),
        )
    ).all()
    for invitation in stopped:
        invitation.status = "opted_out"
    ids = sorted(invitation.id for invitation in stopped)
    cancel_waiting(uow.session, invitation_ids=ids, reason=OPTED_OUT)
    uow.record(ev.ContactOptedOut(contact_id=contact.id, invitation_ids=ids, via_invitation_id=via_invitation_id,
                                  via_convening_invitation_id=via_convening_invitation_id))
    return contact
