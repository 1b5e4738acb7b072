"""A template with sections read back by staff (issues 12 and 13 together): two boards answer a three-section form page
by page, with an exclusive option, an "includes" and an "is not" rule across sections, a contact and a text question;
then the response page, the raw CSV and XLSX, the free-text page, the API, the baseline, the designations, the round
wizard's preview and the template's page each treat a section as a heading, never as a question."""
from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import openpyxl
import pytest
from sqlalchemy import select

from tests import builders
from tests.integration.test_respond_pages import hidden, link
from tests.web import page_token, signed_in  # noqa: F401  (fixture)
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import Contact, Invitation, Response
from wfsurvey.services import handle

UTC = dt.timezone.utc
IE, LA = "inland-empire-desert", "los-angeles"
NOW = dt.datetime(2026, 10, 7, 17, 0, tzinfo=UTC)
SECTION_KEYS = {"about", "training", "partners"}

SECTIONED = {
    "slug": "sectioned",
    "title": "Regional collaboration in sections",
    "questions": [
        {"key": "about", "type": "section", "label": "About your board", "help": "Your board as it is today."},
        {"key": "stage", "type": "single_choice", "label": "Stage of the partnership", "required": True,
         "options": [{"value": "talks", "label": "In talks"}, {"value": "active", "label": "Active"}]},
        {"key": "occupations", "type": "multi_choice", "label": "Occupations in demand",
         "options": [{"value": "cnc", "label": "CNC machinist"}, {"value": "welder", "label": "Welder"},
                     {"value": "none", "label": "None of these", "exclusive": True}]},
        {"key": "training", "type": "section", "label": "Training with colleges"},
        {"key": "cnc_seats", "type": "number", "label": "How many CNC seats?", "min": 0,
         "show_if": {"question": "occupations", "includes": "cnc"}},
        {"key": "colleges", "type": "scale", "label": "Collaboration with colleges", "required": True},
        {"key": "partners", "type": "section", "label": "Partners"},
        {"key": "navigator", "type": "contact", "label": "Navigator counterpart",
         "show_if": {"question": "stage", "not_equals": "talks"}},
        {"key": "website", "type": "text", "label": "Website"},
    ],
}
#: The raw export's columns after the nine fixed ones: a section has none.
ANSWER_COLUMNS = [
    "Stage of the partnership", "Occupations in demand: CNC machinist", "Occupations in demand: Welder",
    "Occupations in demand: None of these", "How many CNC seats?", "Collaboration with colleges",
    "Navigator counterpart: Name", "Navigator counterpart: Email address", "Navigator counterpart: Organization",
    "Website",
]
BOARD_IE, BOARD_LA = f"lwib1.{IE}@example.org", f"lwib1.{LA}@example.org"
NINA = {"navigator.name": "Nina North", "navigator.email": "nina@riverside.example",
        "navigator.organization": "Riverside Board"}


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def numbered(page: str) -> list[tuple[str, str]]:
    """(number, wording) of each numbered question on a page, in order."""
    return re.findall(r'<span class="qnum">(\d+)\.</span> ([^<(]+?)\s*(?:<|\()', page)


def answer_page_by_page(client, contact_id: int, round_id: int, pages: list[dict]) -> list[list[tuple[str, str]]]:
    """Answer the form as a respondent does, Next on each page and Submit on the last; the numbered questions of
    each page as the respondent saw them."""
    url = link(contact_id, round_id)
    seen = []
    page_url = url
    for i, answers in enumerate(pages):
        page = text_of(client.get(page_url))
        seen.append(numbered(page))
        action = "submit" if i == len(pages) - 1 else "next"
        data = {"csrf_token": hidden(page, "csrf_token"), "revision": hidden(page, "revision"),
                "section": hidden(page, "section"), "action": action, **answers}
        moved = client.post(url, data=data)
        assert moved.status_code == 303, text_of(moved)
        page_url = moved.headers["Location"]
    return seen


def contact_id(email: str) -> int:
    return db.session.scalar(select(Contact.id).where(Contact.email == email))


