"""The respondent routes. A GET never changes anything (mail scanners fetch every link); each POST is one command."""
from __future__ import annotations

import email.utils
from collections.abc import Mapping, Sequence
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from wfsurvey.blueprints.outcomes import run
from wfsurvey.blueprints.respond import bp, guard
from wfsurvey.blueprints.respond.display import answer_rows, error_links, form_view
from wfsurvey.clock import now
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.answers import answers_to_form
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.invitations import FORWARDABLE
from wfsurvey.domain.pages import HIDDEN, has_sections, pages, plan, resume_page
from wfsurvey.domain.questions import QUESTION_TYPES, answerable
from wfsurvey.domain.rules import format_local
from wfsurvey.extensions import csrf, db
from wfsurvey.mail.render import sender_name
from wfsurvey.models import Contact, Invitation, Response
from wfsurvey.queries.respond import organization_response, previous_answers, series_reference
from wfsurvey.queries.tokens import invitation_for_token, link_target
from wfsurvey.security import public
from wfsurvey.services.outcomes import Contention, Outcome
from wfsurvey.services.respond import (
    AnswersInvalid,
    InvitationClosed,
    OrganizationAlreadyAnswered,
    RoundNotAccepting,
    StaleForm,
)
from wfsurvey.services.unit_of_work import writing

#: Form fields that are about the request, not answers.
CONTROL_FIELDS = ("csrf_token", "action", "revision", "section")
#: The buttons of the form: save a draft, submit, and on a page of a sectioned form, Back and Next.
ACTIONS = ("save", "submit", "back", "next")


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

    No object is loaded: the command loads the invitation itself. The lookup locks its row already
    (PostgreSQL), for the command that follows in the same transaction (see `answer`).
    """
    target = link_target(db.session, token, lock=True)
    if target is None or target.round_state == "cancelled":
        guard.refuse_unknown()
    guard.admit(target.invitation_id)
    return target.invitation_id


def _run(command: Any, invitation_id: int) -> Outcome[Any]:
    """Run a respondent's command: what it returned, or its refusal.

    A clash with a concurrent request (a double click, two tabs) is retried once, reading the rows
    afresh: it usually ends in a clear refusal (the form is stale, the organization has answered)
    rather than a second copy. A connection that dies under the command is survived: stored answers
    are never reported as lost.
    """
    return run(command, actor=f"token:{invitation_id}", retry_on_contention=True, survive_lost_connection=True)


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
    page: int | None = None,
    kept: str = "",
):
    """The form, or the page that stands in its place. A template with sections shows one page (`page`, or where a
    saved draft left off) until the response is submitted; then every page at once, to change any answer.

    `kept` says what became of the answers when the form comes back with errors: "draft" (the page was saved in the
    draft, the rest still needs answers), else the summary says whether a draft or submitted answers are still there.
    """
    page_ = _state_page(invitation, token, 409 if status == 422 else status)
    if page_ is not None:
        return page_
    other = organization_response(db.session, invitation)
    if other is not None:
        return _org_answered_page(invitation, token, other, 409 if status == 422 else status)
    questions = invitation.round.template.questions
    response = invitation.response
    submitted = response is not None and response.status == "submitted"
    paged = has_sections(questions) and not submitted
    fresh = values is None
    saved = (response.answers or {}) if response is not None else {}
    carried = None
    reference = series_reference(db.session, invitation)
    if reference is None and response is None and (fresh or paged):
        # Answers of an earlier round start a new form; on a page, they settle what depends on other pages.
        carried = previous_answers(db.session, invitation)
        saved = carried.answers if carried else {}
    if values is None:
        values = answers_to_form(questions, saved)
        revision = response.revision if response is not None else 0
    errors = errors or {}
    org_type = invitation.organization.org_type
    if paged and page is None:
        page = resume_page(pages(questions), saved, org_type) if response is not None else 1
    form = form_view(questions, org_type, values, errors, page=page if paged else None, saved=saved,
                     reference=reference.answers if reference else None,
                     reference_label=f"Your answer for the {reference.period_words}" if reference else "")
    return _render(
        "respond/form.html", invitation, token, status, form=form, questions=form.questions,
        errors=error_links(form, errors, questions), error_intro=_error_intro(response, kept),
        revision=revision, response=response, submitted=submitted, carried=carried if fresh else None,
        can_forward=invitation.status in FORWARDABLE,
    )


def _error_intro(response: Response | None, kept: str) -> str:
    """What the error summary says became of the answers: people who saved a draft must not think it lost."""
    if kept == "draft":
        return "Your answers on this page are saved in your draft. These questions still need an answer before you submit:"
    if response is not None and response.status == "submitted":
        return "Your submitted answers are unchanged. Correct the answers below and send the form again."
    if response is not None:
        return ("Your draft is still saved, but the answers on this page were not saved yet. "
                "Correct them below and send the form again.")
    return "Nothing was saved. Correct the answers below and send the form again."


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
    return _form_page(_invitation(token), token, page=request.args.get("section", type=int))


def _answer(token: str) -> tuple[int, cmd.SaveAnswers, Outcome[Any]]:
    """The invitation a POST's link opens, the SaveAnswers command its form makes, and what running it came to."""
    invitation_id = _target(token)
    action = request.form.get("action")
    if action not in ACTIONS:
        abort(400, "Use the “Save draft” or “Submit” button to send the form.")
    try:
        revision = int(request.form.get("revision", ""))
        page = int(request.form["section"]) if request.form.get("section") else None
    except ValueError:
        abort(400, "The form is incomplete; reload the page and try again.")
    if page is None and action in ("back", "next"):
        abort(400, "The form is incomplete; reload the page and try again.")
    form_values = {k: v for k, v in request.form.to_dict(flat=False).items() if k not in CONTROL_FIELDS}
    command = cmd.SaveAnswers(invitation_id, form=form_values, submit=action == "submit", revision=revision, page=page,
                              complete_page=action == "next")
    return invitation_id, command, _run(command, invitation_id)


