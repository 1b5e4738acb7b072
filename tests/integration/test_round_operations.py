"""Round operations (issue 12, part 2) through the pages and the API: a draft edited in the wizard, "Open now" and
"Schedule" back to its time, "New round from this one", a round that opens when launched, and the round page saying
what happens next and when."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests import builders
from tests.htmlforms import Form
from tests.web import page_token, signed_in  # noqa: F401  (signed_in is a fixture)
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import EventRecord, Invitation, OutboxMessage, Round
from wfsurvey.schemas.rounds import round_command
from wfsurvey.services import handle

UTC = dt.timezone.utc
#: Before the window of builders.round_definition (Oct 5, 9:00 PDT, to Nov 2, 5:00 PM PST): Thursday, Oct 1, 10:00 PDT.
BEFORE = dt.datetime(2026, 10, 1, 17, 0, tzinfo=UTC)
WIZARD = "round-wizard"


@pytest.fixture
def staff(app, signed_in):
    app.config["FIXED_NOW"] = BEFORE
    client, user = signed_in("staff", name="Jane Doe")
    client.user = user
    builders.stakeholders()
    builders.template()
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def events_of(type_: str) -> list[EventRecord]:
    db.session.expire_all()
    return db.session.scalars(select(EventRecord).where(EventRecord.type == type_).order_by(EventRecord.seq)).all()


def post(client, path: str, page: str):
    return client.post(path, data={"csrf_token": page_token(client, page)})


def a_draft(**over) -> Round:
    return handle(round_command(builders.round_definition(**over)), actor="test", now=BEFORE)


def invitation_mail(round_id: int) -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.round_id == round_id,
                                                          OutboxMessage.kind == "invitation")
                              .order_by(OutboxMessage.id)).all()


# --- editing a draft ----------------------------------------------------------------------

def test_a_draft_is_edited_in_the_wizard_every_field_and_the_event_names_the_changes(staff):
    draft = a_draft()
    page = text(staff.get(f"/staff/rounds/{draft.id}"))
    assert f'href="/staff/rounds/{draft.id}/edit"' in page

    wizard = text(staff.get(f"/staff/rounds/{draft.id}/edit"))
    assert "Change the draft “AM baseline 2026”" in wizard and "Save the changes" in wizard
    form = Form(wizard, WIZARD)
    # Every field comes from the round: template version, title, window (local), reminders as checkboxes.
    assert form.get("template") == "collab:1" and form.get("title") == "AM baseline 2026"
    assert form.get("opens_at") == "2026-10-05T09:00" and form.get("closes_at") == "2026-11-02T17:00"
    assert form.get("opens_when") == "time"
    assert sorted(form.getlist("offsets")) == ["P1D", "P2D", "P7D"]

    form.set("title", "AM baseline, winter wave").set("closes_at", "2026-11-09T17:00").set("other_offsets", "12 hours")
    form.check("regions", "los-angeles").check("org_types", "lwib").check("offsets", "P2D", on=False)
    form.set("min_gap_hours", "24").set("send_from", "9").set("send_until", "17").set("response_rule", "contact")
    form.set("include_contacts", "college1.inland-empire-desert@example.org")
    form.check("baseline", "y")
    response = form.post(staff, f"/staff/rounds/{draft.id}/edit", "create")
    assert response.status_code == 302, text(response)

    db.session.expire_all()
    edited = db.session.get(Round, draft.id)
    assert edited.state == "draft" and edited.title == "AM baseline, winter wave"
    assert edited.closes_at == dt.datetime(2026, 11, 10, 1, 0, tzinfo=UTC)
    assert edited.audience == {"regions": ["los-angeles"], "org_types": ["lwib"],
                               "include_contacts": ["college1.inland-empire-desert@example.org"], "exclude_contacts": []}
    assert edited.reminders == {"offsets": ["P7D", "P1D", "PT12H"], "min_gap_hours": 24, "send_hours": [9, 17]}
    assert edited.response_rule == "contact" and edited.is_baseline
    [event] = events_of("RoundEdited")
    assert event.actor == f"user:{staff.user.id}"
    assert set(event.payload["changes"]) == {"title", "closes_at", "audience", "reminders", "response_rule",
                                             "is_baseline"}
    log = text(staff.get(f"/staff/events?round_id={draft.id}"))
    assert "Draft round changed" in log and "title now “AM baseline, winter wave”" in log
    assert "closing time now Monday, November 9, 2026 at 5:00 PM PST" in log and "Jane Doe" in log

    # Saving again without a change records nothing.
    again = Form(text(staff.get(f"/staff/rounds/{draft.id}/edit")), WIZARD)
    assert again.post(staff, f"/staff/rounds/{draft.id}/edit", "create").status_code == 302
    assert len(events_of("RoundEdited")) == 1


def test_the_edit_refuses_bad_input_on_its_field_and_changes_nothing(staff):
    draft = a_draft()
    form = Form(text(staff.get(f"/staff/rounds/{draft.id}/edit")), WIZARD)
    form.set("closes_at", "2026-10-01T09:00").set("title", "")
    response = form.post(staff, f"/staff/rounds/{draft.id}/edit", "create")
    page = text(response)
    assert response.status_code == 200
    assert "The round must close after it opens." in page and "Enter the round&#39;s title." in page
    db.session.expire_all()
    assert db.session.get(Round, draft.id).title == "AM baseline 2026" and not events_of("RoundEdited")


def test_only_a_draft_is_edited(staff):
    round_ = builders.launched_round(now=BEFORE)  # opens Oct 5: scheduled
    page = text(staff.get(f"/staff/rounds/{round_.id}/edit"))
    assert "The round is <strong>scheduled</strong>. Only a draft can be changed" in page
    assert f'href="/staff/rounds/new?from={round_.id}"' in page and 'id="round-wizard"' not in page
    posted = staff.post(f"/staff/rounds/{round_.id}/edit", data={"title": "Changed", "action": "create",
                                                                  "csrf_token": page_token(staff, "/staff/rounds/new")})
    assert posted.status_code == 409
    refused = handle_refusal(cmd.EditRound(round_.id, round_command(builders.round_definition(title="Changed"))))
    assert "only a draft round can be edited" in refused
    db.session.expire_all()
    assert db.session.get(Round, round_.id).title == "AM baseline 2026"


def handle_refusal(command) -> str:
    from wfsurvey.services.outcomes import run_command

    outcome = run_command(command, actor="test", now=BEFORE)
    assert outcome.error is not None
    return outcome.error.message


# --- open now and schedule back -----------------------------------------------------------

def test_open_now_then_schedule_back_then_the_scheduler_opens_it_at_its_time(staff, runner):
    round_ = builders.launched_round(now=BEFORE)
    assert round_.state == "scheduled" and not invitation_mail(round_.id)
    page = text(staff.get(f"/staff/rounds/{round_.id}"))
    assert "Invitations go out when the round opens, Monday, October 5, 2026 at 9:00 AM PDT." in page
    assert "Open round 1 now" in page

    assert post(staff, f"/staff/rounds/{round_.id}/open-now", f"/staff/rounds/{round_.id}").status_code == 302
    db.session.expire_all()
    opened = db.session.get(Round, round_.id)
    assert opened.state == "open" and opened.opens_at == BEFORE
    assert opened.planned_opens_at == dt.datetime(2026, 10, 5, 16, 0, tzinfo=UTC)
    first = invitation_mail(round_.id)
    assert len(first) == 8 and {m.status for m in first} == {"queued"}
    [event] = events_of("RoundOpenedEarly")
    assert event.actor == f"user:{staff.user.id}"
    page = text(staff.get(f"/staff/rounds/{round_.id}"))
    assert "The round is open: its invitations go out within a minute." in page
    assert "opened ahead of its planned time, Monday, October 5, 2026 at 9:00 AM PDT" in page
    assert "Schedule round 1 for Monday, October 5, 2026 at 9:00 AM PDT" in page

    assert post(staff, f"/staff/rounds/{round_.id}/schedule", f"/staff/rounds/{round_.id}").status_code == 302
    db.session.expire_all()
    back = db.session.get(Round, round_.id)
    assert back.state == "scheduled" and back.opens_at == dt.datetime(2026, 10, 5, 16, 0, tzinfo=UTC)
    assert back.planned_opens_at is None
    assert {m.status for m in invitation_mail(round_.id)} == {"cancelled"}  # held back, never sent
    [rescheduled] = events_of("RoundRescheduled")
    assert rescheduled.actor == f"user:{staff.user.id}" and rescheduled.payload["held_back"] == 8
    log = text(staff.get(f"/staff/events?round_id={round_.id}"))
    assert "Round opened now" in log and "ahead of its planned opening Monday, October 5, 2026 at 9:00 AM PDT" in log
    assert "Round scheduled back" in log and "8 invitation emails held back until then" in log

    # At its time the scheduler's window job opens it, and the held-back invitations are queued afresh.
    result = runner.invoke(args=["jobs", "run", "--now", "2026-10-05T09:01:00-07:00"])
    assert result.exit_code == 0, result.output
    assert "windows: opened=1" in result.output
    db.session.expire_all()
    assert db.session.get(Round, round_.id).state == "open"
    mail = invitation_mail(round_.id)
    assert len(mail) == 16 and sum(m.status == "sent" for m in mail) == 8  # the same run delivered them
    assert len({m.invitation_id for m in mail if m.status == "sent"}) == 8


def test_schedule_back_is_refused_once_someone_answers_and_open_now_only_for_a_scheduled_round(staff):
    round_ = builders.launched_round(now=BEFORE)
    handle(cmd.OpenRoundNow(round_.id), actor="test", now=BEFORE)
    invitation = db.session.scalars(select(Invitation).where(Invitation.round_id == round_.id)).first()
    handle(cmd.SaveAnswers(invitation.id, {"targets_am": ["yes"]}, submit=False), actor=f"token:{invitation.id}",
           now=BEFORE)
    assert post(staff, f"/staff/rounds/{round_.id}/schedule", f"/staff/rounds/{round_.id}").status_code == 302
    page = text(staff.get(f"/staff/rounds/{round_.id}"))
    assert "Not done: 1 person has started answering, so it stays open." in page
    db.session.expire_all()
    assert db.session.get(Round, round_.id).state == "open" and not events_of("RoundRescheduled")

    draft = a_draft(title="Another")
    assert "only a scheduled round can be opened now" in handle_refusal(cmd.OpenRoundNow(draft.id))
    assert "only a round opened ahead of its planned time" in handle_refusal(cmd.ScheduleRound(draft.id))


# --- a new round from this one --------------------------------------------------------------

def test_new_round_from_this_one_copies_template_audience_and_reminders_with_a_new_window(staff):
    source = builders.launched_round(now=BEFORE, audience={"regions": ["los-angeles"], "org_types": ["lwib"]},
                                     reminders={"offsets": ["P7D", "PT12H"], "min_gap_hours": 30, "send_hours": [9, 17]},
                                     baseline=True)
    page = text(staff.get(f"/staff/rounds/{source.id}"))
    assert f'href="/staff/rounds/new?from={source.id}"' in page
    assert staff.get("/staff/rounds/new?from=999").status_code == 404
    for odd in ("abc", "²", "99999999999999999999"):
        assert "Copied from" not in text(staff.get(f"/staff/rounds/new?from={odd}"))  # not a round: a blank wizard
    wizard = text(staff.get(f"/staff/rounds/new?from={source.id}"))
    assert "Copied from" in wizard
    form = Form(wizard, WIZARD)
    assert form.get("template") == "collab:1" and form.getlist("regions") == ["los-angeles"]
    assert form.getlist("org_types") == ["lwib"] and form.getlist("offsets") == ["P7D"]
    assert form.get("other_offsets") == "12 hours" and form.get("min_gap_hours") == "30"
    assert form.get("opens_at") == "" and form.get("closes_at") == "" and form.get("baseline") is None

    form.set("title", "AM follow-up, spring 2027").set("opens_at", "2027-03-02T09:00").set("closes_at", "2027-03-30T17:00")
    response = form.post(staff, f"/staff/rounds/new?from={source.id}", "create")
    assert response.status_code == 302, text(response)
    db.session.expire_all()
    copy = db.session.scalars(select(Round).where(Round.id != source.id)).one()
    assert copy.state == "draft" and copy.template_id == source.template_id and not copy.is_baseline
    assert copy.audience == source.audience and copy.reminders == source.reminders
    assert copy.opens_at == dt.datetime(2027, 3, 2, 17, 0, tzinfo=UTC)


# --- a round that opens when launched, and what happens next --------------------------------

def test_a_round_that_opens_when_launched_opens_at_its_launch(staff, app):
    form = Form(text(staff.get("/staff/rounds/new")), WIZARD)
    form.set("template", "collab:1").set("title", "Opens on launch").choose("opens_when", "launch")
    form.set("closes_at", "2026-10-30T17:00")
    response = form.post(staff, "/staff/rounds/new", "create")
    assert response.status_code == 302, text(response)
    draft = db.session.scalars(select(Round)).one()
    assert draft.opens_on_launch
    page = text(staff.get(f"/staff/rounds/{draft.id}"))
    assert "When you launch it, it opens at once and the invitations go out within a minute." in page
    assert "A reminder goes to everyone who has not answered 7 days before close (Friday, October 23, 2026 at 5:00 PM PDT" in page
    assert "The round closes Friday, October 30, 2026 at 5:00 PM PDT" in page
    assert "Opens</dt><dd>When you launch it" in page
    # Saved again unchanged, a draft that opens when launched records no change (its opening is no time yet).
    edit = text(staff.get(f"/staff/rounds/{draft.id}/edit"))
    assert '<option selected value="8">8 AM</option>' in edit and '<option selected value="18">6 PM</option>' in edit
    assert Form(edit, WIZARD).post(staff, f"/staff/rounds/{draft.id}/edit", "create").status_code == 302
    assert not events_of("RoundEdited")

    launch_at = BEFORE + dt.timedelta(minutes=10)  # within the sign-in's idle limit
    app.config["FIXED_NOW"] = launch_at
    assert post(staff, f"/staff/rounds/{draft.id}/launch", f"/staff/rounds/{draft.id}").status_code == 302
    db.session.expire_all()
    launched = db.session.get(Round, draft.id)
    assert launched.state == "open" and launched.opens_at == launch_at
    assert len(invitation_mail(draft.id)) == 8
    page = text(staff.get(f"/staff/rounds/{draft.id}"))
    assert "The round opened Thursday, October 1, 2026 at 10:10 AM PDT" in page

    # Opening when launched, the round must still close in the future.
    late = Form(text(staff.get("/staff/rounds/new")), WIZARD)
    late.set("title", "Too late").choose("opens_when", "launch").set("closes_at", "2026-09-30T17:00")
    assert "The round opens when you launch it, so it must close in the future." in text(
        late.post(staff, "/staff/rounds/new", "create"))


def test_a_set_time_needs_its_opening(staff):
    form = Form(text(staff.get("/staff/rounds/new")), WIZARD)
    form.set("title", "No opening").set("closes_at", "2026-10-30T17:00")
    page = text(form.post(staff, "/staff/rounds/new", "create"))
    assert "Enter when the round opens, or choose “When I launch the round”." in page
    assert db.session.scalar(select(func.count()).select_from(Round)) == 0


def test_the_round_page_says_what_happens_next_in_each_state(staff, app):
    draft = a_draft()
    page = text(staff.get(f"/staff/rounds/{draft.id}"))
    assert "Nothing is sent until you launch the round. Invitations go out when the round opens, Monday, October 5, " \
           "2026 at 9:00 AM PDT." in page
    assert "A reminder goes to everyone who has not answered 2 days before close (Saturday, October 31, 2026 at " \
           "5:00 PM PDT, or the next sending hour between 8 AM and 6 PM after it)." in page
    assert "sent between\n8 AM and 6 PM (America/Los_Angeles)" in page
    assert "The round closes Monday, November 2, 2026 at 5:00 PM PST: answers stop and the designations become final." in page

    handle(cmd.LaunchRound(draft.id), actor="test", now=BEFORE)
    handle(cmd.CloseRound(draft.id), actor="test", now=BEFORE)
    page = text(staff.get(f"/staff/rounds/{draft.id}"))
    assert "The round closed Thursday, October 1, 2026 at 10:00 AM PDT: no more answers are accepted" in page
    assert "New round from this one" in page


# --- the API ------------------------------------------------------------------------------

class Api:
    def __init__(self, client, token: str):
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def __call__(self, method: str, url: str, json=None):
        return self.client.open(f"/api/v1{url}", method=method, headers=self.headers, json=json)


@pytest.fixture
def api(app, client):
    app.config["FIXED_NOW"] = BEFORE
    handle(cmd.CreateUser(email="script@example.org", password="correct-horse-battery-staple-42", role="staff"),
           actor="test", now=BEFORE)
    builders.stakeholders()
    builders.template()
    return Api(client, handle(cmd.CreateApiToken(user_email="script@example.org", name="script"), actor="test", now=BEFORE))


def test_api_patches_a_draft_and_opens_and_schedules_a_round(api):
    created = api("POST", "/rounds", builders.round_definition())
    round_id = created.get_json()["id"]
    patched = api("PATCH", f"/rounds/{round_id}", {"title": "Renamed", "closes_at": "2026-11-09T17:00"})
    assert patched.status_code == 200, patched.get_json()
    body = patched.get_json()
    assert body["title"] == "Renamed" and body["closes_at"] == "2026-11-09T17:00:00-08:00"
    assert body["opens_at"] == "2026-10-05T09:00:00-07:00" and body["state"] == "draft"
    [event] = events_of("RoundEdited")
    assert event.actor.startswith("api:") and set(event.payload["changes"]) == {"title", "closes_at"}

    bad = api("PATCH", f"/rounds/{round_id}", {"closes_at": "2026-10-01T09:00", "colour": "red"})
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) >= {"colour"}
    bad = api("PATCH", f"/rounds/{round_id}", {"closes_at": "2026-10-01T09:00"})
    assert bad.status_code == 422 and bad.get_json()["error"]["fields"] == {"closes_at": ["must be after opens_at"]}
    assert api("PATCH", f"/rounds/{round_id}", ["title"]).status_code == 422

    on_launch = api("PATCH", f"/rounds/{round_id}", {"opens_on_launch": True})
    assert on_launch.get_json()["opens_on_launch"] is True

    assert api("POST", f"/rounds/{round_id}/open-now").status_code == 409  # a draft: launch it
    assert api("POST", f"/rounds/{round_id}/launch").get_json()["state"] == "open"
    assert api("PATCH", f"/rounds/{round_id}", {"title": "Too late"}).status_code == 409

    other = api("POST", "/rounds", builders.round_definition(title="Scheduled")).get_json()["id"]
    assert api("POST", f"/rounds/{other}/launch").get_json()["state"] == "scheduled"
    opened = api("POST", f"/rounds/{other}/open-now").get_json()
    assert opened["state"] == "open" and opened["planned_opens_at"] == "2026-10-05T09:00:00-07:00"
    back = api("POST", f"/rounds/{other}/schedule").get_json()
    assert back["state"] == "scheduled" and back["opens_at"] == "2026-10-05T09:00:00-07:00"
    assert back["planned_opens_at"] is None
    assert api("POST", f"/rounds/{other}/schedule").status_code == 409

    # An id no round can have is a 404 for every method, never "method not allowed"; a method no route has stays 405.
    assert api("PATCH", "/rounds/0", {"title": "x"}).status_code == 404
    assert api("GET", "/rounds/0").status_code == 404
    assert api("DELETE", f"/rounds/{other}").status_code == 405

    paths = api("GET", "/openapi.json").get_json()["paths"]
    assert "patch" in paths["/api/v1/rounds/{round_id}"]
    assert "post" in paths["/api/v1/rounds/{round_id}/open-now"] and "post" in paths["/api/v1/rounds/{round_id}/schedule"]
