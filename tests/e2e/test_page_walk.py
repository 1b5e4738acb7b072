"""Every staff and admin page, found by walking the app's URL map (so pages added later are walked too), looked at in
Chromium by a staff member and by an admin, over a program in progress: what it says is in plain US English with
people and things named (no ISO 8601 dates or durations, no actor ids, no British spellings), and at 1280 px nothing
scrolls sideways; at 390 px the page itself does not (its widest tables may scroll inside their own box)."""
from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import expect
from werkzeug.routing import Rule

from tests.factories import DEFAULT_PASSWORD
from tests.program import ADMIN, STAFF

#: What no page may show its reader, with what it means (case-insensitive).
FORBIDDEN = {
    r"\bP\d+D\b": "an ISO 8601 duration (say “7 days before close”)",
    r"\bPT\d+H\b": "an ISO 8601 duration (say “12 hours”)",
    r"\buser:\d+": "an actor id (name the person: queries.actors)",
    r"\btoken:\d+": "an actor id (name the respondent's link: queries.actors)",
    r"\bapi:\d+": "an actor id (name the API token: queries.actors)",
    r"organisation": "British spelling (organization)",
    r"programme": "British spelling (program)",
    r"enrolment": "British spelling (enrollment)",
}
#: A date as ISO 8601 writes it ("2026-11-05"): staff read "Nov 5, 2026, 9:51 AM PST" (the short_local filter) or
#: "Thursday, November 5, 2026 at 9:51 AM PST" (format_local). Not looked for in what is machine text on purpose,
#: hidden while the page is read: <code>/<kbd>/<samp> (commands, slugs), and the JSON of <pre class="json"> (an
#: event's details, a template's definition: the stored form, for power users). Input values are not visible text.
ISO_DATE = r"\b\d{4}-\d{2}-\d{2}\b"
MACHINE_TEXT = "code, kbd, samp, pre.json"
#: The page's visible text without MACHINE_TEXT: hidden through the CSSOM for the reading (a <style> element would
#: be refused by the Content-Security-Policy), then shown again as it was.
TEXT_FOR_PEOPLE = """(hidden) => {
  const els = [...document.querySelectorAll(hidden)];
  const before = els.map(el => [el.style.getPropertyValue('display'), el.style.getPropertyPriority('display')]);
  els.forEach(el => el.style.setProperty('display', 'none', 'important'));
  try { return document.body.innerText; } finally { els.forEach((el, i) => el.style.setProperty('display', ...before[i])); }
}"""
#: Pages worth walking with a query string too: the filters people use most.
WITH_QUERIES = {
    "staff.events": ["?round_id={round_id}", "?type=ReminderQueued", "?actor=respondents"],
    "staff.compare_templates": ["?a=1&b=2"],
    "staff.template_version": ["?org_type=college"],
    "staff.round_responses": ["?status=all", "?q=machining"],
    "staff.question_answers": ["?q=pathway"],
    # "New round from this one": the wizard filled from a round.
    "staff.new_round": ["?from={round_id}"],
}
#: Elements that may scroll sideways, and boxes of tables, that are wider than they show; and the page itself.
SIDEWAYS = """() => {
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + String(el.className).trim().split(/\\s+/).join('.') : '');
  const found = [];
  const page = document.documentElement;
  if (page.scrollWidth > page.clientWidth) found.push(`the page is ${page.scrollWidth}px wide in a ${page.clientWidth}px window`);
  const boxes = new Set([...document.querySelectorAll('table')].map(table => table.parentElement));
  for (const el of document.body.querySelectorAll('*')) {
    if (['auto', 'scroll'].includes(getComputedStyle(el).overflowX)) boxes.add(el);
  }
  for (const box of boxes) {
    if (box.scrollWidth > box.clientWidth + 1) found.push(`${name(box)} holds ${box.scrollWidth}px in ${box.clientWidth}px`);
  }
  return found;
}"""
PAGE_SCROLLS = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"


def walked_rules(app) -> list[Rule]:
    """Every GET route of the staff and admin pages (their access marker says so), in address order."""
    rules = []
    for rule in app.url_map.iter_rules():
        access = getattr(app.view_functions[rule.endpoint], "wfsurvey_access", None)
        if "GET" in rule.methods and access in ("staff", "admin") and rule.rule.startswith(("/staff", "/admin")):
            rules.append(rule)
    return sorted(rules, key=lambda r: r.rule)


