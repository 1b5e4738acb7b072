"""The dev mailbox shows a message's HTML part beside its text part, in a sandboxed frame where no script runs, even one
hidden in the HTML of the email itself."""
from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from tests.factories import DEFAULT_PASSWORD
from wfsurvey.extensions import db
from wfsurvey.models import MailboxMessage

HOSTILE_HTML = """<!doctype html><html><body style="font-family:sans-serif">
<p style="color:#0b5cad">Dear Grace Ramirez,</p>
<p id="greeting">The survey is open until Friday.</p>
<script>document.getElementById('greeting').textContent = 'PWNED'; try { top.document.title = 'PWNED'; } catch (e) {}</script>
<img src="x" onerror="document.getElementById('greeting').textContent = 'PWNED'">
<form action="https://example.com/steal"><button>Send</button></form>
</body></html>"""


def sign_in(page, make_user) -> None:
    """The mailbox, its HTML parts included, is for signed-in staff."""
    user = make_user()
    page.goto("/login")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


def test_the_html_part_is_shown_beside_the_text_and_runs_no_script(app, page, live_server, watch, make_user):
    msg = MailboxMessage(from_addr="wfsurvey <no-reply@example.org>", to_addr="grace@example.org", subject="Survey for you",
                         body_text="Dear Grace Ramirez,\n\nYour link: http://127.0.0.1/r/abc\n", body_html=HOSTILE_HTML,
                         headers={"Reply-To": "team@example.org"}, received_at=dt.datetime.now(dt.timezone.utc))
    db.session.add(msg)
    db.session.commit()

    sign_in(page, make_user)
    page.goto(f"/dev/mailbox/{msg.id}")
    expect(page.get_by_role("heading", name="Text part")).to_be_visible()
    expect(page.locator("pre.mail-text")).to_contain_text("Dear Grace Ramirez,")
    frame_element = page.locator("iframe.mail-html")
    expect(frame_element).to_have_attribute("sandbox", "")
    frame = page.frame_locator("iframe.mail-html")
    expect(frame.locator("#greeting")).to_have_text("The survey is open until Friday.")
    expect(frame.locator("p").first).to_have_text("Dear Grace Ramirez,")
    assert page.title() == "Survey for you"
    # Both parts fit side by side at desktop size.
    boxes = [page.locator(f"section[aria-labelledby='{part}']").bounding_box() for part in ("text-part", "html-part")]
    assert boxes[0]["x"] + boxes[0]["width"] <= boxes[1]["x"] and abs(boxes[0]["y"] - boxes[1]["y"]) < 2
    # The blocked script and handler are reported by the browser; nothing else is.
    watch.page_errors.clear()
    watch.csp_violations.clear()


def test_the_html_part_opened_on_its_own_runs_no_script_either(app, page, watch, make_user):
    msg = MailboxMessage(from_addr="a@example.org", to_addr="grace@example.org", subject="s", body_text="t",
                         body_html=HOSTILE_HTML, headers={}, received_at=dt.datetime.now(dt.timezone.utc))
    db.session.add(msg)
    db.session.commit()
    sign_in(page, make_user)
    response = page.goto(f"/dev/mailbox/{msg.id}/html")
    assert "sandbox" in response.headers["content-security-policy"]
    expect(page.locator("#greeting")).to_have_text("The survey is open until Friday.")
    watch.page_errors.clear()
    watch.csp_violations.clear()


ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Convening\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"


def test_staff_see_each_attachment_and_download_it(app, new_page, make_user, axe_check, tmp_path):
    msg = MailboxMessage(from_addr="a@example.org", to_addr="grace@example.org", subject="You are invited: a convening",
                         body_text="t", body_html="<p>h</p>", headers={},
                         attachments=[{"filename": "invite.ics", "content_type": "text/calendar; method=REQUEST; "
                                       "charset=utf-8", "content": ICS}],
                         received_at=dt.datetime.now(dt.timezone.utc))
    db.session.add(msg)
    db.session.commit()
    for width in (1280, 390):
        page = new_page(viewport={"width": width, "height": 900})
        sign_in(page, make_user)
        page.goto(f"/dev/mailbox/{msg.id}")
        row = page.get_by_role("row", name="invite.ics")
        expect(row).to_contain_text("Calendar file (text/calendar)")
        expect(row).to_contain_text(f"{len(ICS)} bytes")
        page.screenshot(path=str(tmp_path / f"mailbox-attachments-{width}.png"), full_page=True)
        axe_check(page, what=f"a dev mailbox message with an attachment at {width} px")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download invite.ics").click()
    download = info.value
    assert download.suggested_filename == "invite.ics"
    assert download.path().read_bytes() == ICS.encode("utf-8")
