"""Responses one by one (issue 13): a response's answers in words and its edit history from the event log, the list's
filters, search and keyset pages, every answer to a text question, and the raw CSV and XLSX exports of a round that
asks every question type, read back with the csv module and openpyxl."""
from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select

from tests import builders
from tests.web import signed_in  # noqa: F401  (fixture)
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import Contact, Invitation, Response
from wfsurvey.queries import exports
from wfsurvey.queries.exports import RawExport, RawOptions
from wfsurvey.queries.responses import BadCursor, ResponseFilters, list_responses, response_detail
from wfsurvey.services import handle

UTC = dt.timezone.utc
IE, LA = "inland-empire-desert", "los-angeles"
FIRST = dt.datetime(2026, 10, 7, 17, 0, tzinfo=UTC)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")

EVERY_TYPE = {
    "slug": "every",
    "title": "Every question type",
    "questions": [
        {"key": "stage", "type": "single_choice", "label": "Stage of the partnership", "required": True,
         "options": [{"value": "talks", "label": "In talks"}, {"value": "active", "label": "Active"}]},
        {"key": "occupations", "type": "multi_choice", "label": "Occupations in demand",
         "options": [{"value": "cnc", "label": "CNC machinist"}, {"value": "welder", "label": "Welder"},
                     {"value": "mechatronics", "label": "Mechatronics technician"}]},
        {"key": "colleges", "type": "scale", "label": "Collaboration with colleges", "min_label": "Not at all",
         "max_label": "Fully"},
        {"key": "targets_am", "type": "yes_no", "label": "Targets Advanced Manufacturing?", "required": True},
        {"key": "initiatives", "type": "long_text", "label": "Regional initiatives",
         "show_if": {"question": "targets_am", "equals": "yes"}},
        {"key": "slots", "type": "number", "label": "Earn-and-learn slots", "min": 0},
        {"key": "website", "type": "text", "label": "Website"},
        {"key": "navigator", "type": "contact", "label": "Navigator counterpart", "show_if": {"org_type": ["lwib"]}},
    ],
}


def invitation_of(round_id: int, email: str) -> Invitation:
    return db.session.scalar(select(Invitation).join(Contact, Contact.id == Invitation.contact_id)
                             .where(Invitation.round_id == round_id, Contact.email == email))


def answer(round_id: int, email: str, form: dict, *, now: dt.datetime = FIRST, submit: bool = True) -> int:
    invitation = invitation_of(round_id, email)
    return handle(cmd.SaveAnswers(invitation.id, {k: v if isinstance(v, list) else [str(v)] for k, v in form.items()},
                                  submit), actor=f"token:{invitation.id}", now=now).response_id


BOARD = f"lwib1.{IE}@example.org"
COLLEGE = f"college1.{LA}@example.org"
BOARD_FORM = {"stage": "active", "occupations": ["cnc", "mechatronics"], "colleges": "5", "targets_am": "yes",
              "initiatives": "=HYPERLINK(\"http://x\") Apprenticeships with Chaffey College", "slots": "12",
              "website": "https://board.example", "navigator.name": "Nina North",
              "navigator.email": "nina@riverside.example", "navigator.organization": "Riverside Board"}
COLLEGE_FORM = {"stage": "talks", "colleges": "2", "targets_am": "no", "slots": "2.5", "website": "-college site"}


@pytest.fixture
def every_round(app):
    """Two regions of two boards and two colleges; a round asking every type; a board and a college submitted, a
    second board saved a draft."""
    builders.stakeholders()
    builders.template(EVERY_TYPE)
    round_ = builders.launched_round(template="every")
    answer(round_.id, BOARD, BOARD_FORM)
    answer(round_.id, COLLEGE, COLLEGE_FORM, now=FIRST + dt.timedelta(hours=1))
    answer(round_.id, f"lwib2.{IE}@example.org", {"stage": "talks", "targets_am": "no"}, now=FIRST + dt.timedelta(hours=2),
           submit=False)
    return round_


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


# --- one response, its history ---------------------------------------------------------------

