"""Issue 16's acceptance with a real SMTP server (aiosmtpd): invitations carry an .ics that `icalendar` reads with the
start in the convening's zone; a reschedule keeps the UID with a higher SEQUENCE; a cancellation is METHOD:CANCEL;
reminders reach only the right people; a Yes that turns No promotes the first on the waitlist, who is emailed."""
import datetime as dt
import re
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import select

from tests import builders
from tests.web import csrf_token, signed_in  # noqa: F401  (signed_in is a fixture)
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.reminders import ReminderPolicy
from wfsurvey.extensions import db
from wfsurvey.jobs import run_due_jobs
from wfsurvey.jobs.delivery import deliver_outbox
from wfsurvey.models import AccessToken, Contact, Convening, ConveningInvitation, EventRecord, OutboxMessage
from wfsurvey.queries.actors import describe_actors
from wfsurvey.services import handle

UTC = dt.UTC
LA = ZoneInfo("America/Los_Angeles")
NOW = dt.datetime(2027, 2, 1, 17, 0, tzinfo=UTC)
#: Tuesday, March 2, 2027, 9:00 AM to 12:30 PM in Los Angeles (PST).
STARTS = dt.datetime(2027, 3, 2, 9, 0, tzinfo=LA)
ENDS = dt.datetime(2027, 3, 2, 12, 30, tzinfo=LA)
LINK = re.compile(r"http://localhost/c/([A-Za-z0-9_-]{40,})(?=\s|$)", re.MULTILINE)


def _convening(capacity=None, offsets=(dt.timedelta(days=7), dt.timedelta(days=1)), org_types=("lwib", "college")):
    return handle(cmd.CreateConvening(
        title="Inland Empire advanced manufacturing convening", purpose="Agree on shared objectives for the pilot.",
        regions=("inland-empire-desert",), timezone="America/Los_Angeles", starts_at=STARTS, ends_at=ENDS,
        location="Riverside Community College, Room 101", online_url="https://meet.example.org/ie-am",
        capacity=capacity, audience=cmd.Audience(org_types=org_types),
        reminders=ReminderPolicy(offsets=offsets, min_gap_hours=0, send_hours=(8, 18)),
    ), actor="test", now=NOW)


