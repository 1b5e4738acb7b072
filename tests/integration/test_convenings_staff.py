"""Issue 16, items 1, 4 and 5 on the staff pages: the wizard makes a draft (errors beside their fields, nothing stored),
the convening's page sends invitations and lists the answers, the check-in list ticks people and adds a walk-in as a
contact, outcome notes are linked to regions and organizations, and the region's engagement summary downloads
formula-safe as CSV and XLSX."""
from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from tests import builders
from tests.web import csrf_token, signed_in  # noqa: F401  (signed_in is a fixture)
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import Contact, Convening, ConveningInvitation, Organization, OutcomeNote
from wfsurvey.services import handle

UTC = dt.UTC
NOW = dt.datetime(2027, 2, 1, 17, 0, tzinfo=UTC)
DURING = dt.datetime(2027, 3, 2, 18, 0, tzinfo=UTC)


def _wizard(client, **over):
    page = client.get("/staff/convenings/new")
    assert page.status_code == 200
    data = {"csrf_token": csrf_token(page.data), "title": "Inland Empire convening", "purpose": "Shared objectives.",
            "regions": ["inland-empire-desert"], "org_types": ["lwib", "college"], "timezone": "America/Los_Angeles",
            "starts_at": "2027-03-02T09:00", "ends_at": "2027-03-02T12:30", "location": "Riverside, Room 101",
            "online_url": "", "capacity": "", "offsets": ["P7D", "P1D"], "other_offsets": "", "min_gap_hours": "20",
            "send_from": "8", "send_until": "18"}
    data.update(over)
    return client.post("/staff/convenings/new", data=data)


def test_wizard_page_check_in_walk_in_notes_and_engagement(app, signed_in):
    app.config["FIXED_NOW"] = NOW
    builders.stakeholders(regions=("inland-empire-desert",), boards=2, colleges=1)
    client, _ = signed_in("staff")

    refused = _wizard(client, ends_at="2027-03-02T08:00", location="", online_url="")
    assert refused.status_code == 200 and b"It must end after it starts." in refused.data
    assert b"Give a place, an online link, or both." in refused.data
    assert db.session.scalar(select(func.count()).select_from(Convening)) == 0

    created = _wizard(client)
    assert created.status_code == 302
    convening = db.session.scalar(select(Convening))
    assert convening.starts_at == dt.datetime(2027, 3, 2, 17, 0, tzinfo=UTC) and convening.state == "draft"
    page = client.get(created.headers["Location"])
    assert b"Tuesday, March 2, 2027 at 9:00 AM PST to 12:30 PM PST" in page.data

    sent = client.post(f"/staff/convenings/{convening.id}/send", data={"csrf_token": csrf_token(page.data)})
    assert sent.status_code == 303
    invitations = {i.contact.email.split(".")[0]: i for i in db.session.scalars(select(ConveningInvitation))}
    assert len(invitations) == 3
    handle(cmd.AnswerRsvp(invitations["lwib1"].id, "yes", needs="Interpreter"), actor="test", now=NOW)
    page = client.get(f"/staff/convenings/{convening.id}")
    text = page.get_data(as_text=True)
    assert "1 coming" in text and "2 not answered yet" in text and "Interpreter" in text

    # During the convening: find by name, tick with one tap, add a walk-in as a new contact.
    app.config["FIXED_NOW"] = DURING
    client, _ = signed_in("staff")  # a month later: a new session
    listed = client.get(f"/staff/convenings/{convening.id}/check-in?q=lwib 1")
    assert listed.status_code == 200
    text = listed.get_data(as_text=True)
    assert "Person inland-empire-desert lwib 1" in text and "Person inland-empire-desert lwib 2" not in text
    ticked = client.post(f"/staff/convenings/{convening.id}/check-in/{invitations['lwib1'].id}",
                         data={"csrf_token": csrf_token(listed.data), "attended": "1", "q": "lwib 1"})
    assert ticked.status_code == 303
    db.session.expire_all()
    assert db.session.get(ConveningInvitation, invitations["lwib1"].id).attended is True

    bad = client.post(f"/staff/convenings/{convening.id}/walk-in",
                      data={"csrf_token": csrf_token(listed.data), "name": "Dana Cruz", "email": "not-an-address",
                            "organization_id": "", "organization_name": "", "org_type": "employer"})
    assert bad.status_code == 422
    walked = client.post(f"/staff/convenings/{convening.id}/walk-in",
                         data={"csrf_token": csrf_token(listed.data), "name": "Dana Cruz", "email": "dana@acme.example",
                               "organization_id": "", "organization_name": "Acme Precision", "org_type": "employer"})
    assert walked.status_code == 303
    dana = db.session.scalar(select(Contact).where(Contact.email == "dana@acme.example"))
    assert dana is not None and dana.organization.name == "Acme Precision"
    assert dana.organization.region_codes == ["inland-empire-desert"]
    walk_in = db.session.scalar(select(ConveningInvitation).where(ConveningInvitation.contact_id == dana.id))
    assert walk_in.status == "walk_in" and walk_in.attended

    page = client.get(f"/staff/convenings/{convening.id}")
    noted = client.post(f"/staff/convenings/{convening.id}/notes", data={
        "csrf_token": csrf_token(page.data), "text": "Pilot area agreed", "regions": ["inland-empire-desert"],
        "organizations": [str(invitations["lwib1"].organization_id)]})
    assert noted.status_code == 303 and b"Outcome noted." in client.get(noted.headers["Location"]).data
    note = db.session.scalar(select(OutcomeNote))
    assert note.regions == ["inland-empire-desert"] and note.organization_ids == [invitations["lwib1"].organization_id]

    # The organization's timeline, in words and in order; the region's summary and its downloads.
    org_id = invitations["lwib1"].organization_id
    timeline = client.get(f"/staff/organizations/{org_id}/timeline").get_data(as_text=True)
    order = [timeline.index(s) for s in ("Invited to a convening", "RSVP", "Attendance", "Outcome noted")]
    assert order == sorted(order)
    summary = client.get("/staff/regions/inland-empire-desert/engagement").get_data(as_text=True)
    assert "1 of 3 boards and colleges invited came to the last convening" in summary
    csv_file = client.get("/staff/regions/inland-empire-desert/engagement.csv")
    assert csv_file.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(csv_file.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][1] == "Organization"
    came = {r[1]: r[4] for r in rows[1:]}
    assert came["Inland Empire Desert lwib 1"] == "yes" and came["Inland Empire Desert lwib 2"] == "no"
    workbook = load_workbook(io.BytesIO(client.get("/staff/regions/inland-empire-desert/engagement.xlsx").data))
    assert [c.value for c in workbook.active[1]][:3] == ["Region", "Organization", "Type"]


