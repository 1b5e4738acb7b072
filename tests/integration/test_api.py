"""The JSON API end to end: stakeholders, template, round, launch, status, baseline (JSON, CSV, XLSX), designations
and the event feed through /api/v1 only (respondents answer through their own service, as their pages do);
then tokens, roles and the error shapes."""
from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import re

import openpyxl
import pytest
from sqlalchemy import select

from tests import builders
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import AccessToken, ApiToken, Contact, EventRecord, Invitation, Region, User
from wfsurvey.services import handle

UTC = dt.timezone.utc
LAUNCH = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
ANSWER = dt.datetime(2026, 10, 7, 17, 0, tzinfo=UTC)
HOSTILE = '=HYPERLINK("http://x")'
IE, LA = "inland-empire-desert", "los-angeles"

CONTACTS_CSV = "\n".join([
    "organization,org_type,region,name,email,title",
    f"IE Board One,lwib,{IE},Ada Board,ada@ie.example.org,Director",
    f"IE Board Two,lwib,{IE},Ben Board,ben@ie.example.org,Director",
    f"IE College,college,{IE},Cy College,cy@ie.example.org,Dean",
    f"LA Board,lwib,{LA},Dee Board,dee@la.example.org,Director",
    f"LA College,college,{LA},Eve College,eve@la.example.org,Dean",
    f"Straddling Board,lwib,{IE};{LA},Fay Board,fay@both.example.org,Director",
]) + "\n"


def template_definition() -> dict:
    definition = copy.deepcopy(builders.TEMPLATE)
    occupations = next(q for q in definition["questions"] if q["key"] == "occupations")
    occupations["options"].append({"value": HOSTILE, "label": "Something else"})
    return definition


