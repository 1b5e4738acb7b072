"""Hostile text in questions, options, answers, organization names and imported files is shown as text on the
respondent and staff pages: no script runs, no dialog opens, no request leaves 127.0.0.1."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests import builders
from tests.factories import DEFAULT_PASSWORD
from wfsurvey.extensions import db
from wfsurvey.jobs.delivery import deliver_outbox
from wfsurvey.models import MailboxMessage, Organization, Response

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
IE = "inland-empire-desert"
SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=1">'
HOSTILE_TEMPLATE = {
    "slug": "hostile",
    "title": "Collaboration check",
    "questions": [
        {"key": "sector", "type": "single_choice", "label": f"Sector {SCRIPT}", "required": True,
         "options": [{"value": "am", "label": f"Manufacturing {IMG}"}, {"value": "hc", "label": "Health care"}]},
        {"key": "notes", "type": "text", "label": "Notes"},
        {"key": "navigator", "type": "contact", "label": "Regional navigator counterpart",
         "show_if": {"org_type": ["lwib"]}},
    ],
}
BOARD = f"Board {IMG}"
COLLEGE = f"College {SCRIPT}"
NOTES = f"We said {SCRIPT} and {IMG}"
NOMINEE = f"Nav {SCRIPT}"


def assert_inert(page, *texts: str) -> None:
    """No hostile script ran or became markup, and each text is on the page as visible text."""
    assert page.evaluate("typeof window.__xss") == "undefined", page.url
    assert page.evaluate("[...document.scripts].some(s => s.text.includes('__xss'))") is False, page.url
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"], [onerror]').length") == 0, page.url
    for text in texts:
        expect(page.get_by_text(text, exact=False).first).to_be_visible()


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


def csv_file(rows: list[list[str]]) -> dict:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([["organization", "org_type", "region", "name", "email", "title"], *rows])
    return {"name": f"contacts {SCRIPT}.csv", "mimeType": "text/csv", "buffer": out.getvalue().encode()}


def test_the_watch_counts_and_aborts_requests_off_loopback(page, watch):
    # Proves the guard the other tests rely on is not vacuous.
    with pytest.raises(PlaywrightError):
        page.goto("http://198.51.100.7/anything")
    assert watch.third_party == ["http://198.51.100.7/anything"]
    watch.third_party.clear()


def test_imported_hostile_text_is_shown_as_text(app, live_server, page, watch, make_region, make_user):
    make_region("Inland Empire/Desert", code=IE)
    sign_in(page, make_user(role="staff").email)
    page.goto("/staff/contacts/import")

    # A rejected file: the error table quotes the bad value as text.
    page.get_by_label("CSV file").set_input_files(csv_file([[BOARD, "lwib", SCRIPT, "Pat", "pat@board.example", ""]]))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#import-errors")).to_be_visible()
    assert_inert(page, SCRIPT)

    rows = [[BOARD, "lwib", IE, f"Pat {SCRIPT}", "pat@board.example", f"Chief {IMG}"],
            [COLLEGE, "college", IE, f"Sam {IMG}", "sam@college.example", "Dean"]]
    page.get_by_label("CSV file").set_input_files(csv_file(rows))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#import-result")).to_contain_text("Imported.")
    db.session.rollback()
    assert set(db.session.scalars(select(Organization.name))) == {BOARD, COLLEGE}  # stored as typed

    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Organizations").click()
    assert_inert(page, BOARD, COLLEGE)
    page.get_by_role("link", name=BOARD).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(BOARD)
    assert_inert(page, BOARD, f"Pat {SCRIPT}", f"Chief {IMG}")
    page.goto("/staff/contacts")
    assert_inert(page, f"Pat {SCRIPT}", f"Sam {IMG}")
    # The event log shows the import's payload, the uploaded file's name included.
    page.goto("/staff/events")
    assert_inert(page, f"contacts {SCRIPT}.csv", COLLEGE)  # payloads are JSON: the quotes of IMG come escaped
    watch.assert_clean()


@pytest.fixture
def hostile_round(app, live_server, smtp_server, make_region, make_organization, make_contact):
    """A launched round of a hostile template to a board and a college with hostile names; the board's link."""
    app.config.update(SMTP_URL=smtp_server.url, FIXED_NOW=NOW)
    region = make_region("Inland Empire/Desert", code=IE)
    board = make_organization(BOARD, org_type="lwib", regions=[region])
    make_contact(board, email="pat@board.example", name=f"Pat {SCRIPT}")
    college = make_organization(COLLEGE, org_type="college", regions=[region])
    make_contact(college, email="sam@college.example", name=f"Sam {IMG}")
    builders.template(HOSTILE_TEMPLATE)
    round_ = builders.launched_round(now=NOW, template="hostile", title=f"Round {IMG}")
    assert deliver_outbox(now=NOW).sent == 2
    (message,) = smtp_server.to("pat@board.example")
    link = re.search(rf"{re.escape(live_server.url)}/r/[\w-]{{40,}}(?=\s|$)", message.text(), re.M).group(0)
    return round_.id, link


