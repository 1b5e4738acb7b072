"""The mail package against a real SMTP server on loopback: rendering, the outbox, transports, delivery with retries."""
from __future__ import annotations

import contextlib
import datetime as dt
import html
import zoneinfo

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from tests.web import signed_in  # noqa: F401  (a fixture)
from wfsurvey.extensions import db
from wfsurvey.jobs import delivery
from wfsurvey.jobs.delivery import deliver_outbox
from wfsurvey.mail import outbox, sender
from wfsurvey.mail.render import EmailTemplateError, format_local, render_email
from wfsurvey.mail.transports import DevMailboxTransport, SMTPTransport, parse_smtp_url, transport_from_config
from wfsurvey.models import (
    Contact,
    EventRecord,
    Invitation,
    MailboxMessage,
    Organization,
    OutboxMessage,
    Round,
    Template,
)
from wfsurvey.services.deliveries import MAX_ATTEMPTS, backoff
from wfsurvey.settings import ConfigError

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
LA = "America/Los_Angeles"


def context(**overrides) -> dict:
    values = {
        "contact_name": "Ana Ruiz", "organization_name": "Foothill Workforce Board",
        "round_title": "Advanced Manufacturing baseline", "template_title": "Regional collaboration",
        "closes_local": "Friday, December 4, 2026 at 5:00 PM PST", "opens_local": "Monday, November 16, 2026 at 9:00 AM PST",
        "link": "https://surveys.example.org/r/tok-1", "opt_out_link": "https://surveys.example.org/r/tok-1/opt-out",
        "sender_name": "State Workforce Association", "forwarded_by": "Bo Chen", "forwarded_by_email": "bo.chen@example.org",
        "reason": "", "reply_to": "",
    }
    return {**values, **overrides}


def make_invitations(n: int, now: dt.datetime = NOW) -> list[Invitation]:
    """A template, an open round, and n contacts at n organizations, each invited (status pending), as plain rows."""
    session = db.session
    template = Template(slug="collab", version=1, title="Regional collaboration", questions=[], created_at=now, created_by="test")
    session.add(template)
    session.flush()
    round_ = Round(template_id=template.id, title="Advanced Manufacturing baseline", timezone=LA, opens_at=now - dt.timedelta(days=1),
                   closes_at=now + dt.timedelta(days=14), audience={}, reminders={}, state="open", created_at=now, created_by="test")
    session.add(round_)
    session.flush()
    invitations = []
    for i in range(n):
        org = Organization(name=f"Board {i}", org_type="lwib", created_at=now)
        session.add(org)
        session.flush()
        contact = Contact(organization_id=org.id, name=f"Person {i}", email=f"person{i}@example.org", created_at=now, updated_at=now)
        session.add(contact)
        session.flush()
        invitation = Invitation(round_id=round_.id, contact_id=contact.id, organization_id=org.id, status="pending", issued_at=now)
        session.add(invitation)
        invitations.append(invitation)
    session.commit()
    return invitations


def queue_invitations(invitations: list[Invitation], now: dt.datetime = NOW) -> int:
    rows = []
    for inv in invitations:
        link = f"https://surveys.example.org/r/token-{inv.id}"
        rows.append({
            "dedupe_key": f"invitation:{inv.id}", "kind": "invitation", "to_addr": inv.contact.email,
            "rendered": render_email("invitation", **context(contact_name=inv.contact.name, link=link, opt_out_link=f"{link}/opt-out")),
            "headers": outbox.unsubscribe_headers(f"{link}/opt-out"), "invitation_id": inv.id, "round_id": inv.round_id,
        })
    count = outbox.enqueue_many(db.session, rows, now=now)
    db.session.commit()
    return count


def outbox_rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def events(type_name: str) -> list[EventRecord]:
    return db.session.scalars(select(EventRecord).where(EventRecord.type == type_name).order_by(EventRecord.seq)).all()


@pytest.fixture
def smtp_app(app, smtp_server):
    app.config["SMTP_URL"] = smtp_server.url
    app.config["MAIL_FROM"] = "State Workforce Association <surveys@example.org>"
    return app


# --- delivery over SMTP --------------------------------------------------------------------

