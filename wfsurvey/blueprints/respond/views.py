"""The respondent routes. A GET never changes anything (mail scanners fetch every link); each POST is one command."""
from __future__ import annotations

import email.utils
from collections.abc import Mapping, Sequence
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from wfsurvey.blueprints.outcomes import run
from wfsurvey.blueprints.respond import bp, guard
from wfsurvey.blueprints.respond.display import answer_rows, error_links, question_views
from wfsurvey.clock import now
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.answers import answers_to_form
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.invitations import FORWARDABLE
from wfsurvey.domain.rules import format_local
from wfsurvey.extensions import csrf, db
from wfsurvey.mail.render import sender_name
from wfsurvey.models import Contact, Invitation, Response
from wfsurvey.queries.respond import organization_response, previous_answers
from wfsurvey.queries.tokens import invitation_for_token, link_target
from wfsurvey.security import public
from wfsurvey.services.outcomes import Contention
from wfsurvey.services.respond import (
    AnswersInvalid,
    InvitationClosed,
    OrganizationAlreadyAnswered,
    RoundNotAccepting,
    StaleForm,
)

#: Form fields that are about the request, not answers.
CONTROL_FIELDS = ("csrf_token", "action", "revision")


# --- helpers -------------------------------------------------------------------------------------

def _invitation(token: str, *, allow_cancelled: bool = False) -> Invitation:
    """The invitation a link opens; unknown, revoked and (unless allowed) cancelled links all get the same 404."""
    invitation = invitation_for_token(db.session, token)
    if invitation is None or (invitation.round.state == "cancelled" and not allow_cancelled):
        guard.refuse_unknown()
    guard.admit(invitation.id)
    return invitation


def _target(token: str) -> int:
    """The id of the invitation a POST's link opens, with the same 404s as _invitation.

    No object is loaded: the command loads the invitation itself, locked, in its own transaction.
    """
    target = link_target(db.session, token)
    if target is None or target.round_state == "cancelled":
        guard.refuse_unknown()
    guard.admit(target.invitation_id)
    return target.invitation_id


def _run(command: Any, invitation_id: int) -> DomainError | None:
    """Run a respondent's command; the refusal, if any.

    A clash with a concurrent request (a double click, two tabs) is retried once, reading the rows
    afresh: it usually ends in a clear refusal (the form is stale, the organization has answered)
    rather than a second copy. A connection that dies under the command is survived: stored answers
    are never reported as lost.
    """
    return run(command, actor=f"token:{invitation_id}", retry_on_contention=True, survive_lost_connection=True).error


def _local(invitation: Invitation):
    tz = invitation.round.timezone
    return lambda moment: format_local(moment, tz) if moment else ""


def _render(template: str, invitation: Invitation, token: str, status: int = 200, **context: Any):
    round_ = invitation.round
    return render_template(
        template, invitation=invitation, round_=round_, token=token, local=_local(invitation),
        closes_local=format_local(round_.closes_at, round_.timezone),
        opens_local=format_local(round_.opens_at, round_.timezone),
        # Who sends the survey, and where a reply reaches someone (none: the pages never ask for a reply).
        sender=sender_name(current_app.config["MAIL_FROM"]),
        reply_to=email.utils.parseaddr(current_app.config.get("MAIL_REPLY_TO") or "")[1],
        **context,
    ), status


def _rows(invitation: Invitation, response: Response) -> list[tuple[str, str]]:
    return answer_rows(invitation.round.template.questions, response.answers or {}, invitation.organization.org_type)


def _forwarded_to(invitation: Invitation) -> Contact | None:
    return db.session.scalar(
        select(Contact).join(Invitation, Invitation.contact_id == Contact.id)
        .where(Invitation.forwarded_from_id == invitation.id).order_by(Invitation.id)
    )