def response_id(round_id: int, email: str) -> int:
    return db.session.scalar(select(Response.id).join(Invitation, Invitation.id == Response.invitation_id)
                             .join(Contact, Contact.id == Invitation.contact_id)
                             .where(Response.round_id == round_id, Contact.email == email))


@pytest.fixture
def answered(app):
    """One board in each of two regions, both answering the sectioned form through its pages."""
    builders.stakeholders(regions=(IE, LA), boards=1, colleges=0)
    builders.template(SECTIONED)
    round_ = builders.launched_round(template="sectioned")
    app.config["FIXED_NOW"] = NOW
    client = app.test_client()
    ie_saw = answer_page_by_page(client, contact_id(BOARD_IE), round_.id, [
        {"stage": "active", "occupations": ["cnc", "welder"]},
        {"cnc_seats": "12", "colleges": "5"},
        {**NINA, "website": "https://board.example"},
    ])
    # "In talks" and "None of these": the CNC seats and the navigator are never asked, whatever the browser sends.
    la_saw = answer_page_by_page(app.test_client(), contact_id(BOARD_LA), round_.id, [
        {"stage": "talks", "occupations": ["none"]},
        {"cnc_seats": "40", "colleges": "2"},
        {"navigator.name": "Sneaky", "navigator.email": "sneaky@example.org", "website": "la-board.example"},
    ])
    db.session.expire_all()
    return round_, ie_saw, la_saw


@pytest.fixture
def staff(signed_in, answered):
    client, _ = signed_in("staff")
    return client


@pytest.fixture
def api(app, answered):
    handle(cmd.CreateUser(email="script@example.org", password="correct-horse-battery-staple-42", role="staff"),
           actor="test", now=NOW)
    token = handle(cmd.CreateApiToken(user_email="script@example.org", name="nightly"), actor="test", now=NOW)
    client = app.test_client()
    return lambda url: client.get(f"/api/v1{url}", headers={"Authorization": f"Bearer {token}"})


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_respondents_saw_continuous_numbers_without_sections(answered):
    _, ie_saw, la_saw = answered
    assert ie_saw == [[("1", "Stage of the partnership"), ("2", "Occupations in demand")],
                      [("3", "How many CNC seats?"), ("4", "Collaboration with colleges")],
                      [("5", "Navigator counterpart"), ("6", "Website")]]
    assert la_saw[1:] == [[("3", "Collaboration with colleges")], [("4", "Website")]]
    round_ = answered[0]
    la = db.session.get(Response, response_id(round_.id, BOARD_LA))
    assert la.status == "submitted"
    assert la.answers == {"stage": "talks", "occupations": ["none"], "colleges": 2, "website": "la-board.example"}


def test_the_response_page_numbers_as_the_respondent_saw_under_section_headings(staff, answered):
    round_, ie_saw, la_saw = answered
    ie = text_of(staff.get(f"/staff/rounds/{round_.id}/responses/{response_id(round_.id, BOARD_IE)}"))
    answers = ie[ie.index('id="answers"'):ie.index('id="history"')]
    assert re.findall(r"<h3[^>]*>([^<]+)</h3>", answers) == ["About your board", "Training with colleges", "Partners"]
    assert "Your board as it is today." in answers
    assert numbered(answers) == [pair for page in ie_saw for pair in page]
    assert "Not asked" not in answers and 'id="q-about"' not in answers and 'id="q-training"' not in answers
    assert "Nina North <nina@riverside.example>, Riverside Board" in answers and "CNC machinist; Welder" in answers

    la = text_of(staff.get(f"/staff/rounds/{round_.id}/responses/{response_id(round_.id, BOARD_LA)}"))
    answers = la[la.index('id="answers"'):la.index('id="history"')]
    assert numbered(answers) == [pair for page in la_saw for pair in page]
    # The two questions the rules hid are listed, unnumbered, as not asked; the sections are headings, not "not asked".
    assert answers.count("Not asked: the skip logic hid this question") == 2
    for key in ("cnc_seats", "navigator"):
        row = answers[answers.index(f'id="q-{key}"'):]
        assert row[:row.index("</dd>")].count("Not asked") == 1 and 'class="qnum"' not in row[:row.index("</dt>")]
    assert re.findall(r"<h3[^>]*>([^<]+)</h3>", answers) == ["About your board", "Training with colleges", "Partners"]
    assert "None of these" in answers


