"""Pilot regions: staff propose a region from the baseline page or the API with a reason, an admin confirms it; at most
three; a confirmed one is dropped by an admin only; each move an event; shown on the baseline page, the regions page
and GET /api/v1/pilots."""
from __future__ import annotations

import datetime as dt
import html
import re

from sqlalchemy import select

from tests import builders
from tests.integration.test_api import Api, token_for
from tests.web import post_form, signed_in  # noqa: F401  (fixture)
from wfsurvey.extensions import db
from wfsurvey.models import EventRecord, PilotRegion
from wfsurvey.queries.event_log import look_up, sentence_of

UTC = dt.timezone.utc
LAUNCH = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
REGIONS = ("los-angeles", "inland-empire-desert", "central-valley", "bay-area")


def _events(kind: str) -> list[dict]:
    return [e.payload for e in db.session.scalars(select(EventRecord).where(EventRecord.type == kind)
                                                    .order_by(EventRecord.seq))]


def _words(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_pilot_regions_through_the_api(app, client):
    app.config["FIXED_NOW"] = LAUNCH
    builders.stakeholders(regions=REGIONS, boards=1, colleges=0)
    builders.template()
    round_ = builders.launched_round(now=LAUNCH)
    staff = Api(client, token_for("staff", "staff@example.org"))
    admin = Api(client, token_for("admin", "admin@example.org"))

    # Staff propose (by code or by name); the region is proposed until an admin confirms it.
    proposed = staff.post("/pilots", {"region": "los-angeles", "round": round_.id, "reason": "Strong college ties"})
    assert proposed.status_code == 201, proposed.json
    assert proposed.json["status"] == "proposed" and proposed.json["name"] == "Los Angeles"
    assert proposed.json["round"] == {"id": round_.id, "title": "AM baseline 2026"} and proposed.json["confirmed_at"] is None
    assert staff.post("/pilots", {"region": "Inland Empire Desert", "round": round_.id,
                                  "reason": "Highest score"}).json["region"] == "inland-empire-desert"
    again = staff.post("/pilots", {"region": "los-angeles", "round": round_.id, "reason": "twice"})
    assert again.status_code == 409
    assert again.json["error"]["fields"]["region"] == ["It is a pilot region already (proposed, waiting for an admin "
                                                       "to confirm it)."]
    # An admin posting a proposed region confirms it; an admin's own choice is confirmed at once.
    confirmed = admin.post("/pilots", {"region": "los-angeles", "round": round_.id, "reason": "Agreed"})
    assert confirmed.status_code == 201 and confirmed.json["status"] == "confirmed"
    assert confirmed.json["reason"] == "Strong college ties" and confirmed.json["confirmed_by"] == "API token “admin script” of admin@example.org"
    assert admin.post("/pilots", {"region": "central-valley", "round": round_.id,
                                  "reason": "Board asked"}).json["status"] == "confirmed"
    # A fourth is refused, as is a reason left empty or a region nobody knows; nothing is stored for them.
    fourth = staff.post("/pilots", {"region": "bay-area", "round": round_.id, "reason": "Also keen"})
    assert fourth.status_code == 409
    assert fourth.json["error"]["fields"]["region"] == ["There are 3 pilot regions already: drop one before choosing "
                                                        "another."]
    assert staff.post("/pilots", {"region": "bay-area", "round": round_.id, "reason": "  "}).status_code in (409, 422)
    unknown = staff.post("/pilots", {"region": "atlantis", "round": round_.id, "reason": "x"})
    assert unknown.status_code == 422 and unknown.json["error"]["fields"] == {"region": ["Choose a region from the list."]}
    listed = staff.get("/pilots").json
    assert [(p["region"], p["status"]) for p in listed] == [
        ("central-valley", "confirmed"), ("inland-empire-desert", "proposed"), ("los-angeles", "confirmed")]

    # Staff drop a proposed one but not a confirmed one; an admin drops that.
    assert staff.client.delete("/api/v1/pilots/los-angeles", headers=staff.headers).status_code == 403
    dropped = staff.client.delete("/api/v1/pilots/inland-empire-desert?reason=Too%20few%20answers", headers=staff.headers)
    assert dropped.status_code == 200 and dropped.json["region"] == "inland-empire-desert"
    assert admin.client.delete("/api/v1/pilots/los-angeles", headers=admin.headers).status_code == 200
    assert admin.client.delete("/api/v1/pilots/los-angeles", headers=admin.headers).status_code == 404
    assert [p["region"] for p in staff.get("/pilots").json] == ["central-valley"]
    db.session.expire_all()
    assert [p.region for p in db.session.scalars(select(PilotRegion))] == ["central-valley"]

    # Every move is an event, said in words in the event log.
    assert [(e["region"], e["confirmed"]) for e in _events("PilotRegionSelected")] == [
        ("los-angeles", False), ("inland-empire-desert", False), ("central-valley", True)]
    assert [e["region"] for e in _events("PilotRegionConfirmed")] == ["los-angeles"]
    assert [(e["region"], e["reason"], e["was_confirmed"]) for e in _events("PilotRegionDropped")] == [
        ("inland-empire-desert", "Too few answers", False), ("los-angeles", "", True)]
    record = db.session.scalars(select(EventRecord).where(EventRecord.type == "PilotRegionSelected")).first()
    assert sentence_of(record.type, record.payload, look_up(db.session, [record.payload])) == ("Los Angeles proposed as a pilot region, for an admin to confirm, from "
                                               "“AM baseline 2026”. Reason: Strong college ties")


def test_staff_propose_from_the_baseline_page_and_an_admin_confirms(app, signed_in):  # noqa: F811
    app.config["FIXED_NOW"] = LAUNCH
    builders.stakeholders(regions=REGIONS[:2], boards=1, colleges=0)
    builders.template()
    round_ = builders.launched_round(now=LAUNCH)
    page_url = f"/staff/rounds/{round_.id}/baseline"
    staff, _ = signed_in("staff")
    page = staff.get(page_url).get_data(as_text=True)
    assert "None is chosen yet." in _words(page) and "Propose as a pilot region" in page

    # No reason: refused beside the field, nothing stored.
    refused = post_form(staff, f"/staff/rounds/{round_.id}/pilots", {"pilot-region": "los-angeles", "pilot-reason": " "},
                        token_from=page_url)
    assert refused.status_code == 422
    assert "Why this region: Say why this region should be a pilot region." in _words(refused.get_data(as_text=True))
    assert db.session.scalars(select(PilotRegion)).all() == []

    done = post_form(staff, f"/staff/rounds/{round_.id}/pilots",
                     {"pilot-region": "los-angeles", "pilot-reason": "Ranked first, designated navigator"},
                     token_from=page_url, follow_redirects=True)
    text = _words(done.get_data(as_text=True))
    assert "Los Angeles is proposed as a pilot region; an admin confirms it." in text
    assert "Los Angeles Proposed, waiting for an admin Ranked first, designated navigator" in text
    assert "Choose at least 1 more." in text
    # Staff cannot confirm; the confirm button is for admins.
    assert "Confirm Los Angeles" not in text
    assert post_form(staff, f"/staff/rounds/{round_.id}/pilots/los-angeles/confirm", token_from=page_url).status_code == 403

    admin, _ = signed_in("admin")
    assert "Confirm Los Angeles" in _words(admin.get(page_url).get_data(as_text=True))
    confirmed = post_form(admin, f"/staff/rounds/{round_.id}/pilots/los-angeles/confirm", token_from=page_url,
                          follow_redirects=True)
    text = _words(confirmed.get_data(as_text=True))
    assert "Los Angeles is confirmed as a pilot region." in text and "Los Angeles Confirmed" in text
    # A confirmed pilot: staff are told only an admin drops it, and the regions page shows it.
    assert "Only an admin can drop a confirmed pilot region." in _words(staff.get(page_url).get_data(as_text=True))
    refused_drop = post_form(staff, f"/staff/rounds/{round_.id}/pilots/los-angeles/drop",
                             {"drop-los-angeles-reason": "no"}, token_from=page_url, follow_redirects=True)
    assert "Not dropped: only an admin can drop a confirmed pilot region." in _words(refused_drop.get_data(as_text=True))
    regions = _words(staff.get("/staff/regions").get_data(as_text=True))
    assert "Los Angeles 1 0 0 0 1 Who is engaged in Los Angeles Confirmed from “AM baseline 2026”" in regions
    dropped = post_form(admin, f"/staff/rounds/{round_.id}/pilots/los-angeles/drop",
                        {"drop-los-angeles-reason": "Board changed its mind"}, token_from=page_url, follow_redirects=True)
    assert "Los Angeles is no longer a pilot region." in _words(dropped.get_data(as_text=True))
    assert _events("PilotRegionDropped")[0]["reason"] == "Board changed its mind"
