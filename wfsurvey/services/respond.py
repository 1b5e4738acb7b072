"""What respondents do through their link: save a draft, submit, edit, opt out, forward to a colleague."""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from wfsurvey.domain import commands as cmd
from wfsurvey.domain import events as ev
from wfsurvey.domain.answers import answers_to_form, clean_answers
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.invitations import CLOSED, FORWARDABLE, NOT_STARTED
from wfsurvey.domain.pages import has_sections, pages
from wfsurvey.domain.rounds import window_state
from wfsurvey.domain.questions import QUESTION_TYPES
from wfsurvey.domain.stakeholders import EmailNotValidError, normalize_email
from wfsurvey.domain.text import without_controls
from wfsurvey.mail.outbox import cancel_waiting
from wfsurvey.models import Contact, Invitation, InvitationProgress, Response, Round
from wfsurvey.prepared import Prepared
from wfsurvey.projections.baseline import note_round_questions
from wfsurvey.projections.completion import note_progress
from wfsurvey.queries.audience import Eligible
from wfsurvey.queries.respond import previous_answers
from wfsurvey.queries.tokens import invitation_locked
from wfsurvey.services import invitations
from wfsurvey.services.designations import note_round_facts, note_round_locked, recomputes_under_lock, round_lock
from wfsurvey.services.reminders import note_no_reminders
from wfsurvey.services.stakeholder_edits import record_opt_out
from wfsurvey.services.unit_of_work import AbstractUnitOfWork


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


@dataclass(frozen=True)
class SavedAnswers:
    """What saving answers came to: the response, and whether it is submitted."""

    response_id: int
    submitted: bool
    #: A submit from a page of a sectioned form that found answers missing on other pages: the page was saved as a
    #: draft instead, and these are the problems left (by field name).
    missing: dict[str, str] = field(default_factory=dict)


class StaleForm(DomainError):
    """The response changed after this form was shown (a double submit, or another tab)."""

    code = "conflict"


class OrganizationAlreadyAnswered(DomainError):
    code = "conflict"

    def __init__(self, response: Response):
        super().__init__("your organization has already submitted a response to this round")
        self.response = response


class InvitationClosed(DomainError):
    """The invitation was forwarded or opted out: its link no longer takes answers."""

    code = "conflict"


def _load(session: Session, invitation_id: int) -> Invitation:
    # The row lock serializes two submits on one token on PostgreSQL; SQLite's BEGIN IMMEDIATE
    # already serializes every writing transaction.
    invitation = session.get(Invitation, invitation_id, with_for_update=True)
    if invitation is None:
        raise DomainError("no such invitation", code="not_found")
    return invitation


@dataclass(frozen=True)
class _Answering:
    """What saving answers reads: the invitation, its round (and template's questions), its organization's type,
    its response if any, its regions as issued and the id of a colleague's response holding the organization's slot.

    Values, not objects: read in one prepared statement (_load_for_answers), at a fraction of what the same
    five objects cost the ORM to load, in the busiest command there is.
    """

    invitation_id: int
    round_id: int
    organization_id: int
    status: str
    started: bool
    reminders_sent: int
    round_state: str
    audience: dict[str, Any]
    opens_at: dt.datetime
    closes_at: dt.datetime
    response_rule: str
    questions: list[dict[str, Any]]
    #: Of the progress projection (None without its row: then the organization's, see _as_issued).
    org_type: str | None
    regions: str | None
    progress_started: bool | None
    progress_submitted: bool | None
    response_id: int | None
    response_status: str | None
    response_revision: int | None
    colleague_response_id: int | None


