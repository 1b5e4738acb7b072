"""Designation conflicts surface (issue 13): the dashboard counts conflicts and unfilled regions and links them, each
admin gets exactly one email when a round closes with any (through the outbox, to a real SMTP server, whether staff
close it or the windows job does), and the override form picks one of the nominees."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests import builders
from tests.web import csrf_token, signed_in  # noqa: F401  (fixture)
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.errors import DomainError
from wfsurvey.extensions import db
from wfsurvey.jobs import run_due_jobs
from wfsurvey.jobs.delivery import deliver_outbox
from wfsurvey.models import Contact, Designation, Invitation, OutboxMessage
from wfsurvey.services import handle

UTC = dt.timezone.utc
LAUNCHED = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
ANSWERED = dt.datetime(2026, 10, 8, 17, 0, tzinfo=UTC)
CLOSED = dt.datetime(2026, 10, 20, 17, 0, tzinfo=UTC)
AFTER_WINDOW = dt.datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
IE, LA = "inland-empire-desert", "los-angeles"
ANA = {"name": "Ana Ruiz", "email": "ana@example.org", "organization": "IE College"}
BEN = {"name": "Ben Cho", "email": "ben@example.org", "organization": "Desert College"}


def nominate(round_id: int, email: str, nominee: dict) -> None:
    invitation = db.session.scalar(select(Invitation).join(Contact).where(Invitation.round_id == round_id,
                                                                           Contact.email == email))
    form = {"targets_am": ["no"], "colleges": ["3"], **{f"navigator.{k}": [v] for k, v in nominee.items()}}
    handle(cmd.SaveAnswers(invitation.id, form, submit=True), actor=f"token:{invitation.id}", now=ANSWERED)


@pytest.fixture
def people(app, make_user):
    """Two active admins, a disabled one, a staff member."""
    admins = [make_user(role="admin", name="Alma Admin", email="alma@example.org"),
              make_user(role="admin", email="second.admin@example.org")]
    gone = make_user(role="admin", email="gone@example.org")
    handle(cmd.SetUserActive(gone.id, False), actor="test", now=LAUNCHED)
    make_user(role="staff", email="staff@example.org")
    return admins


@pytest.fixture
def conflicted(app, people):
    """Inland Empire's two boards name different people (a conflict); no Los Angeles board answers (unfilled)."""
    builders.stakeholders(regions=(IE, LA), boards=2, colleges=1)
    builders.template()
    round_ = builders.launched_round(LAUNCHED)
    nominate(round_.id, f"lwib1.{IE}@example.org", ANA)
    nominate(round_.id, f"lwib2.{IE}@example.org", BEN)
    return round_


@pytest.fixture
def smtp_app(app, smtp_server):
    app.config.update(SMTP_URL=smtp_server.url, MAIL_FROM="State Workforce Association <surveys@example.org>",
                      BASE_URL="https://survey.example.org")
    return app


def alerts() -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "designation_alert")
                              .order_by(OutboxMessage.id)).all()


def test_closing_with_a_conflict_emails_each_admin_exactly_once(smtp_app, smtp_server, conflicted):
    handle(cmd.CloseRound(conflicted.id), actor="user:1", now=CLOSED)
    with pytest.raises(DomainError):  # closing again is refused, and queues nothing more
        handle(cmd.CloseRound(conflicted.id), actor="user:1", now=CLOSED)
    assert [m.to_addr for m in alerts()] == ["alma@example.org", "second.admin@example.org"]
    assert deliver_outbox(now=CLOSED).sent == 2
    assert deliver_outbox(now=CLOSED + dt.timedelta(hours=1)).sent == 0
    assert sorted(r for m in smtp_server.messages for r in m.recipients) == ["alma@example.org", "second.admin@example.org"]
    [received] = smtp_server.to("alma@example.org")
    assert received.subject == "Navigator counterparts to resolve: AM baseline 2026"
    body = received.text()
    assert body.startswith("Dear Alma Admin,")
    assert "0 of 2 regions have a navigator counterpart; 2 need an admin." in body
    assert "- Inland Empire Desert: Ana Ruiz <ana@example.org> (1 board); Ben Cho <ben@example.org> (1 board)" in body
    assert "- Los Angeles: No local board of this region answered." in body
    assert f"https://survey.example.org/staff/rounds/{conflicted.id}/designations" in body
    assert "listed as a contact" not in body and "/r/" not in body
    # MAIL_REPLY_TO is unset: no Reply-To, and the email does not ask to be replied to.
    assert received.message["Reply-To"] is None and "reply" not in body.lower()
    html = received.html()
    assert f'href="https://survey.example.org/staff/rounds/{conflicted.id}/designations"' in html and "Ben Cho" in html
    # The results the email lists are the final ones the close recorded.
    assert db.session.get(Designation, (conflicted.id, IE)).final is True


def test_with_mail_reply_to_set_the_alert_carries_it_and_invites_replies(smtp_app, smtp_server, conflicted):
    smtp_app.config.update(MAIL_REPLY_TO="Programs team <programs@example.org>")
    handle(cmd.CloseRound(conflicted.id), actor="user:1", now=CLOSED)
    assert deliver_outbox(now=CLOSED).sent == 2
    [received] = smtp_server.to("alma@example.org")
    assert received.message["Reply-To"] == "Programs team <programs@example.org>"
    assert "Questions? Reply to this email." in received.text() and "Questions? Reply to this email." in received.html()


