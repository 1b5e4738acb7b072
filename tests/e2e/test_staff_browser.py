"""Issue 5 in a real browser: staff import contacts, create and launch a round, respondents answer through the
emailed link, the dashboard counts them, an admin resolves a designation conflict, the baseline downloads."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests import builders
from tests.factories import DEFAULT_PASSWORD
from wfsurvey.extensions import db
from wfsurvey.jobs.delivery import deliver_outbox
from wfsurvey.models import Contact, Designation, EventRecord, Organization, Response, Round

UTC = dt.timezone.utc
#: Tuesday 6 October 2026, 10:00 in Los Angeles: the round below opens at 09:00 that day, so at once.
NOW = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
IE = "inland-empire-desert"
HEADER = ["organization", "org_type", "region", "name", "email", "title"]
ROWS = [
    ["Riverside Board", "lwib", IE, "Ana Ruiz", "ana@riverside.example", "Director"],
    ["Desert Board", "lwib", IE, "Ben Cho", "ben@desert.example", "Director"],
    ["Valley College", "college", "Inland Empire/Desert", "Cy Oh", "cy@valley.example", "Dean"],
    ["LA Board", "lwib", "los-angeles", "Dee Park", "dee@la.example", "Director"],
]
NINA = {"name": "Nina North", "email": "nina@riverside.example", "organization": "Riverside Board"}
OMAR = {"name": "Omar Ortiz", "email": "omar@desert.example", "organization": "Desert Board"}


def csv_file(rows: list[list[str]]) -> dict:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([HEADER, *rows])
    return {"name": "contacts.csv", "mimeType": "text/csv", "buffer": out.getvalue().encode()}


def count(model) -> int:
    db.session.rollback()  # the server thread committed: read a fresh snapshot
    return db.session.scalar(select(func.count()).select_from(model))


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.locator(".who")).to_contain_text(email)


def answer_from_mailbox(page, live_url: str, email: str, nominee: dict) -> None:
    """Open the person's invitation in the dev mailbox, follow its link and submit a navigator nomination."""
    page.goto("/dev/mailbox")
    page.get_by_role("row").filter(has_text=email).get_by_role("link").click()
    link = page.locator("pre.mail-text a").filter(has_text=re.compile(rf"^{re.escape(live_url)}/r/[\w-]+$"))
    expect(link).to_have_count(1)
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Regional collaboration")
    page.locator('.question[data-key="targets_am"]').get_by_role("radio", name="No").check()
    page.locator('.question[data-key="colleges"]').get_by_role("radio", name="3").check()
    navigator = page.locator('.question[data-key="navigator"]')
    navigator.get_by_label("Name").fill(nominee["name"])
    navigator.get_by_label("Email address").fill(nominee["email"])
    navigator.get_by_label("Organization").fill(nominee["organization"])
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_role("heading", name="Thank you: your answers are submitted")).to_be_visible()
    expect(page.locator("dl.answers")).to_contain_text(nominee["name"])


@pytest.fixture
def program(app, live_server, make_region, make_user):
    """Regions and a template exist; a staff member and an admin have accounts; time stands at NOW."""
    app.config["FIXED_NOW"] = NOW
    make_region("Inland Empire/Desert", code=IE)
    make_region("Los Angeles", code="los-angeles")
    builders.template()
    return {"staff": make_user(role="staff").email, "admin": make_user(role="admin").email}


