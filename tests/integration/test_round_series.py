"""A round series run by `jobs run --now` at successive instants: exactly one round per period (run twice: still one),
launched, asking the pilot regions' boards; each period's form shows the organization's previous answers; the indicator
API and export show each period's value, n, the baseline and the target. On PostgreSQL, two schedulers running the job
at once still make one round per period."""
from __future__ import annotations

import csv
import datetime as dt
import html
import io
import threading

import pytest
from sqlalchemy import func, select

from tests import builders
from tests.integration.test_api import Api, token_for
from tests.integration.test_ranking_consensus import _words
from tests.web import signed_in  # noqa: F401  (fixture)
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.tokens import hash_token, new_token
from wfsurvey.extensions import db
from wfsurvey.jobs import series as series_job
from wfsurvey.models import AccessToken, Contact, EventRecord, Invitation, Round
from wfsurvey.services import handle

UTC = dt.timezone.utc
LA, IE, CV = "los-angeles", "inland-empire-desert", "central-valley"
SETUP = dt.datetime(2027, 1, 10, 17, 0, tzinfo=UTC)
# Period 0 ends Wednesday, March 31, 2027: its round opens March 24 at 09:00 PDT (16:00 UTC), closes April 7 at 17:00.
PERIOD_0 = dt.datetime(2027, 3, 24, 16, 0, tzinfo=UTC)
# Period 1 ends June 30: opens June 23 at 09:00 PDT.
PERIOD_1 = dt.datetime(2027, 6, 23, 16, 0, tzinfo=UTC)

BASELINE = {
    "slug": "collab-baseline", "title": "Baseline",
    "questions": [{"key": "placements", "type": "number", "label": "Jobs filled last year", "min": 0,
                   "indicator": {"code": "jobs_filled", "unit": "jobs", "direction": "up"}}],
}
OUTCOMES = {
    "slug": "outcomes", "title": "Regional outcomes",
    "questions": [
        {"key": "jobs", "type": "number", "label": "Jobs filled this quarter", "min": 0,
         "indicator": {"code": "jobs_filled", "unit": "jobs", "direction": "up", "target": 40}},
        {"key": "wait", "type": "number", "label": "Weeks from enrollment to credential", "min": 0,
         "indicator": {"code": "weeks_to_credential", "unit": "weeks", "direction": "down", "aggregate": "mean"}},
        {"key": "initiatives", "type": "long_text", "label": "Initiatives this quarter"},
    ],
}
SERIES = {"template": "outcomes", "title": "AM outcomes", "cadence": "P3M", "first_period_end": "2027-03-31",
          "timezone": "America/Los_Angeles", "open_days_before": 7, "close_days_after": 7,
          "audience": {"pilot_regions": True, "org_types": ["lwib"]},
          "reminders": {"offsets": ["P2D"], "min_gap_hours": 20, "send_hours": [8, 18]}}


def _answer(round_id: int, email: str, form: dict[str, str], now: dt.datetime) -> None:
    invitation = db.session.scalar(select(Invitation).join(Contact, Contact.id == Invitation.contact_id)
                                   .where(Invitation.round_id == round_id, Contact.email == email))
    handle(cmd.SaveAnswers(invitation.id, {k: [v] for k, v in form.items()}, True), actor=f"token:{invitation.id}",
           now=now)


def _link(round_id: int, email: str) -> str:
    """A fresh respondent link for the contact's invitation to the round, made as the mailer would."""
    invitation = db.session.scalar(select(Invitation).join(Contact, Contact.id == Invitation.contact_id)
                                   .where(Invitation.round_id == round_id, Contact.email == email))
    token = new_token()
    db.session.add(AccessToken(invitation_id=invitation.id, token_hash=hash_token(token), purpose="invitation",
                               created_at=SETUP, revoked_at=None))
    db.session.commit()
    return f"/r/{token}"


def _series_rounds(series_id: int) -> list[Round]:
    db.session.expire_all()
    return list(db.session.scalars(select(Round).where(Round.series_id == series_id).order_by(Round.period)))