def test_a_response_edited_twice_shows_both_edits_with_old_and_new_values(every_round):
    response_id = answer(every_round.id, BOARD, {**BOARD_FORM, "colleges": "3"}, now=FIRST + dt.timedelta(days=1))
    answer(every_round.id, BOARD, {**BOARD_FORM, "colleges": "3", "targets_am": "no", "website": ""},
           now=FIRST + dt.timedelta(days=2))
    detail = response_detail(db.session, every_round.id, response_id)
    history = detail["history"]
    assert [h["event"] for h in history] == ["ResponseSubmitted", "ResponseAmended", "ResponseAmended"]
    assert history[1]["changes"] == {"colleges": [5, 3]}
    # Answering "no" hides the initiatives question: its answer goes, as the respondent's form drops it.
    assert history[2]["changes"] == {"targets_am": ["yes", "no"], "initiatives": [BOARD_FORM["initiatives"], None],
                                     "website": ["https://board.example", None]}
    assert [(c["label"], c["old"], c["new"]) for c in history[1]["changed"]] == [
        ("Collaboration with colleges", "Fully (5 of 5)", "3 of 5")]
    assert history[2]["at"] == "2026-10-09T10:00:00-07:00"
    assert {h["actor"] for h in history} == {"Person inland-empire-desert lwib 1's link (Inland Empire Desert lwib 1)"}
    # The first submission lists every answer as new (a draft's answers are not in the log).
    assert history[0]["changes"]["stage"] == [None, "active"]
    rows = {q["key"]: q for q in detail["questions"]}
    assert rows["initiatives"]["state"] == "not_asked" and detail["not_asked"] == ["initiatives"]
    assert rows["colleges"]["words"] == "3 of 5" and rows["website"]["state"] == "unanswered"
    assert rows["navigator"]["words"] == "Nina North <nina@riverside.example>, Riverside Board"


def test_a_draft_then_a_submission_read_in_history(every_round):
    draft = invitation_of(every_round.id, f"lwib2.{IE}@example.org")
    response_id = answer(every_round.id, f"lwib2.{IE}@example.org", {"stage": "talks", "targets_am": "no"},
                         now=FIRST + dt.timedelta(days=1))
    history = response_detail(db.session, every_round.id, response_id)["history"]
    assert [(h["action"], h["actor_ref"]) for h in history] == [
        ("Saved a draft", f"token:{draft.id}"), ("Submitted", f"token:{draft.id}")]
    assert history[0]["changes"] == {} and history[1]["changes"]["targets_am"] == [None, "no"]


# --- the list -----------------------------------------------------------------------------------

def test_list_filters_searches_and_pages_by_key(every_round):
    listed = list_responses(db.session, every_round.id)
    assert [i["contact"]["email"] for i in listed.items] == [COLLEGE, BOARD]  # last edited first
    assert listed.total == 2 and listed.next_after is None
    assert [i["contact"]["email"] for i in list_responses(db.session, every_round.id,
                                                          ResponseFilters(oldest_first=True)).items] == [BOARD, COLLEGE]
    drafts = list_responses(db.session, every_round.id, ResponseFilters(status="draft"))
    assert [i["status"] for i in drafts.items] == ["draft"] and drafts.total == 1
    everything = list_responses(db.session, every_round.id, ResponseFilters(status="all"))
    assert [i["status"] for i in everything.items] == ["draft", "submitted", "submitted"] and everything.total == 3
    assert list_responses(db.session, every_round.id, ResponseFilters(region=LA)).total == 1
    assert [i["contact"]["email"] for i in list_responses(db.session, every_round.id, ResponseFilters(org_type="lwib")).items] == [BOARD]
    # Search reads free-text answers only, whatever the case; % and _ are plain characters.
    found = list_responses(db.session, every_round.id, ResponseFilters(q="chaffey"))
    assert [i["contact"]["email"] for i in found.items] == [BOARD] and found.total == 1
    assert found.items[0]["match"]["question"] == "initiatives"
    assert list_responses(db.session, every_round.id, ResponseFilters(q="active")).total == 0  # a choice, not free text
    assert list_responses(db.session, every_round.id, ResponseFilters(q="100%")).total == 0
    # Pages of one follow each other by key, to the end.
    first = list_responses(db.session, every_round.id, ResponseFilters(status="all"), limit=1)
    second = list_responses(db.session, every_round.id, ResponseFilters(status="all"), after=first.next_after, limit=1)
    third = list_responses(db.session, every_round.id, ResponseFilters(status="all"), after=second.next_after, limit=1)
    assert [p.items[0]["status"] for p in (first, second, third)] == ["draft", "submitted", "submitted"]
    assert third.next_after is None and first.total == 3
    with pytest.raises(BadCursor):
        list_responses(db.session, every_round.id, after="nonsense")


