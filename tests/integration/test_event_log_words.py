"""The event log in words: every event type has a name and a sentence, actors are people (one statement per kind of
actor), and the page of a program in progress reads without ids, slugs or raw JSON (the JSON stays under "details")."""
from __future__ import annotations

import dataclasses
import html as html_module
import re
import typing

import pytest
from sqlalchemy import event, select

from tests import program
from tests.factories import DEFAULT_PASSWORD
from tests.web import login
from wfsurvey.domain import events as ev
from wfsurvey.extensions import db
from wfsurvey.models import ApiToken, Contact, Invitation, Organization, User
from wfsurvey.queries.actors import describe_actors
from wfsurvey.queries.event_log import EVENT_WORDS, Names, sentence_of, type_words

#: What a page of the event log never shows outside an event's details.
IDS = re.compile(r"\b(?:user|token|api):\d+|\bP\d+D\b|\bPT\d+H\b|\bsystem:[a-z]+")


def test_every_event_type_has_words():
    assert set(EVENT_WORDS) == set(ev.EVENT_TYPES), "add the new event type's words to queries.event_log.EVENT_WORDS"


#: Sample values of payload fields by name (strings), the others by type: enough for a sentence to be made.
SAMPLE_TEXT = {"slot": "P7D", "timezone": "America/Los_Angeles", "email": "grace@example.org", "status": "designated",
               "state": "open", "org_type": "lwib", "region": "inland-empire-desert", "kind": "reminder", "role": "staff",
               "scheme": "cc-macro", "key": "7:inland-empire-desert", "code": "inland-empire-desert"}


def _sample(name: str, annotation: typing.Any) -> typing.Any:
    text = annotation.__name__ if isinstance(annotation, type) else str(annotation)
    if text.startswith("int"):
        return 7
    if text.startswith("bool"):
        return True
    if text.startswith("list[int]"):
        return [7, 8]
    if text.startswith("list"):
        return ["inland-empire-desert"]
    if text.startswith("dict"):
        return {"name": {"from": "Old", "to": "New"}} if name == "changes" else {"name": "Nina North", "email": "n@example.org"}
    if name.endswith("_at"):
        return "2026-10-05T09:00:00-07:00"
    return SAMPLE_TEXT.get(name, "Sample text")


@pytest.mark.parametrize("type_name", sorted(ev.EVENT_TYPES))
def test_every_event_type_reads_as_a_sentence(type_name):
    cls = ev.EVENT_TYPES[type_name]
    hints = typing.get_type_hints(cls)
    payload = {f.name: _sample(f.name, hints[f.name]) for f in dataclasses.fields(cls) if f.name != "_order"}
    names = Names(rounds={7: ("AM baseline", "America/Los_Angeles")}, invitations={7: ("Grace Ramirez", "Fresno City College")},
                  contacts={7: "Grace Ramirez", 8: "Tom Lee"}, organizations={7: "Fresno City College"},
                  regions={"inland-empire-desert": "Inland Empire/Desert"}, messages={7: ("reminder", "grace@example.org")},
                  users={7: "Jane Doe (staff)"})
    title = EVENT_WORDS[type_name][0]
    said = sentence_of(type_name, payload, names)
    assert title and title == type_words(type_name) and title[0].isupper()
    assert said.strip() and not said[0].islower(), said
    assert not IDS.search(said) and "None" not in said and "{" not in said, said
    assert "inland-empire-desert" not in said, said
    # Whatever it names may be gone: still a sentence, never an id.
    gone = sentence_of(type_name, payload, Names())
    assert not gone[0].islower() and not IDS.search(gone), gone


def test_a_type_without_words_is_split_into_words():
    assert type_words("ConveningScheduled") == "Convening scheduled"


def test_actors_in_words_with_one_statement_per_kind(app, make_user, make_contact):
    program.build(app)
    staff = db.session.scalar(select(User).where(User.email == program.STAFF))
    invitation = db.session.scalars(select(Invitation).order_by(Invitation.id)).first()
    contact, organization = db.session.get(Contact, invitation.contact_id), db.session.get(Organization, invitation.organization_id)
    token = db.session.scalars(select(ApiToken)).one()
    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        words = describe_actors(db.session, [f"user:{staff.id}", f"token:{invitation.id}", f"api:{token.id}",
                                             "system:reminders", "system:delivery", "cli", "demo", "user:999", "token:999",
                                             "user:1", f"token:{invitation.id + 1}"])
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert len(statements) == 3  # users, respondents' links, API tokens: however many of each
    assert words[f"user:{staff.id}"] == "Demo Staff (staff)"
    assert words[f"token:{invitation.id}"] == f"{contact.name}'s link ({organization.name})"
    assert words[f"api:{token.id}"] == "API token “nightly export” of Demo Admin"
    assert words["system:reminders"] == "Scheduler: reminders" and words["system:delivery"] == "Scheduler: email delivery"
    assert words["cli"] == "Command line" and words["demo"] == "Demo data loader"
    assert words["user:999"] == "A user no longer on record" and words["token:999"] == "A respondent's link"


