"""Issue 16, item 6: the convenings API as the issue lists it, and in the OpenAPI document."""
import datetime as dt

from sqlalchemy import select

from tests import builders
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import ConveningInvitation, OutboxMessage
from wfsurvey.services import handle

UTC = dt.UTC
NOW = dt.datetime(2027, 2, 1, 17, 0, tzinfo=UTC)


def _auth(make_user, role="staff"):
    user = make_user(role=role)
    token = handle(cmd.CreateApiToken(user.email, "script"), actor="test", now=NOW)
    return {"Authorization": f"Bearer {token}"}


def _body(**over):
    body = {"title": "Los Angeles convening", "purpose": "Agree on pilot objectives.", "regions": ["los-angeles"],
            "timezone": "America/Los_Angeles", "starts_at": "2027-03-02T09:00", "ends_at": "2027-03-02T12:30",
            "location": "LA Trade Tech, Room 5", "online_url": "", "capacity": 1,
            "audience": {"org_types": ["lwib", "college"]}, "reminders": {"offsets": ["P7D", "P1D"]}}
    body.update(over)
    return body


def test_create_invite_rsvps_attendance_reschedule_cancel(app, client, make_user):
    app.config["FIXED_NOW"] = NOW
    builders.stakeholders(regions=("los-angeles", "bay-area"), boards=1, colleges=1)
    headers = _auth(make_user)
    created = client.post("/api/v1/convenings", json=_body(), headers=headers)
    assert created.status_code == 201, created.get_json()
    data = created.get_json()
    assert data["state"] == "draft" and data["starts_at"] == "2027-03-02T17:00:00+00:00"
    assert data["audience"]["regions"] == ["los-angeles"] and data["capacity"] == 1
    convening_id = data["id"]

    invited = client.post(f"/api/v1/convenings/{convening_id}/invite", headers=headers)
    assert invited.status_code == 200 and invited.get_json() == {"id": convening_id, "state": "scheduled", "invitations": 2}
    assert client.post(f"/api/v1/convenings/{convening_id}/invite", headers=headers).status_code == 409

    rows = {i.contact.email: i for i in db.session.scalars(select(ConveningInvitation))}
    handle(cmd.AnswerRsvp(rows["lwib1.los-angeles@example.org"].id, "yes", needs="Step-free access"), actor="test", now=NOW)
    handle(cmd.AnswerRsvp(rows["college1.los-angeles@example.org"].id, "yes"), actor="test", now=NOW)
    listed = client.get(f"/api/v1/convenings/{convening_id}/rsvps", headers=headers).get_json()
    assert listed["totals"] == {"yes": 1, "no": 0, "maybe": 0, "waitlisted": 1, "no_answer": 0, "attended": 0}
    by_email = {item["contact"]["email"]: item for item in listed["items"]}
    assert by_email["college1.los-angeles@example.org"]["waitlist_position"] == 1
    assert by_email["lwib1.los-angeles@example.org"]["organization"] == "Los Angeles lwib 1"
    assert by_email["lwib1.los-angeles@example.org"]["needs"] == "Step-free access"

    came = client.post(f"/api/v1/convenings/{convening_id}/attendance", headers=headers,
                       json={"email": "LWIB1.los-angeles@example.org", "attended": True})
    assert came.status_code == 200 and came.get_json()["attended"] is True
    stranger = client.post(f"/api/v1/convenings/{convening_id}/attendance", headers=headers,
                           json={"email": "nobody@example.org"})
    assert stranger.status_code == 404 and "email" in stranger.get_json()["error"]["fields"]

    # The organization's timeline and the region's engagement, as scripts read them.
    orgs = client.get("/api/v1/organizations?q=Los Angeles lwib", headers=headers).get_json()["items"]
    slug = next(o["slug"] for o in orgs if o["name"] == "Los Angeles lwib 1")
    assert slug == "los-angeles-lwib-1"
    timeline = client.get(f"/api/v1/organizations/{slug}/timeline", headers=headers).get_json()
    types = [item["type"] for item in timeline["items"]]
    assert types == ["ConveningInvitationIssued", "RsvpGiven", "AttendanceRecorded"]
    assert timeline["items"][1]["sentence"].endswith("said yes to “Los Angeles convening”.")
    assert client.get("/api/v1/organizations/no-such-board/timeline", headers=headers).status_code == 404
    app.config["FIXED_NOW"] = dt.datetime(2027, 3, 2, 18, 0, tzinfo=UTC)  # the convening has started
    engagement = client.get("/api/v1/regions/los-angeles/engagement", headers=headers).get_json()
    assert engagement["last_convening"]["title"] == "Los Angeles convening"
    rows = {row["organization"]: row for row in engagement["items"]}
    assert rows["Los Angeles lwib 1"]["attended_last_convening"] is True
    assert rows["Los Angeles college 1"]["attended_last_convening"] is False
    assert client.get("/api/v1/regions/atlantis/engagement", headers=headers).status_code == 404
    app.config["FIXED_NOW"] = NOW

    bad = client.post(f"/api/v1/convenings/{convening_id}/reschedule", headers=headers,
                      json={"starts_at": "2027-03-09T12:00", "ends_at": "2027-03-09T09:00"})
    assert bad.status_code == 422 and "ends_at" in bad.get_json()["error"]["fields"]
    moved = client.post(f"/api/v1/convenings/{convening_id}/reschedule", headers=headers,
                        json={"starts_at": "2027-03-09T09:00", "ends_at": "2027-03-09T12:00", "reason": "Room"})
    assert moved.status_code == 200 and moved.get_json()["sequence"] == 1
    cancelled = client.post(f"/api/v1/convenings/{convening_id}/cancel", headers=headers, json={"reason": "Budget"})
    assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "cancelled"
    kinds = sorted(db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.convening_id == convening_id)))
    assert kinds.count("convening_cancelled") == 2 and kinds.count("convening_moved") == 2


