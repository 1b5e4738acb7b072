"""The dev mailbox: messages the dev transport 'delivered', with clickable links. Never registered in production."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from sqlalchemy import select

from wfsurvey.extensions import db
from wfsurvey.models import MailboxMessage
from wfsurvey.security import public

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/mailbox")
@public
def mailbox():
    messages = db.session.scalars(select(MailboxMessage).order_by(MailboxMessage.id.desc()).limit(500)).all()
    return render_template("dev/mailbox.html", messages=messages)


@bp.get("/mailbox/<int:message_id>")
@public
def message(message_id: int):
    msg = db.session.get(MailboxMessage, message_id)
    if msg is None:
        abort(404)
    return render_template("dev/message.html", msg=msg)