def test_twenty_messages_arrive_once_each_and_a_second_run_sends_nothing(smtp_app, smtp_server):
    invitations = make_invitations(20)
    assert queue_invitations(invitations) == 20

    report = deliver_outbox(now=NOW)

    assert (report.sent, report.retried, report.failed, report.unknown) == (20, 0, 0, 0)
    assert len(smtp_server.messages) == 20
    assert sorted(r for m in smtp_server.messages for r in m.recipients) == sorted(f"person{i}@example.org" for i in range(20))
    assert len({m.message["Message-ID"] for m in smtp_server.messages}) == 20
    for received in smtp_server.messages:
        msg = received.message
        assert msg.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
        assert received.mail_from == "surveys@example.org"
        assert msg["From"] == "State Workforce Association <surveys@example.org>"
        link = msg["List-Unsubscribe"].strip("<>").removesuffix("/opt-out")
        assert msg["List-Unsubscribe"] == f"<{link}/opt-out>"
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert link in received.text() and f"{link}/opt-out" in received.text()
        assert html.escape(link) in received.html() and html.escape(f"{link}/opt-out") in received.html()
        assert received.subject == "Advanced Manufacturing baseline: survey for Foothill Workforce Board"

    rows = outbox_rows()
    assert {(r.status, r.attempts, r.sent_at) for r in rows} == {("sent", 1, NOW)}
    assert len(events("EmailDelivered")) == 20
    assert {e.actor for e in events("EmailDelivered")} == {"system:delivery"}
    db.session.expire_all()
    for inv in invitations:
        inv = db.session.get(Invitation, inv.id)
        assert (inv.status, inv.sent_at, inv.contact.last_messaged_at) == ("sent", NOW, NOW)

    later = deliver_outbox(now=NOW + dt.timedelta(hours=1))
    assert later.sent == 0
    assert len(smtp_server.messages) == 20
    assert len(events("EmailDelivered")) == 20


def test_plain_envelope_addresses_go_out_as_they_are_and_others_through_smtplib(smtp_server, monkeypatch):
    """MAIL and RCPT of a bare ASCII address skip smtplib's address parser (the sender's costliest step); any other
    address (a display name, a non-ASCII one) is parsed by smtplib as before. The server gets the same envelope."""
    import smtplib

    from wfsurvey.mail.transports import _SMTP

    parsed: list[str] = []
    original = smtplib.quoteaddr
    monkeypatch.setattr(smtplib, "quoteaddr", lambda address: parsed.append(address) or original(address))
    settings = parse_smtp_url(smtp_server.url)
    smtp = _SMTP(settings.host, settings.port, timeout=5)
    try:
        data = b"Subject: hello\r\n\r\nhi\r\n"
        assert smtp.sendmail("surveys@example.org", ["ana.ruiz+cc@example.org"], data) == {}
        assert parsed == []
        smtp.sendmail("State Association <surveys@example.org>", ["Ana <ana@example.org>"], data)
        assert parsed == ["State Association <surveys@example.org>", "Ana <ana@example.org>"]
    finally:
        smtp.quit()
    first, second = smtp_server.messages
    assert (first.mail_from, first.recipients) == ("surveys@example.org", ["ana.ruiz+cc@example.org"])
    assert (second.mail_from, second.recipients) == ("surveys@example.org", ["ana@example.org"])


def test_a_dedupe_key_queued_twice_makes_one_row(app):
    rendered = render_email("invitation", **context())
    first = outbox.enqueue(db.session, dedupe_key="invitation:1", kind="invitation", to_addr="a@example.org",
                           rendered=rendered, now=NOW)
    again = outbox.enqueue(db.session, dedupe_key="invitation:1", kind="invitation", to_addr="a@example.org",
                           rendered=rendered, now=NOW)
    added = outbox.enqueue_many(db.session, [
        {"dedupe_key": "invitation:1", "kind": "invitation", "to_addr": "a@example.org", "rendered": rendered},
        {"dedupe_key": "invitation:2", "kind": "invitation", "to_addr": "b@example.org", "rendered": rendered},
        {"dedupe_key": "invitation:2", "kind": "invitation", "to_addr": "b@example.org", "rendered": rendered},
    ], now=NOW)
    db.session.commit()

    assert isinstance(first, int) and again is None and added == 1
    assert [(r.dedupe_key, r.status, r.next_attempt_at) for r in outbox_rows()] == [
        ("invitation:1", "queued", NOW), ("invitation:2", "queued", NOW)]