def test_the_raw_exports_have_a_column_per_question_and_none_per_section(staff, api, answered):
    round_ = answered[0]
    header, *rows = read_csv(staff.get(f"/staff/rounds/{round_.id}/responses.csv").get_data())
    assert header[9:] == ANSWER_COLUMNS
    assert len(rows) == 2 and {len(r) for r in rows} == {len(header)}
    ie, la = (dict(zip(header, row)) for row in rows)
    assert [ie[c] for c in ANSWER_COLUMNS] == ["Active", "1", "1", "", "12", "5", "Nina North", "nina@riverside.example",
                                               "Riverside Board", "https://board.example"]
    assert [la[c] for c in ANSWER_COLUMNS] == ["In talks", "", "", "1", "", "2", "", "", "", "la-board.example"]
    keys, *_ = read_csv(staff.get(f"/staff/rounds/{round_.id}/responses.csv?headers=keys&values=codes").get_data())
    assert not SECTION_KEYS & set(keys) and "occupations.none" in keys
    workbook = openpyxl.load_workbook(io.BytesIO(api(f"/rounds/{round_.id}/responses.xlsx").get_data()))
    sheet = workbook["Responses"]
    assert [c.value for c in sheet[1]][9:] == ANSWER_COLUMNS and sheet.max_row == 3
    # A section is no question to export alone.
    assert staff.get(f"/staff/rounds/{round_.id}/responses.csv?question=about").status_code == 404
    assert api(f"/rounds/{round_.id}/responses.csv?question=training").status_code == 404
    assert read_csv(staff.get(f"/staff/rounds/{round_.id}/responses.csv?question=website").get_data())[0][9:] == ["Website"]


def test_the_free_text_page_lists_the_text_question_and_no_section(staff, answered):
    round_ = answered[0]
    page = text_of(staff.get(f"/staff/rounds/{round_.id}/questions/website/answers"))
    assert "2 answers" in page and "https://board.example" in page and "la-board.example" in page
    listing = text_of(staff.get(f"/staff/rounds/{round_.id}/responses"))
    assert f"/staff/rounds/{round_.id}/questions/website/answers" in listing
    assert not re.search(rf"/questions/({'|'.join(SECTION_KEYS)})/answers", listing)
    for key in SECTION_KEYS:
        assert staff.get(f"/staff/rounds/{round_.id}/questions/{key}/answers").status_code == 404


def test_the_api_says_what_was_not_asked_and_never_names_a_section(api, answered):
    round_ = answered[0]
    items = api(f"/rounds/{round_.id}/responses?order=oldest").get_json()["items"]
    assert [(i["contact"]["email"], i["not_asked"]) for i in items] == [
        (BOARD_IE, []), (BOARD_LA, ["cnc_seats", "navigator"])]
    for item in items:
        detail = api(f"/rounds/{round_.id}/responses/{item['id']}").get_json()
        assert detail["not_asked"] == item["not_asked"]
        assert not SECTION_KEYS & (set(detail["answers"]) | set(detail["not_asked"]))
        assert not SECTION_KEYS & {key for h in detail["history"] for key in h["changes"]}


def test_the_baseline_and_the_designations_count_what_was_asked(api, answered):
    round_ = answered[0]
    table = api(f"/rounds/{round_.id}/baseline").get_json()
    assert [q["key"] for q in table["questions"]] == ["stage", "occupations", "cnc_seats", "colleges"]
    for row in [*table["rows"], table["total"]]:
        assert not SECTION_KEYS & set(row["answers"])
    assert table["total"]["answers"]["cnc_seats"]["n"] == 1  # the board in talks was not asked
    assert {p["key"] for r in table["ranking"]["regions"] for p in r["readiness_parts"]} <= {"colleges", "stage"}
    designations = {d["region"]: d for d in api(f"/rounds/{round_.id}/designations").get_json()}
    assert designations[IE]["status"] == "designated" and designations[IE]["nominee"]["email"] == "nina@riverside.example"
    assert designations[LA]["status"] == "unfilled"  # "is not in talks" hid the question from the LA board


