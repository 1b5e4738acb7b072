"""Issue 17 in a real browser: staff propose pilot regions on the baseline page and an admin confirms them; a quarterly
series of outcome reports runs two periods over the pilot regions (the scheduler's job at two instants); staff see each
indicator's chart, read its figures in the table beside it, and download the export; the pages pass axe at 1280 and
390 px and scroll nowhere sideways."""
from __future__ import annotations

import csv
import datetime as dt
import io

from playwright.sync_api import expect
from sqlalchemy import select

from tests import builders
from tests.e2e.test_staff_browser import sign_in
from tests.integration.test_round_series import BASELINE, OUTCOMES, PERIOD_0, PERIOD_1, SETUP, _answer
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.jobs import run_due_jobs
from wfsurvey.models import PilotRegion, Round
from wfsurvey.services import handle

LA, IE, CV = "los-angeles", "inland-empire-desert", "central-valley"


def _no_sideways_scroll(page) -> None:
    page.wait_for_load_state("load")  # measured before its stylesheets apply, a page is wider than it is
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url


def test_staff_choose_pilot_regions_then_read_the_indicator_charts_and_download_them(
        app, live_server, new_page, make_user, watch, axe_check, tmp_path):
    app.config["FIXED_NOW"] = SETUP
    builders.stakeholders(regions=(LA, IE, CV), boards=2, colleges=1, now=SETUP)
    builders.template(BASELINE, now=SETUP)
    builders.template(OUTCOMES, now=SETUP)
    baseline = builders.launched_round(now=SETUP, template="collab-baseline", title="AM baseline", baseline=True,
                                       opens_at="2027-01-05T09:00", closes_at="2027-02-01T17:00")
    for region, numbers in ((LA, ("20", "10")), (IE, ("4", "6"))):
        for i, number in enumerate(numbers, 1):
            _answer(baseline.id, f"lwib{i}.{region}@example.org", {"placements": number}, SETUP)
    staff_user, admin_user = make_user(role="staff"), make_user(role="admin")

    # Staff propose two pilot regions from the baseline page, each with a reason.
    staff = new_page()
    sign_in(staff, staff_user.email)
    staff.goto(f"/staff/rounds/{baseline.id}/baseline")
    expect(staff.get_by_role("heading", name="Pilot regions")).to_be_visible()
    for name, reason in (("Los Angeles", "Strong college partnerships"), ("Inland Empire Desert", "Highest placements")):
        staff.get_by_label("Region", exact=True).select_option(label=name)
        staff.get_by_label("Why this region").fill(reason)
        staff.get_by_role("button", name="Propose as a pilot region").click()
        expect(staff.locator(".flash, .alert, [role=status]").first).to_contain_text(f"{name} is proposed as a pilot region")
    expect(staff.locator(f"#pilot-{LA}")).to_contain_text("Proposed, waiting for an admin")
    axe_check(staff)
    _no_sideways_scroll(staff)

    # An admin confirms both from the same page.
    admin = new_page()
    sign_in(admin, admin_user.email)
    admin.goto(f"/staff/rounds/{baseline.id}/baseline#pilots")
    for name in ("Los Angeles", "Inland Empire Desert"):
        admin.get_by_role("button", name=f"Confirm {name}").click()
        expect(admin.locator(".flash, .alert, [role=status]").first).to_contain_text(f"{name} is confirmed as a pilot region")
    db.session.rollback()
    assert sorted((p.region, p.confirmed) for p in db.session.scalars(select(PilotRegion))) == [(IE, True), (LA, True)]

    # A quarterly series over the pilot regions' boards runs two periods; the boards report each.
    series = handle(cmd.CreateSeries(template_slug="outcomes", title="AM outcomes", cadence="P3M",
                                     first_period_end=dt.date(2027, 3, 31), open_days_before=7, close_days_after=7,
                                     audience=cmd.Audience(org_types=("lwib",)), pilot_regions=True),
                    actor=f"user:{staff_user.id}", now=SETUP)
    for moment, answers in ((PERIOD_0, {LA: ("12", "8"), IE: ("3", "")}), (PERIOD_1, {LA: ("30", ""), IE: ("5", "2")})):
        report = run_due_jobs(app, moment)
        assert report.ok and report["series"]["started"] == 1, (report, report.errors)
        round_id = db.session.scalar(select(Round.id).where(Round.series_id == series.id).order_by(Round.period.desc()))
        for region, numbers in answers.items():
            for i, number in enumerate(numbers, 1):
                if number:
                    _answer(round_id, f"lwib{i}.{region}@example.org", {"jobs": number, "wait": str(10 + i)},
                            moment + dt.timedelta(days=1))
    app.config["FIXED_NOW"] = PERIOD_1 + dt.timedelta(days=2)
    sign_in(staff, staff_user.email)  # months later: the session has long ended

    # Staff find the series and its indicators: a pilot region first, a chart per indicator, its figures in a table.
    staff.get_by_role("link", name="Series", exact=True).click()
    staff.get_by_role("link", name="AM outcomes").click()
    expect(staff.get_by_role("main")).to_contain_text("asked every quarter")
    staff.get_by_role("link", name="Indicators over time").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Outcome indicators: Inland Empire Desert")
    staff.get_by_label("Region").select_option(label="Los Angeles (pilot region)")
    staff.get_by_role("button", name="Show").click()
    chart = staff.get_by_role("img", name="Jobs filled this quarter: Los Angeles, period by period")
    expect(chart).to_be_visible()
    expect(chart.locator("circle")).to_have_count(2)
    table = staff.get_by_role("table", name="Jobs filled this quarter: the figures of the chart")
    expect(table.get_by_role("row", name="Quarter ending March 31, 2027 20 2 -10")).to_be_visible()
    expect(table.get_by_role("row", name="Quarter ending June 30, 2027 30 1 +0")).to_be_visible()
    staff.screenshot(path=str(tmp_path / "indicators-1280.png"), full_page=True)
    axe_check(staff)
    _no_sideways_scroll(staff)

    # The export holds every region's periods.
    with staff.expect_download() as download:
        staff.get_by_role("link", name="Download CSV").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == f"series-{series.id}-indicators.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig"))))
    la_jobs = [(r["Period"], r["Value"], r["n"]) for r in rows if r["Region code"] == LA and r["Indicator"] == "jobs_filled"]
    assert la_jobs == [("quarter ending March 31, 2027", "20.0", "2"), ("quarter ending June 30, 2027", "30.0", "1")]

    # On a phone the chart scales down and nothing scrolls sideways.
    phone = new_page(viewport={"width": 390, "height": 844})
    sign_in(phone, staff_user.email)
    phone.goto(f"/staff/series/{series.id}/indicators?region={LA}")
    expect(phone.get_by_role("img", name="Jobs filled this quarter: Los Angeles, period by period")).to_be_visible()
    phone.screenshot(path=str(tmp_path / "indicators-390.png"), full_page=True)
    axe_check(phone)
    _no_sideways_scroll(phone)