@cache
def _answers_load_statement() -> Prepared:
    """The row of _Answering for one invitation (see _load_for_answers)."""
    invitations, rounds, templates = Invitation.__table__, Round.__table__, Round.__table__.metadata.tables["templates"]
    responses, progress = Response.__table__, InvitationProgress.__table__
    other = responses.alias("colleague")
    colleague_response_id = (
        select(other.c.id)
        .where(other.c.round_id == invitations.c.round_id, other.c.organization_slot == invitations.c.organization_id,
               other.c.invitation_id != invitations.c.id)
        .scalar_subquery()
    )
    return Prepared(
        select(invitations.c.id, invitations.c.round_id, invitations.c.organization_id, invitations.c.status,
               invitations.c.started_at.is_not(None), invitations.c.reminders_sent, rounds.c.state, rounds.c.audience, rounds.c.opens_at, rounds.c.closes_at,
               rounds.c.response_rule, templates.c.questions, progress.c.org_type, progress.c.regions,
               progress.c.started, progress.c.submitted, responses.c.id, responses.c.status, responses.c.revision,
               colleague_response_id)
        .join(rounds, rounds.c.id == invitations.c.round_id)
        .join(templates, templates.c.id == rounds.c.template_id)
        .outerjoin(progress, progress.c.invitation_id == invitations.c.id)
        .outerjoin(responses, responses.c.invitation_id == invitations.c.id)
        .where(invitations.c.id == bindparam("invitation_id"))
    )


_LOCK_INVITATION = (select(Invitation.__table__.c.id).where(Invitation.__table__.c.id == bindparam("invitation_id"))
                    .with_for_update())


def _load_for_answers(session: Session, invitation_id: int) -> _Answering:
    """The invitation, locked, with everything saving answers reads, in one statement: no object is made.

    The lock (the one _load takes) comes first, on its own: on PostgreSQL a statement that waits
    for a row lock reads the other tables as they were when it started, and would miss the response
    that the transaction it waited for committed. SQLite's BEGIN IMMEDIATE has serialized the
    writers already, so there it is not needed.
    """
    if session.get_bind().dialect.name != "sqlite" and not invitation_locked(session, invitation_id):
        session.execute(_LOCK_INVITATION, {"invitation_id": invitation_id})
    row = _answers_load_statement().first(session, {"invitation_id": invitation_id})
    if row is None:
        raise DomainError("no such invitation", code="not_found")
    target = _Answering(*row)
    if target.reminders_sent == 0:  # read under the lock: the policy on answers has no reminder to cancel
        note_no_reminders(session, invitation_id)
    if target.org_type is not None:  # read under the lock: the progress projection raises its flags unread
        note_progress(session, invitation_id, target.round_id, target.org_type, target.regions or "",
                      started=bool(target.progress_started), submitted=bool(target.progress_submitted))
    if session.get_bind().dialect.name == "sqlite":  # the writers take turns: the round stays as read (see recompute)
        note_round_facts(session, target.round_id, target.round_state, target.audience)
    return target


