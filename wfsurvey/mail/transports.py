"""Mail transports (SMTP from WFSURVEY_SMTP_URL, or the dev mailbox) and building the MIME message of an outbox row.

A transport opens one connection per batch (`with transport.connect() as conn: conn.send(msg)`);
`send` either returns (the server accepted the message) or raises a DeliveryError saying whether
trying again later is safe (TransientFailure), pointless (PermanentFailure), or would risk a
duplicate because the server may already have accepted it (UnknownOutcome).
"""
from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import email.policy
import email.utils
import functools
import hashlib
import re
import secrets
import smtplib
import ssl
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from wfsurvey.database import immediate_transactions
from wfsurvey.mail.outbox import RESERVED_HEADERS
from wfsurvey.models.outbox import MailboxMessage
from wfsurvey.settings import ConfigError

#: Seconds any one socket operation may take before the attempt counts as failed.
SMTP_TIMEOUT = 30.0
_DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
_MESSAGE_ID = re.compile(r"<wfsurvey\.outbox\.(\d+)\.")
#: RFC 5322: a header or body line should be at most 78 characters and must be at most 998.
_LINE, _MAX_LINE = 78, 998
#: An address alone (what the outbox holds), which parseaddr would return unchanged.
_PLAIN_ADDRESS = re.compile(r'[^\s"(),:;<>@\[\\\]]+@[^\s"(),:;<>@\[\\\]]+')
#: RFC 5322 field names: printable ASCII but the colon.
_HEADER_NAME = re.compile(r"[!-9;-~]+")


# --- outcomes ------------------------------------------------------------------------------

class DeliveryError(Exception):
    """A message was not (known to be) accepted. `connection_lost`: the connection cannot send more."""

    outcome = "transient"

    def __init__(self, reason: str, *, connection_lost: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.connection_lost = connection_lost


class TransientFailure(DeliveryError):
    """Not accepted, but may be next time (4xx, refused or dropped connection before the data)."""

    outcome = "transient"


class PermanentFailure(DeliveryError):
    """Refused for good (5xx to the recipient or the data): the address or message will not do."""

    outcome = "permanent"


class UnknownOutcome(DeliveryError):
    """The connection broke after the message data went out: it may have been accepted. Never retried."""

    outcome = "unknown"


class Connection(Protocol):
    def send(self, message: OutgoingMessage) -> None: ...


class Transport(Protocol):
    def connect(self) -> contextlib.AbstractContextManager[Connection]: ...


# --- building the message ------------------------------------------------------------------

@dataclass(frozen=True)
class OutgoingMessage:
    """A built message: the bytes SMTP sends, and what the dev mailbox keeps (the headers and both parts as text)."""

    outbox_id: int
    envelope_from: str
    envelope_to: str
    #: From, To, Subject, Date, Message-ID and the row's extra headers, as given (not encoded).
    headers: dict[str, str]
    text: str
    html: str
    #: The whole message with CRLF line ends, every line 7-bit unless an address needs SMTPUTF8.
    data: bytes
    #: An address outside ASCII: only a server offering SMTPUTF8 can carry the message.
    international: bool
    #: The files attached, as the outbox row gives them ({"filename", "content_type", "content"}): the dev mailbox
    #: keeps them so that staff can check a convening's .ics before a real server is set up.
    attachments: tuple[dict[str, str], ...] = ()


@functools.lru_cache(maxsize=8)
def _sender(mail_from: str) -> tuple[str, str]:
    """(envelope address, Message-ID domain) of MAIL_FROM, parsed once rather than per message."""
    address = email.utils.parseaddr(mail_from)[1]
    return address, address.rpartition("@")[2] or "localhost"


def message_id(outbox_id: int, dedupe_key: str, mail_from: str) -> str:
    """Stable per outbox row, so a receiver could even spot a duplicate; the key hash keeps installations apart."""
    digest = hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:16]
    return f"<wfsurvey.outbox.{outbox_id}.{digest}@{_sender(mail_from)[1]}>"