def _setup(app, client) -> tuple[Api, int]:
    app.config["FIXED_NOW"] = SETUP
    builders.stakeholders(regions=(LA, IE, CV), boards=2, colleges=1, now=SETUP)
    builders.template(BASELINE, now=SETUP)
    builders.template(OUTCOMES, now=SETUP)
    baseline = builders.launched_round(now=SETUP, template="collab-baseline", title="AM baseline", baseline=True,
                                       opens_at="2027-01-05T09:00", closes_at="2027-02-01T17:00")
    _answer(baseline.id, f"lwib1.{LA}@example.org", {"placements": "20"}, SETUP)
    _answer(baseline.id, f"lwib2.{LA}@example.org", {"placements": "10"}, SETUP)
    api = Api(client, token_for("admin", "admin@example.org"))
    for region in (LA, IE):
        assert api.post("/pilots", {"region": region, "round": baseline.id, "reason": "Ready"}).status_code == 201
    created = api.post("/series", SERIES)
    assert created.status_code == 201, created.json
    return api, created.json["id"]


def test_a_series_makes_one_round_per_period_and_the_indicators_show_each_period(app, client, runner, signed_in):  # noqa: F811
    api, series_id = _setup(app, client)
    # Before the first window opens, nothing.
    assert runner.invoke(args=["jobs", "run", "--now", "2027-03-24T15:59:00Z"]).exit_code == 0
    assert _series_rounds(series_id) == []

    # At the window: one round, launched and open, inviting the pilot regions' boards only.
    for _ in range(2):  # run twice at the same instant: still one
        result = runner.invoke(args=["jobs", "run", "--now", PERIOD_0.isoformat()])
        assert result.exit_code == 0, result.output
    (first,) = _series_rounds(series_id)
    assert (first.period, first.state, first.title) == (0, "open", "AM outcomes: quarter ending March 31, 2027")
    assert first.opens_at == PERIOD_0 and first.closes_at == dt.datetime(2027, 4, 8, 0, 0, tzinfo=UTC)
    assert first.audience["regions"] == [IE, LA] and first.audience["org_types"] == ["lwib"]
    invited = db.session.scalars(select(Contact.email).join(Invitation, Invitation.contact_id == Contact.id)
                                 .where(Invitation.round_id == first.id).order_by(Contact.email)).all()
    assert invited == [f"lwib1.{IE}@example.org", f"lwib1.{LA}@example.org", f"lwib2.{IE}@example.org",
                       f"lwib2.{LA}@example.org"]
    assert db.session.scalar(select(func.count()).select_from(EventRecord)
                             .where(EventRecord.type == "SeriesPeriodStarted")) == 1

    app.config["FIXED_NOW"] = PERIOD_0 + dt.timedelta(days=1)
    _answer(first.id, f"lwib1.{LA}@example.org", {"jobs": "12", "wait": "10"}, PERIOD_0 + dt.timedelta(days=1))
    _answer(first.id, f"lwib2.{LA}@example.org", {"jobs": "8", "wait": "14"}, PERIOD_0 + dt.timedelta(days=1))
    _answer(first.id, f"lwib1.{IE}@example.org", {"jobs": "5"}, PERIOD_0 + dt.timedelta(days=1))

    # Between windows: period 0 closes, nothing new opens.
    assert runner.invoke(args=["jobs", "run", "--now", "2027-04-08T00:00:00Z"]).exit_code == 0
    assert [(r.period, r.state) for r in _series_rounds(series_id)] == [(0, "closed")]
    # Period 1's window: its own round, once.
    for _ in range(2):
        assert runner.invoke(args=["jobs", "run", "--now", PERIOD_1.isoformat()]).exit_code == 0
    first, second = _series_rounds(series_id)
    assert (second.period, second.state, second.title) == (1, "open", "AM outcomes: quarter ending June 30, 2027")

    # The second period's form shows the organization's answer of the first, for reference (not filled in).
    app.config["FIXED_NOW"] = PERIOD_1 + dt.timedelta(hours=1)
    page = client.get(_link(second.id, f"lwib1.{LA}@example.org")).get_data(as_text=True)
    words = _words(page)
    assert "Your answer for the quarter ending March 31, 2027: 12" in words
    assert "Your answer for the quarter ending March 31, 2027: 10" in words
    assert 'name="jobs" value=""' in page
    _answer(second.id, f"lwib1.{LA}@example.org", {"jobs": "30", "wait": "8"}, PERIOD_1 + dt.timedelta(days=1))

    # GET /series/<id>: the cadence in words, the rounds by period.
    detail = api.get(f"/series/{series_id}").json
    assert detail["cadence"] == "P3M" and detail["cadence_words"] == "every quarter"
    assert [(p["period"], p["period_words"], p["round"] and p["round"]["id"]) for p in detail["rounds"]][:2] == [
        (0, "quarter ending March 31, 2027", first.id), (1, "quarter ending June 30, 2027", second.id)]

    # The indicators of Los Angeles: each period's sum (jobs) or mean (weeks), n, the baseline (20 + 10) and target.
    la = {i["code"]: i for i in api.get(f"/indicators?series={series_id}&region={LA}").json}
    jobs = la["jobs_filled"]
    assert (jobs["label"], jobs["unit"], jobs["target"], jobs["baseline"]) == ("Jobs filled this quarter", "jobs", 40.0, 30.0)
    assert [(p["period"], p["value"], p["n"]) for p in jobs["points"]] == [(0, 20.0, 2), (1, 30.0, 1)]
    assert jobs["change"] == 0.0
    weeks = la["weeks_to_credential"]
    assert [(p["value"], p["n"]) for p in weeks["points"]] == [(12.0, 2), (8.0, 1)] and weeks["baseline"] is None
    whole = {i["code"]: i for i in api.get(f"/indicators?series={series_id}").json}
    assert [p["value"] for p in whole["jobs_filled"]["points"]] == [25.0, 30.0]
    assert api.get("/indicators?series=999").status_code == 404

    # The staff pages: the series with its periods in words, and a chart per indicator with its figures in a table.
    staff, _ = signed_in("staff")
    page = _words(staff.get(f"/staff/series/{series_id}").get_data(as_text=True))
    assert "“Regional outcomes” asked every quarter." in page and "Quarter ending June 30, 2027" in page and "P3M" not in page
    page = staff.get(f"/staff/series/{series_id}/indicators?region={LA}").get_data(as_text=True)
    assert '<title id="chart-1-title">Jobs filled this quarter: Los Angeles, period by period</title>' in page
    assert ("quarter ending March 31, 2027: 20; quarter ending June 30, 2027: 30. Baseline 30. Target 40."
            in html.unescape(page))
    assert page.count('<circle class="chart-dot"') == 4  # two periods of two indicators
    assert "Quarter ending March 31, 2027 20 2 -10" in _words(page)
    assert staff.get(f"/staff/series/{series_id}/indicators?region=atlantis").status_code == 404

    # The export: one row per region, indicator and period, and the whole series.
    response = staff.get(f"/staff/series/{series_id}/indicators.csv")
    assert response.headers["Content-Disposition"].startswith("attachment")
    header, *rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert header[:4] == ["Region code", "Region", "Pilot region", "Indicator"]
    la_jobs = [r for r in rows if r[0] == LA and r[3] == "jobs_filled"]
    assert [(r[7], r[9], r[10], r[11], r[13], r[14]) for r in la_jobs] == [
        ("quarter ending March 31, 2027", "20.0", "2", "30.0", "40.0", "-10.0"),
        ("quarter ending June 30, 2027", "30.0", "1", "30.0", "40.0", "0.0")]
    assert {r[1] for r in rows} >= {"Los Angeles", "Inland Empire Desert", "All regions"}
    assert staff.get(f"/staff/series/{series_id}/indicators.xlsx").status_code == 200


@pytest.mark.postgres_only
def test_two_schedulers_at_once_make_one_round_per_period(app, client):
    _, series_id = _setup(app, client)
    barrier = threading.Barrier(2)
    reports: list[dict] = []

    def scheduler():
        with app.app_context():
            barrier.wait()
            counts: dict = {}
            try:
                series_job.run(PERIOD_0, counts)
            finally:
                reports.append(counts)
                db.session.remove()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # One made it; the other found it made (or lost the race on the unique constraint): never two.
    assert len(reports) == 2
    assert sum(r.get("started", 0) for r in reports) == 1
    assert [r.period for r in _series_rounds(series_id)] == [0]
