"""A sectioned template as staff read it in Chromium, at 1280 and 390 px: a response under its section headings with the
respondent's numbers and what was not asked, and the round wizard's preview of the form, section by section; neither
page scrolls sideways and neither breaks a WCAG 2.1 AA rule."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests import builders
from tests.e2e.test_page_walk import PAGE_SCROLLS
from tests.e2e.test_staff_browser import sign_in
from tests.integration.test_sections_read import BOARD_IE, BOARD_LA, IE, LA, NINA, SECTIONED
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import Contact, Invitation
from wfsurvey.services import handle

NOW = dt.datetime(2026, 10, 7, 17, 0, tzinfo=dt.timezone.utc)
SIZES = ({"width": 1280, "height": 900}, {"width": 390, "height": 844})
SECTION_TITLES = ["About your board", "Training with colleges", "Partners"]


def submit(round_id: int, email: str, form: dict) -> int:
    invitation = db.session.scalar(select(Invitation).join(Contact).where(Invitation.round_id == round_id,
                                                                           Contact.email == email))
    form = {k: v if isinstance(v, list) else [v] for k, v in form.items()}
    return handle(cmd.SaveAnswers(invitation.id, form, True), actor=f"token:{invitation.id}", now=NOW).response_id


@pytest.fixture
def sectioned(app, live_server, make_user):
    app.config["FIXED_NOW"] = NOW
    builders.stakeholders(regions=(IE, LA), boards=1, colleges=0)
    builders.template(SECTIONED)
    round_ = builders.launched_round(template="sectioned")
    submit(round_.id, BOARD_IE, {"stage": "active", "occupations": ["cnc", "welder"], "cnc_seats": "12", "colleges": "5",
                                 **NINA, "website": "https://board.example"})
    la = submit(round_.id, BOARD_LA, {"stage": "talks", "occupations": ["none"], "colleges": "2",
                                      "website": "la-board.example"})
    return {"round": round_.id, "response": la, "staff": make_user(role="staff").email}


def test_a_response_and_the_wizard_preview_show_the_sections(sectioned, new_page, axe_check, tmp_path):
    for size in SIZES:
        page = new_page(viewport=size)
        sign_in(page, sectioned["staff"])
        page.goto(f"/staff/rounds/{sectioned['round']}/responses/{sectioned['response']}")
        expect(page.get_by_role("heading", level=3)).to_have_text(SECTION_TITLES)
        answers = page.locator(".response-answers dt")
        expect(answers).to_have_text(["1. Stage of the partnership", "2. Occupations in demand", "How many CNC seats?",
                                      "3. Collaboration with colleges", "Navigator counterpart", "4. Website"])
        expect(page.locator(".answer-not_asked")).to_have_count(2)
        expect(page.locator("#section-1")).to_contain_text("Your board as it is today.")
        assert not page.evaluate(PAGE_SCROLLS), f"the response page scrolls sideways at {size['width']} px"
        axe_check(page, what=f"a sectioned response at {size['width']} px")
        page.screenshot(path=tmp_path / f"response-{size['width']}.png", full_page=True)

        page.goto("/staff/rounds/new")
        page.get_by_label("Template and version").select_option("sectioned:1")
        page.get_by_label("Title").fill("AM 2027")
        page.get_by_label("Opens").fill("2027-01-05T09:00")
        page.get_by_label("Closes").fill("2027-02-02T17:00")
        page.get_by_role("button", name="Preview", exact=True).click()
        preview = page.locator(".preview")
        expect(preview.get_by_role("heading", level=4)).to_have_text(
            [re.compile(rf"Section {i} of 3.*{title}$") for i, title in enumerate(SECTION_TITLES, 1)])
        expect(preview.locator(".qnum")).to_have_text([f"{n}." for n in range(1, 7)])
        # The click's navigation may not have loaded its stylesheets yet (on a busy machine it had not): measured
        # without them, the page is wider than it is.
        page.wait_for_load_state("load")
        assert not page.evaluate(PAGE_SCROLLS), f"the wizard scrolls sideways at {size['width']} px"
        axe_check(page, what=f"the wizard's preview of a sectioned form at {size['width']} px")
        preview.screenshot(path=tmp_path / f"wizard-preview-{size['width']}.png")
