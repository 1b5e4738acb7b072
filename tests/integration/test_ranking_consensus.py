"""A ranking question end to end: defined through the API, answered through the real form (one select per option, a
duplicate rank refused in words), counted in the baseline table and its CSV, and each region's consensus (Borda order,
Kendall's W, null under 3 rankings) on the API and the staff page."""
from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

from sqlalchemy import select

from tests import builders
from tests.integration.test_api import Api, token_for
from tests.web import signed_in  # noqa: F401  (fixture)
from wfsurvey.domain.tokens import hash_token, new_token
from wfsurvey.extensions import db
from wfsurvey.models import AccessToken, Contact, Invitation, Response
from wfsurvey.projections import rebuild
from wfsurvey.queries.baseline import baseline_table
from wfsurvey.queries.exports import baseline_csv

UTC = dt.timezone.utc
LAUNCH = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
DURING = dt.datetime(2026, 10, 7, 17, 0, tzinfo=UTC)
LA, IE = "los-angeles", "inland-empire-desert"

TEMPLATE = {
    "slug": "collab",
    "title": "Occupations in demand",
    "questions": [
        {"key": "occ", "type": "ranking", "label": "Rank the occupations manufacturers need most", "required": True,
         "options": [{"value": "cnc", "label": "CNC machinist"}, {"value": "weld", "label": "Welder"},
                     {"value": "tech", "label": "Maintenance technician"}, {"value": "qa", "label": "Quality inspector"}]},
        {"key": "top2", "type": "ranking", "label": "Your top two credentials", "top": 2,
         "options": [{"value": "nims", "label": "NIMS"}, {"value": "aws", "label": "AWS welding"},
                     {"value": "msc", "label": "MSSC CPT"}]},
    ],
}


def _link(email: str) -> str:
    invitation = db.session.scalar(select(Invitation).join(Contact, Contact.id == Invitation.contact_id)
                                   .where(Contact.email == email))
    token = new_token()
    db.session.add(AccessToken(invitation_id=invitation.id, token_hash=hash_token(token), purpose="invitation",
                               created_at=DURING, revoked_at=None))
    db.session.commit()
    return f"/r/{token}"


def _post(client, url: str, answers: dict):
    page = client.get(url).get_data(as_text=True)
    control = {name: re.search(rf'name="{name}" value="([^"]*)"', page).group(1) for name in ("csrf_token", "revision")}
    return client.post(url, data={**control, "action": "submit", **answers})