def test_the_windows_job_closing_the_round_sends_the_same_one_email_per_admin(smtp_app, smtp_server, conflicted):
    report = run_due_jobs(smtp_app, AFTER_WINDOW)
    assert report["windows"]["closed"] == 1 and not report.errors
    run_due_jobs(smtp_app, AFTER_WINDOW + dt.timedelta(minutes=5))
    assert sorted(r for m in smtp_server.messages if m.subject.startswith("Navigator counterparts")
                  for r in m.recipients) == ["alma@example.org", "second.admin@example.org"]


def test_a_round_closing_with_every_region_designated_alerts_nobody(app, people):
    builders.stakeholders(regions=(IE,), boards=2, colleges=0)
    builders.template()
    round_ = builders.launched_round(LAUNCHED)
    nominate(round_.id, f"lwib1.{IE}@example.org", ANA)
    handle(cmd.CloseRound(round_.id), actor="test", now=CLOSED)
    assert alerts() == []


def test_the_dashboard_counts_conflicts_and_unfilled_regions_and_links_them(conflicted, signed_in):
    client, _ = signed_in("staff")
    page = client.get(f"/staff/rounds/{conflicted.id}/dashboard").get_data(as_text=True)
    section = page.split('id="designations"')[1].split('id="blocked"')[0]
    assert "0 of 2 regions have a navigator counterpart:" in section and "1 in conflict, 1 unfilled" in section
    link = f"/staff/rounds/{conflicted.id}/designations"
    assert f'<a href="{link}#region-{IE}">Inland Empire Desert</a>' in section
    assert f'<a href="{link}#region-{LA}">Los Angeles</a>' in section
    overview = client.get("/staff/dashboard").get_data(as_text=True)
    assert "1 in conflict" in overview and "1 unfilled" in overview
    status = client.get(f"/api/v1/rounds/{conflicted.id}/status")  # no token: the API wants one
    assert status.status_code == 401


def test_the_api_status_lists_the_regions_in_conflict_and_unfilled(app, conflicted):
    handle(cmd.CreateApiToken(user_email="staff@example.org", name="status"), actor="test", now=ANSWERED)
    token = handle(cmd.CreateApiToken(user_email="staff@example.org", name="status 2"), actor="test", now=ANSWERED)
    status = app.test_client().get(f"/api/v1/rounds/{conflicted.id}/status",
                                   headers={"Authorization": f"Bearer {token}"}).get_json()
    assert status["designations"] == {"designated": 0, "regions": 2,
                                      "conflict": [{"region": IE, "name": "Inland Empire Desert"}],
                                      "unfilled": [{"region": LA, "name": "Los Angeles"}]}


def test_the_admin_resolves_a_conflict_by_picking_a_nominee(conflicted, signed_in):
    admin, _ = signed_in("admin")
    path = f"/staff/rounds/{conflicted.id}/designations"
    page = admin.get(path).get_data(as_text=True)
    form = page.split(f'id="region-{IE}"')[1]
    assert 'name="override-inland-empire-desert-nominee" type="radio" value="ben@example.org"' in form
    assert "Ben Cho &lt;ben@example.org&gt;, Desert College: named by 1 board" in form
    token = csrf_token(page)
    prefix = f"override-{IE}-"
    nothing = admin.post(f"{path}/{IE}/override", data={f"{prefix}reason": "Board chairs agreed", f"{prefix}csrf_token": token})
    assert nothing.status_code == 200 and "Choose one of the nominees" in nothing.get_data(as_text=True)
    stranger = admin.post(f"{path}/{IE}/override", data={f"{prefix}nominee": "eve@example.org", f"{prefix}reason": "x",
                                                         f"{prefix}csrf_token": token})
    assert "Choose one of the nominees listed" in stranger.get_data(as_text=True)
    assert db.session.get(Designation, (conflicted.id, IE)).status == "conflict"
    done = admin.post(f"{path}/{IE}/override", data={f"{prefix}nominee": "ben@example.org",
                                                     f"{prefix}reason": "Board chairs agreed", f"{prefix}csrf_token": token})
    assert done.status_code == 302
    db.session.expire_all()
    row = db.session.get(Designation, (conflicted.id, IE))
    assert (row.status, row.overridden, row.nominee) == ("designated", True, BEN)
    assert "is now Ben Cho" in admin.get(path).get_data(as_text=True)
    # Someone no board named: typed in, as before.
    other = admin.post(f"{path}/{LA}/override", data={
        f"override-{LA}-name": "Cy Oh", f"override-{LA}-email": "cy@example.org", f"override-{LA}-reason": "Only volunteer",
        f"override-{LA}-csrf_token": token})
    assert other.status_code == 302
    db.session.expire_all()
    assert db.session.get(Designation, (conflicted.id, LA)).nominee["email"] == "cy@example.org"


def test_text_part_reads_as_a_list(smtp_app, smtp_server, conflicted):
    handle(cmd.CloseRound(conflicted.id), actor="test", now=CLOSED)
    deliver_outbox(now=CLOSED)
    body = smtp_server.to("second.admin@example.org")[0].text()
    # An admin without a name is greeted by address; blank lines stay single.
    assert body.startswith("Dear second.admin@example.org,") and not re.search(r"\n\n\n", body)
