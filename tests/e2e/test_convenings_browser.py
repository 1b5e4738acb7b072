"""Issue 16 in a real browser: an invitee answers a convening's invitation on a phone (390 px), staff check them in on
the phone check-in list, and the organization's timeline shows the survey response, the RSVP and the attendance in
that order."""
from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect
from sqlalchemy import select

from tests import builders
from tests.factories import DEFAULT_PASSWORD
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.reminders import ReminderPolicy
from wfsurvey.extensions import db
from wfsurvey.jobs.delivery import deliver_outbox
from wfsurvey.models import ConveningInvitation, Invitation, MailboxMessage
from wfsurvey.services import handle

UTC = dt.timezone.utc
ANSWERED = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
INVITED = dt.datetime(2026, 10, 7, 17, 0, tzinfo=UTC)
RSVPED = dt.datetime(2026, 10, 8, 17, 0, tzinfo=UTC)
#: 9:30 AM in Los Angeles on October 20, during the convening.
DURING = dt.datetime(2026, 10, 20, 16, 30, tzinfo=UTC)
BOARD = "lwib1.inland-empire-desert@example.org"
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = "/tmp/wfsurvey-convening-{}.png"


def _fits(page, width: int) -> None:
    page.wait_for_load_state("load")  # measured before its stylesheets apply, a page is wider than it is
    scrolled = page.evaluate("document.documentElement.scrollWidth")
    assert scrolled <= width, f"the page scrolls sideways at {width} px: {scrolled} px wide"


def test_invitee_answers_on_a_phone_staff_check_in_and_the_timeline_reads_in_order(app, live_server, new_page, make_user,
                                                                                   axe_check):
    builders.stakeholders(regions=("inland-empire-desert",), boards=2, colleges=1)
    builders.template()
    round_ = builders.launched_round(now=ANSWERED)
    invitation = db.session.scalar(select(Invitation).where(Invitation.contact.has(email=BOARD)))
    handle(cmd.SaveAnswers(invitation.id, {"targets_am": ["no"], "colleges": ["4"]}, submit=True),
           actor=f"token:{invitation.id}", now=ANSWERED)
    assert round_.id
    convening = handle(cmd.CreateConvening(
        title="Inland Empire advanced manufacturing convening", purpose="Agree on shared objectives for the pilot.",
        regions=("inland-empire-desert",), starts_at=dt.datetime(2026, 10, 20, 16, 0, tzinfo=UTC),
        ends_at=dt.datetime(2026, 10, 20, 19, 30, tzinfo=UTC), location="Riverside City College, Room 101",
        online_url="https://meet.example.org/inland-empire-advanced-manufacturing-convening-2026", capacity=20,
        audience=cmd.Audience(org_types=("lwib", "college")), reminders=ReminderPolicy(offsets=(dt.timedelta(days=1),)),
    ), actor="test", now=INVITED)
    handle(cmd.SendConveningInvitations(convening.id), actor="test", now=INVITED)
    deliver_outbox(now=INVITED)
    body = db.session.scalar(select(MailboxMessage.body_text).where(MailboxMessage.to_addr == BOARD,
                                                                    MailboxMessage.subject.like("You are invited%")))
    link = re.search(r"http://[^\s]+/c/[A-Za-z0-9_-]{40,}", body).group(0)

    # The invitee, on a phone: the page says what, when and where, and takes Yes with their needs.
    app.config["FIXED_NOW"] = RSVPED
    phone = new_page(viewport=PHONE)
    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Inland Empire advanced manufacturing convening")
    expect(phone.locator("dl.meta")).to_contain_text("Tuesday, October 20, 2026 at 9:00 AM PDT to 12:30 PM PDT")
    _fits(phone, PHONE["width"])
    axe_check(phone, what="the RSVP page at 390 px")
    phone.get_by_role("button", name="Send my answer").click()
    expect(phone.locator("#error-summary")).to_contain_text("Choose yes, no or maybe.")
    phone.get_by_role("radio", name="Yes, I will come").check()
    phone.get_by_label("Access or dietary needs (optional)").fill("Step-free access, please")
    phone.get_by_role("button", name="Send my answer").click()
    expect(phone.locator(".flash-success")).to_contain_text("Your answer is saved: coming")
    expect(phone.locator("dl.meta")).to_contain_text("Yes, I will come")
    expect(phone.get_by_label("Access or dietary needs (optional)")).to_have_value("Step-free access, please")
    _fits(phone, PHONE["width"])
    phone.screenshot(path=SCREENSHOTS.format("rsvp-phone"), full_page=True)
    db.session.rollback()
    rsvp = db.session.scalar(select(ConveningInvitation).where(ConveningInvitation.contact.has(email=BOARD)))
    assert rsvp.answer == "yes" and rsvp.needs == "Step-free access, please" and rsvp.waitlist_seq is None

    # Staff at the door, on a phone: find the person by name and check them in with one tap.
    app.config["FIXED_NOW"] = DURING
    staff = make_user(role="staff")
    door = new_page(viewport=PHONE)
    door.goto("/login")
    door.get_by_label("Email address").fill(staff.email)
    door.get_by_label("Password").fill(DEFAULT_PASSWORD)
    door.get_by_role("button", name="Sign in").click()
    door.goto(f"/staff/convenings/{convening.id}/check-in")
    door.get_by_label("Find by name or organization").fill("lwib 1")
    door.get_by_role("button", name="Find").click()
    expect(door.locator(".checkin-list li")).to_have_count(1)
    door.get_by_role("button", name="Check in Person inland-empire-desert lwib 1").click()
    expect(door.locator(".flash-success")).to_contain_text("Person inland-empire-desert lwib 1 checked in.")
    expect(door.get_by_role("button", name="Person inland-empire-desert lwib 1 is here; undo")).to_be_visible()
    _fits(door, PHONE["width"])
    axe_check(door, what="the check-in list at 390 px")
    door.screenshot(path=SCREENSHOTS.format("check-in-phone"), full_page=True)
    db.session.rollback()
    assert db.session.get(ConveningInvitation, rsvp.id).attended is True

    # The organization's timeline: the survey response, then the RSVP, then the attendance.
    desk = new_page()
    desk.goto("/login")
    desk.get_by_label("Email address").fill(staff.email)
    desk.get_by_label("Password").fill(DEFAULT_PASSWORD)
    desk.get_by_role("button", name="Sign in").click()
    desk.goto(f"/staff/organizations/{rsvp.organization_id}")
    desk.get_by_role("link", name="Engagement timeline").click()
    items = desk.locator("ol.timeline li")
    texts = [t.split("\n")[0] for t in items.all_inner_texts()]
    titles = [t.split(" · ", 1)[1] for t in texts]
    wanted = ["Response submitted", "RSVP", "Attendance"]
    positions = [titles.index(w) for w in wanted]
    assert positions == sorted(positions), titles
    expect(items.nth(positions[1])).to_contain_text("said yes to “Inland Empire advanced manufacturing convening”")
    expect(items.nth(positions[2])).to_contain_text("attended")
    _fits(desk, 1280)
    axe_check(desk, what="the organization's timeline")
    desk.screenshot(path=SCREENSHOTS.format("timeline"), full_page=True)

    # The convening's page and the region's engagement summary read well and pass axe too.
    desk.goto(f"/staff/convenings/{convening.id}")
    expect(desk.locator("p.big")).to_contain_text("1 coming of 20 seats")
    expect(desk.get_by_role("row").filter(has_text="Step-free access, please")).to_be_visible()
    _fits(desk, 1280)
    axe_check(desk, what="the convening's page")
    desk.screenshot(path=SCREENSHOTS.format("convening"), full_page=True)
    desk.goto("/staff/regions/inland-empire-desert/engagement")
    expect(desk.get_by_role("row").filter(has_text="Inland Empire Desert lwib 1")).to_contain_text("Yes")
    _fits(desk, 1280)
    axe_check(desk, what="the region's engagement summary")
    desk.screenshot(path=SCREENSHOTS.format("engagement"), full_page=True)


