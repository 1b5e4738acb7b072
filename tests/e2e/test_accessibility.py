"""WCAG 2.1 A and AA (axe-core, serious and critical violations fail) on the pages that matter most: every page a
respondent meets, at desktop and phone widths, the round, completion and baseline pages staff use every day, and the
responses pages at both widths.
(The page walk in test_page_walk.py runs the same check once on every other staff and admin page.)"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_page_walk import sign_in
from tests.program import ADMIN

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _respondent_page(page, links: dict[str, str], which: str) -> None:
    """Open the respondent page `which` as its person would reach it."""
    form = links["form"]
    if which == "errors":
        page.goto(form)
        page.get_by_role("button", name="Submit", exact=True).click()
        expect(page.locator("#error-summary")).to_be_focused()
    elif which == "opt-out":
        page.goto(form + "/opt-out")
        expect(page.get_by_role("heading", level=1)).to_have_text("Stop survey email?")
    elif which == "forward":
        page.goto(form + "/forward")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    elif which == "done":
        page.goto(links["done"] + "/done")
        expect(page.locator("dl.answers")).to_be_visible()
    else:
        page.goto(links[which])
        expect(page.get_by_role("heading", level=1)).to_be_visible()


RESPONDENT_PAGES = ("form", "errors", "done", "closed", "opt-out", "opted_out", "forward", "forwarded")


def _failures(check, page, what: str) -> list[str]:
    try:
        check(page, what=what)
    except AssertionError as failure:
        return [str(failure)]
    return []


@pytest.mark.slow
def test_respondent_pages_meet_wcag_21_aa_on_a_desktop_and_a_phone(new_page, program_in_progress, axe_check):
    failures = []
    for viewport in (DESKTOP, PHONE):
        page = new_page(viewport=viewport)
        for which in RESPONDENT_PAGES:
            _respondent_page(page, program_in_progress.links, which)
            failures += _failures(axe_check, page, f"the respondent's {which} page at {viewport['width']} px")
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_round_completion_and_baseline_pages_meet_wcag_21_aa(new_page, program_in_progress, axe_check):
    page = new_page()
    sign_in(page, ADMIN)  # an admin sees everything staff see, and the override forms
    failures = []
    for round_id in program_in_progress.rounds.values():
        for address in (f"/staff/rounds/{round_id}", f"/staff/rounds/{round_id}/dashboard",
                        f"/staff/rounds/{round_id}/baseline", f"/staff/rounds/{round_id}/designations"):
            assert page.goto(address).status == 200, address
            failures += _failures(axe_check, page, address)
    rounds = program_in_progress.rounds
    # The round's wizard in each of its uses: a new round, a draft's edit, a new round from a closed one; and the
    # page an edit of a launched round gets.
    for address in ("/staff/dashboard", "/staff/rounds", "/staff/rounds/new", f"/staff/rounds/{rounds['draft']}/edit",
                    f"/staff/rounds/new?from={rounds['baseline']}", f"/staff/rounds/{rounds['scheduled']}/edit"):
        assert page.goto(address).status == 200, address
        failures += _failures(axe_check, page, address)
    # The "New round series" page, blank and refused (its summary and the fields it names), at both widths.
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        assert page.goto("/staff/series/new").status == 200
        failures += _failures(axe_check, page, f"the new series page at {viewport['width']} px")
        page.get_by_role("button", name="Create the series").click()
        expect(page.locator(".error-summary")).to_contain_text("Enter the series' title.")
        failures += _failures(axe_check, page, f"the new series page with its errors at {viewport['width']} px")
    page.set_viewport_size(DESKTOP)
    # The wizard after a refused save: its error summary and the fields it names.
    page.goto(f"/staff/rounds/{rounds['draft']}/edit")
    page.get_by_label("Title").fill("")
    page.get_by_role("button", name="Save the changes").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter the round's title.")
    failures += _failures(axe_check, page, "the draft's edit with its errors")
    # The override form, opened and sent empty: its fields and its error summary are checked too.
    page.goto(f"/staff/rounds/{program_in_progress.rounds['baseline']}/designations")
    region = page.locator(".region-card").first
    region.locator("summary").click()
    region.get_by_role("button", name="Designate for").click()
    expect(page.locator(".error-summary").first).to_be_visible()
    failures += _failures(axe_check, page, "the designation override form with its errors")
    assert not failures, "\n".join(failures)


def test_responses_pages_meet_wcag_21_aa_on_a_desktop_and_a_phone(new_page, program_in_progress, axe_check):
    """The responses list (searched: the matches marked), one response with its history of changes, and every answer
    to a text question, as staff read them at a desk and on a phone."""
    round_id = program_in_progress.rounds["baseline"]
    changed = program_in_progress.responses[round_id][0]  # submitted, then changed
    failures = []
    for viewport in (DESKTOP, PHONE):
        page = new_page(viewport=viewport)
        sign_in(page, ADMIN)
        for address in (f"/staff/rounds/{round_id}/responses?status=all&q=machining",
                        f"/staff/rounds/{round_id}/responses/{changed}",
                        f"/staff/rounds/{round_id}/questions/regional_initiatives/answers?q=pathway"):
            assert page.goto(address).status == 200, address
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            failures += _failures(axe_check, page, f"{address} at {viewport['width']} px")
    assert not failures, "\n".join(failures)


def test_a_missing_label_fails_the_check(new_page, program_in_progress, axe_check):
    """The check can fail: the same form with one field's label taken away is refused, naming the field."""
    page = new_page()
    page.goto(program_in_progress.links["form"])
    page.evaluate("document.querySelector('label[for=\"q-earn_learn_slots\"]').remove()")
    with pytest.raises(AssertionError, match="label") as failure:
        axe_check(page)
    assert "q-earn_learn_slots" in str(failure.value)