def outbox_id_of(message: EmailMessage) -> int | None:
    match = _MESSAGE_ID.match(str(message.get("Message-ID", "")))
    return int(match.group(1)) if match else None


def _header(name: str, value: str, policy: email.policy.EmailPolicy) -> str:
    """One header field, folded, with CRLF; raises ValueError for a value the message cannot carry (a line break).

    ASCII is written as given, folded at spaces (RFC 5322: lines of 78, at most 998): the
    policy's folder would RFC 2047-encode a long URL, which List-Unsubscribe readers do not
    decode. Anything else goes through the policy's header classes, as EmailMessage does.
    """
    if not _HEADER_NAME.fullmatch(name):
        raise ValueError(f"invalid header name {name!r}")
    if "\r" in value or "\n" in value:
        raise ValueError(f"header {name} may not contain a line break")
    if not value.isascii():
        return policy.header_factory(name, value).fold(policy=policy)
    if len(name) + 2 + len(value) <= _LINE:
        return f"{name}: {value}\r\n"
    first, *words = value.split(" ")
    lines, current = [], f"{name}: {first}"
    for word in words:
        if len(current) + 1 + len(word) > _LINE and current.strip():
            lines.append(current)
            current = " " + word
        else:
            current = f"{current} {word}"
    lines.append(current)
    if max(map(len, lines)) > _MAX_LINE:
        return policy.header_factory(name, value).fold(policy=policy)
    return "\r\n".join(lines) + "\r\n"


def _text(content: str) -> str:
    """The text as a receiver decodes it: LF line ends and a final line end (what EmailMessage.set_content gives)."""
    content = content.replace("\r\n", "\n").replace("\r", "\n")
    return content if content.endswith("\n") else content + "\n"


def _part(subtype: str, content: str) -> bytes:
    """One text/<subtype> part in UTF-8: 7bit when it is short-lined ASCII, else quoted-printable or base64, the shorter."""
    raw = content.encode("utf-8")
    if content.isascii() and max(map(len, content.split("\n"))) <= _LINE:
        cte, body = "7bit", raw
    else:
        cte, body = "quoted-printable", binascii.b2a_qp(raw, istext=True)
        if not content.isascii():
            encoded = base64.encodebytes(raw)
            if len(encoded) < len(body):
                cte, body = "base64", encoded
    head = f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: {cte}\r\n\r\n'
    return head.encode("ascii") + body.replace(b"\n", b"\r\n")


_ATTACHMENT_NAME = re.compile(r"[A-Za-z0-9._-]{1,80}")
_ATTACHMENT_TYPE = re.compile(r"[a-z]+/[a-z0-9.+-]+(; ?[a-z-]+=[A-Za-z0-9._-]+)*")


def _attachment(item: dict[str, str]) -> bytes:
    """One attached file (text, UTF-8, base64), e.g. {"filename": "invite.ics", "content_type": "text/calendar;
    method=REQUEST; charset=utf-8", "content": "BEGIN:VCALENDAR..."}. Raises ValueError for a name or type that
    cannot be written in a header."""
    filename, content_type = item.get("filename", ""), item.get("content_type", "")
    if not _ATTACHMENT_NAME.fullmatch(filename) or not _ATTACHMENT_TYPE.fullmatch(content_type):
        raise ValueError(f"attachment {filename!r} of type {content_type!r} cannot be sent")
    body = base64.encodebytes(item.get("content", "").encode("utf-8")).replace(b"\n", b"\r\n")
    head = (f"Content-Type: {content_type}; name=\"{filename}\"\r\nContent-Transfer-Encoding: base64\r\n"
            f"Content-Disposition: attachment; filename=\"{filename}\"\r\n\r\n")
    return head.encode("ascii") + body


