"""Baseline figures that say what they rest on (issue 13): n beside each figure, no rank for a region below
MIN_RESPONSES_FOR_RANKING (one answer out of 26 invited), no change against a baseline round without answers in the
region, and readiness shown part by part; in the table, the API, the page and the exports."""
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from tests import builders
from tests.integration.test_queries import answer, invitation_of
from tests.web import signed_in  # noqa: F401  (fixture)
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.queries.baseline import NO_BASELINE_ANSWERS, baseline_table
from wfsurvey.queries.exports import baseline_xlsx
from wfsurvey.schemas.rounds import round_command
from wfsurvey.services import handle

UTC = dt.timezone.utc
LAUNCH = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
IE, LA = "inland-empire-desert", "los-angeles"


def regions_of_26_and_4():
    """Inland Empire: 13 boards and 13 colleges (26 invited); Los Angeles: 2 and 2."""
    builders.stakeholders(regions=(IE,), boards=13, colleges=13)
    builders.stakeholders(regions=(LA,), boards=2, colleges=2)
    builders.template()


@pytest.fixture
def one_of_26(app):
    """One Inland Empire college answers as ready as can be; three of Los Angeles's four answer, hardly ready: ranked on
    that one answer, the Inland Empire would come first."""
    regions_of_26_and_4()
    round_ = builders.launched_round(now=LAUNCH)
    answer(invitation_of(round_.id, f"college1.{IE}@example.org"), targets_am="yes", initiatives="All in", colleges=5)
    for email in (f"lwib1.{LA}@example.org", f"college1.{LA}@example.org", f"college2.{LA}@example.org"):
        answer(invitation_of(round_.id, email), targets_am="no", colleges=2)
    return round_


def test_a_region_with_one_answer_of_26_is_not_ranked(one_of_26):
    table = baseline_table(db.session, one_of_26.id)
    ranking = table["ranking"]
    assert ranking["min_responses"] == 3
    assert [(r["rank"], r["region"], r["responses"]) for r in ranking["regions"]] == [(1, LA, 3)]
    assert ranking["not_ranked"] == [{"region": IE, "name": "Inland Empire Desert", "responses": 1, "invited": 26,
                                      "needed": 2}]
    rows = {r["region"]: r for r in table["rows"]}
    assert (rows[IE]["rankable"], rows[LA]["rankable"]) == (False, True)
    assert rows[IE]["n"] == {"response_rate": 26, "responses": 1, "answers": {"targets_am": 1, "colleges": 1,
                                                                              "occupations": 1, "slots": 0},
                             "readiness": 1, "baseline": None}
    # Readiness says what it averages: the scale mean normalized, and the share answering yes.
    la = ranking["regions"][0]
    assert [(p["key"], p["figure"], p["n"]) for p in la["readiness_parts"]] == [("targets_am", 0.0, 3), ("colleges", 0.25, 3)]
    assert la["readiness_parts"][1]["basis"] == "mean 2.00 on 1 to 5, as (mean − 1) / 4"
    assert la["readiness_parts"][0]["basis"] == "0 of 3 answered “Yes”"
    assert la["readiness"] == 0.125 and la["readiness_figures"] == 2


def test_the_threshold_is_a_setting(app, one_of_26):
    app.config["MIN_RESPONSES_FOR_RANKING"] = 1
    ranking = baseline_table(db.session, one_of_26.id)["ranking"]
    assert [r["region"] for r in ranking["regions"]] == [IE, LA] and ranking["not_ranked"] == []


def test_the_page_lists_the_region_under_not_enough_answers_with_readiness_parts(one_of_26, signed_in):
    client, _ = signed_in("staff")
    page = client.get(f"/staff/rounds/{one_of_26.id}/baseline").get_data(as_text=True)
    ranking = page[page.index('id="ranking"'):]
    assert "Not enough answers to rank" in ranking
    assert "<strong>Inland Empire Desert</strong>: 1 response of 26 invited" in ranking
    assert ranking.count("<th scope=\"row\">") == 1 and "<th scope=\"row\">Los Angeles</th>" in ranking
    assert "mean 2.00 on 1 to 5" in ranking and "n = 3" in ranking
    assert "(1 of 26)" in page  # the response rate with its n