def test_the_engagement_export_neutralises_formulas(app, signed_in):
    app.config["FIXED_NOW"] = NOW
    builders.stakeholders(regions=("inland-empire-desert",), boards=1, colleges=0)
    organization = db.session.scalar(select(Organization))
    organization.name = "=HYPERLINK(\"http://evil.example\")"
    db.session.commit()
    client, _ = signed_in("staff")
    text = client.get("/staff/regions/inland-empire-desert/engagement.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    workbook = load_workbook(io.BytesIO(client.get("/staff/regions/inland-empire-desert/engagement.xlsx").data))
    assert workbook.active["B2"].value.startswith("'=")


def test_the_wizard_offers_sending_hours_as_the_round_wizard_does(app, signed_in):
    app.config["FIXED_NOW"] = NOW
    builders.stakeholders(regions=("inland-empire-desert",), boards=1, colleges=0)
    client, _ = signed_in("staff")
    page = client.get("/staff/convenings/new").get_data(as_text=True)
    assert '<select' in page and '<option selected value="8">8 AM</option>' in page
    assert '<option selected value="18">6 PM</option>' in page and 'type="number" value="8"' not in page

    refused = _wizard(client, send_from="18", send_until="8")
    assert refused.status_code == 200 and "Send until a later hour than the first one" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Convening)) == 0
    created = _wizard(client, send_from="9", send_until="17")
    assert created.status_code == 302
    assert db.session.scalar(select(Convening)).reminders["send_hours"] == [9, 17]


def test_a_new_time_is_checked_by_the_same_rule_as_the_wizard(app, signed_in):
    app.config["FIXED_NOW"] = NOW
    builders.stakeholders(regions=("inland-empire-desert",), boards=1, colleges=0)
    client, _ = signed_in("staff")
    assert _wizard(client).status_code == 302
    convening = db.session.scalar(select(Convening))
    page = client.get(f"/staff/convenings/{convening.id}")
    for ends, words in (("2027-03-09T08:00", "It must end after it starts."),
                        ("2027-03-17T12:00", "A convening lasts at most 7 days.")):
        refused = client.post(f"/staff/convenings/{convening.id}/reschedule", data={
            "csrf_token": csrf_token(page.data), "starts_at": "2027-03-09T09:00", "ends_at": ends, "reason": ""})
        assert refused.status_code == 422 and words in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Convening, convening.id).starts_at == dt.datetime(2027, 3, 2, 17, 0, tzinfo=UTC)


def test_the_answers_say_seat_for_one_and_seats_for_more(app, signed_in):
    app.config["FIXED_NOW"] = NOW
    builders.stakeholders(regions=("inland-empire-desert",), boards=2, colleges=1)
    client, _ = signed_in("staff")
    created = _wizard(client, capacity="1")
    assert created.status_code == 302
    convening = db.session.scalar(select(Convening))
    page = client.get(created.headers["Location"])
    assert client.post(f"/staff/convenings/{convening.id}/send",
                       data={"csrf_token": csrf_token(page.data)}).status_code == 303
    text = " ".join(client.get(f"/staff/convenings/{convening.id}").get_data(as_text=True).split())
    assert "0 coming of 1 seat," in text
    handle(cmd.SetConveningCapacity(convening.id, 3), actor="test", now=NOW)
    text = " ".join(client.get(f"/staff/convenings/{convening.id}").get_data(as_text=True).split())
    assert "0 coming of 3 seats," in text