def test_every_answer_to_one_text_question(every_round):
    listed = list_responses(db.session, every_round.id, ResponseFilters(question="website"))
    assert sorted(i["answers"]["website"] for i in listed.items) == ["-college site", "https://board.example"]
    assert list_responses(db.session, every_round.id, ResponseFilters(question="website", q="college")).total == 1
    # The initiatives question was answered once: the college was never asked it.
    assert list_responses(db.session, every_round.id, ResponseFilters(question="initiatives")).total == 1


# --- the raw exports ----------------------------------------------------------------------------

def test_csv_parses_back_to_the_answers_with_option_columns_and_labels(every_round):
    rows = read_csv(b"".join(exports.responses_csv(RawExport(db.session, every_round.id))))
    header, *body = rows
    assert header[:9] == ["Response ID", "Organization", "Organization type", "Region", "Contact name", "Contact email",
                          "Status", "Submitted at (America/Los_Angeles)", "Last edited at (America/Los_Angeles)"]
    assert header[9:] == [
        "Stage of the partnership", "Occupations in demand: CNC machinist", "Occupations in demand: Welder",
        "Occupations in demand: Mechatronics technician", "Collaboration with colleges", "Targets Advanced Manufacturing?",
        "Regional initiatives", "Earn-and-learn slots", "Website", "Navigator counterpart: Name",
        "Navigator counterpart: Email address", "Navigator counterpart: Organization"]
    assert len(body) == 2  # submitted only: the draft is left out
    board, college = (dict(zip(header, row)) for row in body)
    assert board["Organization"] == "Inland Empire Desert lwib 1" and board["Organization type"] == "Local workforce board"
    assert board["Region"] == "Inland Empire Desert" and board["Status"] == "Submitted"
    assert board["Submitted at (America/Los_Angeles)"] == "2026-10-07 10:00"
    assert board["Stage of the partnership"] == "Active" and board["Targets Advanced Manufacturing?"] == "Yes"
    assert [board[f"Occupations in demand: {o}"] for o in ("CNC machinist", "Welder", "Mechatronics technician")] == ["1", "", "1"]
    assert board["Collaboration with colleges"] == "5" and board["Earn-and-learn slots"] == "12"
    assert board["Regional initiatives"] == "'" + BOARD_FORM["initiatives"]  # a formula, neutralized
    assert board["Navigator counterpart: Email address"] == "nina@riverside.example"
    assert college["Website"] == "'-college site" and college["Earn-and-learn slots"] == "2.5"
    assert college["Regional initiatives"] == "" and college["Navigator counterpart: Name"] == ""  # not asked
    for cell in (c for row in rows for c in row):
        if cell.startswith(FORMULA_STARTS):
            float(cell)  # only numbers may start with a sign
    assert len({len(r) for r in rows}) == 1


def test_csv_with_keys_codes_and_drafts(every_round):
    options = RawOptions(include_drafts=True, keys=True, codes=True)
    header, *body = read_csv(b"".join(exports.responses_csv(RawExport(db.session, every_round.id, options))))
    assert header[:9] == ["response_id", "organization", "org_type", "region", "contact_name", "contact_email", "status",
                          "submitted_at", "updated_at"]
    assert "occupations.cnc" in header and "navigator.email" in header and "stage" in header
    rows = [dict(zip(header, row)) for row in body]
    assert [r["status"] for r in rows] == ["submitted", "submitted", "draft"]
    board = rows[0]
    assert (board["stage"], board["targets_am"], board["org_type"], board["region"]) == ("active", "yes", "lwib", IE)
    assert rows[2]["submitted_at"] == "" and rows[2]["stage"] == "talks"