def test_enqueue_many_inserts_in_chunks(app, monkeypatch):
    monkeypatch.setattr(outbox, "CHUNK", 3)
    rendered = render_email("reminder", **context())
    rows = [{"dedupe_key": f"reminder:{i}:P2D", "kind": "reminder", "to_addr": f"p{i}@example.org", "rendered": rendered}
            for i in range(10)]
    assert outbox.enqueue_many(db.session, rows, now=NOW) == 10
    assert outbox.enqueue_many(db.session, rows + [{**rows[0], "dedupe_key": "reminder:new:P2D"}], now=NOW) == 1
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 11


def test_server_down_keeps_messages_queued_then_each_arrives_once_when_it_is_back(smtp_app, smtp_server):
    invitations = make_invitations(5)
    queue_invitations(invitations)
    smtp_server.stop()

    report = deliver_outbox(now=NOW)

    assert report.retried == 5 and report.sent == 0
    rows = outbox_rows()
    assert {(r.status, r.attempts, r.next_attempt_at) for r in rows} == {("queued", 1, NOW + dt.timedelta(minutes=1))}
    assert all("cannot connect" in r.last_error for r in rows)

    smtp_server.start()
    assert deliver_outbox(now=NOW).sent == 0  # not due yet: backoff
    assert smtp_server.messages == []

    later = NOW + dt.timedelta(minutes=2)
    assert deliver_outbox(now=later).sent == 5
    assert deliver_outbox(now=later + dt.timedelta(hours=1)).sent == 0
    assert sorted(r for m in smtp_server.messages for r in m.recipients) == sorted(i.contact.email for i in invitations)
    assert {(r.status, r.attempts, r.sent_at) for r in outbox_rows()} == {("sent", 2, later)}


def test_transient_replies_back_off_exponentially_and_give_up_in_the_end(smtp_app, smtp_server):
    make_invitations(1)
    queue_invitations(db.session.scalars(select(Invitation)).all())
    smtp_server.fail_with("451 4.7.1 greylisted, try later", stage="RCPT")

    now = NOW
    for attempt, delay in ((1, 1), (2, 2), (3, 4), (4, 8)):
        assert deliver_outbox(now=now).retried == 1
        (row,) = outbox_rows()
        assert (row.status, row.attempts, row.next_attempt_at) == ("queued", attempt, now + dt.timedelta(minutes=delay))
        assert "451" in row.last_error
        now = row.next_attempt_at
    assert backoff(12) == dt.timedelta(hours=6)

    row.attempts = MAX_ATTEMPTS - 1
    db.session.commit()
    assert deliver_outbox(now=now).failed == 1
    (row,) = outbox_rows()
    assert row.status == "failed" and row.last_error.startswith(f"gave up after {MAX_ATTEMPTS} attempts")
    assert [e.payload["reason"][:13] for e in events("EmailBounced")] == ["gave up after"]
    assert smtp_server.messages == []


def test_a_421_stops_the_run_and_leaves_the_rest_due(smtp_app, smtp_server):
    queue_invitations(make_invitations(3))
    smtp_server.fail_with("421 4.3.2 service shutting down")

    report = deliver_outbox(now=NOW)

    # The first message was tried and failed; the others were never tried and stay due.
    assert (report.retried, report.released, report.sent) == (1, 2, 0)
    assert sorted((r.status, r.attempts) for r in outbox_rows()) == [("queued", 0), ("queued", 0), ("queued", 1)]
    smtp_server.fail_with(None)
    assert deliver_outbox(now=NOW + dt.timedelta(minutes=1)).sent == 3
    assert len(smtp_server.messages) == 3