def test_staff_run_a_round_from_import_to_baseline_download(app, live_server, program, new_page, tmp_path):
    staff = new_page()
    sign_in(staff, program["staff"])

    # Import: a file with a bad row names the row and imports nothing; the fixed file imports everything.
    staff.get_by_role("navigation", name="Staff").get_by_role("link", name="Import").click()
    bad = [*ROWS[:3], ["LA Board", "lwib", "los-angeles", "Dee Park", "dee at la.example", "Director"]]
    staff.get_by_label("CSV file").set_input_files(csv_file(bad))
    staff.get_by_role("button", name="Import", exact=True).click()
    errors = staff.locator("#import-errors")
    expect(errors).to_be_visible()
    expect(errors.get_by_role("row").filter(has=staff.get_by_role("cell", name="5", exact=True))).to_contain_text("email")
    assert count(Contact) == 0 and count(Organization) == 0

    staff.get_by_label("CSV file").set_input_files(csv_file(ROWS))
    staff.get_by_role("button", name="Import", exact=True).click()
    result = staff.locator("#import-result")
    expect(result).to_contain_text("Imported.")
    expect(result.locator("dd.created")).to_have_text("4")
    assert count(Contact) == 4 and count(Organization) == 4

    # The wizard: preview who would be invited, create the draft, launch it.
    staff.goto("/staff/rounds/new")
    staff.get_by_label("Template and version").select_option("collab:1")
    staff.get_by_label("Title").fill("AM baseline autumn 2026")
    staff.get_by_label("Opens").fill("2026-10-06T09:00")
    staff.get_by_label("Closes").fill("2026-11-02T17:00")
    staff.get_by_role("button", name="Preview audience").click()
    expect(staff.locator("#audience-preview")).to_contain_text("4 people would be invited")
    staff.get_by_role("button", name="Create the draft").click()
    expect(staff).to_have_url(re.compile(r"/staff/rounds/\d+$"))
    round_id = int(staff.url.rsplit("/", 1)[1])
    expect(staff.get_by_role("heading", level=1)).to_contain_text("AM baseline autumn 2026")
    staff.get_by_role("button", name=f"Launch round {round_id}").click()
    expect(staff.locator(".flash")).to_contain_text("Round launched: 4 invitations issued")
    db.session.rollback()
    assert db.session.get(Round, round_id).state == "open"

    # Delivery is the job's work, not the web process's: run it, then read the dev mailbox as the respondents.
    assert deliver_outbox(now=NOW).sent == 4
    respondent = new_page()
    sign_in(respondent, program["staff"])  # the dev mailbox is for signed-in staff
    answer_from_mailbox(respondent, live_server.url, "ana@riverside.example", NINA)
    answer_from_mailbox(respondent, live_server.url, "ben@desert.example", OMAR)
    assert count(Response) == 2

    # The completion dashboard counts both submissions.
    staff.goto(f"/staff/rounds/{round_id}/dashboard")
    expect(staff.locator("ul.cards li").filter(has_text="Submitted").locator(".n")).to_have_text("2")
    expect(staff.get_by_text("2 of 4 invitations submitted")).to_be_visible()

    # Two boards of one region named different people: a conflict, which an admin resolves.
    admin = new_page()
    sign_in(admin, program["admin"])
    admin.goto(f"/staff/rounds/{round_id}/designations")
    region = admin.locator(f"#region-{IE}")
    expect(region.locator(".status-conflict")).to_have_text("Conflict")
    expect(region).to_contain_text("Nina North")
    expect(region).to_contain_text("Omar Ortiz")
    region.locator("summary").click()
    region.get_by_label("Name", exact=True).fill(NINA["name"])
    region.get_by_label("Email address").fill(NINA["email"])
    region.get_by_label("Organization", exact=True).fill(NINA["organization"])
    region.get_by_label("Reason").fill("Both boards agreed on a call that Nina leads.")
    region.get_by_role("button", name=re.compile("^Designate for")).click()
    region = admin.locator(f"#region-{IE}")
    expect(region.locator(".status-designated")).to_have_text("Designated")
    expect(region).to_contain_text("Counterpart: Nina North")
    expect(region).to_contain_text("set by an admin")
    db.session.rollback()
    designation = db.session.get(Designation, (round_id, IE))
    assert designation.status == "designated"
    assert db.session.scalar(select(func.count()).select_from(EventRecord).where(
        EventRecord.type == "DesignationOverridden")) == 1

    # The baseline table downloads as CSV and as XLSX.
    staff.goto(f"/staff/rounds/{round_id}/baseline")
    with staff.expect_download() as csv_download:
        staff.get_by_role("link", name="Download CSV").click()
    csv_path = tmp_path / csv_download.value.suggested_filename
    csv_download.value.save_as(csv_path)
    assert csv_path.name == f"round-{round_id}-baseline.csv"
    by_region = {row["Region code"]: row for row in csv.DictReader(io.StringIO(csv_path.read_text("utf-8-sig")))}
    assert by_region[IE]["Region"] == "Inland Empire/Desert"
    assert (by_region[IE]["Invited"], by_region[IE]["Responded"], by_region[IE]["Designation"]) == ("3", "2", "designated")

    with staff.expect_download() as xlsx_download:
        staff.get_by_role("link", name="Download XLSX").click()
    xlsx_path = tmp_path / xlsx_download.value.suggested_filename
    xlsx_download.value.save_as(xlsx_path)
    assert xlsx_path.name == f"round-{round_id}-baseline.xlsx"
    workbook = openpyxl.load_workbook(xlsx_path, read_only=True)
    try:
        header, *rows = workbook.worksheets[0].iter_rows(values_only=True)
    finally:
        workbook.close()
    sheet_by_region = {row[0]: dict(zip(header, row)) for row in rows}
    ie = sheet_by_region[IE]
    assert (ie["Region"], ie["Invited"], ie["Responded"], ie["Designation"]) == ("Inland Empire/Desert", 3, 2, "designated")