def _state_page(invitation: Invitation, token: str, status: int = 200):
    """The page for a link that cannot take answers now (opted out, forwarded, not open, closed), else None."""
    round_ = invitation.round
    if invitation.status == "opted_out":
        return _render("respond/opted_out.html", invitation, token, status)
    if invitation.status == "forwarded":
        return _render("respond/forwarded.html", invitation, token, status, colleague=_forwarded_to(invitation))
    state = round_.window_state(now())
    if state == "cancelled":
        abort(404)
    if state == "not_open":
        return _render("respond/not_open.html", invitation, token, status, opening_soon=round_.opens_at <= now())
    if state == "closed":
        own = invitation.response
        other = organization_response(db.session, invitation)
        shown = own if own is not None and own.status == "submitted" else other
        closed_at = round_.closed_at or round_.closes_at
        return _render(
            "respond/closed.html", invitation, token, status, closed_local=format_local(closed_at, round_.timezone),
            response=shown, own=shown is own, draft=own if own is not None and own.status == "draft" else None,
            rows=_rows(invitation, shown) if shown is not None else [],
        )
    return None


def _org_answered_page(invitation: Invitation, token: str, other: Response, status: int = 200):
    colleague = db.session.get(Invitation, other.invitation_id).contact
    return _render("respond/org_answered.html", invitation, token, status, response=other, colleague=colleague,
                   rows=_rows(invitation, other))


def _form_page(
    invitation: Invitation,
    token: str,
    *,
    values: Mapping[str, Sequence[str]] | None = None,
    errors: Mapping[str, str] | None = None,
    revision: int | None = None,
    status: int = 200,
):
    page = _state_page(invitation, token, 409 if status == 422 else status)
    if page is not None:
        return page
    other = organization_response(db.session, invitation)
    if other is not None:
        return _org_answered_page(invitation, token, other, 409 if status == 422 else status)
    questions = invitation.round.template.questions
    response = invitation.response
    carried = None
    if values is None:
        if response is not None:
            values = answers_to_form(questions, response.answers or {})
        else:
            carried = previous_answers(db.session, invitation)
            values = answers_to_form(questions, carried.answers) if carried else {}
        revision = response.revision if response is not None else 0
    errors = errors or {}
    views = question_views(questions, invitation.organization.org_type, values, errors)
    return _render(
        "respond/form.html", invitation, token, status, questions=views, errors=error_links(views, errors),
        revision=revision, response=response, submitted=response is not None and response.status == "submitted",
        carried=carried, can_forward=invitation.status in FORWARDABLE,
    )


def _conflict(invitation: Invitation, token: str, message: str):
    return _render("respond/conflict.html", invitation, token, 409, message=message)


def _refusal(exc: DomainError, invitation_id: int, token: str):
    """The page for a command the service refused for a reason other than the answers themselves."""
    invitation = db.session.get(Invitation, invitation_id)
    if isinstance(exc, RoundNotAccepting):
        if exc.state == "cancelled":
            abort(404)
        return _state_page(invitation, token, 409) or _conflict(invitation, token, str(exc))
    if isinstance(exc, InvitationClosed):
        return _state_page(invitation, token, 409) or _conflict(invitation, token, str(exc))
    if isinstance(exc, OrganizationAlreadyAnswered):
        return _org_answered_page(invitation, token, db.session.get(Response, exc.response.id), 409)
    if isinstance(exc, StaleForm):
        return _conflict(invitation, token, str(exc))
    # A clash that outlived the retry (or another refusal): say what it turned out to be when the rows show it.
    page = _state_page(invitation, token, 409)
    if page is not None:
        return page
    other = organization_response(db.session, invitation)
    if other is not None:
        return _org_answered_page(invitation, token, other, 409)
    if not isinstance(exc, Contention):
        return _conflict(invitation, token, exc.message)
    return _conflict(invitation, token, "your answers were being saved from two places at the same moment")


# --- the form ------------------------------------------------------------------------------------

@bp.get("/<token>")
@public
def form(token: str):
    return _form_page(_invitation(token), token)