def _boundary(*parts: bytes) -> str:
    """A random boundary; "=_" never occurs in quoted-printable or base64, and a 7bit part is checked."""
    while True:
        boundary = f"=_wfsurvey_{secrets.token_hex(12)}"
        if not any(boundary.encode("ascii") in part for part in parts):
            return boundary


def build_message(outbox_row: Any, mail_from: str, *, date: dt.datetime | None = None) -> OutgoingMessage:
    """multipart/alternative (text, then HTML) with From, To, Subject, Date, Message-ID and the row's extra headers.

    `outbox_row` is an OutboxMessage or anything with its id, dedupe_key, to_addr, subject,
    body_text, body_html and headers. Raises ValueError when a header cannot be written
    (a line break in it, say, or one the builder sets itself): such a row can never be sent.

    The bytes are composed directly rather than through EmailMessage, which costs more than
    sending the message does; headers outside ASCII are still encoded by email.policy.
    """
    envelope_from = _sender(mail_from)[0]
    to_addr = outbox_row.to_addr
    envelope_to = to_addr if _PLAIN_ADDRESS.fullmatch(to_addr) else email.utils.parseaddr(to_addr)[1]
    extra = dict(outbox_row.headers or {})
    reserved = sorted(name for name in extra if name.lower() in RESERVED_HEADERS)
    if reserved:
        raise ValueError(f"header(s) {', '.join(reserved)} are set when the message is built")
    headers = {
        "From": mail_from, "To": to_addr, "Subject": outbox_row.subject,
        "Date": email.utils.format_datetime(date or dt.datetime.now(dt.UTC)),
        "Message-ID": message_id(outbox_row.id, outbox_row.dedupe_key, mail_from),
        **{name: str(value) for name, value in extra.items()},
    }
    international = not (envelope_from.isascii() and envelope_to.isascii())
    policy = email.policy.SMTPUTF8 if international else email.policy.SMTP
    text, html = _text(outbox_row.body_text), _text(outbox_row.body_html)
    parts = (_part("plain", text), _part("html", html))
    boundary = _boundary(*parts)
    head = "".join(_header(name, value, policy) for name, value in headers.items())
    delimiter = f"--{boundary}\r\n".encode("ascii")
    alternative = b"".join((delimiter, parts[0], b"\r\n", delimiter, parts[1], f"\r\n--{boundary}--\r\n".encode("ascii")))
    attached = tuple(getattr(outbox_row, "attachments", None) or ())
    files = [_attachment(item) for item in attached]
    if files:
        # multipart/mixed: the text and HTML as one alternative, then each file (a convening's .ics).
        outer = _boundary(alternative, *files)
        inner_head = f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n\r\n'.encode("ascii")
        head += f'MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n boundary="{outer}"\r\n\r\n'
        outer_delimiter = f"--{outer}\r\n".encode("ascii")
        body = outer_delimiter + inner_head + alternative
        for part in files:
            body += b"\r\n" + outer_delimiter + part
        data = head.encode("utf-8") + body + f"\r\n--{outer}--\r\n".encode("ascii")
    else:
        head += f'MIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n\r\n'
        data = head.encode("utf-8") + alternative
    return OutgoingMessage(outbox_id=outbox_row.id, envelope_from=envelope_from, envelope_to=envelope_to,
                           headers=headers, text=text, html=html, data=data, international=international,
                           attachments=attached)


# --- SMTP ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SMTPSettings:
    """Where and how to connect: scheme smtp (plain), smtp+starttls or smtps (TLS from the start)."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = SMTP_TIMEOUT


def parse_smtp_url(url: str) -> SMTPSettings:
    """`smtp://host:port`, `smtp+starttls://user:pass@host:port`, `smtps://user:pass@host:port` (credentials URL-encoded)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ConfigError(f"SMTP_URL scheme {parts.scheme!r} is not one of {', '.join(_DEFAULT_PORTS)}")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise ConfigError(f"SMTP_URL has an invalid port: {exc}") from None
    if not parts.hostname:
        raise ConfigError("SMTP_URL names no host, e.g. smtp+starttls://user:password@smtp.example.org:587")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return SMTPSettings(scheme=scheme, host=parts.hostname, port=port, username=username, password=password)


