"""Changing organisations and contacts one at a time from the staff pages, and recording an opt-out staff were told of."""
from __future__ import annotations

from email_validator import EmailNotValidError
from sqlalchemy import select, update

from wfsurvey.domain import commands as cmd
from wfsurvey.domain import events as ev
from wfsurvey.models import Contact, Invitation, Organization, OutboxMessage, Round
from wfsurvey.models.base import DomainError
from wfsurvey.models.stakeholders import ORG_TYPES
from wfsurvey.services.stakeholders import MAX_LENGTHS, clean_text, default_scheme, normalize_email, org_key, resolve_regions
from wfsurvey.services.unit_of_work import AbstractUnitOfWork

#: Rounds whose unanswered invitations an opt-out stops (as a respondent's own opt-out does).
RUNNING_STATES = ("draft", "scheduled", "open")
STOPPABLE_STATUSES = ("pending", "sent", "started", "bounced")


def _invalid(problems: dict[str, str], what: str) -> DomainError:
    return DomainError(f"invalid {what}: " + "; ".join(f"{k}: {v}" for k, v in problems.items()),
                       code="invalid", fields={k: [v] for k, v in problems.items()})


def update_organization(command: cmd.UpdateOrganization, uow: AbstractUnitOfWork) -> Organization:
    session = uow.session
    org = session.get(Organization, command.organization_id)
    if org is None:
        raise DomainError(f"no organisation {command.organization_id}", code="not_found")
    name = clean_text(command.name)
    problems = {}
    if not name:
        problems["name"] = "an organisation needs a name"
    elif len(name) > MAX_LENGTHS["organization"]:
        problems["name"] = f"at most {MAX_LENGTHS['organization']} characters"
    if command.org_type not in ORG_TYPES:
        problems["org_type"] = f"must be one of {', '.join(ORG_TYPES)}"
    if problems:
        raise _invalid(problems, "organisation")
    key = org_key(name)
    for other_id, other_name in session.execute(select(Organization.id, Organization.name).where(Organization.id != org.id)):
        if org_key(other_name) == key:
            raise DomainError(f"an organisation named {other_name!r} already exists", code="conflict",
                              fields={"name": [f"already used by organisation {other_id}"]})
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
    name, title = clean_text(command.name), clean_text(command.title)
    problems = {}
    if not name:
        problems["name"] = "a contact needs a name"
    elif len(name) > MAX_LENGTHS["name"]:
        problems["name"] = f"at most {MAX_LENGTHS['name']} characters"
    if len(title) > MAX_LENGTHS["title"]:
        problems["title"] = f"at most {MAX_LENGTHS['title']} characters"
    try:
        email = normalize_email(command.email)
    except EmailNotValidError as exc:
        problems["email"] = str(exc)
        email = ""
    if email and email != contact.email and session.scalars(
        select(Contact.id).where(Contact.email == email, Contact.id != contact.id)
    ).first() is not None:
        problems["email"] = f"{email} is already a contact"
    if problems:
        raise _invalid(problems, "contact")
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
    if contact.opted_out_at is not None:
        return contact
    contact.opted_out_at = uow.now
    contact.updated_at = uow.now
    stopped = session.scalars(
        select(Invitation).join(Round, Round.id == Invitation.round_id).where(
            Invitation.contact_id == contact.id, Round.state.in_(RUNNING_STATES),
            Invitation.status.in_(STOPPABLE_STATUSES),
        )
    ).all()
    for invitation in stopped:
        invitation.status = "opted_out"
    ids = sorted(invitation.id for invitation in stopped)
    if ids:
        session.execute(update(OutboxMessage).where(OutboxMessage.invitation_id.in_(ids), OutboxMessage.status == "queued")
                        .values(status="cancelled"))
    uow.record(ev.ContactOptedOut(contact_id=contact.id, invitation_ids=ids, via_invitation_id=None))
    return contact
