"""The dev mailbox: messages the dev transport 'delivered', with clickable links, and each message's HTML part as a
mail client would show it. Never registered in production.

Behind a staff sign-in even in development, the HTML part included: the messages carry live respondent links,
and a development server is often reachable by others on the same network.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from sqlalchemy import select

from wfsurvey.authz import staff_required
from wfsurvey.extensions import db
from wfsurvey.models import MailboxMessage

bp = Blueprint("dev", __name__, url_prefix="/dev")

#: The HTML part is the email as sent, shown in a frame of the message page: it may style itself (inline styles,
#: as mail clients allow), but never run a script, load anything, submit a form or be framed by another site.
#: `sandbox` makes it a unique origin even when opened on its own; the frame adds its own sandbox too.
HTML_PART_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; "
                    "base-uri 'none'; frame-ancestors 'self'; sandbox")


def _message_or_404(message_id: int) -> MailboxMessage:
    msg = db.session.get(MailboxMessage, message_id)
    if msg is None:
        abort(404)
    return msg


@bp.get("/mailbox")
@staff_required
def mailbox():
    messages = db.session.scalars(select(MailboxMessage).order_by(MailboxMessage.id.desc()).limit(500)).all()
    return render_template("dev/mailbox.html", messages=messages)


@bp.get("/mailbox/<int:message_id>")
@staff_required
def message(message_id: int):
    return render_template("dev/message.html", msg=_message_or_404(message_id))


@bp.get("/mailbox/<int:message_id>/html")
@staff_required
def message_html(message_id: int):
    """The HTML part as it was sent, under a policy that lets no script run (see HTML_PART_POLICY)."""
    response = Response(_message_or_404(message_id).body_html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = HTML_PART_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