class _PhaseTracking:
    """Notes when the server has said "354 go ahead" to DATA: from then on the message may be delivered.

    And sends a plain envelope address as it is: smtplib's MAIL and RCPT parse every address with
    email.utils.parseaddr (to drop a display name), which took more of the sender's time than anything
    else it does for a message. The outbox's addresses are bare already (build_message); an address
    that is not ASCII and bare (_PLAIN_ADDRESS: no space, line break, angle bracket or quote) still goes
    through smtplib's own MAIL and RCPT.
    """

    payload_started = False
    _last_command = ""

    def mail(self, sender: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        if not (sender.isascii() and _PLAIN_ADDRESS.fullmatch(sender)) or any(o.lower() == "smtputf8" for o in options):
            return super().mail(sender, options)  # type: ignore[misc]
        self.putcmd("mail", f"FROM:<{sender}>{_options(self, options)}")
        return self.getreply()

    def rcpt(self, recip: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        if not (recip.isascii() and _PLAIN_ADDRESS.fullmatch(recip)):
            return super().rcpt(recip, options)  # type: ignore[misc]
        self.putcmd("rcpt", f"TO:<{recip}>{_options(self, options)}")
        return self.getreply()

    def putcmd(self, cmd: str, args: str = "") -> None:
        self._last_command = cmd.lower()
        super().putcmd(cmd, args)  # type: ignore[misc]

    def getreply(self) -> tuple[int, bytes]:
        code, text = super().getreply()  # type: ignore[misc]
        if self._last_command == "data" and code == 354:
            self.payload_started = True
        return code, text


def _options(smtp: Any, options: Sequence[str]) -> str:
    """ESMTP options as smtplib's MAIL and RCPT append them (only to a server that speaks ESMTP)."""
    return " " + " ".join(options) if options and smtp.does_esmtp else ""


class _SMTP(_PhaseTracking, smtplib.SMTP):
    pass


class _SMTPS(_PhaseTracking, smtplib.SMTP_SSL):
    pass


def _reply_text(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def _by_code(code: int, text: bytes | str, stage: str, *, connection_lost: bool) -> DeliveryError:
    reason = f"{stage}: {code} {_reply_text(text)}".strip()
    if 500 <= code < 600:
        return PermanentFailure(reason, connection_lost=connection_lost)
    return TransientFailure(reason, connection_lost=connection_lost)


class SMTPConnection:
    """One open SMTP session; sends each message with its own MAIL/RCPT/DATA transaction."""

    def __init__(self, smtp: _SMTP | _SMTPS):
        self.smtp = smtp

    @property
    def alive(self) -> bool:
        return self.smtp.sock is not None

    def send(self, message: OutgoingMessage) -> None:
        smtp = self.smtp
        if not self.alive:
            raise TransientFailure("not tried: the connection to the mail server was lost", connection_lost=True)
        smtp.payload_started = False
        # As smtplib.send_message would: an address outside ASCII needs SMTPUTF8 (MAIL raises
        # SMTPNotSupportedError, before sending anything, when the server does not offer it).
        options = ("SMTPUTF8", "BODY=8BITMIME") if message.international else ()
        try:
            smtp.sendmail(message.envelope_from, [message.envelope_to], message.data, mail_options=options)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _by_code(code, text, "recipient refused", connection_lost=not self.alive) from None
        except smtplib.SMTPSenderRefused as exc:
            # Our own sender refused is a configuration or server matter, not this recipient's:
            # retry (and give up after the attempts limit) rather than bounce the invitation.
            raise TransientFailure(f"sender refused: {exc.smtp_code} {_reply_text(exc.smtp_error)}",
                                   connection_lost=not self.alive) from None
        except smtplib.SMTPDataError as exc:
            # An explicit reply to DATA or to the end of the data: the server did not take it.
            raise _by_code(exc.smtp_code, exc.smtp_error, "message refused", connection_lost=not self.alive) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentFailure(f"the mail server cannot carry this message: {exc}") from None
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, exc.smtp_error, "mail server", connection_lost=not self.alive) from None
        except (smtplib.SMTPException, OSError) as exc:
            # Disconnects, timeouts, resets: whether the server kept the message depends on
            # whether the data had started to go out.
            with contextlib.suppress(Exception):
                smtp.close()
            if smtp.payload_started:
                raise UnknownOutcome(f"connection lost after the message data was sent: {exc!r}", connection_lost=True) from None
            raise TransientFailure(f"connection lost before the message data was sent: {exc!r}", connection_lost=True) from None


class SMTPTransport:
    def __init__(self, settings: SMTPSettings):
        self.settings = settings

    def __repr__(self) -> str:
        s = self.settings
        return f"<SMTPTransport {s.scheme}://{s.host}:{s.port}>"

    @contextlib.contextmanager
    def connect(self) -> Iterator[SMTPConnection]:
        """Open, greet, secure and log in; a failure here is a TransientFailure for the whole batch."""
        s = self.settings
        smtp: _SMTP | _SMTPS | None = None
        try:
            if s.scheme == "smtps":
                smtp = _SMTPS(s.host, s.port, timeout=s.timeout, context=ssl.create_default_context())
            else:
                smtp = _SMTP(s.host, s.port, timeout=s.timeout)
            smtp.ehlo()
            if s.scheme == "smtp+starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.password or "")
        except (smtplib.SMTPException, OSError) as exc:
            if smtp is not None:
                with contextlib.suppress(Exception):
                    smtp.close()
            raise TransientFailure(f"cannot connect to the mail server {s.host}:{s.port}: {exc!r}", connection_lost=True) from None
        try:
            yield SMTPConnection(smtp)
        finally:
            try:
                if smtp.sock is not None:
                    smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            finally:
                smtp.close()


# --- dev mailbox ---------------------------------------------------------------------------

class DevMailboxConnection:
    def __init__(self, session: Session):
        self.session = session

    def send(self, message: OutgoingMessage) -> None:
        with immediate_transactions():
            self.session.add(
                MailboxMessage(
                    outbox_id=message.outbox_id,
                    from_addr=message.headers["From"],
                    to_addr=message.envelope_to,
                    subject=message.headers["Subject"],
                    body_text=message.text,
                    body_html=message.html,
                    headers=message.headers,
                    attachments=[{"filename": a["filename"], "content_type": a["content_type"],
                                  "content": a.get("content", "")} for a in message.attachments] or None,
                    received_at=dt.datetime.now(dt.UTC),
                )
            )
            self.session.commit()


class DevMailboxTransport:
    """Keeps messages in the dev_mailbox table (listed at /dev/mailbox) instead of sending them."""

    def __init__(self, engine: Engine, *, env: str = "development"):
        if env == "production":
            raise ConfigError("the dev mailbox is refused in production: set WFSURVEY_SMTP_URL")
        self.engine = engine

    def __repr__(self) -> str:
        return "<DevMailboxTransport>"

    @contextlib.contextmanager
    def connect(self) -> Iterator[DevMailboxConnection]:
        # Its own session, so that storing a message never commits anything of the sender's.
        with Session(self.engine) as session:
            yield DevMailboxConnection(session)


def transport_from_config(app_config: Mapping[str, Any], engine: Engine | None = None) -> SMTPTransport | DevMailboxTransport:
    """SMTP when SMTP_URL is set; otherwise the dev mailbox, which production refuses."""
    url = app_config.get("SMTP_URL")
    if url:
        return SMTPTransport(parse_smtp_url(url))
    if engine is None:
        from wfsurvey.extensions import db

        engine = db.engine
    return DevMailboxTransport(engine, env=str(app_config.get("ENV", "")))