def _ics(message) -> icalendar.Calendar:
    parts = [p for p in message.message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [p.get_content_type() for p in message.message.walk()]
    assert parts[0].get_filename() == "invite.ics"
    return icalendar.Calendar.from_ical(parts[0].get_payload(decode=True))


def _event(calendar):
    return calendar.walk("VEVENT")[0]


def _links(smtp_server) -> dict[str, str]:
    found = {}
    for m in smtp_server.messages:
        tokens = LINK.findall(m.text())
        if tokens:
            found[m.recipients[0]] = tokens[0]
    return found


def _answer(client, token, answer, **fields):
    page = client.get(f"/c/{token}")
    assert page.status_code == 200
    return client.post(f"/c/{token}", data={"csrf_token": csrf_token(page.data), "action": "rsvp", "answer": answer,
                                            "note": fields.get("note", ""), "needs": fields.get("needs", "")})


def test_invitation_reschedule_and_cancel_reach_calendars(app, client, smtp_server):
    app.config.update(SMTP_URL=smtp_server.url, FIXED_NOW=NOW)
    builders.stakeholders(regions=("inland-empire-desert", "los-angeles"), boards=2, colleges=1)
    convening = _convening()
    handle(cmd.SendConveningInvitations(convening.id), actor="test", now=NOW)
    assert deliver_outbox(now=NOW).sent == 3

    # One message to each board and college of the region (none to Los Angeles), each with its own link and its .ics.
    assert sorted(m.recipients[0] for m in smtp_server.messages) == [
        "college1.inland-empire-desert@example.org", "lwib1.inland-empire-desert@example.org",
        "lwib2.inland-empire-desert@example.org"]
    uids = set()
    for m in smtp_server.messages:
        calendar = _ics(m)
        assert str(calendar["METHOD"]) == "REQUEST"
        event = _event(calendar)
        start = event.decoded("DTSTART")
        assert start == STARTS and start.utcoffset() == dt.timedelta(hours=-8)
        assert str(start.tzinfo) == "America/Los_Angeles" and event["DTSTART"].params["TZID"] == "America/Los_Angeles"
        assert event.decoded("DTEND") == ENDS
        assert str(event["LOCATION"]) == "Riverside Community College, Room 101"
        assert str(event["ORGANIZER"]).startswith("mailto:") and int(event["SEQUENCE"]) == 0
        assert str(event["ATTENDEE"]) == f"mailto:{m.recipients[0]}"
        assert calendar.walk("VTIMEZONE"), "the zone travels with the entry"
        assert "Tuesday, March 2, 2027 at 9:00 AM PST to 12:30 PM PST" in m.text()
        # The personal link is in the body, never in the calendar entry.
        assert LINK.search(m.text()) and "/c/" not in event.to_ical().decode()
        uids.add(str(event["UID"]))
    assert len(uids) == 1
    uid = uids.pop()
    # No raw token in the event log, and only hashes stored.
    tokens = _links(smtp_server)
    log = " ".join(str(p) for p in db.session.scalars(select(EventRecord.payload)))
    assert not any(token in log for token in tokens.values())
    assert db.session.scalar(select(AccessToken.token_hash).where(AccessToken.convening_invitation_id.is_not(None)))

    # Everyone invited hears of the new time; calendars move the entry (same UID, higher SEQUENCE).
    smtp_server.clear()
    later = STARTS + dt.timedelta(days=7)
    handle(cmd.RescheduleConvening(convening.id, later, later + dt.timedelta(hours=3), reason="The room flooded"),
           actor="test", now=NOW)
    assert deliver_outbox(now=NOW).sent == 3
    for m in smtp_server.messages:
        assert m.subject.startswith("New time:")
        assert "The room flooded" in m.text() and "Tuesday, March 9, 2027 at 9:00 AM PST" in m.text()
        calendar = _ics(m)
        event = _event(calendar)
        assert str(calendar["METHOD"]) == "REQUEST" and str(event["UID"]) == uid and int(event["SEQUENCE"]) == 1
        assert event.decoded("DTSTART") == later

    # A cancellation: METHOD:CANCEL, same UID, higher SEQUENCE still; no link in it.
    smtp_server.clear()
    handle(cmd.CancelConvening(convening.id, reason="Funding moved to spring"), actor="test", now=NOW)
    assert deliver_outbox(now=NOW).sent == 3
    for m in smtp_server.messages:
        calendar = _ics(m)
        event = _event(calendar)
        assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
        assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 2
        assert "Funding moved to spring" in m.text() and not LINK.search(m.text())
    # The link now shows the cancellation, and takes no answer.
    token = tokens["lwib1.inland-empire-desert@example.org"]
    page = client.get(f"/c/{token}")
    assert page.status_code == 200 and b"was cancelled" in page.data
    form_page = client.get(f"/c/{token}/opt-out")  # a form on another page of the link gives a CSRF token
    refused = client.post(f"/c/{token}", data={"csrf_token": csrf_token(form_page.data), "action": "rsvp",
                                                "answer": "yes"})
    assert refused.status_code == 409
    assert db.session.scalar(select(ConveningInvitation.answer).where(ConveningInvitation.contact.has(
        email="lwib1.inland-empire-desert@example.org"))) is None


def test_waitlist_promotion_is_emailed_when_a_yes_turns_no(app, client, smtp_server):
    app.config.update(SMTP_URL=smtp_server.url, FIXED_NOW=NOW)
    builders.stakeholders(regions=("inland-empire-desert",), boards=2, colleges=2)
    convening = _convening(capacity=2)
    handle(cmd.SendConveningInvitations(convening.id), actor="test", now=NOW)
    deliver_outbox(now=NOW)
    links = _links(smtp_server)
    order = ["lwib1", "lwib2", "college1", "college2"]
    token = {who: links[f"{who}.inland-empire-desert@example.org"] for who in order}
    for who in order:
        assert _answer(client, token[who], "yes", needs="Vegetarian" if who == "college2" else "").status_code == 303
    db.session.expire_all()
    rows = {i.contact.email.split(".")[0]: i for i in db.session.scalars(select(ConveningInvitation))}
    assert [rows[w].standing for w in order] == ["yes", "yes", "waitlisted", "waitlisted"]
    assert "number 2 on the waitlist" in client.get(f"/c/{token['college2']}").get_data(as_text=True)

    # A seat frees up: the first on the waitlist has it and is emailed; the second moves up to first.
    smtp_server.clear()
    assert _answer(client, token["lwib2"], "no", note="Board meeting that day").status_code == 303
    db.session.expire_all()
    rows = {i.contact.email.split(".")[0]: i for i in db.session.scalars(select(ConveningInvitation))}
    assert [rows[w].standing for w in order] == ["yes", "no", "yes", "waitlisted"]
    assert rows["lwib2"].note == "Board meeting that day" and rows["college2"].needs == "Vegetarian"
    deliver_outbox(now=NOW)
    assert [m.recipients[0] for m in smtp_server.messages] == ["college1.inland-empire-desert@example.org"]
    promoted = smtp_server.messages[0]
    assert promoted.subject.startswith("A seat is yours") and LINK.search(promoted.text())
    assert "number 1 on the waitlist" in client.get(f"/c/{token['college2']}").get_data(as_text=True)
    kinds = db.session.scalars(select(EventRecord.type).where(EventRecord.aggregate_type == "convening_invitation",
                                                              EventRecord.aggregate_id == str(rows["college1"].id))
                               .order_by(EventRecord.seq)).all()
    assert kinds == ["ConveningInvitationIssued", "RsvpGiven", "RsvpPromoted"]
    # The answers' actor is the invitee's link, said in words as a survey link is.
    actor = db.session.scalar(select(EventRecord.actor).where(EventRecord.type == "RsvpGiven",
                                                              EventRecord.aggregate_id == str(rows["college1"].id)))
    words = describe_actors(db.session, [actor, "rsvp:999999"])
    assert words[actor] == "Person inland-empire-desert college 1's convening link (Inland Empire Desert college 1)"
    assert words["rsvp:999999"] == "An invitee's link"
    # A Maybe from the waitlist leaves it; nobody is promoted past capacity.
    assert _answer(client, token["college2"], "maybe").status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(ConveningInvitation).where(ConveningInvitation.id == rows["college2"].id)).standing == "maybe"