def test_a_refused_recipient_bounces_its_message_and_invitation(smtp_app, smtp_server):
    invitations = make_invitations(3)
    queue_invitations(invitations)
    smtp_server.reject_recipient("person1@example.org", "550 5.1.1 no such user")

    report = deliver_outbox(now=NOW)

    assert (report.sent, report.failed) == (2, 1)
    assert sorted(r for m in smtp_server.messages for r in m.recipients) == ["person0@example.org", "person2@example.org"]
    rows = {r.to_addr: r for r in outbox_rows()}
    assert rows["person1@example.org"].status == "failed" and "550" in rows["person1@example.org"].last_error
    (bounce,) = events("EmailBounced")
    assert bounce.payload["invitation_id"] == invitations[1].id and "no such user" in bounce.payload["reason"]
    db.session.expire_all()
    assert [db.session.get(Invitation, i.id).status for i in invitations] == ["sent", "bounced", "sent"]
    assert deliver_outbox(now=NOW + dt.timedelta(days=1)).failed == 0  # a bounce is never retried


def test_connection_lost_after_the_data_is_recorded_unknown_and_never_resent(smtp_app, smtp_server):
    queue_invitations(make_invitations(2))
    smtp_server.drop_after_data()

    report = deliver_outbox(now=NOW)

    assert report.unknown == 2 and report.sent == 0
    assert {r.status for r in outbox_rows()} == {"unknown"}
    assert len(events("EmailDeliveryUnknown")) == 2
    smtp_server.drop_after_data(False)
    assert deliver_outbox(now=NOW + dt.timedelta(days=1)).sent == 0
    assert len(smtp_server.messages) == 2  # the server did get each once; nothing was sent again


def test_a_crashed_sender_loses_nothing_and_sends_nothing_twice(smtp_app, smtp_server):
    queue_invitations(make_invitations(4))
    session = db.session()
    # A sender claims the batch, hands the first message to the server, and dies before recording.
    claimed = sender._claim(session, now=NOW, limit=10)
    assert sender._start(session, claimed[:1], NOW)[1] == {claimed[0].id}
    assert [r.status for r in outbox_rows()] == ["sending"] * 4

    assert deliver_outbox(now=NOW + dt.timedelta(minutes=5)).sent == 0  # too young to be a crash: left alone
    report = deliver_outbox(now=NOW + dt.timedelta(minutes=11))

    assert (report.unknown, report.released, report.sent) == (1, 3, 3)
    assert [r.status for r in outbox_rows()] == ["unknown", "sent", "sent", "sent"]
    assert len(smtp_server.messages) == 3
    # A sender that lost its claim in the meantime cannot start a message any more.
    assert sender._start(session, claimed[1:2], NOW)[1] == set()


def test_a_sender_failing_mid_group_records_what_it_sent_and_releases_what_it_did_not_try(smtp_app, smtp_server):
    queue_invitations(make_invitations(5))

    class FailingThirdSend:
        """The real transport, but the third message raises something no transport expects."""

        def __init__(self, inner):
            self.inner, self.conn, self.tried = inner, None, 0

        @contextlib.contextmanager
        def connect(self):
            with self.inner.connect() as self.conn:
                yield self

        def send(self, message):
            self.tried += 1
            if self.tried == 3:
                raise RuntimeError("a bug in the transport")
            self.conn.send(message)

    transport = FailingThirdSend(transport_from_config(smtp_app.config))
    with pytest.raises(RuntimeError, match="a bug"):
        deliver_outbox(now=NOW, transport=transport)

    # Two went out and are recorded; the third may have; the two never tried are due again at once.
    assert [(r.status, r.attempts) for r in outbox_rows()] == [
        ("sent", 1), ("sent", 1), ("unknown", 1), ("queued", 0), ("queued", 0)]
    assert len(smtp_server.messages) == 2
    assert deliver_outbox(now=NOW).sent == 2
    assert [r.status for r in outbox_rows()] == ["sent", "sent", "unknown", "sent", "sent"]
    assert len(smtp_server.messages) == 4


