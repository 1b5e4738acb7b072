"""Round commands: create, launch, open, close, extend, cancel, invite late-comers, resend one invitation."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wfsurvey.domain import commands as cmd
from wfsurvey.domain import events as ev
from wfsurvey.domain import rounds as rules
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.invitations import NOT_RESENDABLE
from wfsurvey.mail.outbox import cancel_waiting
from wfsurvey.models import Invitation, OutboxMessage, Round
from wfsurvey.queries import audience
from wfsurvey.queries.templates import find_template
from wfsurvey.services import invitations
from wfsurvey.services.unit_of_work import AbstractUnitOfWork

#: Messages that ask someone to answer: a round that closes or is cancelled stops those still waiting.
SURVEY_KINDS = ("invitation", "reminder", "forwarded")


class NotFound(DomainError):
    code = "not_found"


def get_round(session: Session, round_id: int, *, lock: bool = False) -> Round:
    round_ = session.get(Round, round_id, with_for_update=lock or None)
    if round_ is None:
        raise NotFound(f"no round {round_id}")
    return round_


def definition(session: Session, command: cmd.CreateRound, now) -> dict[str, Any]:
    """A round's definition as stored (the columns of rounds.DEFINITION_FIELDS), from what the edges checked: here
    only what needs the database, the template and the regions."""
    template = find_template(session, command.template_slug, command.template_version)
    if template is None:
        version = f" version {command.template_version}" if command.template_version else ""
        raise DomainError(f"no template '{command.template_slug}'{version}", code="invalid",
                          fields={"template": ["unknown template"]})
    # Resolve region names to codes now so that the stored audience is unambiguous.
    chosen = replace(command.audience, regions=tuple(audience.region_codes(session, command.audience.regions)))
    return {
        "template_id": template.id, "title": command.title, "timezone": command.timezone,
        # A round that opens when launched has no opening time yet: until then its estimate is "now".
        "opens_at": now if command.opens_on_launch else command.opens_at, "closes_at": command.closes_at,
        "opens_on_launch": command.opens_on_launch, "audience": chosen.to_stored(),
        "reminders": command.reminders.to_stored(), "is_baseline": command.baseline,
        "response_rule": command.response_rule,
    }


def create_round(command: cmd.CreateRound, uow: AbstractUnitOfWork) -> Round:
    """The edges checked the values (see cmd.CreateRound); `definition` checks what needs the database."""
    session = uow.session
    values = definition(session, command, uow.now)
    rules.check_window(values["opens_at"], values["closes_at"])
    round_ = Round(**values, state="draft", created_at=uow.now, created_by=uow.actor, series_id=command.series_id,
                   period=command.period)
    session.add(round_)
    session.flush()
    round_.record(ev.RoundCreated(
        round_id=round_.id, template_id=round_.template_id, title=round_.title, opens_at=round_.opens_at.isoformat(),
        closes_at=round_.closes_at.isoformat(), timezone=round_.timezone, is_baseline=round_.is_baseline,
        opens_on_launch=round_.opens_on_launch,
    ))
    return round_


def launch_round(command: cmd.LaunchRound, uow: AbstractUnitOfWork) -> Round:
    session = uow.session
    round_ = get_round(session, command.round_id, lock=True)
    people = audience.resolve(session, cmd.Audience.from_stored(round_.audience)).eligible
    # Invitations before RoundLaunched: events are published in the order recorded, and the launch's
    # policy (the designations' recompute) lists a no-regions audience's regions from the
    # InvitationIssued projection. A launch that launch() refuses is rolled back, invitations and all.
    recipients = invitations.issue(uow, round_, people)
    round_.launch(uow.now, len(people))
    if round_.state == "open":
        invitations.queue_messages(uow, round_, recipients, kind="invitation", dedupe="invitation:{invitation_id}")
    return round_


def edit_round(command: cmd.EditRound, uow: AbstractUnitOfWork) -> Round:
    round_ = get_round(uow.session, command.round_id, lock=True)
    rules.check_editable(round_.id, round_.state)
    round_.edit(definition(uow.session, command.definition, uow.now), uow.now)
    return round_


def _queue_invitations(uow: AbstractUnitOfWork, round_: Round) -> None:
    """Email every invitation of an opening round whose email is not out or on its way. An invitation email held
    back by "Schedule" is queued again under a key of this opening, so that the held-back one does not block it."""
    session = uow.session
    recipients = invitations.pending_recipients(session, round_.id)
    held_back = set(session.scalars(select(OutboxMessage.invitation_id).where(
        OutboxMessage.round_id == round_.id, OutboxMessage.kind == "invitation", OutboxMessage.status == "cancelled")))
    first = [r for r in recipients if r.invitation_id not in held_back]
    again = [r for r in recipients if r.invitation_id in held_back]
    invitations.queue_messages(uow, round_, first, kind="invitation", dedupe="invitation:{invitation_id}")
    if again:
        invitations.queue_messages(uow, round_, again, kind="invitation",
                                   dedupe="invitation:{invitation_id}:" + uow.now.strftime("%Y%m%dT%H%M%S"))


def open_round(command: cmd.OpenRound, uow: AbstractUnitOfWork) -> Round:
    round_ = get_round(uow.session, command.round_id, lock=True)
    round_.open(uow.now)
    _queue_invitations(uow, round_)
    return round_


def open_round_now(command: cmd.OpenRoundNow, uow: AbstractUnitOfWork) -> Round:
    round_ = get_round(uow.session, command.round_id, lock=True)
    round_.open_now(uow.now)
    _queue_invitations(uow, round_)
    return round_


def schedule_round(command: cmd.ScheduleRound, uow: AbstractUnitOfWork) -> Round:
    session = uow.session
    round_ = get_round(session, command.round_id, lock=True)
    answered = session.scalar(select(func.count(Invitation.id)).where(
        Invitation.round_id == round_.id, Invitation.status.in_(("started", "submitted")))) or 0
    round_.schedule_back(uow.now, answered, hold_back=lambda: cancel_waiting(
        session, round_id=round_.id, kinds=("invitation",), reason="held back: the round was scheduled back to its time"))
    return round_


def close_round(command: cmd.CloseRound, uow: AbstractUnitOfWork) -> Round:
    # Imported here: the designations service imports this module (get_round, NotFound).
    from wfsurvey.services.designations import alert_admins_at_close

    round_ = get_round(uow.session, command.round_id, lock=True)
    round_.close(uow.now)
    cancel_waiting(uow.session, round_id=round_.id, kinds=SURVEY_KINDS, reason="not sent: the round closed")
    # Admins hear of regions left in conflict or unfilled: the email is this handler's to queue, as every email is.
    alert_admins_at_close(uow, round_)
    return round_


def extend_round(command: cmd.ExtendRound, uow: AbstractUnitOfWork) -> Round:
    round_ = get_round(uow.session, command.round_id, lock=True)
    round_.extend(command.closes_at, uow.now)
    return round_


def cancel_round(command: cmd.CancelRound, uow: AbstractUnitOfWork) -> Round:
    session = uow.session
    round_ = get_round(session, command.round_id, lock=True)
    round_.cancel(uow.now, command.reason)
    cancel_waiting(session, round_id=round_.id, kinds=SURVEY_KINDS, reason="not sent: the round was cancelled")
    # Only people who actually received a link hear that the round is off.
    told = session.scalars(
        select(Invitation.id).where(
            Invitation.round_id == round_.id, Invitation.sent_at.is_not(None),
            Invitation.status.not_in(["opted_out", "bounced", "forwarded"]),
        )
    ).all()
    invitations.queue_messages(
        uow, round_, invitations.recipients_for(session, told), kind="cancelled",
        dedupe="cancelled:{invitation_id}", extra={"reason": command.reason}, with_link=False,
    )
    return round_


def invite_latecomers(command: cmd.InviteLatecomers, uow: AbstractUnitOfWork) -> int:
    session = uow.session
    round_ = get_round(session, command.round_id, lock=True)
    if round_.state not in ("scheduled", "open"):
        raise DomainError(f"round {round_.id} is {round_.state}; only a scheduled or open round takes late-comers")
    recipients = invitations.issue(uow, round_, audience.resolve(session, cmd.Audience.from_stored(round_.audience)).eligible)
    if round_.state == "open":
        invitations.queue_messages(uow, round_, recipients, kind="invitation", dedupe="invitation:{invitation_id}")
    if recipients:
        uow.record(ev.LatecomersInvited(round_id=round_.id, invitations=len(recipients)))
    return len(recipients)


def resend_invitation(command: cmd.ResendInvitation, uow: AbstractUnitOfWork) -> int:
    session = uow.session
    invitation = session.get(Invitation, command.invitation_id)
    if invitation is None:
        raise NotFound(f"no invitation {command.invitation_id}")
    round_ = invitation.round
    if round_.state != "open":
        raise DomainError("invitations are resent only while the round is open")
    if invitation.status in NOT_RESENDABLE:
        raise DomainError(f"the invitation is {invitation.status}; nothing to resend")
    earlier = len(session.scalars(select(OutboxMessage.id).where(OutboxMessage.invitation_id == invitation.id)).all())
    queued = invitations.queue_messages(
        uow, round_, invitations.recipients_for(session, [invitation.id]), kind="invitation",
        dedupe=f"resend:{{invitation_id}}:{earlier + 1}",
    )
    invitation.record(ev.InvitationResent(invitation_id=invitation.id, round_id=round_.id))
    return len(queued)
