"""Issue 14, item 3: NUL, other control characters and bidirectional overrides are refused the same way by the staff
pages and the API (naming the row and column, or the JSON path), on SQLite and PostgreSQL alike, and dropped from
what respondents type; a CSV with old Mac line endings gets a message people understand."""
from __future__ import annotations

import datetime as dt
import html
import io
import json
import re

import pytest
from sqlalchemy import func, select

from tests import builders
from tests.web import post_form, signed_in  # noqa: F401  (signed_in is a fixture)
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.tokens import hash_token, new_token
from wfsurvey.extensions import db
from wfsurvey.models import AccessToken, Contact, Invitation, Organization, Region, Response, Template
from wfsurvey.services import handle

pytestmark = pytest.mark.hostile

UTC = dt.timezone.utc
LAUNCH = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
IE = "inland-empire-desert"
HEADER = "organization,org_type,region,name,email,title\n"
GOOD_ROW = f"Riverside Board,lwib,{IE},Ana Ruiz,ana@example.org,Director\n"
#: What each refused character is called in the message, and a row that carries it in the given column.
HOSTILE_CELLS = [
    ("\x00", "name", "text must not contain NUL characters"),
    ("\x07", "title", "text must not contain the control character U+0007"),
    ("\u202e", "organization", "text must not contain the invisible direction control U+202E"),
    ("\u2066", "email", "text must not contain the invisible direction control U+2066"),
]


def hostile_csv(char: str, column: str) -> str:
    cells = {"organization": "Desert College", "org_type": "college", "region": IE, "name": "Cy Oh",
             "email": "cy@example.org", "title": "Dean"}
    cells[column] = cells[column][:3] + char + cells[column][3:]
    return HEADER + GOOD_ROW + ",".join(cells.values()) + "\n"


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def api(client, token: str, method: str, path: str, **kwargs):
    return client.open(f"/api/v1{path}", method=method, headers={"Authorization": f"Bearer {token}"}, **kwargs)


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def region(app):
    db.session.add(Region(scheme="cc-macro", code=IE, name="Inland Empire/Desert", created_at=LAUNCH))
    db.session.commit()


@pytest.fixture
def token(app):
    app.config["FIXED_NOW"] = LAUNCH
    handle(cmd.CreateUser(email="script@example.org", password="correct-horse-battery-staple-42", role="staff"),
           actor="test", now=LAUNCH)
    return handle(cmd.CreateApiToken(user_email="script@example.org", name="script"), actor="test", now=LAUNCH)


@pytest.fixture
def staff(signed_in):
    client, _ = signed_in("staff")
    return client


# --- the contacts CSV -----------------------------------------------------------------------------

@pytest.mark.parametrize(("char", "column", "message"), HOSTILE_CELLS)
def test_a_control_character_in_a_csv_cell_is_refused_naming_row_and_column_on_the_page_and_the_api(
        client, staff, token, region, char, column, message):
    csv_text = hostile_csv(char, column)

    answer = api(client, token, "POST", "/contacts/import", data=csv_text.encode(), content_type="text/csv")
    assert answer.status_code == 422, answer.get_data(as_text=True)
    error = answer.get_json()["error"]
    assert error["code"] == "invalid" and "nothing was imported" in error["message"]
    assert error["fields"]["rows"] == [{"row": 3, "column": column, "message": message}]

    upload = post_form(staff, "/staff/contacts/import",
                       {"csv_file": (io.BytesIO(csv_text.encode()), "contacts.csv"), "action": "import"},
                       token_from="/staff/contacts/import", content_type="multipart/form-data")
    assert upload.status_code == 200
    page = page_text(upload)
    assert re.search(rf"<tr><td>3</td><td>{column}</td><td>{re.escape(message)}</td></tr>", page), page
    assert count(Contact) == 0 and count(Organization) == 0


def test_tabs_and_line_breaks_inside_a_csv_cell_are_whitespace_as_before(client, token, region):
    csv_text = HEADER + f'"Riverside\tBoard",lwib,{IE},"Ana\r\nRuiz",ana@example.org,Director\n'
    answer = api(client, token, "POST", "/contacts/import", data=csv_text.encode(), content_type="text/csv")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert db.session.scalar(select(Contact.name)) == "Ana Ruiz"
    assert db.session.scalar(select(Organization.name)) == "Riverside Board"


def test_a_csv_with_old_mac_line_endings_gets_a_plain_message(client, staff, token, region):
    csv_text = (HEADER + GOOD_ROW).replace("\n", "\r")
    answer = api(client, token, "POST", "/contacts/import", data=csv_text.encode(), content_type="text/csv")
    assert answer.status_code == 422
    [problem] = answer.get_json()["error"]["fields"]["rows"]
    assert problem["row"] == 1 and "old Mac line endings" in problem["message"]
    assert "universal-newline" not in answer.get_data(as_text=True) and "newline=" not in answer.get_data(as_text=True)

    page = page_text(post_form(staff, "/staff/contacts/import", {"csv_text": csv_text, "action": "preview"},
                               token_from="/staff/contacts/import"))
    assert "old Mac line endings" in page and "universal-newline" not in page
    assert count(Contact) == 0


def test_the_regions_file_refuses_control_characters_too(runner, tmp_path):
    path = tmp_path / "regions.csv"
    path.write_text("code,name\nbay-area,Bay\x00Area\n", encoding="utf-8")
    result = runner.invoke(args=["regions", "import", str(path)])
    assert result.exit_code == 1
    assert "row 2, name: text must not contain NUL characters" in result.output
    assert count(Region) == 0