def _words(page: str) -> str:
    """A page's text as a reader sees it: no tags, single spaces."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split()).replace(" ,", ",").replace(" .", ".")


def _ranks(*order: str, key: str = "occ") -> dict:
    return {f"{key}.{v}": str(i) for i, v in enumerate(order, 1)}


def test_a_ranking_is_answered_counted_and_read_as_regional_consensus(app, client, signed_in):  # noqa: F811
    app.config["FIXED_NOW"] = LAUNCH
    api = Api(client, token_for("staff", "staff@example.org"))
    builders.stakeholders(regions=(LA, IE), boards=3, colleges=0)
    created = api.post("/templates", json=TEMPLATE)
    assert created.status_code == 201, created.json
    bad = api.post("/templates", json={**TEMPLATE, "slug": "other", "questions": [{**TEMPLATE["questions"][1], "top": 4}]})
    assert bad.status_code == 422
    assert bad.json["error"]["fields"]["questions"]["0"]["top"] == [
        "Ask for a top between 1 and 3 (the number of options), or leave it out to have every option ranked."]
    round_ = builders.launched_round(now=LAUNCH)
    app.config["FIXED_NOW"] = DURING

    # The form: one select per option named <key>.<value>, ranks 1..N and "Not ranked"; a top 2 offers 1 and 2.
    first = _link(f"lwib1.{LA}@example.org")
    page = client.get(first).get_data(as_text=True)
    select_cnc = re.search(r'<select id="q-occ-rank-0" name="occ.cnc"[^>]*>(.*?)</select>', page, re.S)
    assert select_cnc, page
    assert re.findall(r'<option value="([^"]*)"', select_cnc.group(1)) == ["", "1", "2", "3", "4"]
    assert '<label for="q-occ-rank-0">CNC machinist</label>' in page
    select_top = re.search(r'name="top2.nims"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.findall(r'<option value="([^"]*)"', select_top) == ["", "1", "2"]

    # A rank given twice is refused, named in the summary, beside the select, and nothing is stored.
    refused = _post(client, first, {**_ranks("cnc", "weld"), "occ.tech": "1"})
    text = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert ("Question 1, “Rank the occupations manufacturers need…” (maintenance technician): Rank 1 is given to "
            "“CNC machinist” too: give each rank to one option only.") in _words(text)
    assert re.search(r'name="occ.tech"[^>]*aria-invalid="true"', text)
    assert db.session.scalars(select(Response)).all() == []

    # Three LA boards agree on most of it; one IE board answers (too few for W).
    done = _post(client, first, {**_ranks("cnc", "weld", "tech", "qa"), **_ranks("aws", "nims", key="top2")})
    assert done.status_code == 303
    assert "1. CNC machinist; 2. Welder; 3. Maintenance technician; 4. Quality inspector" in \
        client.get(done.headers["Location"]).get_data(as_text=True)
    assert _post(client, _link(f"lwib2.{LA}@example.org"), _ranks("cnc", "tech", "weld", "qa")).status_code == 303
    assert _post(client, _link(f"lwib3.{LA}@example.org"), _ranks("weld", "cnc", "tech", "qa")).status_code == 303
    assert _post(client, _link(f"lwib1.{IE}@example.org"), _ranks("qa", "tech")).status_code == 303
    db.session.expire_all()
    stored = sorted(r.answers["occ"] for r in db.session.scalars(select(Response)))
    assert ["cnc", "weld", "tech", "qa"] in stored and ["qa", "tech"] in stored

    # The API: per region the Borda order and W (LA: 11, 9, 7, 3 and W = 7/9, as worked in test_question_types).
    consensus = api.get(f"/rounds/{round_.id}/consensus?question=occ")
    assert consensus.status_code == 200, consensus.json
    by_region = {r["region"]: r for r in consensus.json}
    la = by_region[LA]
    assert la["n"] == 3 and la["kendall_w"] == 0.7778
    assert [(o["value"], o["label"], o["score"]) for o in la["order"]] == [
        ("cnc", "CNC machinist", 11.0), ("weld", "Welder", 9.0), ("tech", "Maintenance technician", 7.0),
        ("qa", "Quality inspector", 3.0)]
    ie = by_region[IE]
    assert ie["n"] == 1 and ie["kendall_w"] is None
    assert [(o["value"], o["score"]) for o in ie["order"]][:2] == [("qa", 4.0), ("tech", 3.0)]
    assert api.get(f"/rounds/{round_.id}/consensus?question=nope").status_code == 404
    assert api.get(f"/rounds/{round_.id}/consensus").status_code == 422

    # The baseline table and its CSV carry the same figures; a rebuild from the log gives them again.
    table = baseline_table(db.session, round_.id)
    row = {r["region"]: r for r in table["rows"]}[LA]
    assert row["answers"]["occ"]["kendall_w"] == 0.7778
    header, *rows = list(csv.reader(io.StringIO(baseline_csv(table).decode("utf-8-sig"))))
    la_row = next(r for r in rows if r[0] == LA)
    assert la_row[header.index("occ n")] == "3" and la_row[header.index("occ Kendall's W")] == "0.7778"
    assert la_row[header.index("occ order")] == "CNC machinist > Welder > Maintenance technician > Quality inspector"
    assert la_row[header.index("occ: cnc Borda score")] == "11.0"
    rebuild(db.session)
    db.session.commit()
    assert baseline_table(db.session, round_.id)["rows"] == table["rows"]

    # The staff pages: the baseline table's section and the consensus page say the same, and say when there are too few.
    staff, _ = signed_in("staff")
    baseline_page = staff.get(f"/staff/rounds/{round_.id}/baseline").get_data(as_text=True)
    assert "Agreement (W)" in baseline_page and "0.78" in baseline_page
    page = html.unescape(staff.get(f"/staff/rounds/{round_.id}/consensus").get_data(as_text=True))
    assert "Agreement: W = 0.78 (n = 3)." in _words(page)
    assert "Too few answers to measure agreement: 1 of the 3 needed." in _words(page)
    assert staff.get(f"/staff/rounds/{round_.id}/consensus?question=nope").status_code == 404


def _sections(page: str) -> dict[str, str]:
    """The consensus page's regions: heading -> the section's words."""
    found = re.findall(r'<section class="consensus-region"[^>]*>\s*<h2[^>]*>(.*?)</h2>(.*?)</section>', page, re.S)
    return {name: _words(body) for name, body in found}


def test_regions_without_rankings_are_listed_when_the_audience_names_no_regions(app, client, signed_in):  # noqa: F811
    from wfsurvey.services import handle

    app.config["FIXED_NOW"] = LAUNCH
    builders.stakeholders(regions=(LA, IE, "central-valley"), boards=1, colleges=1)
    builders.template(TEMPLATE, now=LAUNCH)
    draft = handle(builders.round_command(builders.round_definition(
        title="Colleges only", audience={"regions": [], "org_types": ["college"]})), actor="test", now=LAUNCH)
    round_ = builders.launched_round(now=LAUNCH)  # every region, every type: no region named
    assert round_.audience["regions"] == []
    app.config["FIXED_NOW"] = DURING
    assert _post(client, _link(f"lwib1.{LA}@example.org"), _ranks("cnc", "weld", "tech", "qa")).status_code == 303

    staff, _ = signed_in("staff")
    page = html.unescape(staff.get(f"/staff/rounds/{round_.id}/consensus").get_data(as_text=True))
    sections = _sections(page)
    assert list(sections) == ["Central Valley", "Inland Empire Desert", "Los Angeles"]
    assert sections["Central Valley"] == "No rankings yet."
    assert sections["Inland Empire Desert"] == "No rankings yet."
    assert sections["Los Angeles"].startswith("1 ranking. Too few answers to measure agreement: 1 of the 3 needed.")
    api = Api(client, token_for("staff", "staff@example.org"))
    listed = api.get(f"/rounds/{round_.id}/consensus?question=occ").json
    assert [(r["name"], r["n"]) for r in listed] == [("Central Valley", 0), ("Inland Empire Desert", 0), ("Los Angeles", 1)]
    # Before its launch, a round's regions are those of the organizations of its types.
    page = html.unescape(staff.get(f"/staff/rounds/{draft.id}/consensus").get_data(as_text=True))
    assert _sections(page) == {"Central Valley": "No rankings yet.", "Inland Empire Desert": "No rankings yet.",
                               "Los Angeles": "No rankings yet."}
