"""The invitee routes of convenings. A GET never changes anything (mail scanners fetch every link); each POST is one
command. Unknown and revoked links get the same 404 as survey links, under the same rate limits."""
from __future__ import annotations

import email.utils
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from wfsurvey.blueprints.outcomes import run
from wfsurvey.blueprints.respond import guard
from wfsurvey.blueprints.rsvp import bp
from wfsurvey.clock import now
from wfsurvey.domain import commands as cmd
from wfsurvey.domain import convenings as rules
from wfsurvey.domain.rules import format_local
from wfsurvey.extensions import csrf, db
from wfsurvey.mail.render import sender_name
from wfsurvey.models import ConveningInvitation
from wfsurvey.queries.convenings import waitlist_position
from wfsurvey.queries.tokens import convening_invitation_for_token
from wfsurvey.security import public
from wfsurvey.services.convenings import RsvpClosed, RsvpInvalid

#: The one button of the form.
ACTION = "rsvp"


def _invitation(token: str) -> ConveningInvitation:
    invitation = convening_invitation_for_token(db.session, token)
    if invitation is None:
        guard.refuse_unknown()
    guard.admit(invitation.id, kind="c")
    return invitation


def _render(template: str, invitation: ConveningInvitation, token: str, status: int = 200, **context: Any):
    convening = invitation.convening
    return render_template(
        template, invitation=invitation, convening=convening, token=token,
        when=rules.when_words(convening.starts_at, convening.ends_at, convening.timezone),
        standing_words=rules.STANDING_WORDS, answer_words=rules.ANSWER_WORDS,
        position=waitlist_position(db.session, invitation), open_=convening.takes_rsvps(now()),
        local=lambda moment: format_local(moment, convening.timezone) if moment else "",
        sender=sender_name(current_app.config["MAIL_FROM"]),
        reply_to=email.utils.parseaddr(current_app.config.get("MAIL_REPLY_TO") or "")[1],
        **context,
    ), status


def _page(invitation: ConveningInvitation, token: str, *, values: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, status: int = 200):
    values = values if values is not None else {
        "answer": invitation.answer or "", "note": invitation.note or "", "needs": invitation.needs or ""}
    return _render("rsvp/page.html", invitation, token, status, values=values, errors=errors or {})


@bp.get("/<token>")
@public
def page(token: str):
    return _page(_invitation(token), token)


@bp.post("/<token>")
@public
def answer(token: str):
    invitation = _invitation(token)
    if request.form.get("action") != ACTION:
        abort(400, "Use the “Send my answer” button to send the form.")
    values = {name: request.form.get(name, "") for name in ("answer", "note", "needs")}
    invitation_id = invitation.id
    outcome = run(cmd.AnswerRsvp(invitation_id, answer=values["answer"], note=values["note"], needs=values["needs"]),
                  actor=f"rsvp:{invitation_id}", retry_on_contention=True)
    refused = outcome.error
    invitation = db.session.get(ConveningInvitation, invitation_id)
    if isinstance(refused, RsvpInvalid):
        return _page(invitation, token, values=values, errors=refused.errors, status=422)
    if isinstance(refused, RsvpClosed):
        db.session.expire_all()
        return _page(db.session.get(ConveningInvitation, invitation_id), token, status=409)
    if refused is not None:
        flash(f"Your answer was not saved: {refused.message}. Please try again.", "error")
        return redirect(url_for("rsvp.page", token=token), 303)
    db.session.expire_all()
    invitation = db.session.get(ConveningInvitation, invitation_id)
    if invitation.standing == "waitlisted":
        flash(f"Thank you. The convening is full, so you are number {waitlist_position(db.session, invitation)} on the "
              "waitlist; we will email you if a seat opens.", "success")
    else:
        flash(f"Thank you. Your answer is saved: {rules.STANDING_WORDS[invitation.standing].lower()}. "
              "You can change it here until the convening starts.", "success")
    return redirect(url_for("rsvp.page", token=token), 303)


@bp.get("/<token>/opt-out")
@public
def opt_out_confirm(token: str):
    return _render("rsvp/opt_out.html", _invitation(token), token)


@bp.post("/<token>/opt-out")
@csrf.exempt
@public
def opt_out(token: str):
    """The confirming POST, or an RFC 8058 one-click unsubscribe from a mail client (which has no CSRF token)."""
    invitation = _invitation(token)
    if request.form.get("List-Unsubscribe") != "One-Click" and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    invitation_id = invitation.id
    refused = run(cmd.OptOutOfConvenings(invitation_id), actor=f"rsvp:{invitation_id}", retry_on_contention=True).error
    if refused is not None:
        flash(f"Not done: {refused.message}.", "error")
    db.session.expire_all()
    return _render("rsvp/opt_out.html", db.session.get(ConveningInvitation, invitation_id), token, just_now=True)

