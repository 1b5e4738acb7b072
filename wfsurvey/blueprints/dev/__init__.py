"""The dev mailbox: messages the dev transport 'delivered', with clickable links. Never registered in production.

Behind a staff sign-in even in development: the messages carry live respondent links, and a
development server is often reachable by others on the same network.
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from sqlalchemy import select

from wfsurvey.authz import staff_required
from wfsurvey.extensions import db
from wfsurvey.models import MailboxMessage

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/mailbox")
@staff_required
def mailbox():
    messages = db.session.scalars(select(MailboxMessage).order_by(MailboxMessage.id.desc()).limit(500)).all()
    return render_template("dev/mailbox.html", messages=messages)


@bp.get("/mailbox/<int:message_id>")
@staff_required
def message(message_id: int):
    msg = db.session.get(MailboxMessage, message_id)
    if msg is None:
        abort(404)
    return render_template("dev/message.html", msg=msg)