def test_staff_change_the_seats_on_the_convening_page_at_both_widths(app, live_server, new_page, make_user, axe_check):
    builders.stakeholders(regions=("inland-empire-desert",), boards=2, colleges=1)
    convening = handle(cmd.CreateConvening(
        title="Inland Empire advanced manufacturing convening", regions=("inland-empire-desert",),
        starts_at=dt.datetime(2026, 10, 20, 16, 0, tzinfo=UTC), ends_at=dt.datetime(2026, 10, 20, 19, 30, tzinfo=UTC),
        location="Riverside City College, Room 101", capacity=1, audience=cmd.Audience(org_types=("lwib", "college")),
    ), actor="test", now=INVITED)
    handle(cmd.SendConveningInvitations(convening.id), actor="test", now=INVITED)
    invitations = db.session.scalars(select(ConveningInvitation).order_by(ConveningInvitation.id)).all()
    for invitation in invitations:
        handle(cmd.AnswerRsvp(invitation.id, "yes"), actor="test", now=RSVPED)
    app.config["FIXED_NOW"] = RSVPED
    staff = make_user(role="staff")
    for viewport, width in ((None, 1280), (PHONE, PHONE["width"])):
        desk = new_page(viewport=viewport) if viewport else new_page()
        desk.goto("/login")
        desk.get_by_label("Email address").fill(staff.email)
        desk.get_by_label("Password").fill(DEFAULT_PASSWORD)
        desk.get_by_role("button", name="Sign in").click()
        desk.goto(f"/staff/convenings/{convening.id}#seats")
        expect(desk.get_by_role("heading", name="Seats")).to_be_visible()
        _fits(desk, width)
        axe_check(desk, what=f"the convening's page with its seats at {width} px")
        desk.screenshot(path=SCREENSHOTS.format(f"seats-{width}"), full_page=True)
    desk.get_by_label("Number of seats").fill("0")
    desk.get_by_role("button", name="Change the seats").click()
    expect(desk.locator(".error-summary")).to_contain_text("Enter a number of seats from 1.")
    desk.get_by_label("Number of seats").fill("2")
    desk.get_by_role("button", name="Change the seats").click()
    expect(desk.locator(".flash-success")).to_contain_text(
        "It now has 2 seats. 1 person from the waitlist now has a seat and is emailed.")
    expect(desk.locator("p.big")).to_contain_text("2 coming of 2 seats")
    _fits(desk, PHONE["width"])
    desk.screenshot(path=SCREENSHOTS.format("seats-changed-390"), full_page=True)