@bp.post("/<token>")
@public
def answer(token: str):
    _ = request.form  # parsed before the write lock is taken (SQLite)
    # The link's lookup, the rate limit's count and the command: one transaction on one connection.
    with writing(db.session):
        invitation_id, command, outcome = _answer(token)
    refused = outcome.error
    if isinstance(refused, AnswersInvalid):
        invitation = db.session.get(Invitation, invitation_id)
        return _form_page(invitation, token, values=command.form, errors=refused.errors, revision=command.revision,
                          status=422, page=command.page)
    if refused is not None:
        return _refusal(refused, invitation_id, token)
    action, page = request.form.get("action"), command.page
    saved = outcome.value
    if saved is None:
        # Stored, although its connection was lost on the way (services.lost_connections): a submit only counts
        # as stored once submitted, so it is done; anything else shows the page it was on.
        return redirect(url_for("respond.done", token=token) if action == "submit"
                        else url_for("respond.form", token=token, section=page), 303)
    if action == "submit" and saved.submitted:
        return redirect(url_for("respond.done", token=token), 303)
    invitation = db.session.get(Invitation, invitation_id)
    if saved.missing:
        # The page is saved in the draft; show the first page that still misses an answer.
        questions = invitation.round.template.questions
        first = min(p.number for p in pages(questions) if p.keys & _keys_of(questions, saved.missing))
        return _form_page(invitation, token, errors=saved.missing, status=422, page=first, kept="draft")
    if action == "next":
        return redirect(url_for("respond.form", token=token, section=page + 1), 303)
    if action == "back":
        return redirect(url_for("respond.form", token=token, section=_page_before(invitation, page)), 303)
    flash(f"Draft saved {format_local(now(), invitation.round.timezone)}. Come back to this link to finish it.", "success")
    return redirect(url_for("respond.form", token=token, section=page), 303)


def _keys_of(questions: Sequence[Mapping[str, Any]], errors: Mapping[str, str]) -> set[str]:
    """The keys of the questions whose fields the errors name."""
    return {q["key"] for q in answerable(questions) if set(QUESTION_TYPES[q["type"]].field_names(q)) & set(errors)}


def _page_before(invitation: Invitation, page: int) -> int:
    """The page Back leads to: the nearest earlier page with a question this respondent is shown (else the first)."""
    questions = invitation.round.template.questions
    all_pages = pages(questions)
    saved = (invitation.response.answers if invitation.response is not None else None) or {}
    for p in reversed([p for p in all_pages if p.number < page]):
        states = plan(all_pages, saved, invitation.organization.org_type, p.number)
        if any(states[q["key"]] != HIDDEN for q in p.questions):
            return p.number
    return all_pages[0].number


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
    refused = _run(cmd.OptOut(invitation_id), invitation_id).error
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
                   invitation_id).error
    if isinstance(refused, AnswersInvalid):
        invitation = db.session.get(Invitation, invitation_id)
        return _render("respond/forward.html", invitation, token, 422, values=values, errors=refused.errors)
    if refused is not None:
        return _refusal(refused, invitation_id, token)
    flash(f"We emailed {values['name']} a personal link to the survey.", "success")
    return redirect(url_for("respond.form", token=token), 303)