def save_answers(command: cmd.SaveAnswers, uow: AbstractUnitOfWork) -> SavedAnswers:
    """Save a draft, submit, or amend a submitted response.

    What it decides on is read as values, in one statement (_load_for_answers), and written with
    Core statements (_write); objects are loaded only where an uncommon way needs them (a page of a
    sectioned form, a refusal).
    """
    session = uow.session
    target = _load_for_answers(session, command.invitation_id)
    state = window_state(target.round_state, target.opens_at, target.closes_at, uow.now)
    if state != "open":
        raise RoundNotAccepting(session.get(Round, target.round_id), state)
    if target.status in CLOSED:
        raise InvitationClosed(f"this invitation was {target.status.replace('_', ' ')}")
    if target.colleague_response_id is not None and target.response_rule == "organization":
        raise OrganizationAlreadyAnswered(session.get(Response, target.colleague_response_id))
    if command.revision is not None and (target.response_revision or 0) != command.revision:
        raise StaleForm("your answers changed since this page was opened (perhaps in another tab, or the form was sent twice)")
    amending = target.response_status == "submitted"
    if amending and not command.submit:
        raise StaleForm("your response is already submitted; change it with “Submit changes”")
    org_type = target.org_type
    if org_type is None:  # no progress row (issued before the projection existed): the organization's type
        org_type = session.get(Invitation, target.invitation_id).organization.org_type
    questions = target.questions
    note_round_questions(session, target.round_id, questions)  # for the baseline's and designations' handlers
    missing: dict[str, str] = {}
    if command.page is None or not has_sections(questions):
        answers, errors = clean_answers(questions, command.form, org_type, complete=command.submit)
        if errors:
            raise AnswersInvalid(errors, answers)
    else:
        answers, missing = _page_answers(session, session.get(Invitation, target.invitation_id), command)
        if missing and amending:
            raise AnswersInvalid(missing, answers)
    submit = command.submit and not missing
    first_submit = submit and not amending
    response_id = _write(session, target, answers, uow.now, submit=submit, first_submit=first_submit,
                         lock_round=submit and recomputes_under_lock(org_type))
    if not submit:
        uow.record(ev.ResponseDraftSaved(invitation_id=target.invitation_id, round_id=target.round_id,
                                         response_id=response_id))
        return SavedAnswers(response_id, submitted=False, missing=missing)
    if target.regions is not None:  # as issued (its InvitationIssued event), kept by the progress projection
        regions = target.regions.split(",") if target.regions else []
    else:
        regions = session.get(Invitation, target.invitation_id).organization.region_codes
    payload = dict(invitation_id=target.invitation_id, round_id=target.round_id, response_id=response_id,
                   organization_id=target.organization_id, org_type=org_type, regions=regions, answers=answers)
    uow.record(ev.ResponseSubmitted(**payload) if first_submit else ev.ResponseAmended(**payload))
    return SavedAnswers(response_id, submitted=True)


def _page_answers(session: Session, invitation: Invitation, command: cmd.SaveAnswers) -> tuple[dict[str, Any], dict[str, str]]:
    """The answers after one page of a sectioned form, and what a submit still misses on the other pages.

    The page's fields replace its questions' answers; the others come from the draft (or, before the first save,
    from the answers carried over from an earlier round, which the form showed). Problems on the page refuse the
    command; elsewhere only a submit's missing answers count: an answer kept that no longer parses (carried from a
    version whose options differ) is dropped, as the form would have dropped it.
    """
    questions = invitation.round.template.questions
    page = next((p for p in pages(questions) if p.number == command.page), None)
    if page is None:  # the template never changes, so only a tampered form names another page
        raise StaleForm("this form names a page the survey does not have; open your link again")
    response = invitation.response
    if response is not None:
        kept = response.answers or {}
    else:
        carried = previous_answers(session, invitation)
        kept = carried.answers if carried else {}
    names = {name for q in page.questions for name in QUESTION_TYPES[q["type"]].field_names(q)}
    form = {**answers_to_form([q for q in questions if q["key"] not in page.keys], kept),
            **{name: values for name, values in command.form.items() if name in names}}
    complete_keys: Collection[str] | None = page.keys if command.complete_page and not command.submit else None
    answers, errors = clean_answers(questions, form, invitation.organization.org_type,
                                    complete=command.submit or command.complete_page, complete_keys=complete_keys)
    on_page = {name: message for name, message in errors.items() if name in names}
    if on_page:
        raise AnswersInvalid(on_page, answers)
    return answers, _missing(errors, questions) if command.submit else {}


def _missing(errors: Mapping[str, str], questions: list[dict[str, Any]]) -> dict[str, str]:
    """Of the errors off the page, the required answers not given (the rest are kept answers dropped)."""
    required = {QUESTION_TYPES[q["type"]].required_error(q) for q in questions if q.get("required")}
    return {name: message for name, message in errors.items() if (name, message) in required}


_responses = Response.__table__
_invitations = Invitation.__table__
# Built once and reused (see _answers_load_statement); an UPDATE sets the columns its parameters name.
_INSERT_RESPONSE = insert(_responses)
_UPDATE_RESPONSE = update(_responses).where(_responses.c.id == bindparam("b_id"))
_UPDATE_INVITATION = update(_invitations).where(_invitations.c.id == bindparam("b_id"))