def test_a_group_is_recorded_while_the_next_goes_out_and_a_failing_record_stops_the_sender_within_two_groups(
        smtp_app, smtp_server, monkeypatch):
    queue_invitations(make_invitations(10))
    monkeypatch.setattr(sender, "OUTCOME_GROUP", 2)
    record = delivery.record_outcomes
    threads = []

    def record_on_a_thread_then_fail(outcomes, **kwargs):
        import threading

        if not outcomes:
            return record(outcomes, **kwargs)
        threads.append(threading.current_thread().name)
        raise OperationalError("INSERT", {}, Exception("the database went away"))

    monkeypatch.setattr(delivery, "record_outcomes", record_on_a_thread_then_fail)
    with pytest.raises(OperationalError):
        deliver_outbox(now=NOW)

    # The first group was recorded on the recorder's thread while the second went out; its
    # failure stopped the sender before a third group started: two groups (4 messages) in doubt.
    assert threads[0].startswith("outbox-record")
    assert len(smtp_server.messages) == 4
    markers = [r.claim_stage for r in outbox_rows()]
    assert [r.status for r in outbox_rows()] == ["sending"] * 10
    assert markers == ["sending"] * 4 + ["claimed"] * 6

    # Recovery reports the four as unknown (never resent) and sends the six never tried.
    monkeypatch.setattr(delivery, "record_outcomes", record)
    report = deliver_outbox(now=NOW + sender.STALE_AFTER + dt.timedelta(minutes=1))
    assert (report.unknown, report.released, report.sent) == (4, 6, 6)
    assert len(smtp_server.messages) == 10
    assert len({m.message["To"] for m in smtp_server.messages}) == 10


def test_delivery_commits_per_group_not_per_message(smtp_app, smtp_server):
    queue_invitations(make_invitations(250))
    commits = []

    def count(connection):
        commits.append(connection)

    event.listen(db.engine, "commit", count)
    try:
        report = deliver_outbox(now=NOW, batch_size=200)
    finally:
        event.remove(db.engine, "commit", count)

    assert report.sent == 250 and len(smtp_server.messages) == 250
    # Claims: 200, 50, then none left; five groups of OUTCOME_GROUP (50), each started and recorded.
    assert sender.OUTCOME_GROUP == 50
    assert len(commits) == 3 + 2 * 5


def test_a_send_and_a_bounce_for_one_invitation_leave_it_bounced_whatever_their_order(smtp_app):
    (invitation,) = make_invitations(1)
    queue_invitations([invitation])
    rendered = render_email("reminder", **context())
    outbox.enqueue(db.session, dedupe_key=f"reminder:{invitation.id}:P2D", kind="reminder", to_addr="person0@example.org",
                   rendered=rendered, now=NOW, invitation_id=invitation.id, round_id=invitation.round_id)
    db.session.commit()
    claimed = sender._claim(db.session(), now=NOW, limit=10)
    marker, started = sender._start(db.session(), claimed, NOW)
    assert started == {m.id for m in claimed}

    # The first message (the invitation) bounced, the reminder after it went out.
    report = sender.DeliveryReport()
    report.add(delivery.record_outcomes([sender.DeliveryOutcome(claimed[0].id, "permanent", "550 no such user", claim=marker),
                                         sender.DeliveryOutcome(claimed[1].id, "sent", claim=marker)],
                                        actor="system:delivery", now=NOW))

    assert (report.sent, report.failed) == (1, 1)
    assert [(r.kind, r.status, r.attempts) for r in outbox_rows()] == [("invitation", "failed", 1), ("reminder", "sent", 1)]
    inv = db.session.get(Invitation, invitation.id)
    assert (inv.status, inv.sent_at, inv.contact.last_messaged_at) == ("bounced", NOW, NOW)
    assert [e.type for e in events("EmailBounced") + events("EmailDelivered")] == ["EmailBounced", "EmailDelivered"]


def test_names_subjects_and_bodies_outside_ascii_arrive_intact(smtp_app, smtp_server):
    smtp_app.config["MAIL_FROM"] = "Asociación Laboral del Valle <encuestas@example.org>"
    (invitation,) = make_invitations(1)
    link = f"https://surveys.example.org/r/token-{invitation.id}"
    rendered = render_email("invitation", **context(
        contact_name="José Núñez", organization_name="Asociación Ñandú — “Región Sur”", round_title="Línea base 2026",
        link=link, opt_out_link=f"{link}/opt-out", sender_name="Asociación Laboral del Valle"))
    outbox.enqueue(db.session, dedupe_key=f"invitation:{invitation.id}", kind="invitation", to_addr="person0@example.org",
                   rendered=rendered, now=NOW, headers=outbox.unsubscribe_headers(f"{link}/opt-out"),
                   invitation_id=invitation.id, round_id=invitation.round_id)
    db.session.commit()

    assert deliver_outbox(now=NOW).sent == 1

    (received,) = smtp_server.messages
    message = received.message
    assert received.subject == rendered.subject == "Línea base 2026: survey for Asociación Ñandú — “Región Sur”"
    (from_,) = message["From"].addresses
    assert (from_.display_name, from_.addr_spec) == ("Asociación Laboral del Valle", "encuestas@example.org")
    assert received.mail_from == "encuestas@example.org" and received.recipients == ["person0@example.org"]
    assert received.text().replace("\r\n", "\n") == rendered.text
    assert received.html().replace("\r\n", "\n").rstrip("\n") == rendered.html.rstrip("\n")
    assert "José Núñez" in received.text() and "Asociación Ñandú" in received.html()
    assert message["List-Unsubscribe"] == f"<{link}/opt-out>"
    # Sent as 7-bit text: encoded words in the headers, quoted-printable or base64 in the parts.
    assert received.raw.isascii() and b"=?utf-8?" in received.raw


