"""Round pages through the test client: the create wizard and its previews, the moves on a round, the completion
dashboards, the designations page with the admin override, and the baseline table with its downloads."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select

from tests import builders
from tests.web import csrf_token, page_token, signed_in  # noqa: F401  (signed_in is a fixture)
from wfsurvey.blueprints.staff.rounds import add_definition_errors
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.errors import DomainError
from wfsurvey.extensions import db
from wfsurvey.forms.rounds import RoundForm
from wfsurvey.jobs.delivery import deliver_outbox
from wfsurvey.models import EventRecord, Invitation, Organization, Region, Round
from wfsurvey.schemas.rounds import round_command
from wfsurvey.services import handle

UTC = dt.timezone.utc
#: Inside the window of builders.round_definition (Oct 5 to Nov 2, Los Angeles): 10:00 PDT.
NOW = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


@pytest.fixture
def at_now(app):
    # Sign-in and every command of a request read this clock; the session must be signed in at the same time.
    app.config["FIXED_NOW"] = NOW
    return NOW


@pytest.fixture
def staff(signed_in, at_now):
    client, user = signed_in("staff")
    client.user = user
    return client


@pytest.fixture
def admin(signed_in, at_now):
    client, user = signed_in("admin")
    client.user = user
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def events_of(type_: str) -> list[EventRecord]:
    db.session.expire_all()
    return db.session.scalars(select(EventRecord).where(EventRecord.type == type_).order_by(EventRecord.seq)).all()


def post(client, path: str, data: dict | None = None, token_from: str | None = None, **kwargs):
    """POST with a CSRF token read from the page the button is on."""
    token = page_token(client, token_from or path.rsplit("/", 1)[0])
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


def answer(invitation: Invitation, *, nominee: dict | None = None, targets: str = "yes", scale: str = "4",
           extra: dict | None = None, now: dt.datetime = NOW):
    form = {"targets_am": [targets], "initiatives": ["Shared CNC lab"], "colleges": [scale], "occupations": ["cnc"],
            "slots": ["3"], **(extra or {})}
    if nominee:
        form.update({f"navigator.{k}": [v] for k, v in nominee.items()})
    handle(cmd.SaveAnswers(invitation.id, form, submit=True), actor=f"token:{invitation.id}", now=now)


def invitations_of(round_id: int, org_type: str | None = None, region: str | None = None) -> list[Invitation]:
    query = (select(Invitation).join(Organization, Organization.id == Invitation.organization_id)
             .where(Invitation.round_id == round_id).order_by(Invitation.id))
    if org_type:
        query = query.where(Organization.org_type == org_type)
    found = db.session.scalars(query).all()
    if region:
        found = [i for i in found if region in {r.code for r in i.organization.regions}]
    return found


WIZARD = {
    "template": "collab:1", "title": "AM baseline 2026", "regions": ["los-angeles"], "org_types": ["lwib"],
    "include_contacts": "college1.inland-empire-desert@example.org", "exclude_contacts": "",
    "timezone": "America/Los_Angeles", "opens_at": "2026-10-05T09:00", "closes_at": "2026-11-02T17:00",
    "offsets": ["P7D", "P1D"], "other_offsets": "pt12h", "min_gap_hours": "20", "send_from": "8", "send_until": "18",
    "response_rule": "organization", "baseline": "y",
}


# --- the create wizard --------------------------------------------------------------------

def test_wizard_creates_a_draft_with_utc_times_and_the_audience(staff):
    builders.stakeholders()
    builders.template()
    form = text(staff.get("/staff/rounds/new"))
    assert 'value="los-angeles"' in form and 'value="collab:1"' in form and "America/Los_Angeles" in form

    response = post(staff, "/staff/rounds/new", {**WIZARD, "action": "create"}, token_from="/staff/rounds/new")
    assert response.status_code == 302, text(response)
    round_ = db.session.scalars(select(Round)).one()
    assert response.headers["Location"] == f"/staff/rounds/{round_.id}"
    assert round_.state == "draft" and round_.title == "AM baseline 2026" and round_.is_baseline
    # 09:00 PDT (UTC-7) and, after the change back to standard time on November 1, 17:00 PST (UTC-8).
    assert round_.opens_at == dt.datetime(2026, 10, 5, 16, 0, tzinfo=UTC)
    assert round_.closes_at == dt.datetime(2026, 11, 3, 1, 0, tzinfo=UTC)
    assert round_.audience == {"regions": ["los-angeles"], "org_types": ["lwib"],
                               "include_contacts": ["college1.inland-empire-desert@example.org"], "exclude_contacts": []}
    assert round_.reminders == {"offsets": ["P7D", "P1D", "PT12H"], "min_gap_hours": 20, "send_hours": [8, 18]}
    [created] = events_of("RoundCreated")
    assert created.actor == f"user:{staff.user.id}"

    page = text(staff.get(f"/staff/rounds/{round_.id}"))
    # In the round's zone; UTC only in a tooltip, and ISO 8601 only where no one reads it (the datetime attribute).
    assert ('<time datetime="2026-10-05T16:00:00+00:00" title="Oct 5, 2026, 4:00 PM UTC">'
            "Monday, October 5, 2026 at 9:00 AM PDT</time>") in page
    assert "(2026-10-05 16:00 UTC)" not in page
    assert "Monday, November 2, 2026 at 5:00 PM PST" in page
    assert "Launching now would invite 3 people" in page  # two LA boards and the college named by address
    assert "Launch round" in page


def test_wizard_preview_counts_the_audience_without_the_opted_out_and_creates_nothing(staff):
    contacts = builders.stakeholders()
    builders.template()
    board = next(c for c in contacts if c.email == "lwib1.los-angeles@example.org")
    handle(cmd.MarkContactOptedOut(contact_id=board.id), actor="test", now=NOW)
    data = {**WIZARD, "regions": ["los-angeles", "inland-empire-desert"], "org_types": [], "include_contacts": "",
            "exclude_contacts": "college2.los-angeles@example.org", "action": "preview", "preview_as": "lwib"}
    page = text(post(staff, "/staff/rounds/new", data, token_from="/staff/rounds/new"))
    # 8 contacts in the two regions: one opted out, one excluded by name.
    assert "6 people would be invited" in page
    assert "1 excluded as opted out" in page
    assert "Local workforce board: 3" in page and "College: 3" in page
    assert ('Opens <strong><time datetime="2026-10-05T16:00:00+00:00" title="Oct 5, 2026, 4:00 PM UTC">'
            "Monday, October 5, 2026 at 9:00 AM PDT</time></strong>") in page
    # 7 local days before a 5 PM close (read without the tags: the time is a <time> with its UTC tooltip).
    assert "7 days before close: Monday, October 26, 2026 at 5:00 PM PDT" in re.sub(r"<[^>]+>", "", page)
    # The invitation email, with a sample link that is clearly not a real one, and the form read-only.
    assert "AM baseline 2026: survey for" in page and "http://localhost/r/preview-token" in page
    assert "A sample: the link below" in page
    assert "Does the board target Advanced Manufacturing?" in page and "Regional navigator counterpart" in page
    assert '<fieldset class="read-only survey" disabled>' in page
    assert db.session.scalar(select(func.count()).select_from(Round)) == 0

    colleges = text(post(staff, "/staff/rounds/new", {**data, "org_types": ["college"], "preview_as": "college"},
                         token_from="/staff/rounds/new"))
    assert "3 people would be invited" in colleges and "0 excluded as opted out" in colleges
    assert "Regional navigator counterpart" not in colleges  # a board-only question


def test_wizard_takes_other_reminder_times_in_words(staff):
    builders.stakeholders()
    builders.template()
    data = {**WIZARD, "other_offsets": "5 days, 1 day and 12 hours", "action": "create"}
    assert post(staff, "/staff/rounds/new", data, token_from="/staff/rounds/new").status_code == 302
    round_ = db.session.scalars(select(Round)).one()
    assert round_.reminders["offsets"] == ["P7D", "P5D", "P1DT12H", "P1D"]
    page = text(staff.get(f"/staff/rounds/{round_.id}"))
    assert "5 days before close: " in page and "1 day and 12 hours before close: " in page and "P5D" not in page


def test_wizard_reports_bad_input_on_the_fields_and_keeps_it(staff):
    builders.stakeholders()
    builders.template()
    data = {**WIZARD, "title": "Kept title", "closes_at": "2026-10-01T09:00", "include_contacts": "nobody@example.org",
            "other_offsets": "soon", "send_from": "18", "send_until": "8", "action": "create"}
    response = post(staff, "/staff/rounds/new", data, token_from="/staff/rounds/new")
    page = text(response)
    assert response.status_code == 200
    assert "The round must close after it opens." in page
    assert "No contact has the address nobody@example.org." in page
    assert "&#39;soon&#39; is not a time before close like “5 days” or “12 hours”" in page
    assert "Send until a later hour than the first one" in page
    assert 'value="Kept title"' in page and "nobody@example.org" in page
    assert db.session.scalar(select(func.count()).select_from(Round)) == 0

    expired = staff.post("/staff/rounds/new", data={**WIZARD, "action": "create", "csrf_token": "forged"})
    assert expired.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Round)) == 0


def test_a_refused_definition_puts_the_commands_errors_on_the_wizard_fields(app):
    """What the form let through but the command refused (nested marshmallow messages) lands on the right fields."""
    refusal = DomainError("round invalid", code="invalid", fields={
        "audience": {"regions": ["unknown region 'x'"]}, "reminders": {"send_hours": ["send from an earlier hour"]},
        "closes_at": ["must be after opens_at"], "surprise": ["something else"],
    })
    with app.test_request_context("/staff/rounds/new", method="POST", data={}):
        form = RoundForm(scheme="cc-macro", meta={"csrf": False})
        add_definition_errors(form, refusal)
    assert form.regions.errors == ["unknown region 'x'"]
    assert form.send_from.errors == ["send from an earlier hour"]
    assert form.closes_at.errors == ["must be after opens_at"]
    assert form.form_errors == ["surprise: something else"]


# --- the round page and its moves ---------------------------------------------------------

def test_launch_from_the_round_page_issues_the_invitations(staff):
    builders.stakeholders()
    builders.template()
    draft = handle(round_command(builders.round_definition()), actor="test", now=NOW)
    page = text(staff.get(f"/staff/rounds/{draft.id}"))
    assert "Launching now would invite 8 people" in page and "the invitations are emailed at once" in page

    response = post(staff, f"/staff/rounds/{draft.id}/launch", token_from=f"/staff/rounds/{draft.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Round, draft.id).state == "open"
    [launched] = events_of("RoundLaunched")
    assert launched.actor == f"user:{staff.user.id}" and launched.payload["invitations"] == 8
    after = text(staff.get(f"/staff/rounds/{draft.id}"))
    assert "Round launched: 8 invitations issued; the round is open" in after
    assert "Launch round" not in after and "Close round" in after

    again = post(staff, f"/staff/rounds/{draft.id}/launch", token_from=f"/staff/rounds/{draft.id}")
    assert again.status_code == 302
    assert "Not done: round 1 is open; only a draft can be launched." in text(staff.get(f"/staff/rounds/{draft.id}"))
    assert len(events_of("RoundLaunched")) == 1


def test_extend_close_latecomers_resend_and_remind_record_their_events(staff, make_contact):
    builders.stakeholders()
    builders.template()
    round_ = builders.launched_round(now=NOW)
    page_url = f"/staff/rounds/{round_.id}"

    bad = post(staff, f"{page_url}/extend", {"closes_at": "2026-10-20T17:00"}, token_from=page_url)
    assert bad.status_code == 200 and "must be later" in text(bad)
    assert post(staff, f"{page_url}/extend", {"closes_at": "2026-11-09T17:00"}, token_from=page_url).status_code == 302
    [extended] = events_of("RoundExtended")
    assert extended.payload["closes_at"] == "2026-11-10T01:00:00+00:00" and extended.actor == f"user:{staff.user.id}"

    org = db.session.scalars(select(Organization).where(Organization.name == "Los Angeles lwib 1")).one()
    newcomer = make_contact(org, email="new.person@example.org", name="New Person")
    assert "Invite late-comers (1 new)" in text(staff.get(page_url))
    assert post(staff, f"{page_url}/latecomers", token_from=page_url).status_code == 302
    assert db.session.scalar(select(Invitation).where(Invitation.contact_id == newcomer.id)) is not None
    assert "1 late-comer invited." in text(staff.get(page_url))

    deliver_outbox(now=NOW)
    invitation = invitations_of(round_.id, "college")[0]
    dashboard = text(staff.get(f"{page_url}/dashboard"))
    assert f"/staff/rounds/{round_.id}/invitations/{invitation.id}/resend" in dashboard
    response = post(staff, f"{page_url}/invitations/{invitation.id}/resend", {"back": "dashboard"}, token_from=f"{page_url}/dashboard")
    assert response.status_code == 302 and response.headers["Location"] == f"{page_url}/dashboard"
    assert [e.payload["invitation_id"] for e in events_of("InvitationResent")] == [invitation.id]

    response = post(staff, f"{page_url}/invitations/{invitation.id}/remind", {"back": "invitations"},
                    token_from=f"{page_url}/invitations")
    assert response.headers["Location"] == f"{page_url}/invitations"
    [reminded] = events_of("ReminderQueued")
    assert reminded.payload["invitation_id"] == invitation.id and reminded.payload["slot"].startswith("manual")
    # A second reminder by hand the same day is refused with the command's reason, not a 500.
    post(staff, f"{page_url}/invitations/{invitation.id}/remind", {"back": "invitations"}, token_from=f"{page_url}/invitations")
    assert "already sent by hand today" in text(staff.get(f"{page_url}/invitations"))
    assert len(events_of("ReminderQueued")) == 1

    other_round = builders.launched_round(now=NOW, title="Other")
    other_invitation = invitations_of(other_round.id)[0]
    assert post(staff, f"{page_url}/invitations/{other_invitation.id}/resend", token_from=page_url).status_code == 404

    assert post(staff, f"{page_url}/close", token_from=page_url).status_code == 302
    [closed] = events_of("RoundClosed")
    assert closed.payload["round_id"] == round_.id and closed.payload["early"] is True
    assert "nothing more can be done" in text(staff.get(page_url))


def test_cancel_needs_a_reason_and_records_it(staff):
    builders.stakeholders()
    builders.template()
    round_ = builders.launched_round(now=NOW)
    page_url = f"/staff/rounds/{round_.id}"
    empty = post(staff, f"{page_url}/cancel", {"reason": "  "}, token_from=page_url)
    assert empty.status_code == 200 and "Say why the round is cancelled" in text(empty)
    assert events_of("RoundCancelled") == []
    assert post(staff, f"{page_url}/cancel", {"reason": "Wrong template"}, token_from=page_url).status_code == 302
    [cancelled] = events_of("RoundCancelled")
    assert cancelled.payload["reason"] == "Wrong template" and cancelled.actor == f"user:{staff.user.id}"


def test_rounds_list_filters_by_state_and_links_each_round(staff):
    builders.stakeholders()
    builders.template()
    open_round = builders.launched_round(now=NOW, title="Open one")
    handle(round_command(builders.round_definition(title="Draft one")), actor="test", now=NOW)
    page = text(staff.get("/staff/rounds"))
    assert "Open one" in page and "Draft one" in page and f'href="/staff/rounds/{open_round.id}"' in page
    only_open = text(staff.get("/staff/rounds?state=open"))
    assert "Open one" in only_open and "Draft one" not in only_open


# --- dashboards ---------------------------------------------------------------------------

def test_dashboard_shows_the_numbers_after_a_submission_and_the_blocked_regions(staff):
    builders.stakeholders()
    builders.template()
    round_ = builders.launched_round(now=NOW)
    deliver_outbox(now=NOW)
    board = invitations_of(round_.id, "lwib", "los-angeles")[0]
    answer(board, nominee={"name": "Nia Navigator", "email": "nia@example.org", "organization": "LA College"})

    page = text(staff.get(f"/staff/rounds/{round_.id}/dashboard"))
    cards = dict((label, int(n)) for n, label in re.findall(r'<span class="n">(\d+)</span> <span class="what">([\w ]+)</span>', page))
    assert cards == {"Invited": 8, "Sent": 8, "Started": 1, "Submitted": 1, "Bounced": 0, "Opted out": 0, "Forwarded": 0}
    assert "<strong>1 of 8</strong> invitations submitted (12%)" in page
    assert "Los Angeles" in page and "Inland Empire Desert" in page and "Local workforce board" in page
    assert '<rect class="seg-submitted" x="200" y="' in page  # the chart is drawn on the server
    # Blocked: the region whose boards have not answered; the other one has a board's answer.
    blocked = page.split('id="blocked"')[1].split('id="non-respondents"')[0]
    assert "Inland Empire Desert" in blocked and "none of the 2 local board invitations has been answered" in blocked
    assert "Los Angeles" not in blocked
    # Not answered yet: one response per organization, so 7 remain, each with its last message; never a link.
    assert "Not answered yet (7)" in page and board.contact.email not in page
    assert "Invitation sent" in page and "/r/" not in page

    overview = text(staff.get("/staff/dashboard"))
    assert round_.title in overview and "<strong>1 of 8</strong> submitted" in overview
    assert "Blocked (1):" in overview and "Inland Empire Desert" in overview


def test_pages_show_hostile_text_escaped(staff, make_region):
    builders.stakeholders()
    hostile_template = {**builders.TEMPLATE, "questions": [
        *builders.TEMPLATE["questions"],
        {"key": "sector", "type": "single_choice", "label": f"Sector {SCRIPT}",
         "options": [{"value": "am", "label": f"AM {IMG}"}, {"value": "other", "label": "Other"}]},
    ]}
    builders.template(hostile_template)
    region = db.session.scalars(select(Region).where(Region.code == "los-angeles")).one()
    region.name = f"LA {IMG}"
    org = db.session.scalars(select(Organization).where(Organization.name == "Los Angeles lwib 2")).one()
    org.name = SCRIPT
    db.session.commit()
    round_ = builders.launched_round(now=NOW)
    board = invitations_of(round_.id, "lwib", "los-angeles")[0]
    answer(board, nominee={"name": IMG, "email": "nia@example.org", "organization": SCRIPT}, extra={"sector": ["am"]})

    for path in (f"/staff/rounds/{round_.id}/dashboard", "/staff/dashboard", f"/staff/rounds/{round_.id}/baseline",
                 f"/staff/rounds/{round_.id}/designations", f"/staff/rounds/{round_.id}/invitations"):
        page = text(staff.get(path))
        assert "<script>alert" not in page and "<img src=x" not in page, path
    dashboard = text(staff.get(f"/staff/rounds/{round_.id}/dashboard"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dashboard  # the organization, among the non-respondents
    assert "LA &lt;img src=x onerror=alert(1)&gt;" in dashboard  # the region, in the tables and the SVG chart
    baseline = text(staff.get(f"/staff/rounds/{round_.id}/baseline"))
    assert "Sector &lt;script&gt;" in baseline and "AM &lt;img src=x onerror=alert(1)&gt;" in baseline
    designations = text(staff.get(f"/staff/rounds/{round_.id}/designations"))
    assert "<strong>&lt;img src=x onerror=alert(1)&gt;</strong>" in designations  # the nominee, as answered


def _count_statements(client, path: str) -> int:
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    db.session.remove()  # nothing cached from the previous request: each page starts cold
    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, path
    return len(statements)


def test_dashboard_and_baseline_pages_run_a_fixed_number_of_statements(staff):
    builders.stakeholders(regions=("small-a", "small-b"), boards=2, colleges=2)  # 8 contacts
    builders.stakeholders(regions=tuple(f"big-{i}" for i in range(5)), boards=10, colleges=10)  # 100 contacts
    builders.template()
    small = builders.launched_round(now=NOW, title="Small", audience={"regions": ["small-a", "small-b"], "org_types": []})
    big = builders.launched_round(now=NOW, title="Big", audience={"regions": [f"big-{i}" for i in range(5)], "org_types": []})
    assert len(invitations_of(small.id)) == 8 and len(invitations_of(big.id)) == 100
    deliver_outbox(now=NOW)
    for round_, every in ((small, 2), (big, 10)):
        for n, invitation in enumerate(invitations_of(round_.id)):
            if n % every == 0:
                answer(invitation, nominee={"name": "Nia", "email": f"nia{n % 3}@example.org", "organization": "College"}
                       if invitation.organization.org_type == "lwib" else None, scale=str(1 + n % 5))
    small_id, big_id = small.id, big.id
    for page in ("dashboard", "baseline", "designations"):
        small_count = _count_statements(staff, f"/staff/rounds/{small_id}/{page}")
        big_count = _count_statements(staff, f"/staff/rounds/{big_id}/{page}")
        assert small_count == big_count, (page, small_count, big_count)


# --- designations -------------------------------------------------------------------------

def test_designations_page_headline_nominees_and_the_admin_override(staff, admin):
    builders.stakeholders()
    builders.template()
    round_ = builders.launched_round(now=NOW)
    first, second = invitations_of(round_.id, "lwib", "los-angeles")
    answer(first, nominee={"name": "Ana One", "email": "ana@example.org", "organization": "LA College"})
    answer(second, nominee={"name": "Ben Two", "email": "ben@example.org", "organization": "LA College"})
    path = f"/staff/rounds/{round_.id}/designations"

    page = text(staff.get(path))
    assert "Regions with a navigator counterpart: 0 of 2" in page
    la = page.split('id="region-los-angeles"')[1]
    assert "Conflict" in la and "provisional" in la and "Ana One" in la and "Ben Two" in la
    assert "Los Angeles lwib 1" in la and "Los Angeles lwib 2" in la  # the nominating boards
    assert "/override" not in page  # staff see no override form
    override = {"override-los-angeles-name": "Ana One", "override-los-angeles-email": "ana@example.org",
                "override-los-angeles-organization": "LA College", "override-los-angeles-reason": "Agreed by phone"}
    refused = post(staff, f"{path}/los-angeles/override", override, token_from=path)
    assert refused.status_code == 403 and events_of("DesignationOverridden") == []

    admin_page = text(admin.get(path))
    assert 'action="/staff/rounds/1/designations/los-angeles/override"' in admin_page
    token = csrf_token(admin_page)
    missing = admin.post(f"{path}/los-angeles/override", data={**override, "override-los-angeles-reason": "",
                                                                "override-los-angeles-csrf_token": token})
    assert missing.status_code == 200 and "Say why the rule&#39;s result is overridden." in text(missing)
    assert 'value="Ana One"' in text(missing)  # what was typed is kept
    bad_email = admin.post(f"{path}/los-angeles/override", data={**override, "override-los-angeles-email": "not-an-email",
                                                                  "override-los-angeles-csrf_token": token})
    assert "Enter a valid email address" in text(bad_email)
    done = admin.post(f"{path}/los-angeles/override", data={**override, "override-los-angeles-csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith("#region-los-angeles")
    [overridden] = events_of("DesignationOverridden")
    assert overridden.actor == f"user:{admin.user.id}" and overridden.payload["reason"] == "Agreed by phone"
    after = text(admin.get(path))
    assert "Regions with a navigator counterpart: 1 of 2" in after and "set by an admin" in after
    assert admin.post(f"{path}/nowhere/override", data={"override-nowhere-name": "X", "override-nowhere-email": "x@example.org",
                                                        "override-nowhere-reason": "r",
                                                        "override-nowhere-csrf_token": token}).status_code == 200


# --- baseline -----------------------------------------------------------------------------

def test_baseline_page_and_its_downloads_neutralise_formulas(staff):
    builders.stakeholders()
    formula_template = {**builders.TEMPLATE, "questions": [
        *builders.TEMPLATE["questions"],
        {"key": "sector", "type": "single_choice", "label": "@SUM(1+1)",
         "options": [{"value": "=HYPERLINK(\"http://evil.example\")", "label": "Evil"}, {"value": "other", "label": "Other"}]},
    ]}
    builders.template(formula_template)
    region = db.session.scalars(select(Region).where(Region.code == "los-angeles")).one()
    region.name = "=1+2"
    db.session.commit()
    round_ = builders.launched_round(now=NOW, baseline=True)
    board = invitations_of(round_.id, "lwib", "los-angeles")[0]
    answer(board, nominee={"name": "Nia", "email": "nia@example.org", "organization": "LA College"}, scale="5",
           extra={"sector": ['=HYPERLINK("http://evil.example")']})

    page = text(staff.get(f"/staff/rounds/{round_.id}/baseline"))
    assert "This is the baseline round" in page
    assert "Pilot-area ranking" in page and "score = 0.5 × readiness + 0.3 × response_rate + 0.2 × designated" in page
    assert "Collaboration with colleges" in page and "5.00" in page  # the scale mean of the one answer
    assert f'href="/staff/rounds/{round_.id}/baseline.csv"' in page and f'href="/staff/rounds/{round_.id}/baseline.xlsx"' in page

    got = staff.get(f"/staff/rounds/{round_.id}/baseline.csv")
    assert got.status_code == 200 and got.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert got.headers["Content-Disposition"] == f'attachment; filename="round-{round_.id}-baseline.csv"'
    rows = list(csv.reader(io.StringIO(got.get_data(as_text=True).lstrip("\ufeff"))))
    assert "'=1+2" in [r[1] for r in rows]
    assert 'sector: =HYPERLINK("http://evil.example")' in rows[0]  # not at the start of the cell: inert
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)

    xlsx = staff.get(f"/staff/rounds/{round_.id}/baseline.xlsx")
    assert xlsx.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx.headers["Content-Disposition"] == f'attachment; filename="round-{round_.id}-baseline.xlsx"'
    workbook = load_workbook(io.BytesIO(xlsx.data))
    assert workbook.sheetnames == ["Baseline", "Answers", "Pilot ranking"]
    cells = [c for sheet in workbook for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "'=1+2" in cells and "'@SUM(1+1)" in cells and '\'=HYPERLINK("http://evil.example")' in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert all(cell.data_type != "f" for sheet in workbook for row in sheet.iter_rows() for cell in row)


def test_a_later_round_shows_the_change_against_the_baseline_round(staff):
    builders.stakeholders()
    builders.template()
    first = builders.launched_round(now=NOW, baseline=True, title="Baseline")
    answer(invitations_of(first.id, "lwib", "los-angeles")[0], scale="2")
    later = builders.launched_round(now=NOW, title="Follow-up")
    answer(invitations_of(later.id, "lwib", "los-angeles")[0], scale="5")
    page = text(staff.get(f"/staff/rounds/{later.id}/baseline"))
    assert "Changes are against the baseline round <strong>Baseline</strong>" in page
    assert "Mean change" in page and '<span class="up">+3.00</span>' in page


def test_round_pages_answer_404_for_an_unknown_round(staff):
    for path in ("/staff/rounds/99", "/staff/rounds/99/dashboard", "/staff/rounds/99/designations",
                 "/staff/rounds/99/baseline", "/staff/rounds/99/baseline.csv", "/staff/rounds/99/invitations"):
        assert staff.get(path).status_code == 404, path


def test_jobs_page_shows_each_jobs_last_run_and_errors(app, signed_in, monkeypatch):
    import datetime as dt

    from wfsurvey import jobs as jobs_module

    def broken(app_, now):
        raise RuntimeError("smtp.internal refused the connection")

    monkeypatch.setitem(jobs_module.JOBS, "delivery", broken)
    jobs_module.run_due_jobs(app, now=dt.datetime(2026, 10, 7, 17, 0, tzinfo=dt.timezone.utc))
    client, _ = signed_in("staff")
    page = client.get("/staff/jobs")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for name in ("Opening and closing rounds", "Reminders", "Email delivery", "Designations"):
        assert name in text
    assert "smtp.internal refused the connection" in text
