"""A real SMTP server on loopback for tests (aiosmtpd), with switches to make it refuse, fail or go down.

Use the `smtp_server` fixture: point the app at `smtp_server.url`, deliver, then read
`smtp_server.messages` (each parsed, with its envelope) or `smtp_server.to(address)`.
"""
from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass
class ReceivedMessage:
    message: EmailMessage
    mail_from: str
    recipients: list[str]
    #: The bytes as the server received them.
    raw: bytes = field(repr=False, default=b"")

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content()


class _Handler:
    """aiosmtpd hooks; they run on the server's thread and read the switches the test sets."""

    def __init__(self, server: SMTPTestServer):
        self.server = server

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        failure = self.server._failure
        if failure is not None and failure[1] == "MAIL":
            return failure[0]
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        failure = self.server._failure
        if failure is not None and failure[1] == "RCPT":
            return failure[0]
        rejected = self.server._rejected.get(address.lower())
        if rejected is not None:
            return rejected
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        failure = self.server._failure
        if failure is not None and failure[1] == "DATA":
            return failure[0]
        raw = envelope.original_content or envelope.content
        received = ReceivedMessage(
            message=email.message_from_bytes(raw, policy=email.policy.default),  # type: ignore[arg-type]
            mail_from=envelope.mail_from, recipients=list(envelope.rcpt_tos), raw=raw,
        )
        with self.server._lock:
            self.server.messages.append(received)
        if self.server._drop_after_data:
            # The message arrived but the reply never leaves: the client cannot know it was accepted.
            server.transport.abort()
        return "250 Message accepted"


class SMTPTestServer:
    """One aiosmtpd Controller at a time on a fixed loopback port, so stop() then start() is an outage."""

    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
            self.port = probe.getsockname()[1]
        self.messages: list[ReceivedMessage] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self._failure: tuple[str, str] | None = None
        self._rejected: dict[str, str] = {}
        self._drop_after_data = False

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is None:
            # A Controller closes its event loop when stopped, so each start needs a new one.
            controller = Controller(_Handler(self), hostname=self.host, port=self.port, server_hostname="smtp.test")
            controller.start()
            self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def fail_with(self, status: str | None, stage: str = "MAIL") -> None:
        """Answer every transaction at `stage` (MAIL, RCPT or DATA) with `status`, e.g. "421 try later"; None heals."""
        if stage not in ("MAIL", "RCPT", "DATA"):
            raise ValueError(f"stage must be MAIL, RCPT or DATA, not {stage!r}")
        self._failure = (status, stage) if status else None

    def reject_recipient(self, address: str, status: str = "550 no such user") -> None:
        self._rejected[address.lower()] = status

    def drop_after_data(self, enabled: bool = True) -> None:
        """Keep each message but drop the connection instead of answering the end of its data."""
        self._drop_after_data = enabled

    def to(self, address: str) -> list[ReceivedMessage]:
        with self._lock:
            return [m for m in self.messages if address.lower() in (r.lower() for r in m.recipients)]


@pytest.fixture
def smtp_server():
    server = SMTPTestServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