class Api:
    """The test client with a Bearer token."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, url, **kw):
        return self.client.get(f"/api/v1{url}", headers=self.headers, **kw)

    def post(self, url, json=None, **kw):
        return self.client.post(f"/api/v1{url}", headers=self.headers, json=json, **kw)


def token_for(role: str, email: str) -> str:
    handle(cmd.CreateUser(email=email, password="correct-horse-battery-staple-42", role=role), actor="test", now=LAUNCH)
    return handle(cmd.CreateApiToken(user_email=email, name=f"{role} script"), actor="test", now=LAUNCH)


@pytest.fixture
def staff(app, client):
    app.config["FIXED_NOW"] = LAUNCH
    return Api(client, token_for("staff", "staff@example.org"))


@pytest.fixture
def admin(app, client):
    return Api(client, token_for("admin", "admin@example.org"))


def answer(email: str, round_id: int, **values) -> None:
    invitation = db.session.scalar(select(Invitation).join(Contact, Contact.id == Invitation.contact_id)
                                   .where(Invitation.round_id == round_id, Contact.email == email))
    form = {"targets_am": ["no"], "colleges": ["3"]}
    form.update({k: v if isinstance(v, list) else [str(v)] for k, v in values.items()})
    handle(cmd.SaveAnswers(invitation.id, form, True), actor=f"token:{invitation.id}", now=ANSWER)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def test_whole_flow_through_the_api(app, staff, admin):
    # Regions of one or two answers are ranked here, to read the ranking's shape (the threshold has its own tests).
    app.config["MIN_RESPONSES_FOR_RANKING"] = 1
    # Stakeholders: two regions (one with a hostile name), then contacts from CSV, a dry run first.
    r = staff.post("/regions", {"code": IE, "name": "Inland Empire/Desert"})
    assert r.status_code == 201 and r.get_json()["code"] == IE
    assert staff.post("/regions", {"code": LA, "name": HOSTILE}).status_code == 201
    assert staff.post("/regions", {"code": IE, "name": "Inland Empire/Desert"}).status_code == 200  # already there
    assert [x["code"] for x in staff.get("/regions").get_json()["items"]] == [LA, IE]

    dry = staff.post("/contacts/import?dry_run=1", data=CONTACTS_CSV, content_type="text/csv")
    assert dry.status_code == 200 and dry.get_json()["created"] == 6 and dry.get_json()["dry_run"] is True
    assert staff.get("/contacts").get_json()["total"] == 0
    bad = CONTACTS_CSV + "Bad Org,boardish,nowhere,No Name,not-an-email,\n"
    error = assert_error(staff.post("/contacts/import", data=bad, content_type="text/csv"), 422, "invalid")
    assert {(e["row"], e["column"]) for e in error["fields"]["rows"]} >= {(8, "org_type"), (8, "email")}
    assert staff.get("/contacts").get_json()["total"] == 0  # nothing imported
    done = staff.post("/contacts/import", data=CONTACTS_CSV, content_type="text/csv")
    assert done.status_code == 200 and (done.get_json()["created"], done.get_json()["updated"]) == (6, 0)
    again = staff.post("/contacts/import", data=CONTACTS_CSV, content_type="text/csv").get_json()
    assert (again["created"], again["unchanged"]) == (0, 6)

    boards = staff.get(f"/organizations?type=lwib&region={IE}").get_json()
    assert [o["name"] for o in boards["items"]] == ["IE Board One", "IE Board Two", "Straddling Board"]
    page = staff.get("/contacts?per_page=2&page=2&q=board").get_json()
    assert (page["page"], page["per_page"], page["total"], len(page["items"])) == (2, 2, 4, 2)

    # Template and round.
    created = staff.post("/templates", template_definition())
    assert created.status_code == 201 and created.get_json()["slug"] == "collab" and created.get_json()["version"] == 1
    versions = staff.get("/templates/collab").get_json()["versions"]
    assert [v["version"] for v in versions] == [1] and versions[0]["in_use"] is False
    assert staff.get("/templates").get_json()["items"][0]["latest_version"] == 1

    r = staff.post("/rounds", builders.round_definition())
    assert r.status_code == 201, r.get_json()
    round_ = r.get_json()
    assert round_["state"] == "draft" and round_["opens_at"] == "2026-10-05T09:00:00-07:00"
    assert r.headers["Location"].endswith(f"/api/v1/rounds/{round_['id']}")
    rid = round_["id"]
    launched = staff.post(f"/rounds/{rid}/launch")
    assert launched.status_code == 200 and launched.get_json() == {"id": rid, "state": "open", "invitations": 6}
    assert staff.get("/rounds?state=open").get_json()["items"][0]["id"] == rid

    # Respondents answer (through their own pages' service): two IE boards name the same counterpart.
    nav = {"navigator.name": "Nia Navigator", "navigator.email": "nia@ie.example.org", "navigator.organization": "IE College"}
    answer("ada@ie.example.org", rid, targets_am="yes", initiatives="IE consortium", colleges=5,
           occupations=["cnc", HOSTILE], slots=3, **nav)
    answer("ben@ie.example.org", rid, targets_am="yes", initiatives="More", colleges=4, occupations=["welder"], **nav)
    answer("eve@la.example.org", rid, colleges=2, occupations=[HOSTILE])

    status = staff.get(f"/rounds/{rid}/status").get_json()
    assert status["totals"]["invited"] == 6 and status["totals"]["submitted"] == 3
    assert {r["region"]: r["submitted"] for r in status["by_region"]} == {IE: 2, LA: 1}
    assert [b["region"] for b in status["blocked_regions"]] == [LA]
    assert status["non_respondents_total"] == 3

    invitations = staff.get(f"/rounds/{rid}/invitations?per_page=10")
    listed = invitations.get_json()
    assert listed["total"] == 6 and {i["status"] for i in listed["items"]} == {"pending", "submitted"}
    assert listed["items"][0]["last_message"]["kind"] == "invitation"
    text = invitations.get_data(as_text=True)
    assert "/r/" not in text and not any(h in text for h in db.session.scalars(select(AccessToken.token_hash)))

    # Baseline as JSON, CSV and XLSX.
    table = staff.get(f"/rounds/{rid}/baseline").get_json()
    rows = {r["region"]: r for r in table["rows"]}
    assert rows[IE]["answers"]["colleges"]["mean"] == 4.5 and rows[IE]["designation"] == "designated"
    assert rows[IE]["answers"]["occupations"]["counts"][HOSTILE] == 1
    assert table["ranking"]["regions"][0]["region"] == IE and "0.5 × readiness" in table["ranking"]["formula"]

    response = staff.get(f"/rounds/{rid}/baseline.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    cells = [c for row in csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))) for c in row]
    assert "'" + HOSTILE in cells and HOSTILE not in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)

    response = staff.get(f"/rounds/{rid}/baseline.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Baseline", "Answers", "Pilot ranking"]
    values = [c for ws in workbook for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in values if c.data_type == "f"]
    texts = [c.value for c in values if isinstance(c.value, str)]
    assert texts.count("'" + HOSTILE) >= 2  # the region's name and the answer value
    assert not any(t.startswith(("=", "+", "@", "-")) for t in texts)
    baseline_sheet = workbook["Baseline"]
    header = [c.value for c in baseline_sheet[1]]
    ie_row = next(row for row in baseline_sheet.iter_rows(min_row=2, values_only=True) if row[0] == IE)
    assert ie_row[header.index("Invited")] == 4 and ie_row[header.index("colleges mean")] == 4.5  # numbers stay numbers

    # Designations: IE designated; staff may not override, an admin may.
    designations = {d["region"]: d for d in staff.get(f"/rounds/{rid}/designations").get_json()}
    assert designations[IE]["status"] == "designated" and designations[IE]["nominee"]["email"] == "nia@ie.example.org"
    assert designations[LA]["status"] == "unfilled"
    override = {"name": "Lou Navigator", "email": "lou@la.example.org", "organization": "LA College", "reason": "Board chair named Lou by phone"}
    assert_error(staff.post(f"/rounds/{rid}/designations/{LA}/override", override), 403, "forbidden")
    done = admin.post(f"/rounds/{rid}/designations/{LA}/override", override)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "designated" and done.get_json()["overridden"] is True
    assert done.get_json()["nominee"]["email"] == "lou@la.example.org"
    assert_error(admin.post(f"/rounds/{rid}/designations/nowhere/override", override), 404, "not_found")

    # Extend (a naive time is local to the round), close, and the moves a closed round refuses.
    extended = staff.post(f"/rounds/{rid}/extend", {"closes_at": "2026-11-20T17:00"})
    assert extended.status_code == 200 and extended.get_json()["closes_at"] == "2026-11-20T17:00:00-08:00"
    assert_error(staff.post(f"/rounds/{rid}/extend", {"closes_at": "2026-11-01T17:00"}), 422, "invalid")
    closed = staff.post(f"/rounds/{rid}/close")
    assert closed.status_code == 200 and closed.get_json()["state"] == "closed"
    assert_error(staff.post(f"/rounds/{rid}/launch"), 409, "conflict")
    assert_error(staff.post(f"/rounds/{rid}/cancel", {"reason": "too late"}), 409, "conflict")

    # The event feed, read on from next_after, ends with the close; every command is the token's.
    feed, after = [], 0
    while True:
        page = staff.get(f"/events?after={after}&limit=7").get_json()
        if not page["events"]:
            break
        feed += page["events"]
        after = page["next_after"]
    assert [e["seq"] for e in feed] == sorted(e["seq"] for e in feed)
    assert len(feed) == db.session.query(EventRecord).count()
    token_id = db.session.scalar(select(ApiToken.id).join(User).where(User.email == "staff@example.org"))
    closed_event = next(e for e in feed if e["type"] == "RoundClosed")
    assert closed_event["actor"] == f"api:{token_id}" and closed_event["occurred_at"].endswith("+00:00")
    assert {e["type"] for e in feed} >= {"RegionCreated", "ContactCreated", "TemplateCreated", "RoundCreated",
                                        "RoundLaunched", "ResponseSubmitted", "DesignationOverridden", "RoundExtended"}


@pytest.fixture
def draft(staff):
    builders.stakeholders()
    builders.template()
    r = staff.post("/rounds", builders.round_definition())
    assert r.status_code == 201
    return r.get_json()["id"]


def test_without_a_valid_token_everything_is_401_but_the_openapi_document(app, client, staff):
    anonymous = Api(client, None)
    for url in ("/regions", "/rounds", "/events", "/rounds/1/status"):
        response = anonymous.get(url)
        error = assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert error["fields"] == {}
    assert_error(anonymous.post("/regions", {"name": "X"}), 401, "unauthorized")
    wrong = Api(client, "not-a-token")
    response = wrong.get("/regions")
    assert_error(response, 401, "unauthorized")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    basic = client.get("/api/v1/regions", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert_error(basic, 401, "unauthorized")
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200 and document.get_json()["openapi"].startswith("3.")


def test_revoked_tokens_and_disabled_users_lose_access(app, staff):
    assert staff.get("/regions").status_code == 200
    token = db.session.scalar(select(ApiToken))
    assert token.last_used_at == LAUNCH  # noted at first use ...
    app.config["FIXED_NOW"] = LAUNCH + dt.timedelta(seconds=30)
    staff.get("/regions")
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == LAUNCH  # ... and not again within a minute
    db.session.get(ApiToken, token.id).revoked_at = LAUNCH
    db.session.commit()
    assert_error(staff.get("/regions"), 401, "unauthorized")
    db.session.get(ApiToken, token.id).revoked_at = None
    db.session.get(User, token.user_id).active = False
    db.session.commit()
    assert_error(staff.get("/regions"), 401, "unauthorized")


def test_error_shapes(app, staff, draft):
    assert_error(staff.get("/rounds/999999"), 404, "not_found")
    assert_error(staff.get("/rounds/99999999999999999999"), 404, "not_found")
    assert_error(staff.post("/rounds/999/launch"), 404, "not_found")
    assert_error(staff.get("/templates/no-such-template"), 404, "not_found")
    assert_error(staff.get("/no-such-thing"), 404, "not_found")
    response = staff.client.delete(f"/api/v1/rounds/{draft}", headers=staff.headers)
    assert_error(response, 405, "method_not_allowed")

    malformed = staff.client.post("/api/v1/regions", headers=staff.headers, data="{not json", content_type="application/json")
    assert_error(malformed, 400, "bad_request")
    assert_error(staff.post("/regions"), 400, "bad_request")

    error = assert_error(staff.post("/regions", {"code": "Not A Slug"}), 422, "invalid")
    assert set(error["fields"]) == {"code", "name"}
    error = assert_error(staff.post("/rounds", builders.round_definition(closes_at="2026-10-01T00:00", opens_at="soon")), 422, "invalid")
    assert "opens_at" in error["fields"]
    error = assert_error(staff.post("/rounds", builders.round_definition(template="nope")), 422, "invalid")
    assert "template" in error["fields"]
    error = assert_error(staff.post("/templates", {"slug": "x", "title": "T", "questions": [{"key": "a", "type": "scale", "label": "A", "options": [{"value": "1", "label": "1"}]}]}), 422, "invalid")
    assert "questions" in error["fields"]
    assert_error(staff.get("/contacts?per_page=500"), 422, "invalid")
    assert_error(staff.get("/events?after=-1"), 422, "invalid")
    assert_error(staff.post("/regions", {"name": "Bad\u0000Name"}), 422, "invalid")
    assert_error(staff.post(f"/rounds/{draft}/extend", {"closes_at": "9999-12-31T23:59:59-12:00"}), 422, "invalid")
    assert_error(staff.post(f"/rounds/{draft}/close"), 409, "conflict")  # a draft cannot close
    cancelled = staff.post(f"/rounds/{draft}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "cancelled"
    assert sorted(db.session.scalars(select(Region.code))) == [IE, LA]  # the region with a NUL was not stored


def test_every_api_route_is_marked(app):
    views = {rule.endpoint: app.view_functions[rule.endpoint] for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")}
    assert len(views) >= 20
    access = {name: getattr(view, "wfsurvey_access", None) for name, view in views.items()}
    assert access.pop("api.openapi_json") == "public"
    assert set(access.values()) == {"api"}


def test_openapi_document_describes_every_route_from_the_schemas(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.static":
            path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule)
            assert path in paths, path
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert method.lower() in paths[path]
    assert document["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert paths["/api/v1/openapi.json"]["get"]["security"] == []
    status = paths["/api/v1/rounds/{round_id}/status"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert status == {"$ref": "#/components/schemas/Status"}
    assert set(document["components"]["schemas"]["Counts"]["properties"]) == {
        "invited", "sent", "started", "submitted", "bounced", "opted_out", "forwarded"}
    assert "text/csv" in paths["/api/v1/contacts/import"]["post"]["requestBody"]["content"]