def test_staff_change_the_seats_never_below_those_given_and_added_seats_go_to_the_waitlist(app, client, smtp_server,
                                                                                            signed_in):
    app.config.update(SMTP_URL=smtp_server.url, FIXED_NOW=NOW)
    builders.stakeholders(regions=("inland-empire-desert",), boards=2, colleges=3)
    convening = _convening(capacity=2, org_types=("lwib", "college"))
    handle(cmd.SendConveningInvitations(convening.id), actor="test", now=NOW)
    deliver_outbox(now=NOW)
    links = _links(smtp_server)
    order = ["lwib1", "lwib2", "college1", "college2", "college3"]
    token = {who: links[f"{who}.inland-empire-desert@example.org"] for who in order}
    for who in order:
        assert _answer(client, token[who], "yes").status_code == 303

    def standings():
        db.session.expire_all()
        rows = {i.contact.email.split(".")[0]: i for i in db.session.scalars(select(ConveningInvitation))}
        return [rows[w].standing for w in order]

    assert standings() == ["yes", "yes", "waitlisted", "waitlisted", "waitlisted"]
    staff, _ = signed_in("staff")
    page = staff.get(f"/staff/convenings/{convening.id}")
    assert 'id="seats"' in page.get_data(as_text=True) and 'value="2"' in page.get_data(as_text=True)

    # Fewer seats than people already holding one: refused beside the field, nothing stored, nobody moved.
    smtp_server.clear()
    refused = staff.post(f"/staff/convenings/{convening.id}/capacity",
                         data={"csrf_token": csrf_token(page.data), "capacity": "1"})
    assert refused.status_code == 422
    assert "2 people have a seat already, so it needs at least 2 seats" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Convening, convening.id).capacity == 2
    assert standings() == ["yes", "yes", "waitlisted", "waitlisted", "waitlisted"]
    assert not db.session.scalars(select(EventRecord).where(EventRecord.type == "ConveningCapacityChanged")).all()

    # One more seat: the first on the waitlist has it and is emailed (with a link), as when a seat is given up.
    raised = staff.post(f"/staff/convenings/{convening.id}/capacity",
                        data={"csrf_token": csrf_token(page.data), "capacity": "3"})
    assert raised.status_code == 303
    assert "It now has 3 seats. 1 person from the waitlist now has a seat and is emailed." in staff.get(
        raised.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Convening, convening.id).capacity == 3
    assert standings() == ["yes", "yes", "yes", "waitlisted", "waitlisted"]
    assert deliver_outbox(now=NOW).sent == 1
    assert [m.recipients[0] for m in smtp_server.messages] == ["college1.inland-empire-desert@example.org"]
    assert smtp_server.messages[0].subject.startswith("A seat is yours") and LINK.search(smtp_server.messages[0].text())
    assert "number 1 on the waitlist" in client.get(f"/c/{token['college2']}").get_data(as_text=True)
    changed = db.session.scalars(select(EventRecord).where(EventRecord.type == "ConveningCapacityChanged")).one()
    assert changed.payload == {"convening_id": convening.id, "capacity": 3, "old_capacity": 2}
    log = staff.get("/staff/events").get_data(as_text=True)
    assert "now has 3 seats (it had 2 seats)." in log

    # No limit: everyone waiting has a seat, each emailed once.
    smtp_server.clear()
    unlimited = staff.post(f"/staff/convenings/{convening.id}/capacity",
                           data={"csrf_token": csrf_token(page.data), "capacity": ""})
    assert unlimited.status_code == 303
    assert standings() == ["yes"] * 5 and db.session.get(Convening, convening.id).capacity is None
    assert deliver_outbox(now=NOW).sent == 2
    assert sorted(m.recipients[0] for m in smtp_server.messages) == [
        "college2.inland-empire-desert@example.org", "college3.inland-empire-desert@example.org"]