def combinations(names: list[str], values: dict[str, list | dict[int, list]]) -> list[dict]:
    """Every combination of the values of `names`; a value given by round id (a response belongs to one round) goes
    only with its own round."""
    shared = [name for name in names if not isinstance(values[name], dict)]
    by_round = [name for name in names if isinstance(values[name], dict)]
    found = []
    for combination in itertools.product(*(values[name] for name in shared)):
        chosen = dict(zip(shared, combination))
        for own in itertools.product(*(values[name].get(chosen.get("round_id"), []) for name in by_round)):
            found.append({**chosen, **dict(zip(by_round, own))})
    return found


def addresses(app, values: dict[str, list | dict[int, list]]) -> list[tuple[str, str]]:
    """(endpoint, address) of every page to walk: each route with every combination of the program's values."""
    found = []
    plain = {name: v for name, v in values.items() if not isinstance(v, dict)}
    for rule in walked_rules(app):
        missing = [name for name in rule.arguments if name not in values]
        assert not missing, f"{rule.rule}: add a value for {missing} to tests.program.Program.path_values"
        walked = combinations(sorted(rule.arguments), values)
        assert walked, f"{rule.rule}: tests.program.Program.path_values gives it no address"
        for arguments in walked:
            built = rule.build(arguments, append_unknown=False)[1]
            found.append((rule.endpoint, built))
            for query in WITH_QUERIES.get(rule.endpoint, []):
                found.append((rule.endpoint, built + query.format(**{n: v[0] for n, v in plain.items()})))
    return found


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


def problems_of(page) -> list[str]:
    """What is wrong with the page as it is now: words it must not show, and what scrolls sideways at 1280 px."""
    text = page.evaluate("document.body.innerText")
    found = []
    for pattern, meaning in FORBIDDEN.items():
        for match in re.finditer(pattern, text, re.IGNORECASE):
            around = text[max(0, match.start() - 40):match.end() + 40].replace("\n", " ")
            found.append(f"shows {match.group(0)!r}, {meaning}: “…{around}…”")
    for_people = page.evaluate(TEXT_FOR_PEOPLE, MACHINE_TEXT)
    for match in re.finditer(ISO_DATE, for_people):
        around = for_people[max(0, match.start() - 40):match.end() + 40].replace("\n", " ")
        found.append(f"shows {match.group(0)!r}, an ISO 8601 date (say “Nov 5, 2026, 9:51 AM PST”): “…{around}…”")
    found.extend(f"scrolls sideways at 1280 px: {what}" for what in page.evaluate(SIDEWAYS))
    page.set_viewport_size({"width": 390, "height": 900})
    try:
        if page.evaluate(PAGE_SCROLLS):
            width = page.evaluate("document.documentElement.scrollWidth")
            found.append(f"the page scrolls sideways at 390 px ({width}px wide): put its wide table in a .table-scroll box")
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
    return found


@pytest.mark.slow
@pytest.mark.parametrize("who", [STAFF, ADMIN])
def test_every_staff_and_admin_page_reads_in_words_and_fits_the_screen(app, new_page, program_in_progress, axe_check, who):
    page = new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, who)
    walked, problems = [], {}
    for endpoint, address in addresses(app, program_in_progress.path_values()):
        # Asked first without the page: a download (CSV, XLSX) is checked, not opened.
        fetched = page.request.get(address, max_redirects=0)
        if who == STAFF and getattr(app.view_functions[endpoint], "wfsurvey_access", None) == "admin":
            assert fetched.status == 403, address  # staff are refused admin pages (and they are walked as admin)
            continue
        assert fetched.status == 200, f"{address}: {fetched.status}"
        if not fetched.headers.get("content-type", "").startswith("text/html"):
            continue
        assert page.goto(address).status == 200, address
        walked.append(address)
        found = problems_of(page)
        if who == ADMIN:
            # Every page once (admins see all of them) against WCAG 2.1 AA; tests/e2e/test_accessibility.py names
            # the pages that matter most one by one.
            try:
                axe_check(page, what=address)
            except AssertionError as failure:
                found.append(str(failure))
        if found:
            problems[address] = found
    assert len(walked) >= 30, walked  # the walk found the pages: a broken walk must not pass for a clean one
    assert not problems, "\n".join(f"{address}:\n  " + "\n  ".join(found) for address, found in problems.items())