def test_xlsx_reads_back_with_typed_cells_a_frozen_header_and_widths(every_round):
    created = dt.datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    data = b"".join(exports.responses_xlsx(RawExport(db.session, every_round.id, RawOptions(include_drafts=True)), created))
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Responses"]
    sheet = workbook["Responses"]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 12 and sheet.column_dimensions["B"].width == 24
    header = [c.value for c in sheet[1]]
    assert all(c.font.b for c in sheet[1])
    rows = [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)]
    board = rows[0]
    assert board["Submitted at (America/Los_Angeles)"] == dt.datetime(2026, 10, 7, 10, 0)
    assert sheet.cell(row=2, column=8).number_format == "yyyy-mm-dd hh:mm"
    assert board["Collaboration with colleges"] == 5 and board["Occupations in demand: CNC machinist"] == 1
    assert board["Occupations in demand: Welder"] is None and board["Response ID"] == db.session.scalar(
        select(Response.id).where(Response.status == "submitted").order_by(Response.id))
    assert board["Regional initiatives"] == "'" + BOARD_FORM["initiatives"]
    assert rows[1]["Earn-and-learn slots"] == 2.5 and rows[2]["Status"] == "Draft"
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert workbook.properties.title == every_round.title and workbook.properties.creator == "wfsurvey"


# --- the staff pages ----------------------------------------------------------------------------

def test_staff_read_the_list_a_response_and_a_question_s_answers(every_round, signed_in):
    client, _ = signed_in("staff")
    board = invitation_of(every_round.id, BOARD)
    response_id = db.session.scalar(select(Response.id).where(Response.invitation_id == board.id))
    page = client.get(f"/staff/rounds/{every_round.id}/responses")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "2 submitted responses" in text and "Inland Empire Desert lwib 1" in text
    assert "Inland Empire Desert lwib 2" not in text  # a draft, not listed unless asked
    assert f"/staff/rounds/{every_round.id}/responses/{response_id}" in text
    assert "Inland Empire Desert lwib 2" in client.get(f"/staff/rounds/{every_round.id}/responses?status=all").get_data(as_text=True)
    searched = client.get(f"/staff/rounds/{every_round.id}/responses?q=CHAFFEY").get_data(as_text=True)
    assert "1 submitted response matching the filters" in searched and "<mark>Chaffey</mark>" in searched

    detail = client.get(f"/staff/rounds/{every_round.id}/responses/{response_id}").get_data(as_text=True)
    assert "Fully (5 of 5)" in detail and "CNC machinist; Mechatronics technician" in detail
    assert "Submitted" in detail and "Oct 7, 2026, 10:00 AM PDT" in detail
    assert "Person inland-empire-desert lwib 1&#39;s link" in detail
    college = db.session.scalar(select(Response.id).where(Response.invitation_id == invitation_of(every_round.id, COLLEGE).id))
    assert "Not asked: the skip logic hid this question" in client.get(
        f"/staff/rounds/{every_round.id}/responses/{college}").get_data(as_text=True)

    answers = client.get(f"/staff/rounds/{every_round.id}/questions/website/answers").get_data(as_text=True)
    assert "2 answers" in answers and "https://board.example" in answers and "-college site" in answers
    assert client.get(f"/staff/rounds/{every_round.id}/questions/stage/answers").status_code == 404  # not free text
    assert client.get(f"/staff/rounds/{every_round.id}/questions/nope/answers").status_code == 404
    assert client.get(f"/staff/rounds/{every_round.id}/responses/{response_id + 100}").status_code == 404
    assert client.get(f"/staff/rounds/{every_round.id}/responses?after=bogus").status_code == 400