@pytest.fixture
def staff_client(app):
    built = program.build(app)
    client = app.test_client()
    assert login(client, program.STAFF, DEFAULT_PASSWORD).status_code == 302
    return client, built


def _visible(html: str) -> str:
    """The page's text as a reader sees it: no markup, no closed "details", no form controls' values."""
    html = re.sub(r"<details.*?</details>", " ", html, flags=re.S)
    html = re.sub(r"<(script|style|select)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_event_log_of_a_program_in_progress_reads_in_words(staff_client):
    client, built = staff_client
    baseline = built.rounds["baseline"]
    page = client.get(f"/staff/events?round_id={baseline}&page=1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    seen = _visible(html)
    assert not IDS.search(seen), IDS.search(seen)
    assert "inland-empire-desert" not in seen and "{" not in seen

    everything = ""
    for number in range(1, 10):
        everything += _visible(client.get(f"/staff/events?page={number}").get_data(as_text=True))
    assert not IDS.search(everything), IDS.search(everything)
    for said in ("Designation set by an admin",
                 "Inland Empire/Desert, “Advanced Manufacturing baseline”: Nina North named navigator counterpart.",
                 "Reason: Both boards agreed on a call that Nina leads.", "Demo Admin (admin)", "Demo Staff (staff)",
                 "Round cancelled", "Made by mistake: the follow-up round already covers these colleges.",
                 "Contact opted back in", "How they asked: Asked by phone on October 19 to be added back.",
                 "Import from partners-october.csv: 1 created, 0 updated, 0 unchanged.",
                 "API token “nightly export” of Demo Admin", "Region Tribal Nations Workforce Consortium added.",
                 "Account for pat.lee@example.org created, as staff."):
        assert said in everything, said

    reminders = _visible(client.get(f"/staff/events?round_id={baseline}&type=ReminderQueued").get_data(as_text=True))
    assert re.search(r"Reminder about “Advanced Manufacturing baseline” for [^()]+ \([^()]+\) "
                     r"\(7 days before close\)\.", reminders)
    assert "Scheduler: reminders" in reminders
    # The payload is still there for power users, under each event's details.
    assert '"slot": "P7D"' in html_module.unescape(
        client.get(f"/staff/events?round_id={baseline}&type=ReminderQueued").get_data(as_text=True))


def test_the_who_filter_offers_people_and_groups_in_words(staff_client):
    client, built = staff_client
    by_respondents = client.get("/staff/events?actor=respondents").get_data(as_text=True)
    rows = re.findall(r'<td class="who"><a href="[^"]*actor=([^"&]+)', by_respondents)
    assert rows and all(actor.startswith("token") for actor in rows)
    assert "Response submitted" in by_respondents and "Email delivered" not in _visible(by_respondents).split("Who")[-1]

    by_scheduler = client.get("/staff/events?actor=scheduler&type=EmailDelivered").get_data(as_text=True)
    assert "Scheduler: email delivery" in by_scheduler and "The mail server accepted the invitation to" in by_scheduler

    # A row's "who" link filters by that actor, and the filter shows it selected, in words.
    one = client.get(f"/staff/events?actor=user:{built.admin_id}").get_data(as_text=True)
    assert f'<option selected value="user:{built.admin_id}">Demo Admin (admin)</option>' in one
    assert set(re.findall(r'data-type="(\w+)"', one)) == {"DesignationOverridden", "DesignationChanged", "UserCreated",
                                                            "PilotRegionSelected"}
    token = client.get(f"/staff/events?actor=token:{built.invitation_id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="token:{built.invitation_id}">[^<]+&#39;s link \([^<]+\)</option>', token)


def test_the_event_log_page_looks_names_up_in_a_fixed_number_of_statements(staff_client):
    client, _ = staff_client
    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    db.session.remove()
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        assert client.get("/staff/events").status_code == 200  # 50 events of many kinds, by many actors
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    # The user, the two filters' choices, the page and its count, then at most one statement per kind of thing
    # named (7) and per kind of actor (3): never one per row.
    assert len(statements) <= 16, statements