@bp.post("/<token>")
@public
def answer(token: str):
    invitation_id = _target(token)
    action = request.form.get("action")
    if action not in ("save", "submit"):
        abort(400, "Use the “Save draft” or “Submit” button to send the form.")
    try:
        revision = int(request.form.get("revision", ""))
    except ValueError:
        abort(400, "The form is incomplete; reload the page and try again.")
    form_values = {k: v for k, v in request.form.to_dict(flat=False).items() if k not in CONTROL_FIELDS}
    command = cmd.SaveAnswers(invitation_id, form=form_values, submit=action == "submit", revision=revision)
    refused = _run(command, invitation_id)
    if isinstance(refused, AnswersInvalid):
        invitation = db.session.get(Invitation, invitation_id)
        return _form_page(invitation, token, values=form_values, errors=refused.errors, revision=revision, status=422)
    if refused is not None:
        return _refusal(refused, invitation_id, token)
    if action == "submit":
        return redirect(url_for("respond.done", token=token), 303)
    invitation = db.session.get(Invitation, invitation_id)
    flash(f"Draft saved {format_local(now(), invitation.round.timezone)}. Come back to this link to finish it.", "success")
    return redirect(url_for("respond.form", token=token), 303)


@bp.get("/<token>/done")
@public
def done(token: str):
    invitation = _invitation(token)
    response = invitation.response
    if response is None or response.status != "submitted":
        return redirect(url_for("respond.form", token=token), 303)
    page = _state_page(invitation, token)
    if page is not None:
        return page
    return _render("respond/done.html", invitation, token, response=response, rows=_rows(invitation, response))


# --- opting out ----------------------------------------------------------------------------------

@bp.get("/<token>/opt-out")
@public
def opt_out_confirm(token: str):
    # Opting out is about the person, not the round: links of cancelled rounds still work here.
    invitation = _invitation(token, allow_cancelled=True)
    return _render("respond/opt_out.html", invitation, token)


@bp.post("/<token>/opt-out")
@csrf.exempt
@public
def opt_out(token: str):
    """The confirming POST, or an RFC 8058 one-click unsubscribe from a mail client (which has no CSRF token)."""
    invitation = _invitation(token, allow_cancelled=True)
    if request.form.get("List-Unsubscribe") != "One-Click" and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    invitation_id = invitation.id
    refused = _run(cmd.OptOut(invitation_id), invitation_id)
    # A Contention is a simultaneous opt-out of the same person that won: the outcome is the same.
    if refused is not None and not isinstance(refused, Contention):
        return _refusal(refused, invitation_id, token)
    invitation = db.session.get(Invitation, invitation_id)
    return _render("respond/opted_out.html", invitation, token, just_now=True)


# --- forwarding ----------------------------------------------------------------------------------

@bp.route("/<token>/forward", methods=["GET", "POST"])
@public
def forward(token: str):
    invitation = _invitation(token)
    page = _state_page(invitation, token, 409 if request.method == "POST" else 200)
    if page is not None:
        return page
    if invitation.status not in FORWARDABLE:
        return _render("respond/forward.html", invitation, token, 409 if request.method == "POST" else 200,
                       blocked=True, values={}, errors={})
    values = {name: request.form.get(name, "").strip() for name in ("name", "email", "title")}
    if request.method == "GET":
        return _render("respond/forward.html", invitation, token, values=values, errors={})
    invitation_id = invitation.id
    refused = _run(cmd.ForwardInvitation(invitation_id, name=values["name"], email=values["email"], title=values["title"]),
                   invitation_id)
    if isinstance(refused, AnswersInvalid):
        invitation = db.session.get(Invitation, invitation_id)
        return _render("respond/forward.html", invitation, token, 422, values=values, errors=refused.errors)
    if refused is not None:
        return _refusal(refused, invitation_id, token)
    flash(f"We emailed {values['name']} a personal link to the survey.", "success")
    return redirect(url_for("respond.form", token=token), 303)
