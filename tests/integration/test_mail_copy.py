"""What emails and the opt-out pages say matches the settings and what the system does: "reply to this email" and a
Reply-To header only when MAIL_REPLY_TO names a mailbox, the person who passed a survey on named with their address,
and opting out described as what it does."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests import builders
from tests.web import csrf_token
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.jobs.delivery import deliver_outbox
from wfsurvey.mail.render import KINDS, render_email
from wfsurvey.models import Contact, Invitation
from wfsurvey.services import handle

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
REPLY_TO = "Programs team <programs@workforce.example.org>"
CONTEXT = {
    "contact_name": "Ana Ruiz", "organization_name": "Foothill Workforce Board", "round_title": "AM baseline",
    "template_title": "Regional collaboration", "closes_local": "Friday, December 4, 2026 at 5:00 PM PST",
    "opens_local": "Monday, November 16, 2026 at 9:00 AM PST", "link": "https://s.example.org/r/tok",
    "opt_out_link": "https://s.example.org/r/tok/opt-out", "sender_name": "State Workforce Association",
    "forwarded_by": "Bo Chen", "forwarded_by_email": "bo.chen@example.org", "reason": "Merged into the spring round",
    # The admins' designation alert.
    "conflicts": [{"name": "Los Angeles", "region": "los-angeles", "explanation": "A tie",
                   "nominations": [{"name": "Ana Ruiz", "email": "ana@example.org", "count": 1}]}],
    "unfilled": [{"name": "Orange", "region": "orange", "explanation": "No local board of this region answered"}],
    "designated": 3, "regions": 5,
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_no_email_asks_for_a_reply_unless_replies_reach_someone(app, kind):
    unset = render_email(kind, **CONTEXT, reply_to="")
    for part in (unset.subject, unset.text, unset.html):
        assert "reply" not in part.lower(), part
    replied = render_email(kind, **CONTEXT, reply_to=REPLY_TO)
    assert "Questions? Reply to this email." in replied.text and "Questions? Reply to this email." in replied.html


def _launch(app, smtp_server, **config):
    app.config.update(SMTP_URL=smtp_server.url, FIXED_NOW=NOW, **config)
    builders.stakeholders(regions=("los-angeles",), boards=1, colleges=0)
    builders.template()
    round_ = builders.launched_round(now=NOW)
    assert deliver_outbox(now=NOW).sent == 1
    return round_


def test_with_a_reply_to_address_emails_carry_it_and_invite_replies(app, smtp_server):
    _launch(app, smtp_server, MAIL_REPLY_TO=REPLY_TO)
    (message,) = smtp_server.to("lwib1.los-angeles@example.org")
    assert message.message["Reply-To"] == REPLY_TO
    assert "Questions? Reply to this email." in message.text() and "Questions? Reply to this email." in message.html()


def test_without_one_emails_have_no_reply_to_and_never_ask_for_a_reply(app, smtp_server):
    _launch(app, smtp_server)
    (message,) = smtp_server.to("lwib1.los-angeles@example.org")
    assert message.message["Reply-To"] is None
    assert "reply" not in message.text().lower() and "reply" not in message.html().lower()


def test_the_forwarded_email_names_the_person_who_passed_it_on_and_their_address(app, smtp_server):
    round_ = _launch(app, smtp_server)
    invitation = db.session.scalars(select(Invitation).where(Invitation.round_id == round_.id)).one()
    handle(cmd.ForwardInvitation(invitation.id, name="Morgan Lee", email="morgan.lee@example.org"),
           actor=f"token:{invitation.id}", now=NOW)
    assert deliver_outbox(now=NOW).sent == 1
    (message,) = smtp_server.to("morgan.lee@example.org")
    who = "Person los-angeles lwib 1 (lwib1.los-angeles@example.org)"
    assert who in message.text()
    assert ('Person los-angeles lwib 1 (<a href="mailto:lwib1.los-angeles@example.org"' in message.html()
            and "lwib1.los-angeles@example.org</a>) has passed on to you" in message.html())


def _link(smtp_server, address: str) -> str:
    (message,) = smtp_server.to(address)
    return re.search(r"http://[^/]+(/r/[A-Za-z0-9_-]+)(?=\s|$)", message.text(), re.M).group(1)


@pytest.mark.parametrize("reply_to", [None, REPLY_TO])
def test_the_opt_out_pages_say_what_opting_out_does_and_how_to_come_back(app, client, smtp_server, reply_to):
    _launch(app, smtp_server, MAIL_REPLY_TO=reply_to)
    link = _link(smtp_server, "lwib1.los-angeles@example.org")
    confirm = client.get(f"{link}/opt-out").get_data(as_text=True)
    said = " ".join(confirm.split())
    assert "will receive no more email from wfsurvey: no invitations, reminders or notices, for this survey or any other" in said
    assert "will stop working, and any draft you saved will not be submitted" in said
    assert "Answers you already submitted are kept." in said

    done = client.post(f"{link}/opt-out", data={"csrf_token": csrf_token(confirm)})
    page = " ".join(done.get_data(as_text=True).split())
    assert "You will not receive further survey email" in page and "This link no longer takes answers." in page
    if reply_to:
        assert '<a href="mailto:programs@workforce.example.org">programs@workforce.example.org</a>' in page
    else:
        assert "reply" not in page.lower() and "ask wfsurvey to add you back" in page
    contact = db.session.scalars(select(Contact).where(Contact.email == "lwib1.los-angeles@example.org")).one()
    db.session.refresh(contact)
    assert contact.opted_out_at is not None

    # Added back at the person's request: the stopped link says so, instead of "you will not receive email".
    handle(cmd.MarkContactOptedIn(contact.id, reason="Asked by phone."), actor="test", now=NOW)
    again = " ".join(client.get(link).get_data(as_text=True).split())
    assert "This link no longer takes answers" in again and "has since been added back" in again
    assert "You will not receive further survey email" not in again