def test_reminders_reach_yes_and_maybe_each_slot_and_non_answerers_once(app, client, smtp_server):
    app.config.update(SMTP_URL=smtp_server.url, FIXED_NOW=NOW)
    builders.stakeholders(regions=("inland-empire-desert",), boards=3, colleges=2)
    convening = _convening()
    handle(cmd.SendConveningInvitations(convening.id), actor="test", now=NOW)
    deliver_outbox(now=NOW)
    links = _links(smtp_server)
    token = {email.split(".")[0]: t for email, t in links.items()}
    _answer(client, token["lwib1"], "yes")
    _answer(client, token["lwib2"], "maybe")
    _answer(client, token["lwib3"], "no")
    # college2 opts out: nothing more reaches them.
    page = client.get(f"/c/{token['college2']}/opt-out")
    assert client.post(f"/c/{token['college2']}/opt-out", data={"csrf_token": csrf_token(page.data)}).status_code == 200
    assert db.session.scalar(select(Contact.opted_out_at).where(Contact.email.like("college2.%"))) is not None

    def sweep(at):
        smtp_server.clear()
        app.config["FIXED_NOW"] = at
        report = run_due_jobs(app, now=at)
        assert report.ok, report.errors
        return sorted(m.recipients[0].split(".")[0] for m in smtp_server.messages), report

    # 8 days before: no slot is due yet.
    assert sweep(STARTS - dt.timedelta(days=8))[0] == []
    # 7 days before, 9 AM: yes and maybe get the slot's reminder, college1 (no answer) its one reminder.
    got, report = sweep(STARTS - dt.timedelta(days=7))
    assert got == ["college1", "lwib1", "lwib2"]
    assert report["reminders"]["convening_queued"] == 3
    subjects = {m.recipients[0].split(".")[0]: m.subject for m in smtp_server.messages}
    assert subjects["college1"].startswith("Can you come?") and subjects["lwib1"].startswith("Reminder")
    # Run twice at the same time: nothing new.
    assert sweep(STARTS - dt.timedelta(days=7))[0] == []
    # Outside sending hours (7 AM the day before): nothing.
    assert sweep(STARTS - dt.timedelta(days=1, hours=2))[0] == []
    # The day before, 9 AM: yes and maybe again; the non-answerer had theirs.
    assert sweep(STARTS - dt.timedelta(days=1))[0] == ["lwib1", "lwib2"]
    keys = db.session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.kind == "convening_reminder")).all()
    assert len(keys) == len(set(keys)) == 5
    # After the start, no more answers: the page says so and a POST is refused.
    app.config["FIXED_NOW"] = STARTS + dt.timedelta(minutes=5)
    page = client.get(f"/c/{token['lwib1']}")
    assert b"answers can no longer be changed" in page.data and b'name="answer"' not in page.data