def test_staff_download_both_exports_streamed(every_round, signed_in):
    client, _ = signed_in("staff")
    csv_response = client.get(f"/staff/rounds/{every_round.id}/responses.csv?include=drafts&headers=keys&values=codes")
    assert csv_response.status_code == 200 and csv_response.is_streamed
    assert csv_response.headers["Content-Disposition"] == f'attachment; filename="round-{every_round.id}-responses.csv"'
    assert csv_response.headers["Cache-Control"] == "no-store"
    header, *body = read_csv(csv_response.get_data())
    assert header[0] == "response_id" and len(body) == 3
    one = client.get(f"/staff/rounds/{every_round.id}/responses.csv?question=website")
    header, *body = read_csv(one.get_data())
    assert header[-1] == "Website" and len(header) == 10 and len(body) == 2
    assert "answers-website" in one.headers["Content-Disposition"]
    workbook = client.get(f"/staff/rounds/{every_round.id}/responses.xlsx")
    assert workbook.status_code == 200 and workbook.mimetype == exports.XLSX_MEDIA_TYPE
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.get_data()))["Responses"]
    assert sheet.max_row == 3
    assert client.get(f"/staff/rounds/{every_round.id}/responses.csv?question=nope").status_code == 404
    assert client.get("/staff/rounds/999/responses.csv").status_code == 404


# --- the API ------------------------------------------------------------------------------------

@pytest.fixture
def api(app, every_round):
    handle(cmd.CreateUser(email="script@example.org", password="correct-horse-battery-staple-42", role="staff"),
           actor="test", now=FIRST)
    token = handle(cmd.CreateApiToken(user_email="script@example.org", name="nightly"), actor="test", now=FIRST)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    return lambda url: client.get(f"/api/v1/rounds/{every_round.id}{url}", headers=headers)


def test_api_lists_responses_page_by_page_and_reads_one_with_its_history(api, every_round):
    board = invitation_of(every_round.id, BOARD)
    answer(every_round.id, BOARD, {**BOARD_FORM, "colleges": "4"}, now=FIRST + dt.timedelta(days=1))
    first = api("/responses?limit=1&status=all").get_json()
    assert first["total"] == 3 and len(first["items"]) == 1
    item = first["items"][0]
    assert set(item) == {"id", "status", "organization", "contact", "submitted_at", "updated_at", "answers", "not_asked"}
    assert item["organization"] == {"id": board.organization_id, "slug": "inland-empire-desert-lwib-1",
                                    "name": "Inland Empire Desert lwib 1", "type": "lwib", "region": IE, "regions": [IE]}
    assert item["contact"] == {"name": "Person inland-empire-desert lwib 1", "email": BOARD}
    assert item["answers"]["occupations"] == ["cnc", "mechatronics"] and item["not_asked"] == []
    assert item["updated_at"] == "2026-10-08T10:00:00-07:00"
    seen = [item["id"]]
    following = first["next"]
    while following:
        page = api(following.split(f"/rounds/{every_round.id}", 1)[1]).get_json()
        seen += [i["id"] for i in page["items"]]
        following = page["next"]
    assert len(seen) == len(set(seen)) == 3
    college = api("/responses?region=los-angeles").get_json()["items"]
    assert [i["not_asked"] for i in college] == [["initiatives", "navigator"]]
    assert api("/responses?q=chaffey").get_json()["total"] == 1
    assert api("/responses?org_type=college&status=draft").get_json() == {"items": [], "total": 0, "limit": 50, "next": None}

    detail = api(f"/responses/{item['id']}").get_json()
    assert [h["event"] for h in detail["history"]] == ["ResponseSubmitted", "ResponseAmended"]
    assert detail["history"][1]["changes"] == {"colleges": [5, 4]}
    assert detail["history"][1]["actor"] == "Person inland-empire-desert lwib 1's link (Inland Empire Desert lwib 1)"
    assert detail["history"][1]["actor_ref"] == f"token:{board.id}"


def test_api_refuses_what_it_cannot_read(api):
    assert api("/responses?after=12").status_code == 422
    assert api("/responses?status=everything").status_code == 422
    assert api("/responses/999999").status_code == 404
    assert api("/responses.csv?question=nope").status_code == 404


