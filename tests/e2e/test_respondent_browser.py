"""Issue 3 in a real browser: a local board opens the link it was emailed, meets skip logic and a validation
error, and submits; the same form fits a phone screen."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests import builders
from wfsurvey.extensions import db
from wfsurvey.jobs.delivery import deliver_outbox
from wfsurvey.models import Invitation, Response

UTC = dt.timezone.utc
#: Inside the builders' round window (5 Oct to 2 Nov 2026, Los Angeles time).
NOW = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
BOARD = "lwib1.los-angeles@example.org"
SCREENSHOT = "/tmp/wfsurvey-respondent-phone.png"


@pytest.fixture
def emailed_link(app, live_server, smtp_server):
    """The link a local board received from a real SMTP server after the round was launched."""
    app.config.update(SMTP_URL=smtp_server.url, FIXED_NOW=NOW)
    builders.stakeholders(regions=("los-angeles",), boards=1, colleges=1)
    builders.template()
    builders.launched_round(now=NOW)
    assert deliver_outbox(now=NOW).sent == 2
    (message,) = smtp_server.to(BOARD)
    links = set(re.findall(rf"{re.escape(live_server.url)}/r/[A-Za-z0-9_-]{{40,}}(?=\s|$)", message.text(), re.M))
    assert len(links) == 1, message.text()
    return links.pop()


def question(page, key: str):
    return page.locator(f'.question[data-key="{key}"]')


def test_board_answers_with_skip_logic_and_a_validation_error(page, emailed_link):
    page.goto(emailed_link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Regional collaboration")
    targets, initiatives, colleges = question(page, "targets_am"), question(page, "initiatives"), question(page, "colleges")

    # Skip logic in the browser: "initiatives" only applies when the board targets Advanced Manufacturing.
    expect(initiatives).to_be_hidden()
    targets.get_by_role("radio", name="Yes").check()
    expect(initiatives).to_be_visible()
    targets.get_by_role("radio", name="No").check()
    expect(initiatives).to_be_hidden()
    targets.get_by_role("radio", name="Yes").check()
    initiatives.get_by_role("textbox").fill("Inland AM consortium")

    # "colleges" is required and left empty: the page comes back with the summary focused and the inline message.
    page.get_by_role("button", name="Submit", exact=True).click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Collaboration with colleges")
    expect(summary).to_be_focused()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    expect(colleges.locator(".field-error")).to_be_visible()
    expect(colleges.locator(".field-error")).not_to_have_text("")
    expect(page).to_have_title(re.compile(r"^Error: "))
    # What was typed survives the refusal, and the skip logic still holds on the returned page.
    expect(initiatives.get_by_role("textbox")).to_have_value("Inland AM consortium")
    expect(initiatives).to_be_visible()
    db.session.rollback()
    assert db.session.scalars(select(Response)).all() == []

    # The summary's link leads to the field.
    summary.get_by_role("link").click()
    assert page.evaluate("document.activeElement.name") == "colleges"

    # Fixed, and the board changes its mind to "No": the hidden question is not sent.
    colleges.get_by_role("radio", name="4").check()
    targets.get_by_role("radio", name="No").check()
    expect(initiatives).to_be_hidden()
    page.get_by_role("button", name="Submit", exact=True).click()

    expect(page.get_by_role("heading", name="Thank you: your answers are submitted")).to_be_visible()
    answers = page.locator("dl.answers")
    expect(answers).to_contain_text("Does the board target Advanced Manufacturing?")
    expect(answers).to_contain_text("No")
    expect(answers).to_contain_text("4 on a scale of 1 to 5")
    expect(answers).not_to_contain_text("Inland AM consortium")

    db.session.rollback()
    (response,) = db.session.scalars(select(Response)).all()
    assert response.status == "submitted"
    assert response.answers["targets_am"] == "no" and response.answers["colleges"] == 4
    assert "initiatives" not in response.answers
    invitation = db.session.get(Invitation, response.invitation_id)
    assert invitation.contact.email == BOARD and invitation.status == "submitted"


def test_form_fits_a_phone_screen(new_page, emailed_link):
    phone = new_page(viewport={"width": 375, "height": 740})
    phone.goto(emailed_link)
    question(phone, "targets_am").get_by_role("radio", name="Yes").check()  # the long-text box shows too
    expect(question(phone, "initiatives")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the form scrolls sideways on a phone: {width}px wide"
    # For people to look at; not compared with anything.
    phone.screenshot(path=SCREENSHOT, full_page=True)