def test_a_bounced_invitation_is_not_told_of_the_new_time_and_an_opt_out_stops_waiting_mail(app, client, smtp_server):
    app.config.update(SMTP_URL=smtp_server.url, FIXED_NOW=NOW)
    builders.stakeholders(regions=("inland-empire-desert",), boards=2, colleges=1)
    smtp_server.reject_recipient("lwib2.inland-empire-desert@example.org")
    convening = _convening()
    handle(cmd.SendConveningInvitations(convening.id), actor="test", now=NOW)
    report = deliver_outbox(now=NOW)
    assert report.sent == 2 and report.failed == 1
    statuses = {i.contact.email.split(".")[0]: i.status for i in db.session.scalars(select(ConveningInvitation))}
    assert statuses == {"lwib1": "sent", "lwib2": "bounced", "college1": "sent"}
    token = _links(smtp_server)["college1.inland-empire-desert@example.org"]

    # A new time: those the invitation reached are told; the one it bounced from is not written to again.
    smtp_server.clear()
    later = STARTS + dt.timedelta(days=1)
    handle(cmd.RescheduleConvening(convening.id, later, later + dt.timedelta(hours=2)), actor="test", now=NOW)
    moved = db.session.scalars(select(OutboxMessage.to_addr).where(OutboxMessage.kind == "convening_moved")).all()
    assert sorted(moved) == ["college1.inland-empire-desert@example.org", "lwib1.inland-empire-desert@example.org"]

    # college1 opts out from the convening link before the notice goes: it is cancelled, never sent.
    page = client.get(f"/c/{token}/opt-out")
    assert client.post(f"/c/{token}/opt-out", data={"csrf_token": csrf_token(page.data)}).status_code == 200
    deliver_outbox(now=NOW)
    assert [m.recipients[0] for m in smtp_server.messages] == ["lwib1.inland-empire-desert@example.org"]
    cancelled = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "convening_moved",
                                                              OutboxMessage.to_addr.like("college1.%")))
    assert cancelled.status == "cancelled" and "opted out" in cancelled.last_error
    # The log says the person used their link (not that staff recorded it).
    from wfsurvey.queries.event_log import describe_events
    record = db.session.scalar(select(EventRecord).where(EventRecord.type == "ContactOptedOut"))
    assert "(through their link)" in describe_events(db.session, [record])[0].sentence


def test_the_dev_mailbox_lists_the_ics_and_staff_download_it(app, signed_in):
    from wfsurvey.models import MailboxMessage

    assert app.config["SMTP_URL"] is None  # the dev mailbox, as `make run` has it
    app.config.update(FIXED_NOW=NOW)
    staff, _ = signed_in()
    builders.stakeholders(regions=("inland-empire-desert",), boards=1, colleges=0)
    convening = _convening()
    handle(cmd.SendConveningInvitations(convening.id), actor="test", now=NOW)
    assert deliver_outbox(now=NOW).sent == 1
    stored = db.session.scalars(select(MailboxMessage)).one()
    sent = db.session.scalars(select(OutboxMessage)).one().attachments[0]
    size = len(sent["content"].encode("utf-8"))

    listing = staff.get("/dev/mailbox").get_data(as_text=True)
    assert "(1 attachment)" in listing
    page = staff.get(f"/dev/mailbox/{stored.id}").get_data(as_text=True)
    row = re.search(r"<tr><th scope=\"row\">invite\.ics</th>(.*?)</tr>", page, re.S)
    assert row, page
    cells = [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td>(.*?)</td>", row.group(1), re.S)]
    assert cells == ["Calendar file (text/calendar)", f"{size / 1024:.1f} KB" if size >= 1024 else f"{size:,} bytes",
                     "Download invite.ics"]

    file = staff.get(f"/dev/mailbox/{stored.id}/attachments/1")
    assert file.status_code == 200 and file.headers["Content-Type"].startswith("text/calendar; method=REQUEST")
    assert file.headers["Content-Disposition"] == 'attachment; filename="invite.ics"'
    assert file.data == sent["content"].encode("utf-8")
    assert _event(icalendar.Calendar.from_ical(file.data))["SUMMARY"] == "Inland Empire advanced manufacturing convening"
    assert staff.get(f"/dev/mailbox/{stored.id}/attachments/2").status_code == 404
    assert app.test_client().get(f"/dev/mailbox/{stored.id}/attachments/1").status_code == 302  # staff only
