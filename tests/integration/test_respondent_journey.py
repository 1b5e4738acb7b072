"""Issue 3's journey end to end: launch to 20 contacts, mail through a real SMTP server, answer via the received link."""
import datetime as dt
import re

from sqlalchemy import select

from tests import builders
from tests.web import csrf_token
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.jobs.delivery import deliver_outbox
from wfsurvey.models import EventRecord, Invitation, Response
from wfsurvey.services import handle

UTC = dt.timezone.utc
LAUNCH = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
LINK = re.compile(r"http://localhost/r/([A-Za-z0-9_-]{40,})(?=\s|$)", re.M)


def test_twenty_contacts_receive_their_own_link_and_answer_through_it(app, client, smtp_server):
    app.config["SMTP_URL"] = smtp_server.url
    app.config["FIXED_NOW"] = LAUNCH
    regions = ("inland-empire-desert", "los-angeles", "central-valley-mother-lode", "bay-area", "orange-county")
    builders.stakeholders(regions=regions, boards=2, colleges=2)
    builders.template()
    r = builders.launched_round(now=LAUNCH)
    report = deliver_outbox(now=LAUNCH)
    assert report.sent == 20

    # Exactly 20 messages, one per person, each with its own link.
    assert len(smtp_server.messages) == 20
    recipients = sorted(m.recipients[0] for m in smtp_server.messages)
    assert len(set(recipients)) == 20
    tokens = {}
    for m in smtp_server.messages:
        found = set(LINK.findall(m.text()))
        assert len(found) == 1, m.text()
        tokens[m.recipients[0]] = found.pop()
        assert m.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "Monday, November 2, 2026 at 5:00 PM PST" in m.text()
    assert len(set(tokens.values())) == 20

    token = tokens["lwib1.los-angeles@example.org"]
    page = client.get(f"/r/{token}")
    assert page.status_code == 200 and b"Regional collaboration" in page.data
    # Viewing changes nothing (mail scanners fetch links too).
    invitation = db.session.scalar(select(Invitation).join(Invitation.contact).where(Invitation.id.in_(
        select(Invitation.id))).where(Invitation.contact.has(email="lwib1.los-angeles@example.org")))
    assert invitation.status == "sent"

    def post(action, page_html, **answers):
        revision = re.search(rb'name="revision" value="(\d+)"', page_html).group(1).decode()
        data = {"csrf_token": csrf_token(page_html), "action": action, "revision": revision, **answers}
        return client.post(f"/r/{token}", data=data)

    # Save a draft, then resume it from the same link.
    saved = post("save", page.data, targets_am="yes", initiatives="Inland AM consortium", colleges="3")
    assert saved.status_code in (302, 303)
    resumed = client.get(f"/r/{token}")
    assert b"Inland AM consortium" in resumed.data
    db.session.rollback()
    assert db.session.get(Invitation, invitation.id).status == "started"

    # Submit, then edit and see the change.
    submitted = post("submit", resumed.data, targets_am="yes", initiatives="Inland AM consortium", colleges="3",
                     **{"navigator.name": "Ana Ruiz", "navigator.email": "ana@example.org",
                        "navigator.organization": "LA Board"})
    assert submitted.status_code in (302, 303), submitted.data[:2000]
    done = client.get(submitted.headers["Location"])
    assert b"Ana Ruiz" in done.data
    edit_page = client.get(f"/r/{token}")
    edited = post("submit", edit_page.data, targets_am="yes", initiatives="Now with two colleges", colleges="5",
                  **{"navigator.name": "Ana Ruiz", "navigator.email": "ana@example.org",
                     "navigator.organization": "LA Board"})
    assert edited.status_code in (302, 303)
    assert b"Now with two colleges" in client.get(f"/r/{token}").data
    db.session.rollback()
    response = db.session.scalar(select(Response).where(Response.invitation_id == invitation.id))
    assert response.status == "submitted" and response.answers["colleges"] == 5
    kinds = db.session.scalars(select(EventRecord.type).where(EventRecord.aggregate_type == "invitation",
                                                              EventRecord.aggregate_id == str(invitation.id))
                               .order_by(EventRecord.seq)).all()
    assert kinds == ["InvitationIssued", "ResponseDraftSaved", "ResponseSubmitted", "ResponseAmended"]
    actors = set(db.session.scalars(select(EventRecord.actor).where(EventRecord.type.like("Response%"))))
    assert actors == {f"token:{invitation.id}"}

    # After close the same link says the round closed, and when, and shows the answers read-only.
    close_time = dt.datetime(2026, 11, 3, 1, 0, tzinfo=UTC)
    handle(cmd.CloseRound(r.id), actor="system:windows", now=close_time)
    app.config["FIXED_NOW"] = close_time + dt.timedelta(hours=1)
    closed = client.get(f"/r/{token}")
    assert b"closed" in closed.data.lower()
    assert b"November 2, 2026 at 5:00 PM PST" in closed.data
    assert b"Now with two colleges" in closed.data
    assert b'name="action"' not in closed.data
    late = client.post(f"/r/{token}", data={"csrf_token": csrf_token(edit_page.data), "action": "submit", "revision": "3",
                                            "targets_am": "no", "colleges": "1"})
    assert late.status_code == 409 and b"5:00 PM PST" in late.data
    db.session.rollback()
    assert db.session.get(Response, response.id).answers["colleges"] == 5
