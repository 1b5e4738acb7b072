"""Skip logic in a real browser on every kind of question another may depend on: a single choice and a scale
(read from the checked radio) and a number (read as a number: 1000.0 is 1000)."""
from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect
from sqlalchemy import select

from tests import builders
from wfsurvey.domain.tokens import hash_token, new_token
from wfsurvey.extensions import db
from wfsurvey.models import AccessToken, Invitation, Response

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)

TEMPLATE = {
    "slug": "collab",
    "title": "Regional collaboration",
    "questions": [
        {"key": "role", "type": "single_choice", "label": "Your role",
         "options": [{"value": "director", "label": "Director"}, {"value": "staff", "label": "Staff member"}]},
        {"key": "team", "type": "text", "label": "Your team", "show_if": {"question": "role", "equals": "staff"}},
        {"key": "colleges", "type": "scale", "label": "Collaboration with colleges"},
        {"key": "why_low", "type": "long_text", "label": "Why so little?", "show_if": {"question": "colleges", "equals": 1}},
        {"key": "slots", "type": "number", "label": "Earn-and-learn slots"},
        {"key": "which", "type": "text", "label": "Which employer offers them?", "show_if": {"question": "slots", "equals": 1000}},
    ],
}


def test_each_kind_of_target_shows_and_hides_its_follow_up(app, live_server, page):
    app.config["FIXED_NOW"] = NOW
    builders.stakeholders(regions=("los-angeles",), boards=1, colleges=0)
    builders.template(TEMPLATE)
    builders.launched_round(now=NOW)
    token = new_token()
    invitation = db.session.scalar(select(Invitation))
    db.session.add(AccessToken(invitation_id=invitation.id, token_hash=hash_token(token), purpose="invitation",
                               created_at=NOW, revoked_at=None))
    db.session.commit()

    page.goto(f"/r/{token}")

    def block(key: str):
        return page.locator(f'.question[data-key="{key}"]')

    team, why_low, which = block("team"), block("why_low"), block("which")
    for follow_up in (team, why_low, which):
        expect(follow_up).to_be_hidden()

    block("role").get_by_role("radio", name="Staff member").check()
    expect(team).to_be_visible()
    block("role").get_by_role("radio", name="Director").check()
    expect(team).to_be_hidden()

    block("colleges").get_by_role("radio", name="1").check()
    expect(why_low).to_be_visible()
    block("colleges").get_by_role("radio", name="3").check()
    expect(why_low).to_be_hidden()
    block("colleges").get_by_role("radio", name="1").check()
    why_low.get_by_role("textbox").fill("No college nearby")

    slots = block("slots").get_by_role("spinbutton")
    slots.fill("1000.0")
    expect(which).to_be_visible()
    slots.fill("999")
    expect(which).to_be_hidden()

    # What the browser hides is not sent: only the answers of shown questions are stored.
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_role("heading", name="Thank you: your answers are submitted")).to_be_visible()
    db.session.rollback()
    (response,) = db.session.scalars(select(Response)).all()
    assert response.answers == {"role": "director", "colleges": 1, "why_low": "No college nearby", "slots": 999}