def test_the_wizard_preview_and_the_template_page_show_the_section_headings(staff, answered):
    form = {"template": "sectioned:1", "title": "AM 2027", "regions": [IE], "org_types": [], "include_contacts": "",
            "exclude_contacts": "", "timezone": "America/Los_Angeles", "opens_at": "2027-01-05T09:00",
            "closes_at": "2027-02-02T17:00", "offsets": ["P7D"], "other_offsets": "", "min_gap_hours": "20",
            "send_from": "8", "send_until": "18", "response_rule": "organization", "action": "preview",
            "preview_as": "lwib", "csrf_token": page_token(staff, "/staff/rounds/new")}
    page = text_of(staff.post("/staff/rounds/new", data=form))
    preview = page[page.index('class="preview"'):]
    headings = re.findall(r'<h\d id="section-\d-title">(.*?)</h\d>', preview)
    assert [re.sub(r"<[^>]+>", "", h) for h in headings] == [
        "Section 1 of 3 · : About your board", "Section 2 of 3 · : Training with colleges", "Section 3 of 3 · : Partners"]
    assert [n for n, _ in numbered(preview)] == ["1", "2", "3", "4", "5", "6"]
    assert "Your board as it is today." in preview and '<fieldset class="read-only survey" disabled>' in preview

    version = text_of(staff.get("/staff/templates/sectioned/v1"))
    shown = version[version.index('class="preview"'):version.index("The definition (JSON)")]
    assert [re.sub(r"<[^>]+>", "", h) for h in re.findall(r'<h\d id="section-\d-title">(.*?)</h\d>', shown)] == [
        "Section 1 of 3 · : About your board", "Section 2 of 3 · : Training with colleges", "Section 3 of 3 · : Partners"]
    assert [n for n, _ in numbered(shown)] == ["1", "2", "3", "4", "5", "6"]


def test_comparing_versions_names_sections_and_says_which_section_a_question_moved_to(app, signed_in):
    builders.template(SECTIONED)
    second = [dict(q) for q in SECTIONED["questions"]]
    keys = [q["key"] for q in second]
    # "Partners" now starts before the scale, a new last section holds the website, and one section is renamed.
    second.insert(keys.index("colleges"), second.pop(keys.index("partners")))
    second.insert(len(second) - 1, {"key": "last", "type": "section", "label": "Last words"})
    second[keys.index("training")] = {**second[keys.index("training")], "label": "Training"}
    builders.template({**SECTIONED, "questions": second})
    client, _ = signed_in("staff")
    page = text_of(client.get("/staff/templates/sectioned/compare?a=1&b=2"))
    assert "1 added" in page and "0 removed" in page and "3 changed" in page

    def change(key: str) -> str:
        block = page[page.index(f'id="q-{key}"'):]
        return re.sub(r"\s+", " ", block[:block.index("</section>")])

    assert "<h3>Section 4, “Last words” <code>last</code>" in change("last")
    assert "<h3>Section 2, “Training” <code>training</code>" in change("training")
    # Questions keep their numbers (sections are not counted): the scale changed section, not position.
    colleges = change("colleges")
    assert "<h3>Question 4, “Collaboration with colleges” <code>colleges</code>" in colleges
    assert ('<td>section</td><td class="old">Section 2, “Training with colleges”</td>'
            '<td class="new">Section 3, “Partners”</td>') in colleges
    assert "position" not in colleges
    assert '<td class="old">Section 3, “Partners”</td><td class="new">Section 4, “Last words”</td>' in change("website")
    assert 'id="q-partners"' not in page and 'id="q-navigator"' not in page  # in the same place among their kind