def test_hostile_questions_answers_and_names_are_text_on_every_page(app, hostile_round, new_page, watch, make_user):
    round_id, link = hostile_round
    respondent = new_page()
    respondent.goto(link)
    assert_inert(respondent, f"Sector {SCRIPT}", f"Manufacturing {IMG}", BOARD, f"Round {IMG}")

    respondent.get_by_role("radio", name=f"Manufacturing {IMG}").check()
    respondent.get_by_label("Notes").fill(NOTES)
    navigator = respondent.locator('.question[data-key="navigator"]')
    navigator.get_by_label("Name").fill(NOMINEE)
    navigator.get_by_label("Email address").fill("nav@example.org")
    navigator.get_by_label("Organization").fill(BOARD)
    respondent.get_by_role("button", name="Save draft").click()
    expect(respondent.get_by_label("Notes")).to_have_value(NOTES)  # the draft comes back as the value, not markup
    assert_inert(respondent, f"Sector {SCRIPT}")
    respondent.get_by_role("button", name="Submit", exact=True).click()
    expect(respondent.get_by_role("heading", name="Thank you: your answers are submitted")).to_be_visible()
    assert_inert(respondent, NOTES, NOMINEE, f"Manufacturing {IMG}")
    db.session.rollback()
    (response,) = db.session.scalars(select(Response)).all()
    assert response.answers["notes"] == NOTES and response.answers["navigator"]["name"] == NOMINEE

    staff = new_page()
    sign_in(staff, make_user(role="staff").email)
    staff.goto("/staff/templates/hostile/v1")
    assert_inert(staff, f"Sector {SCRIPT}", f"Manufacturing {IMG}")
    staff.goto(f"/staff/rounds/{round_id}/dashboard")
    assert_inert(staff, f"Round {IMG}", COLLEGE, f"Sam {IMG}")  # the college has not answered: listed by name
    staff.goto(f"/staff/rounds/{round_id}/baseline")
    assert_inert(staff, f"Sector {SCRIPT}", f"Manufacturing {IMG}")
    staff.goto(f"/staff/rounds/{round_id}/designations")
    assert_inert(staff, NOMINEE, BOARD)
    staff.goto(f"/staff/rounds/{round_id}/invitations")
    assert_inert(staff, f"Pat {SCRIPT}", BOARD)
    staff.goto(f"/staff/events?round_id={round_id}")
    assert_inert(staff)

    # The dev mailbox shows an invitation (hostile round title and names included) as text too.
    app.config["SMTP_URL"] = None
    builders.launched_round(now=NOW, template="hostile", title=f"Again {SCRIPT}")
    assert deliver_outbox(now=NOW).sent == 2
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(MailboxMessage)) == 2
    staff.goto("/dev/mailbox")
    staff.get_by_role("link", name=re.compile("Again")).first.click()
    assert_inert(staff, f"Again {SCRIPT}")
    watch.assert_clean()
