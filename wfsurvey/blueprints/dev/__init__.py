"""The dev mailbox: messages the dev transport 'delivered', with clickable links, each message's HTML part as a
mail client would show it, and its attachments to download (a convening's .ics). Never registered in production.

Behind a staff sign-in even in development, the HTML part included: the messages carry live respondent links,
and a development server is often reachable by others on the same network.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from sqlalchemy import select

from wfsurvey.authz import staff_required
from wfsurvey.blueprints.downloads import download
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


def size_words(size: int) -> str:
    """"1 byte", "812 bytes", "4.2 KB", "1.3 MB" (1 KB = 1,024 bytes, as file managers say)."""
    if size < 1024:
        return f"{size:,} byte{'' if size == 1 else 's'}"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def attachments_of(msg: MailboxMessage) -> list[dict[str, object]]:
    """Each attached file: its name, its type as sent and in words, its size in bytes and in words."""
    out = []
    for number, item in enumerate(msg.attachments or (), start=1):
        size = len(str(item.get("content", "")).encode("utf-8"))
        media = str(item.get("content_type", "")).split(";")[0].strip()
        out.append({"number": number, "filename": item.get("filename", ""), "content_type": item.get("content_type", ""),
                    "kind": KINDS.get(media, media), "size": size, "size_words": size_words(size)})
    return out


#: How the types the mail carries are said.
KINDS = {"text/calendar": "Calendar file (text/calendar)"}


@bp.get("/mailbox")
@staff_required
def mailbox():
    messages = db.session.scalars(select(MailboxMessage).order_by(MailboxMessage.id.desc()).limit(500)).all()
    return render_template("dev/mailbox.html", messages=messages)


@bp.get("/mailbox/<int:message_id>")
@staff_required
def message(message_id: int):
    msg = _message_or_404(message_id)
    return render_template("dev/message.html", msg=msg, attachments=attachments_of(msg))


@bp.get("/mailbox/<int:message_id>/attachments/<int:number>")
@staff_required
def attachment(message_id: int, number: int):
    """The `number`th attached file (from 1), to save: never shown in the page, never run."""
    items = _message_or_404(message_id).attachments or []
    if not 1 <= number <= len(items):
        abort(404)
    item = items[number - 1]
    response = download(str(item.get("content", "")).encode("utf-8"), str(item.get("content_type", "")),
                        str(item.get("filename", "")) or f"attachment-{number}")
    response.headers["Content-Type"] = str(item.get("content_type", "")) or "application/octet-stream"
    response.headers["Content-Security-Policy"] = HTML_PART_POLICY
    return response


@bp.get("/mailbox/<int:message_id>/html")
@staff_required
def message_html(message_id: int):
    """The HTML part as it was sent, under a policy that lets no script run (see HTML_PART_POLICY)."""
    response = Response(_message_or_404(message_id).body_html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = HTML_PART_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