def test_bad_definitions_name_the_field_and_store_nothing(app, client, make_user):
    app.config["FIXED_NOW"] = NOW
    builders.stakeholders(regions=("los-angeles",), boards=1, colleges=0)
    headers = _auth(make_user)
    cases = [
        (_body(ends_at="2027-03-02T08:00"), "ends_at"),
        (_body(timezone="Mars/Olympus"), "timezone"),
        (_body(capacity=0), "capacity"),
        (_body(online_url="javascript:alert(1)"), "online_url"),
        (_body(location="", online_url=""), "location"),
        (_body(regions=["atlantis"]), "regions"),
        (_body(starts_at="2026-03-02T09:00", ends_at="2026-03-02T10:00"), "starts_at"),
        ({"title": "x"}, "starts_at"),
    ]
    for body, field in cases:
        answer = client.post("/api/v1/convenings", json=body, headers=headers)
        assert answer.status_code == 422, (body, answer.get_json())
        assert field in answer.get_json()["error"]["fields"], (field, answer.get_json())
    assert client.get("/api/v1/convenings/1", headers=headers).status_code == 404
    assert client.post("/api/v1/convenings", json=_body()).status_code == 401


def test_the_openapi_document_lists_the_convening_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, method in [("/api/v1/convenings", "post"), ("/api/v1/convenings/{convening_id}/invite", "post"),
                         ("/api/v1/convenings/{convening_id}/reschedule", "post"),
                         ("/api/v1/convenings/{convening_id}/cancel", "post"),
                         ("/api/v1/convenings/{convening_id}/capacity", "post"),
                         ("/api/v1/convenings/{convening_id}/rsvps", "get"),
                         ("/api/v1/convenings/{convening_id}/attendance", "post"),
                         ("/api/v1/organizations/{org_slug}/timeline", "get"),
                         ("/api/v1/regions/{code}/engagement", "get")]:
        assert method in paths[path], path
        assert "401" in paths[path][method]["responses"]


def test_seats_change_through_the_api_never_below_those_given_and_the_waitlist_moves_up(app, client, make_user):
    app.config["FIXED_NOW"] = NOW
    builders.stakeholders(regions=("los-angeles",), boards=2, colleges=1)
    headers = _auth(make_user)
    convening_id = client.post("/api/v1/convenings", json=_body(capacity=2), headers=headers).get_json()["id"]
    assert client.post(f"/api/v1/convenings/{convening_id}/invite", headers=headers).status_code == 200
    rows = {i.contact.email: i for i in db.session.scalars(select(ConveningInvitation))}
    for email in ("lwib1.los-angeles@example.org", "lwib2.los-angeles@example.org", "college1.los-angeles@example.org"):
        handle(cmd.AnswerRsvp(rows[email].id, "yes"), actor="test", now=NOW)

    refused = client.post(f"/api/v1/convenings/{convening_id}/capacity", json={"capacity": 1}, headers=headers)
    assert refused.status_code == 422, refused.get_json()
    assert "2 people have a seat already" in str(refused.get_json())
    assert client.post(f"/api/v1/convenings/{convening_id}/capacity", json={"capacity": "many"},
                       headers=headers).status_code == 422
    assert client.get(f"/api/v1/convenings/{convening_id}", headers=headers).get_json()["capacity"] == 2

    raised = client.post(f"/api/v1/convenings/{convening_id}/capacity", json={"capacity": 3}, headers=headers)
    assert raised.status_code == 200 and raised.get_json()["capacity"] == 3
    totals = client.get(f"/api/v1/convenings/{convening_id}/rsvps", headers=headers).get_json()["totals"]
    assert totals["yes"] == 3 and totals["waitlisted"] == 0
    # The person moved up from the waitlist is told, by email.
    college = rows["college1.los-angeles@example.org"]
    assert db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.to_addr == college.contact.email,
                                                            OutboxMessage.kind != "convening_invitation")) is not None
    unlimited = client.post(f"/api/v1/convenings/{convening_id}/capacity", json={"capacity": None}, headers=headers)
    assert unlimited.status_code == 200 and unlimited.get_json()["capacity"] is None