# --- template uploads -----------------------------------------------------------------------------

@pytest.mark.parametrize(("char", "message"), [("\x00", "text must not contain NUL characters"),
                                               ("\u202d", "text must not contain the invisible direction control U+202D")])
def test_a_control_character_in_a_template_is_refused_naming_where_on_the_page_and_the_api(
        client, staff, token, char, message):
    definition = json.loads(json.dumps(builders.TEMPLATE))
    definition["questions"][2]["label"] = f"Collaboration{char} with colleges"

    answer = api(client, token, "POST", "/templates", json=definition)
    assert answer.status_code == 422
    assert answer.get_json()["error"]["fields"] == {"questions.2.label": [message]}

    upload = post_form(staff, "/staff/templates/upload", {"json_text": json.dumps(definition)},
                       token_from="/staff/templates/upload")
    assert upload.status_code == 200
    assert f"Question 3, “Collaboration with colleges”: {message[0].upper()}{message[1:]}." in page_text(upload)
    assert count(Template) == 0


def test_a_control_character_in_a_skip_rule_or_a_key_is_refused_too(staff):
    definition = json.loads(json.dumps(builders.TEMPLATE))
    definition["questions"][1]["show_if"]["equals"] = "yes\x00"
    page = page_text(post_form(staff, "/staff/templates/upload", {"json_text": json.dumps(definition)},
                               token_from="/staff/templates/upload"))
    assert "Question 2, “Regional initiatives”: Text must not contain NUL characters." in page
    definition = json.loads(json.dumps(builders.TEMPLATE))
    definition["questions"][0]["x\x00"] = 1
    page = page_text(post_form(staff, "/staff/templates/upload", {"json_text": json.dumps(definition)},
                               token_from="/staff/templates/upload"))
    assert "Question 1, “Does the board target Advanced…”: A key: text must not contain NUL characters." in page
    assert count(Template) == 0


# --- the API's other inputs -------------------------------------------------------------------------

def test_the_api_refuses_control_characters_in_bodies_and_query_strings_as_invalid(client, token):
    refused = api(client, token, "POST", "/regions", json={"name": "Bell\u0007Region"})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == {"name": ["text must not contain the control character U+0007"]}
    assert api(client, token, "POST", "/regions", json={"name": "Left\u202eRight"}).status_code == 422
    assert count(Region) == 0

    query = api(client, token, "GET", "/contacts?q=a%00b")
    assert query.status_code == 422 and query.get_json()["error"]["fields"] == {"q": ["text must not contain NUL characters"]}
    path = api(client, token, "GET", "/templates/collab%00")
    assert path.status_code == 404 and path.get_json()["error"]["code"] == "not_found"


# --- respondents ------------------------------------------------------------------------------------

@pytest.fixture
def link(app):
    builders.stakeholders()
    builders.template()
    round_ = builders.launched_round(now=LAUNCH)
    app.config["FIXED_NOW"] = LAUNCH + dt.timedelta(days=1)
    invitation = db.session.scalar(select(Invitation).join(Contact).where(
        Invitation.round_id == round_.id, Contact.email == f"lwib1.{IE}@example.org"))
    token = new_token()
    db.session.add(AccessToken(invitation_id=invitation.id, token_hash=hash_token(token), purpose="invitation",
                               created_at=LAUNCH, revoked_at=None))
    db.session.commit()
    return f"/r/{token}", invitation.id


def hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def test_respondents_answers_are_stored_without_control_characters_and_long_text_keeps_its_lines(client, link):
    url, invitation_id = link
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data={
        "csrf_token": hidden(page, "csrf_token"), "revision": hidden(page, "revision"), "action": "save",
        "targets_am": "yes", "colleges": "3",
        "initiatives": "Line one\r\n\tindented\x00 and \u202eevil\x0b",
        "navigator.name": "Nia\x00 Nav\u2067igator", "navigator.email": "nia@example.org",
        "navigator.organization": "Desert\tCollege\x07",
    })
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    answers = db.session.scalar(select(Response.answers).where(Response.invitation_id == invitation_id))
    assert answers["initiatives"] == "Line one\r\n\tindented and evil"
    assert answers["navigator"] == {"name": "Nia Navigator", "email": "nia@example.org", "organization": "Desert College"}


def test_a_forwarded_colleague_is_stored_without_control_characters(client, link):
    url, invitation_id = link
    page = client.get(f"{url}/forward").get_data(as_text=True)
    response = client.post(f"{url}/forward", data={"csrf_token": hidden(page, "csrf_token"), "name": "Fay\x00 Forward\u202e",
                                                   "email": "fay@example.org", "title": "Deputy\x1f director"})
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    colleague = db.session.scalar(select(Contact).where(Contact.email == "fay@example.org"))
    assert (colleague.name, colleague.title) == ("Fay Forward", "Deputy director")


def test_a_staff_form_refuses_control_characters_naming_the_field(staff, region):
    response = post_form(staff, "/staff/organizations/new",
                         {"name": "Desert\u202e College", "org_type": "college", "regions": IE})
    assert response.status_code == 400
    assert "The field “name”: text must not contain the invisible direction control U+202E." in page_text(response)
    assert count(Organization) == 0