def test_a_message_to_someone_who_opted_out_since_it_was_queued_is_not_sent(smtp_app, smtp_server):
    invitations = make_invitations(2)
    queue_invitations(invitations)
    db.session.get(Contact, invitations[0].contact_id).opted_out_at = NOW
    db.session.commit()

    report = deliver_outbox(now=NOW)

    assert (report.sent, report.skipped) == (1, 1)
    assert [m.recipients for m in smtp_server.messages] == [["person1@example.org"]]
    assert [(r.to_addr, r.status) for r in outbox_rows()] == [("person0@example.org", "cancelled"), ("person1@example.org", "sent")]
    assert outbox_rows()[0].last_error == outbox.OPTED_OUT


# --- dev mailbox and configuration ---------------------------------------------------------

def test_the_dev_mailbox_stores_messages_and_lists_them(app, signed_in):
    assert app.config["SMTP_URL"] is None
    client, _staff = signed_in()  # the mailbox is for signed-in staff
    queue_invitations(make_invitations(2))

    report = deliver_outbox(now=NOW)

    assert report.sent == 2
    stored = db.session.scalars(select(MailboxMessage).order_by(MailboxMessage.id)).all()
    assert [m.to_addr for m in stored] == ["person0@example.org", "person1@example.org"]
    assert [m.outbox_id for m in stored] == [r.id for r in outbox_rows()]
    assert "https://surveys.example.org/r/token-" in stored[0].body_text and "<a href=" in stored[0].body_html
    assert stored[0].headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    page = client.get("/dev/mailbox")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("Advanced Manufacturing baseline: survey for Foothill Workforce Board") == 2
    one = client.get(f"/dev/mailbox/{stored[0].id}").get_data(as_text=True)
    assert 'href="https://surveys.example.org/r/token-' in one


def test_production_refuses_the_dev_mailbox(app):
    with pytest.raises(ConfigError, match="dev mailbox"):
        transport_from_config({"ENV": "production", "SMTP_URL": None})
    with pytest.raises(ConfigError, match="dev mailbox"):
        DevMailboxTransport(db.engine, env="production")
    assert isinstance(transport_from_config({"ENV": "production", "SMTP_URL": "smtps://u:p@smtp.example.org"}), SMTPTransport)


def test_smtp_urls_are_parsed_with_decoded_credentials():
    starttls = parse_smtp_url("smtp+starttls://mail%40example.org:p%40ss%3Aword@smtp.example.org:2587")
    assert (starttls.scheme, starttls.host, starttls.port) == ("smtp+starttls", "smtp.example.org", 2587)
    assert (starttls.username, starttls.password) == ("mail@example.org", "p@ss:word")
    assert "p@ss" not in repr(starttls)
    assert (parse_smtp_url("smtps://u:p@smtp.example.org").port, parse_smtp_url("smtp://relay").port) == (465, 25)
    for bad in ("http://smtp.example.org", "smtp://", "smtp://host:notaport"):
        with pytest.raises(ConfigError):
            parse_smtp_url(bad)


# --- rendering and time --------------------------------------------------------------------