def test_change_is_null_against_a_baseline_round_without_answers_in_the_region(app, signed_in):
    app.config["MIN_RESPONSES_FOR_RANKING"] = 1
    regions_of_26_and_4()
    base = builders.launched_round(now=LAUNCH, baseline=True)
    answer(invitation_of(base.id, f"college1.{LA}@example.org"), colleges=2)  # nobody in the Inland Empire answers
    handle(cmd.CloseRound(base.id), actor="test", now=dt.datetime(2026, 11, 3, 2, 0, tzinfo=UTC))
    now = dt.datetime(2027, 1, 6, 17, 0, tzinfo=UTC)
    later = handle(round_command(builders.round_definition(title="Follow-up", opens_at="2027-01-05T09:00",
                                                             closes_at="2027-02-01T17:00")), actor="test", now=now)
    handle(cmd.LaunchRound(later.id), actor="test", now=now)
    for email in (f"college1.{IE}@example.org", f"college1.{LA}@example.org"):
        answer(invitation_of(later.id, email), now=now, colleges=4)
    table = baseline_table(db.session, later.id)
    rows = {r["region"]: r for r in table["rows"]}
    assert rows[IE]["change"] is None and rows[IE]["change_note"] == NO_BASELINE_ANSWERS and rows[IE]["n"]["baseline"] == 0
    assert rows[LA]["change"]["answers"]["colleges"]["mean"] == 2.0 and rows[LA]["n"]["baseline"] == 1
    assert rows[LA]["change_note"] is None
    assert table["total"]["change"]["answers"]["colleges"]["mean"] == 2.0

    client, _ = signed_in("staff")
    page = client.get(f"/staff/rounds/{later.id}/baseline").get_data(as_text=True)
    assert NO_BASELINE_ANSWERS in page
    handle(cmd.CreateUser(email="script@example.org", password="correct-horse-battery-staple-42"), actor="test", now=now)
    token = handle(cmd.CreateApiToken(user_email="script@example.org", name="export"), actor="test", now=now)
    api = app.test_client().get(f"/api/v1/rounds/{later.id}/baseline", headers={"Authorization": f"Bearer {token}"})
    api_rows = {r["region"]: r for r in api.get_json()["rows"]}
    assert api_rows[IE]["change"] is None and api_rows[IE]["change_note"] == NO_BASELINE_ANSWERS
    assert api_rows[IE]["n"]["baseline"] == 0 and api_rows[LA]["rankable"] is True

    sheet = openpyxl.load_workbook(io.BytesIO(baseline_xlsx(table)))["Baseline"]
    header = [c.value for c in sheet[1]]
    ie = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == IE)
    assert ie[header.index("Baseline responses")].value == 0 and ie[header.index("Response rate change")].value is None
    # A rate is a percentage cell: 1 of 26 reads 3.8 %, not 0.0385.
    rate = ie[header.index("Response rate")]
    assert rate.value == pytest.approx(1 / 26, abs=1e-4) and rate.number_format == "0.0%"


def test_a_baseline_round_never_opened_is_not_the_comparison(app):
    regions_of_26_and_4()
    base = builders.launched_round(now=LAUNCH, baseline=True)
    answer(invitation_of(base.id, f"college1.{LA}@example.org"), colleges=2)
    handle(cmd.CloseRound(base.id), actor="test", now=dt.datetime(2026, 11, 3, 2, 0, tzinfo=UTC))
    # A newer baseline round left as a draft (as the demo leaves one) has nothing to compare with.
    handle(round_command(builders.round_definition(title="Draft baseline", baseline=True, opens_at="2027-03-01T09:00",
                                                   closes_at="2027-04-01T17:00")), actor="test", now=LAUNCH)
    now = dt.datetime(2027, 1, 6, 17, 0, tzinfo=UTC)
    later = handle(round_command(builders.round_definition(title="Follow-up", opens_at="2027-01-05T09:00",
                                                             closes_at="2027-02-01T17:00")), actor="test", now=now)
    handle(cmd.LaunchRound(later.id), actor="test", now=now)
    assert baseline_table(db.session, later.id)["compared_with"]["id"] == base.id