def test_api_exports_both_files(api):
    data = api("/responses.csv?headers=keys&values=codes").get_data()
    header, *body = read_csv(data)
    assert header[:2] == ["response_id", "organization"] and [dict(zip(header, r))["stage"] for r in body] == ["active", "talks"]
    workbook = openpyxl.load_workbook(io.BytesIO(api("/responses.xlsx?include=drafts").get_data()))
    assert workbook["Responses"].max_row == 4


def test_openapi_documents_the_response_routes(app):
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    listed = paths["/api/v1/rounds/{round_id}/responses"]["get"]
    assert {p["name"] for p in listed["parameters"] if p["in"] == "query"} >= {"status", "region", "org_type", "q", "after", "limit"}
    assert "/api/v1/rounds/{round_id}/responses/{response_id}" in paths
    assert "text/csv" in paths["/api/v1/rounds/{round_id}/responses.csv"]["get"]["responses"]["200"]["content"]


def test_responses_are_linked_from_the_invitations_the_dashboard_and_the_nominations(every_round, signed_in):
    client, _ = signed_in("staff")
    board = db.session.scalar(select(Response).where(Response.invitation_id == invitation_of(every_round.id, BOARD).id))
    draft = db.session.scalar(select(Response).where(Response.status == "draft"))
    link = f"/staff/rounds/{every_round.id}/responses/{board.id}"
    invitations = client.get(f"/staff/rounds/{every_round.id}/invitations").get_data(as_text=True)
    assert f'href="{link}"' in invitations and "Read the response" in invitations
    assert f'href="/staff/rounds/{every_round.id}/responses/{draft.id}"' in invitations and "Read the draft" in invitations
    dashboard = client.get(f"/staff/rounds/{every_round.id}/dashboard").get_data(as_text=True)
    assert "Read the 2 responses" in dashboard
    designations = client.get(f"/staff/rounds/{every_round.id}/designations").get_data(as_text=True)
    assert f'<a href="{link}#answers">Inland Empire Desert lwib 1</a>' in designations


def test_a_forwarded_colleague_s_answers_are_theirs_in_the_history(every_round, signed_in):
    first = invitation_of(every_round.id, f"lwib2.{LA}@example.org")
    handle(cmd.ForwardInvitation(first.id, name="Grace Ramirez", email="grace@la-board.example.org"),
           actor=f"token:{first.id}", now=FIRST)
    colleague = invitation_of(every_round.id, "grace@la-board.example.org")
    response_id = answer(every_round.id, "grace@la-board.example.org", {"stage": "talks", "targets_am": "no"},
                         now=FIRST + dt.timedelta(hours=3))
    detail = response_detail(db.session, every_round.id, response_id)
    assert detail["forwarded_by"] == {"name": "Person los-angeles lwib 2", "email": f"lwib2.{LA}@example.org"}
    assert [(h["actor"], h["actor_ref"]) for h in detail["history"]] == [
        ("Grace Ramirez's link (Los Angeles lwib 2)", f"token:{colleague.id}")]
    client, _ = signed_in("staff")
    page = client.get(f"/staff/rounds/{every_round.id}/responses/{response_id}").get_data(as_text=True)
    assert "Forwarded to Grace Ramirez by Person los-angeles lwib 2" in page


def test_a_workbook_that_could_pass_2_gb_of_xml_is_written_as_zip64_and_still_reads(every_round, monkeypatch):
    from wfsurvey.queries import xlsx

    chosen = []
    real = xlsx.stream_workbook

    def spy(*args, **kwargs):
        chosen.append(kwargs["large"])
        return real(*args, **kwargs)

    monkeypatch.setattr(xlsx, "stream_workbook", spy)
    created = dt.datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    b"".join(exports.responses_xlsx(RawExport(db.session, every_round.id), created))
    monkeypatch.setattr(RawExport, "count", lambda self: 100_000)  # two text questions of up to 11,000 characters
    data = b"".join(exports.responses_xlsx(RawExport(db.session, every_round.id), created))
    assert chosen == [False, True]
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Responses"]
    assert sheet.max_row == 3 and sheet["B2"].value == "Inland Empire Desert lwib 1"
