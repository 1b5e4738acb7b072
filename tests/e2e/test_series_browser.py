"""Issue 17 in a real browser: staff create a round series on the "New round series" page at 1280 px (a refused
value first, said beside its field and in the summary), then read on the series page when the next periods' rounds
open and close; the page passes axe and scrolls nowhere sideways at 1280 and 390 px."""
from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect
from sqlalchemy import select

from tests import builders
from tests.e2e.test_staff_browser import sign_in
from tests.integration.test_round_series import OUTCOMES, SETUP
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import EventRecord, RoundSeries
from wfsurvey.services import handle

LA, IE, CV = "los-angeles", "inland-empire-desert", "central-valley"


def _no_sideways_scroll(page) -> None:
    page.wait_for_load_state("load")  # measured before its stylesheets apply, a page is wider than it is
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url


def test_staff_create_a_series_on_the_page(app, live_server, new_page, make_user, axe_check, tmp_path):
    app.config["FIXED_NOW"] = SETUP
    builders.stakeholders(regions=(LA, IE, CV), boards=2, colleges=1, now=SETUP)
    builders.template(OUTCOMES, now=SETUP)
    baseline = builders.launched_round(now=SETUP, template="outcomes", title="AM baseline", baseline=True,
                                       opens_at="2027-01-05T09:00", closes_at="2027-02-01T17:00")
    admin_user, staff_user = make_user(role="admin"), make_user(role="staff")
    handle(cmd.SelectPilotRegion(region=LA, round_id=baseline.id, reason="Ready", by_admin=True),
           actor=f"user:{admin_user.id}", now=SETUP)

    staff = new_page()  # 1280 px wide
    sign_in(staff, staff_user.email)
    staff.goto("/staff/series")
    staff.get_by_role("link", name="New round series").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("New round series")
    staff.get_by_label("Template").select_option(label="Regional outcomes (outcomes, version 1)")
    staff.get_by_label("Title").fill("AM outcomes")
    staff.get_by_label("Every quarter").check()
    staff.get_by_label("The first period ends on").fill("2027-03-31")
    staff.get_by_label("Time zone").select_option(label="America/Los Angeles")
    staff.get_by_label("Each round opens this many days before its period ends").fill("90")
    staff.get_by_label("…and closes this many days after it").fill("10")
    staff.get_by_label("The confirmed pilot regions", exact=False).check()
    expect(staff.locator("#invites")).to_contain_text("now: Los Angeles")
    staff.get_by_label("Local workforce board").check()
    staff.get_by_label("3 days before close").check()
    staff.get_by_role("button", name="Create the series").click()

    # Refused: said in the summary and beside the field; nothing stored.
    expect(staff.locator(".error-summary")).to_contain_text("Enter a number of days from 0 to 60.")
    expect(staff.locator("#open_days_before-error")).to_have_text("Enter a number of days from 0 to 60.")
    axe_check(staff, what="the new series page with its errors")
    db.session.rollback()
    assert db.session.scalars(select(RoundSeries)).all() == []

    staff.get_by_label("Each round opens this many days before its period ends").fill("7")
    staff.get_by_role("button", name="Preview the dates").click()
    expect(staff.get_by_role("row", name="Quarter ending March 31, 2027")).to_contain_text(
        "Wednesday, March 24, 2027 at 9:00 AM PDT")
    expect(staff.get_by_label("Title")).to_have_value("AM outcomes")
    axe_check(staff, what="the new series page with its dates preview")
    db.session.rollback()
    assert db.session.scalars(select(RoundSeries)).all() == []
    staff.screenshot(path=str(tmp_path / "series-new-1280.png"), full_page=True)
    staff.get_by_role("button", name="Create the series").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("AM outcomes")
    expect(staff.locator(".flash, .alert, [role=status]").first).to_contain_text("The series “AM outcomes” is created.")
    main = staff.get_by_role("main")
    expect(main).to_contain_text("“Regional outcomes” asked every quarter")
    expect(staff.get_by_role("row", name="Quarter ending March 31, 2027")).to_contain_text(
        "Wednesday, March 24, 2027 at 9:00 AM PDT")
    expect(staff.get_by_role("row", name="Quarter ending March 31, 2027")).to_contain_text(
        "Saturday, April 10, 2027 at 5:00 PM PDT")
    expect(staff.get_by_role("row", name="Quarter ending June 30, 2027")).to_contain_text(
        "Wednesday, June 23, 2027 at 9:00 AM PDT")
    staff.screenshot(path=str(tmp_path / "series-1280.png"), full_page=True)
    axe_check(staff)
    _no_sideways_scroll(staff)

    db.session.rollback()
    series = db.session.scalars(select(RoundSeries)).one()
    assert (series.title, series.cadence, series.first_period_end, series.open_days_before, series.close_days_after) == (
        "AM outcomes", "P3M", dt.date(2027, 3, 31), 7, 10)
    assert series.audience["pilot_regions"] is True and series.audience["org_types"] == ["lwib"]
    assert "P3D" in series.reminders["offsets"]
    assert db.session.scalars(select(EventRecord).where(EventRecord.type == "SeriesCreated")).one().payload[
        "series_id"] == series.id

    # On a phone: the form and the series page fit, and pass axe.
    phone = new_page(viewport={"width": 390, "height": 844})
    sign_in(phone, staff_user.email)
    for address in ("/staff/series/new", f"/staff/series/{series.id}"):
        phone.goto(address)
        phone.screenshot(path=str(tmp_path / f"series-390-{address.rsplit('/', 1)[-1]}.png"), full_page=True)
        axe_check(phone)
        _no_sideways_scroll(phone)