def test_each_kind_renders_a_subject_and_both_parts_with_the_links(app):
    for kind, subject in (("invitation", "Advanced Manufacturing baseline: survey for Foothill Workforce Board"),
                          ("reminder", "Reminder: Advanced Manufacturing baseline"),
                          ("forwarded", "Bo Chen asked you to answer Advanced Manufacturing baseline")):
        email = render_email(kind, **context())
        assert email.subject == subject
        for part in (email.text, email.html):
            assert "https://surveys.example.org/r/tok-1" in part and "https://surveys.example.org/r/tok-1/opt-out" in part
            assert "Friday, December 4, 2026 at 5:00 PM PST" in part
    cancelled = render_email("cancelled", **context(reason="The program was postponed."))
    assert cancelled.subject == "Cancelled: Advanced Manufacturing baseline"
    assert "The program was postponed." in cancelled.text and "/r/tok-1/opt-out" in cancelled.html


def test_text_is_not_escaped_and_html_is(app):
    email = render_email("invitation", **context(organization_name="Smith & Sons <Board>", round_title="R&D \"pilot\""))
    assert "Smith & Sons <Board>" in email.text and "R&D \"pilot\"" in email.subject
    assert "Smith &amp; Sons &lt;Board&gt;" in email.html and "<Board>" not in email.html


def test_rendering_refuses_unknown_kinds_and_missing_context(app):
    with pytest.raises(EmailTemplateError, match="unknown email kind"):
        render_email("newsletter", **context())
    values = context()
    del values["link"]
    with pytest.raises(EmailTemplateError, match="link"):
        render_email("invitation", **values)
    with pytest.raises(ValueError, match="opt-out link"):
        outbox.unsubscribe_headers("javascript:alert(1)")


def test_format_local_follows_daylight_saving():
    assert format_local(dt.datetime(2026, 12, 5, 1, 0, tzinfo=UTC), LA) == "Friday, December 4, 2026 at 5:00 PM PST"
    assert format_local(dt.datetime(2026, 7, 3, 19, 5, tzinfo=UTC), LA) == "Friday, July 3, 2026 at 12:05 PM PDT"
    # 17:00 in Los Angeles on 2 November 2026, the day after DST ended, is 01:00 UTC the next day.
    closes = dt.datetime(2026, 11, 2, 17, 0, tzinfo=zoneinfo.ZoneInfo(LA)).astimezone(UTC)
    assert closes == dt.datetime(2026, 11, 3, 1, 0, tzinfo=UTC)
    assert format_local(closes, LA) == "Monday, November 2, 2026 at 5:00 PM PST"
    with pytest.raises(ValueError, match="naive"):
        format_local(dt.datetime(2026, 11, 2, 17, 0), LA)


def test_two_senders_share_the_outbox_and_send_each_message_once(smtp_app, smtp_server):
    import threading

    queue_invitations(make_invitations(40))
    reports, errors = [], []

    def run():
        try:
            with smtp_app.app_context():
                reports.append(deliver_outbox(now=NOW, batch_size=5))
        except Exception as exc:  # noqa: BLE001  (reported below, on the test's thread)
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert sum(r.sent for r in reports) == 40
    assert sorted(r for m in smtp_server.messages for r in m.recipients) == sorted(f"person{i}@example.org" for i in range(40))
    assert {r.status for r in outbox_rows()} == {"sent"}
    assert len(events("EmailDelivered")) == 40


def test_the_dev_mailbox_serves_the_html_part_under_a_policy_that_runs_no_script(app, signed_in):
    client, _staff = signed_in()  # the mailbox, its HTML parts included, is for signed-in staff
    queue_invitations(make_invitations(1))
    deliver_outbox(now=NOW)
    stored = db.session.scalars(select(MailboxMessage)).one()

    part = client.get(f"/dev/mailbox/{stored.id}/html")
    assert part.status_code == 200 and part.mimetype == "text/html"
    assert part.get_data(as_text=True) == stored.body_html
    policy = part.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script-src" not in policy
    assert "frame-ancestors 'self'" in policy and part.headers["X-Frame-Options"] == "SAMEORIGIN"

    page = client.get(f"/dev/mailbox/{stored.id}")
    html = page.get_data(as_text=True)
    assert f'<iframe class="mail-html" sandbox src="/dev/mailbox/{stored.id}/html"' in html
    assert stored.body_html not in html  # never inline: only inside its own frame
    assert page.headers["X-Frame-Options"] == "DENY" and "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert client.get("/dev/mailbox/999/html").status_code == 404
