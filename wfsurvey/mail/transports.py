"""Mail transports (SMTP from WFSURVEY_SMTP_URL, or the dev mailbox) and building the MIME message of an outbox row.

A transport opens one connection per batch (`with transport.connect() as conn: conn.send(msg)`);
`send` either returns (the server accepted the message) or raises a DeliveryError saying whether
trying again later is safe (TransientFailure), pointless (PermanentFailure), or would risk a
duplicate because the server may already have accepted it (UnknownOutcome).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import hashlib
import re
import smtplib
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from wfsurvey.database import immediate_transactions
from wfsurvey.models.outbox import MailboxMessage
from wfsurvey.settings import ConfigError

#: Seconds any one socket operation may take before the attempt counts as failed.
SMTP_TIMEOUT = 30.0
_DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
_MESSAGE_ID = re.compile(r"<wfsurvey\.outbox\.(\d+)\.")


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
    def send(self, message: EmailMessage) -> None: ...


class Transport(Protocol):
    def connect(self) -> contextlib.AbstractContextManager[Connection]: ...


# --- building the message ------------------------------------------------------------------

def message_id(outbox_id: int, dedupe_key: str, mail_from: str) -> str:
    """Stable per outbox row, so a receiver could even spot a duplicate; the key hash keeps installations apart."""
    domain = email.utils.parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:16]
    return f"<wfsurvey.outbox.{outbox_id}.{digest}@{domain}>"


def outbox_id_of(message: EmailMessage) -> int | None:
    match = _MESSAGE_ID.match(str(message.get("Message-ID", "")))
    return int(match.group(1)) if match else None


def build_message(outbox_row: Any, mail_from: str, *, date: dt.datetime | None = None) -> EmailMessage:
    """multipart/alternative (text, then HTML) with From, To, Subject, Date, Message-ID and the row's extra headers.

    `outbox_row` is an OutboxMessage or anything with its id, dedupe_key, to_addr, subject,
    body_text, body_html and headers. Raises ValueError when a header cannot be written
    (a line break in it, say): such a row can never be sent.
    """
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = outbox_row.to_addr
    message["Subject"] = outbox_row.subject
    message["Date"] = email.utils.format_datetime(date or dt.datetime.now(dt.timezone.utc))
    message["Message-ID"] = message_id(outbox_row.id, outbox_row.dedupe_key, mail_from)
    for name, value in (outbox_row.headers or {}).items():
        message[name] = value
    message.set_content(outbox_row.body_text)
    message.add_alternative(outbox_row.body_html, subtype="html")
    return message


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
    """Notes when the server has said "354 go ahead" to DATA: from then on the message may be delivered."""

    payload_started = False
    _last_command = ""

    def putcmd(self, cmd: str, args: str = "") -> None:
        self._last_command = cmd.lower()
        super().putcmd(cmd, args)  # type: ignore[misc]

    def getreply(self) -> tuple[int, bytes]:
        code, text = super().getreply()  # type: ignore[misc]
        if self._last_command == "data" and code == 354:
            self.payload_started = True
        return code, text


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

    def send(self, message: EmailMessage) -> None:
        smtp = self.smtp
        if not self.alive:
            raise TransientFailure("not tried: the connection to the mail server was lost", connection_lost=True)
        smtp.payload_started = False
        from_addr = email.utils.parseaddr(str(message["From"]))[1]
        to_addr = email.utils.parseaddr(str(message["To"]))[1]
        try:
            smtp.send_message(message, from_addr=from_addr, to_addrs=[to_addr])
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

_MIME_HEADERS = ("content-type", "content-transfer-encoding", "mime-version")


class DevMailboxConnection:
    def __init__(self, session: Session):
        self.session = session

    def send(self, message: EmailMessage) -> None:
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        headers = {k: str(v) for k, v in message.items() if k.lower() not in _MIME_HEADERS}
        with immediate_transactions():
            self.session.add(
                MailboxMessage(
                    outbox_id=outbox_id_of(message),
                    from_addr=str(message["From"]),
                    to_addr=email.utils.parseaddr(str(message["To"]))[1],
                    subject=str(message["Subject"]),
                    body_text=text.get_content() if text is not None else "",
                    body_html=html.get_content() if html is not None else "",
                    headers=headers,
                    received_at=dt.datetime.now(dt.timezone.utc),
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
