"""Issue 13 in a real browser: staff open a response from the invitations list and read its answers and history,
search the free-text answers, and download the raw responses as CSV and as XLSX."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests import builders
from tests.e2e.test_staff_browser import sign_in
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import Contact, Invitation
from wfsurvey.services import handle

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 9, 17, 0, tzinfo=UTC)
IE = "inland-empire-desert"


def submit(round_id: int, email: str, form: dict, now: dt.datetime) -> None:
    invitation = db.session.scalar(select(Invitation).join(Contact).where(Invitation.round_id == round_id,
                                                                           Contact.email == email))
    handle(cmd.SaveAnswers(invitation.id, form, True), actor=f"token:{invitation.id}", now=now)


@pytest.fixture
def answered(app, live_server, make_user):
    """A round where an Inland Empire board answered and changed its answer once, and a college answered."""
    app.config["FIXED_NOW"] = NOW
    builders.stakeholders(regions=(IE, "los-angeles"), boards=1, colleges=1)
    builders.template()
    round_ = builders.launched_round()
    board = {"targets_am": ["yes"], "initiatives": ["A mechatronics apprenticeship with Chaffey College"],
             "colleges": ["4"], "occupations": ["cnc", "mechatronics"], "slots": ["6"],
             "navigator.name": ["Nina North"], "navigator.email": ["nina@example.org"], "navigator.organization": ["Chaffey"]}
    submit(round_.id, f"lwib1.{IE}@example.org", board, dt.datetime(2026, 10, 7, 17, 0, tzinfo=UTC))
    submit(round_.id, f"lwib1.{IE}@example.org", {**board, "colleges": ["2"]}, dt.datetime(2026, 10, 8, 17, 0, tzinfo=UTC))
    submit(round_.id, "college1.los-angeles@example.org",
           {"targets_am": ["yes"], "initiatives": ["Welding lab shared with three employers"], "colleges": ["3"]},
           dt.datetime(2026, 10, 8, 18, 0, tzinfo=UTC))
    return {"round": round_.id, "staff": make_user(role="staff").email}


def test_staff_read_a_response_search_free_text_and_download_both_exports(answered, new_page, tmp_path):
    round_id = answered["round"]
    page = new_page()
    sign_in(page, answered["staff"])

    # From the invitations list to the board's response: every answer in words, the change in the history.
    page.goto(f"/staff/rounds/{round_id}/invitations")
    row = page.get_by_role("row").filter(has_text="Inland Empire Desert lwib 1")
    row.get_by_role("link", name=re.compile("Read .*response")).click()
    expect(page).to_have_url(re.compile(rf"/staff/rounds/{round_id}/responses/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Inland Empire Desert lwib 1")
    answers = page.locator("dl.response-answers")
    expect(answers).to_contain_text("2 of 5")
    expect(answers).to_contain_text("CNC machinist; Mechatronics technician")
    expect(answers).to_contain_text("Nina North <nina@example.org>, Chaffey")
    history = page.locator("table.history")
    expect(history.get_by_role("row")).to_have_count(3)  # the header, the submission, the change
    change = history.get_by_role("row").nth(2)
    expect(change).to_contain_text("Changed the submitted answers")
    expect(change).to_contain_text("Collaboration with colleges: from 4 of 5 to 2 of 5")
    expect(change).to_contain_text("Oct 8, 2026, 10:00 AM PDT")

    # Search in the free-text answers: only the college wrote of welding, and the words are marked.
    page.get_by_role("link", name="← All responses").click()
    expect(page.locator("#responses-total")).to_have_text("2 submitted responses")
    page.get_by_label("Words in the free-text answers").fill("welding")
    page.get_by_role("button", name="Show responses").click()
    expect(page.locator("#responses-total")).to_have_text("1 submitted response matching the filters")
    table = page.locator("table.responses")
    expect(table).to_contain_text("Los Angeles college 1")
    expect(table).not_to_contain_text("Inland Empire Desert lwib 1")
    expect(table.locator("mark")).to_have_text("Welding")

    # Both downloads, with codes and keys asked for on the CSV.
    page.get_by_label("Column headings").select_option("keys")
    page.get_by_label("Choice answers").select_option("codes")
    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Download CSV").click()
    csv_path = tmp_path / csv_download.value.suggested_filename
    csv_download.value.save_as(csv_path)
    assert csv_path.name == f"round-{round_id}-responses.csv"
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text("utf-8-sig"))))
    board = next(r for r in rows if r["organization"] == "Inland Empire Desert lwib 1")
    assert (board["colleges"], board["occupations.cnc"], board["occupations.welder"], board["targets_am"]) == ("2", "1", "", "yes")
    assert len(rows) == 2

    page.get_by_label("Column headings").select_option("")
    page.get_by_label("Choice answers").select_option("")
    with page.expect_download() as xlsx_download:
        page.get_by_role("button", name="Download XLSX").click()
    xlsx_path = tmp_path / xlsx_download.value.suggested_filename
    xlsx_download.value.save_as(xlsx_path)
    assert xlsx_path.name == f"round-{round_id}-responses.xlsx"
    workbook = openpyxl.load_workbook(xlsx_path)
    sheet = workbook["Responses"]
    header = [c.value for c in sheet[1]]
    by_org = {r[header.index("Organization")]: dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    board = by_org["Inland Empire Desert lwib 1"]
    assert board["Does the board target Advanced Manufacturing?"] == "Yes"
    assert board["Collaboration with colleges"] == 2 and board["Occupations in demand: CNC machinist"] == 1
    assert board["Last edited at (America/Los_Angeles)"] == dt.datetime(2026, 10, 8, 10, 0)
    assert sheet.freeze_panes == "A2"