@cache
def _prepared_insert(columns: tuple[str, ...]) -> Prepared:
    """SQLite: a first response inserted as a prepared statement (wfsurvey.prepared); its id is the row id."""
    return Prepared(_INSERT_RESPONSE, column_keys=columns)


@cache
def _prepared_update(columns: tuple[str, ...]) -> Prepared:
    """The invitation marked started or submitted, as a prepared statement (wfsurvey.prepared)."""
    return Prepared(_UPDATE_INVITATION, column_keys=columns)


@cache
def _insert_response_updating_invitation(columns: tuple[str, ...], changed: tuple[str, ...],
                                         lock_round: bool) -> Prepared:
    """PostgreSQL: a first response inserted and its invitation updated in one statement (two DML parts of a WITH);
    with `lock_round`, the round's lock that the designation policy will take (designations.round_lock) is taken by
    the same statement, which returns the round's state and audience with the response's id."""
    # Parameters named apart from the columns: a parameter named like a column of the updated table would be set too.
    inserted = insert(_responses).values({c: bindparam(f"r_{c}", type_=_responses.c[c].type) for c in columns})
    marked = (update(_invitations).where(_invitations.c.id == bindparam("b_id"))
              .values({c: bindparam(f"i_{c}", type_=_invitations.c[c].type) for c in changed}))
    new = inserted.returning(_responses.c.id).cte("new_response")
    if not lock_round:
        return Prepared(select(new.c.id).add_cte(marked.cte("marked_invitation")))
    locked = round_lock("lock_round_id").cte("locked_round")
    return Prepared(select(new.c.id, locked.c.state, locked.c.audience).add_cte(marked.cte("marked_invitation")))


def _write(session: Session, target: _Answering, answers: dict[str, Any], now: dt.datetime, *,
           submit: bool, first_submit: bool, lock_round: bool = False) -> int:
    """Store the answers in the invitation's response (made at the first save) and mark the invitation; the response's id.

    Core statements rather than the ORM's flush, which cost more than the rest of the command: objects of
    these rows already loaded (a sectioned form's page loads the invitation) forget the attributes written,
    so that they read them back if anyone asks. On PostgreSQL a first save writes both rows in one statement,
    which also takes the round's lock when `lock_round` (a board's submit: see designations.recomputes_under_lock).
    """
    values: dict[str, Any] = {"answers": answers, "status": "submitted" if submit else "draft", "updated_at": now}
    if first_submit:
        # Under the one-response-per-organization rule, the first submission takes the organization's slot.
        slot = target.organization_id if target.response_rule == "organization" else None
        values.update(submitted_at=now, organization_slot=slot)
    changes = _invitation_changes(target, now, submit=submit, first_submit=first_submit)
    if target.response_id is None:
        row = {**values, "invitation_id": target.invitation_id, "round_id": target.round_id,
               "organization_id": target.organization_id, "revision": 1, "created_at": now}
        _forget(session, Invitation, target.invitation_id, ["response"])
        if changes and session.get_bind().dialect.name == "postgresql":
            statement = _insert_response_updating_invitation(tuple(row), tuple(changes), lock_round)
            parameters = {**{f"r_{c}": v for c, v in row.items()}, **{f"i_{c}": v for c, v in changes.items()},
                          "b_id": target.invitation_id}
            if lock_round:
                response_id, state, audience = statement.first(session, {**parameters, "lock_round_id": target.round_id})
                note_round_locked(session, target.round_id, state, audience)
            else:
                response_id = statement.execute(session, parameters).scalar_one()
            _forget(session, Invitation, target.invitation_id, list(changes))
            return response_id
        if session.get_bind().dialect.name == "sqlite":
            response_id = _prepared_insert(tuple(row)).execute(session, row).lastrowid
        else:
            response_id = session.execute(_INSERT_RESPONSE, row).inserted_primary_key[0]
    else:
        values["revision"] = (target.response_revision or 0) + 1
        session.execute(_UPDATE_RESPONSE, {**values, "b_id": target.response_id})
        _forget(session, Response, target.response_id, list(values))
        response_id = target.response_id
    if changes:
        _prepared_update(tuple(changes)).execute(session, {**changes, "b_id": target.invitation_id})
        _forget(session, Invitation, target.invitation_id, list(changes))
    return response_id


def _forget(session: Session, model: type, id_: int, attributes: list[str]) -> None:
    """The object of this row, if the session holds it, reads these attributes afresh (a Core statement wrote them)."""
    obj = session.identity_map.get(identity_key(model, id_))
    if obj is not None:
        session.expire(obj, attributes)


def _invitation_changes(target: _Answering, now: dt.datetime, *, submit: bool, first_submit: bool) -> dict[str, Any]:
    """The invitation started (first save) and submitted (first submit), as the response is written."""
    changes: dict[str, Any] = {}
    if not target.started:
        changes["started_at"] = now
    if first_submit:
        changes.update(status="submitted", submitted_at=now)
    elif not submit and target.status in NOT_STARTED:
        changes["status"] = "started"
    return changes


def _regions(session: Session, invitation: Invitation) -> list[str]:
    row = session.get(InvitationProgress, invitation.id)
    return _as_issued(row.regions if row is not None else None, invitation)


def _as_issued(stored: str | None, invitation: Invitation) -> list[str]:
    """The invitation's regions as issued (from its InvitationIssued event, via the progress projection's `stored`)."""
    if stored is not None:
        return stored.split(",") if stored else []
    return invitation.organization.region_codes


def opt_out(command: cmd.OptOut, uow: AbstractUnitOfWork) -> Contact:
    session = uow.session
    invitation = _load(session, command.invitation_id)
    return record_opt_out(invitation.contact, uow, via_invitation_id=invitation.id)


def forward(command: cmd.ForwardInvitation, uow: AbstractUnitOfWork) -> Invitation:
    session = uow.session
    invitation = _load(session, command.invitation_id)
    round_ = invitation.round
    state = round_.window_state(uow.now)
    if state != "open":
        raise RoundNotAccepting(round_, state)
    if invitation.status not in FORWARDABLE:
        raise InvitationClosed(f"an invitation that is {invitation.status.replace('_', ' ')} cannot be forwarded")
    errors = {}
    # What a respondent types: control characters dropped, as in their answers (wfsurvey.domain.text).
    name = without_controls(command.name).strip()
    if not name:
        errors["name"] = "Enter your colleague's name."
    try:
        email = normalize_email(command.email)
    except EmailNotValidError as exc:
        errors["email"] = f"Enter a valid email address ({exc})."
        email = ""
    if errors:
        raise AnswersInvalid(errors, {})
    contact = session.scalar(select(Contact).where(func.lower(Contact.email) == email))
    if contact is None:
        contact = Contact(organization_id=invitation.organization_id, name=name, email=email, title=without_controls(command.title).strip()[:200],
                          created_at=uow.now, updated_at=uow.now)
        session.add(contact)
        session.flush()
        uow.record(ev.ContactCreated(contact_id=contact.id, organization_id=contact.organization_id, name=name,
                                     email=email, title=contact.title))
    elif contact.organization_id != invitation.organization_id:
        raise AnswersInvalid({"email": "This address belongs to someone at another organization; forward only within yours."}, {})
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
    cancel_waiting(session, invitation_ids=[invitation.id], reason="not sent: the invitation was forwarded")
    invitations.queue_messages(uow, round_, [recipient], kind="forwarded", dedupe="forwarded:{invitation_id}",
                               extra={"forwarded_by": invitation.contact.name, "forwarded_by_email": invitation.contact.email})
    return session.get(Invitation, recipient.invitation_id)
