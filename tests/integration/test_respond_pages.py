"""The respondent pages at /r/<token>: the form, drafts, submit and edit, closed rounds, opt-out, forwarding, limits."""
from __future__ import annotations

import datetime as dt
import html
import re
import threading
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from tests.conftest import make_app
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.tokens import hash_token, new_token
from wfsurvey.extensions import db
from wfsurvey.models import AccessToken, Contact, EventRecord, Invitation, Organization, Region, Response, Round
from wfsurvey.schemas.rounds import round_command
from wfsurvey.services import handle

UTC = dt.timezone.utc
SETUP = dt.datetime(2026, 10, 1, 16, 0, tzinfo=UTC)
LAUNCH = dt.datetime(2026, 11, 2, 18, 0, tzinfo=UTC)  # inside the window: the round opens at launch
DURING = dt.datetime(2026, 11, 10, 20, 0, tzinfo=UTC)  # 12:00 PM PST
AFTER = dt.datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
CLOSES_TEXT = "Friday, December 4, 2026 at 5:00 PM PST"

TEMPLATE = {
    "slug": "collab-pages",
    "title": "Regional collaboration",
    "description": "How your board works with colleges on Advanced Manufacturing.",
    "questions": [
        {"key": "role", "type": "single_choice", "label": "Your role", "required": True,
         "options": [{"value": "director", "label": "Director"}, {"value": "staff", "label": "Staff member"}]},
        {"key": "sectors", "type": "multi_choice", "label": "Sectors you work with",
         "options": [{"value": "am", "label": "Advanced manufacturing"}, {"value": "health", "label": "Health care"}]},
        {"key": "collab", "type": "scale", "label": "How closely do you work with colleges?", "required": True,
         "min_label": "Not at all", "max_label": "Fully"},
        {"key": "has_partner", "type": "yes_no", "label": "Do you have a college partner?", "required": True},
        {"key": "partner_name", "type": "text", "label": "Which college?", "required": True,
         "show_if": {"question": "has_partner", "equals": "yes"}},
        {"key": "staff_count", "type": "number", "label": "Staff on sector work", "min": 0, "max": 500,
         "help": "Full-time equivalents."},
        {"key": "notes", "type": "long_text", "label": "Anything else?"},
        {"key": "navigator", "type": "contact", "label": "Your regional navigator counterpart",
         "show_if": {"org_type": ["lwib"]}},
        {"key": "programs", "type": "text", "label": "College programs", "show_if": {"org_type": ["college"]}},
    ],
}

COMPLETE = {
    "role": "director", "sectors": ["am", "health"], "collab": "4", "has_partner": "yes",
    "partner_name": "Desert Community College", "staff_count": "12", "notes": "We meet monthly.",
    "navigator.name": "Nia Navigator", "navigator.email": "Nia@Example.org", "navigator.organization": "Desert College",
}


# --- building a launched round and links ---------------------------------------------------------

def round_definition(title="AM baseline winter 2026", opens="2026-11-02T09:00", closes="2026-12-04T17:00", **over):
    return {"template": TEMPLATE["slug"], "title": title, "timezone": "America/Los_Angeles", "opens_at": opens,
            "closes_at": closes, "audience": {"regions": ["inland-empire-desert"], "org_types": ["lwib"]}, **over}


def launch(definition, now=LAUNCH) -> Round:
    r = handle(round_command(definition), actor="test", now=now)
    handle(cmd.LaunchRound(r.id), actor="test", now=now)
    return db.session.get(Round, r.id)


@pytest.fixture
def world(app):
    region = Region(scheme="cc-macro", code="inland-empire-desert", name="Inland Empire/Desert", created_at=SETUP)
    board = Organization(name="Inland Board", org_type="lwib", created_at=SETUP, regions=[region])
    other = Organization(name="Desert Board", org_type="lwib", created_at=SETUP, regions=[region])
    people = {
        "alice": Contact(organization=board, name="Alice Able", email="alice@board.example", created_at=SETUP, updated_at=SETUP),
        "bob": Contact(organization=board, name="Bob Baker", email="bob@board.example", created_at=SETUP, updated_at=SETUP),
        "dora": Contact(organization=other, name="Dora Dale", email="dora@desert.example", created_at=SETUP, updated_at=SETUP),
    }
    db.session.add_all([region, board, other, *people.values()])
    db.session.commit()
    handle(cmd.CreateTemplate(TEMPLATE), actor="test", now=SETUP)
    round_ = launch(round_definition())
    app.config["FIXED_NOW"] = DURING
    return SimpleNamespace(round=round_, board=board, **{k: v.id for k, v in people.items()})


def invitation_of(contact_id: int, round_id: int) -> Invitation:
    db.session.expire_all()
    return db.session.scalar(select(Invitation).where(Invitation.contact_id == contact_id, Invitation.round_id == round_id))


def link(contact_id: int, round_id: int) -> str:
    """A fresh token for the contact's invitation, made as the mailer would (only its hash is stored)."""
    token = new_token()
    invitation = invitation_of(contact_id, round_id)
    db.session.add(AccessToken(invitation_id=invitation.id, token_hash=hash_token(token), purpose="invitation",
                               created_at=LAUNCH, revoked_at=None))
    db.session.commit()
    return f"/r/{token}"


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def events(kind: str | None = None) -> list[EventRecord]:
    db.session.expire_all()
    query = select(EventRecord).order_by(EventRecord.seq)
    if kind:
        query = query.where(EventRecord.type == kind)
    return db.session.scalars(query).all()


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return match.group(1)


def send(client, url: str, answers: dict, action: str = "save", **control):
    """Open the form, then post `answers` with the page's CSRF token and revision (overridable)."""
    page = client.get(url).get_data(as_text=True)
    data = {"csrf_token": hidden(page, "csrf_token"), "revision": hidden(page, "revision"), "action": action}
    data.update(control)
    data.update(answers)
    return client.post(url, data=data)


# --- the form ------------------------------------------------------------------------------------

def test_get_shows_every_question_type_and_changes_nothing(client, world):
    url = link(world.alice, world.round.id)
    before = len(events())
    response = client.get(url)
    page = text_of(response)
    assert response.status_code == 200
    assert len(events()) == before and invitation_of(world.alice, world.round.id).status == "pending"
    assert count(Response) == 0
    # Radios in a fieldset with a legend, checkboxes, the scale with its end labels, yes/no, number limits.
    assert re.search(r'<fieldset id="q-role"[^>]*>\s*<legend><span class="qnum">1\.</span> Your role <span class="req">\(required\)</span>', page)
    assert page.count('type="radio" id="q-role-') == 2 and page.count('type="checkbox" id="q-sectors-') == 2
    assert page.count('name="collab" value=') == 5 and "1 – Not at all" in page and "5 – Fully" in page
    assert 'name="has_partner" value="yes"' in page and 'name="has_partner" value="no"' in page
    assert re.search(r'<input type="number" id="q-staff_count" name="staff_count" value="" step="any" inputmode="decimal" min="0" max="500"', page)
    assert 'aria-describedby="q-staff_count-help"' in page and "Full-time equivalents." in page
    assert re.search(r'<textarea id="q-notes" name="notes"', page)
    for part in ("name", "email", "organization"):
        assert f'name="navigator.{part}"' in page and f'<label for="q-navigator-{part}">' in page
    # Skip logic: the answer-dependent question carries its rule and a note for readers without JavaScript;
    # the question for colleges is not shown to a board at all.
    assert 'data-show-if-question="has_partner" data-show-if-equals="yes"' in page
    assert "Answer only if you answered “Yes” to question 4 (“Do you have a college partner?”)." in page
    assert "College programs" not in page and 'name="programs"' not in page
    assert '<button class="btn secondary" type="submit" name="action" value="save">Save draft</button>' in page
    assert '<button class="btn" type="submit" name="action" value="submit">Submit</button>' in page
    assert hidden(page, "revision") == "0" and hidden(page, "csrf_token")
    assert '<script src="/static/respond.js" defer></script>' in page and "<script>" not in page
    assert f"Open until {CLOSES_TEXT}" in page
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]


def test_save_draft_marks_started_and_resumes_from_the_same_link(client, world):
    url = link(world.alice, world.round.id)
    response = send(client, url, {"role": "staff", "sectors": ["health"], "notes": "Half done", "collab": "2"})
    assert response.status_code == 303 and response.headers["Location"].endswith(url)
    invitation = invitation_of(world.alice, world.round.id)
    assert invitation.status == "started" and invitation.started_at == DURING
    [saved] = events("ResponseDraftSaved")
    assert saved.actor == f"token:{invitation.id}"
    assert invitation.response.answers == {"role": "staff", "sectors": ["health"], "notes": "Half done", "collab": 2}
    assert invitation.response.status == "draft" and invitation.response.revision == 1

    page = text_of(client.get(url))
    assert "Draft saved Tuesday, November 10, 2026 at 12:00 PM PST" in page
    assert re.search(r'id="q-role-1"\s+name="role" value="staff" checked', page)
    assert re.search(r'name="sectors" value="health" checked', page) and not re.search(r'name="sectors" value="am" checked', page)
    assert re.search(r'name="collab" value="2" checked', page)
    assert ">Half done</textarea>" in page and hidden(page, "revision") == "1"
    # The flash is shown once; a new visit resumes without it.
    assert "Draft saved" not in text_of(client.get(url)).split("Your draft was last saved")[0]


def test_submit_missing_required_answers_is_refused_with_an_error_summary(client, world):
    url = link(world.alice, world.round.id)
    before = len(events())
    response = send(client, url, {"sectors": ["am"], "notes": "Kept as typed", "staff_count": "900"}, action="submit")
    page = text_of(response)
    assert response.status_code == 422
    assert count(Response) == 0 and len(events()) == before
    summary = re.search(r'<div class="error-summary" id="error-summary" role="alert" tabindex="-1" autofocus.*?</div>', page, re.S).group(0)
    # Each problem names its question by number and a short label (the number kept in step by respond.js).
    assert ('<a href="#q-role-0" data-key="role">Question <span data-number-of="role">1</span>, “Your role”: '
            'This question needs an answer.</a>') in summary
    assert ('<a href="#q-collab-0" data-key="collab">Question <span data-number-of="collab">3</span>, '
            '“How closely do you work with colleges?”: This question needs an answer.</a>') in summary
    assert ('<a href="#q-staff_count" data-key="staff_count">Question <span data-number-of="staff_count">6</span>, '
            '“Staff on sector work”: Enter a number no more than 500.</a>') in summary
    assert "Nothing was saved." in summary
    # Inline messages beside the fields, tied to them for screen readers; the input is kept.
    assert 'id="q-role-error"' in page and re.search(r'<fieldset id="q-role" aria-describedby="q-role-error"', page)
    assert re.search(r'name="staff_count" value="900"[^>]*aria-invalid="true" aria-describedby="q-staff_count-help q-staff_count-error"', page)
    assert re.search(r'name="sectors" value="am" checked', page) and "Kept as typed</textarea>" in page


def test_submit_confirms_then_edits_until_close(client, world):
    url = link(world.alice, world.round.id)
    response = send(client, url, COMPLETE, action="submit")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"{url}/done")
    invitation = invitation_of(world.alice, world.round.id)
    assert invitation.status == "submitted" and invitation.response.status == "submitted"
    [submitted] = events("ResponseSubmitted")
    assert submitted.actor == f"token:{invitation.id}"
    assert submitted.payload["answers"]["navigator"] == {"name": "Nia Navigator", "email": "nia@example.org",
                                                         "organization": "Desert College"}
    done = client.get(f"{url}/done")
    page = text_of(done)
    assert done.status_code == 200 and "your answers are submitted" in page
    assert f"You can change your answers until <strong>{CLOSES_TEXT}</strong>" in page
    assert "<dd>Advanced manufacturing; Health care</dd>" in page and "<dd>Desert Community College</dd>" in page
    assert "<form" not in page

    form = text_of(client.get(url))
    assert '<button class="btn" type="submit" name="action" value="submit">Submit changes</button>' in form
    assert 'value="save"' not in form and re.search(r'name="role" value="director" checked', form)
    edited = dict(COMPLETE, partner_name="Valley College")
    response = send(client, url, edited, action="submit")
    assert response.status_code == 303
    [amended] = events("ResponseAmended")
    assert amended.actor == f"token:{invitation.id}" and amended.payload["answers"]["partner_name"] == "Valley College"
    assert count(Response) == 1 and invitation_of(world.alice, world.round.id).response.revision == 2
    assert "<dd>Valley College</dd>" in text_of(client.get(f"{url}/done"))


def test_answers_to_hidden_questions_are_discarded(client, world):
    url = link(world.alice, world.round.id)
    answers = dict(COMPLETE, has_partner="no", partner_name="Should vanish", programs="Not for boards")
    assert send(client, url, answers, action="submit").status_code == 303
    stored = invitation_of(world.alice, world.round.id).response.answers
    assert stored["has_partner"] == "no" and "partner_name" not in stored and "programs" not in stored


def test_after_close_the_link_shows_the_close_time_and_answers_read_only(app, client, world):
    url = link(world.alice, world.round.id)
    assert send(client, url, COMPLETE, action="submit").status_code == 303
    page_before = text_of(client.get(url))
    app.config["FIXED_NOW"] = AFTER
    response = client.get(url)
    page = text_of(response)
    assert response.status_code == 200 and "This survey has closed" in page
    assert f"The survey closed on <strong>{CLOSES_TEXT}</strong>" in page
    assert "<dd>Desert Community College</dd>" in page and "<form" not in page and "<input" not in page
    before = len(events())
    late = client.post(url, data={"csrf_token": hidden(page_before, "csrf_token"), "revision": "1", "action": "submit",
                                  **dict(COMPLETE, partner_name="Too late")})
    assert late.status_code == 409 and "This survey has closed" in text_of(late) and CLOSES_TEXT in text_of(late)
    assert len(events()) == before
    assert invitation_of(world.alice, world.round.id).response.answers["partner_name"] == "Desert Community College"


def test_closed_early_shows_when_it_actually_closed(app, client, world):
    url = link(world.bob, world.round.id)
    handle(cmd.CloseRound(world.round.id), actor="test", now=DURING)
    page = text_of(client.get(url))
    assert "The survey closed on <strong>Tuesday, November 10, 2026 at 12:00 PM PST</strong>" in page
    assert "No answers were submitted from this link." in page


def test_before_the_window_the_page_says_when_it_opens(app, client, world):
    later = launch(round_definition(title="Spring check-in", opens="2027-03-16T08:00", closes="2027-04-01T17:00"))
    assert later.state == "scheduled"
    url = link(world.alice, later.id)
    page = text_of(client.get(url))
    # March 16 is after the spring DST change: Pacific Daylight Time.
    assert "It opens on <strong>Tuesday, March 16, 2027 at 8:00 AM PDT</strong>" in page and "<form" not in page
    before = len(events())
    csrf = hidden(text_of(client.get(link(world.dora, world.round.id))), "csrf_token")  # any form of this session
    refused = client.post(url, data={"csrf_token": csrf, "revision": "0", "action": "save", "role": "staff"})
    assert refused.status_code == 409 and "not open yet" in text_of(refused) and len(events()) == before


def test_unknown_revoked_and_cancelled_links_get_the_same_404(client, world):
    unknown = client.get(f"/r/{new_token()}")
    revoked_url = link(world.alice, world.round.id)
    token_row = db.session.scalar(select(AccessToken).where(AccessToken.token_hash == hash_token(revoked_url[3:])))
    token_row.revoked_at = DURING
    db.session.commit()
    revoked = client.get(revoked_url)
    cancelled_url = link(world.bob, world.round.id)
    handle(cmd.CancelRound(world.round.id, reason="Postponed"), actor="test", now=DURING)
    cancelled = client.get(cancelled_url)
    assert unknown.status_code == revoked.status_code == cancelled.status_code == 404
    assert unknown.get_data() == revoked.get_data() == cancelled.get_data()
    assert b"Not found" in unknown.get_data() and unknown.headers["Cache-Control"] == "no-store"


# --- opting out ----------------------------------------------------------------------------------

def test_opt_out_confirms_with_a_post_and_get_changes_nothing(client, world):
    url = link(world.alice, world.round.id)
    before = len(events())
    confirm = client.get(f"{url}/opt-out")
    page = text_of(confirm)
    assert confirm.status_code == 200 and "Stop survey email?" in page and 'method="post"' in page
    assert len(events()) == before and db.session.get(Contact, world.alice).opted_out_at is None
    assert client.post(f"{url}/opt-out").status_code == 400  # no CSRF token and not a one-click request
    assert db.session.get(Contact, world.alice).opted_out_at is None

    done = client.post(f"{url}/opt-out", data={"csrf_token": hidden(page, "csrf_token")})
    assert done.status_code == 200 and "You will not receive further survey email" in text_of(done)
    db.session.expire_all()
    assert db.session.get(Contact, world.alice).opted_out_at == DURING
    [opted] = events("ContactOptedOut")
    invitation = invitation_of(world.alice, world.round.id)
    assert opted.actor == f"token:{invitation.id}" and invitation.status == "opted_out"
    assert "You will not receive further survey email" in text_of(client.get(url))


def test_one_click_opt_out_needs_no_csrf_token(app, world):
    url = link(world.bob, world.round.id)
    response = app.test_client().post(f"{url}/opt-out", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Contact, world.bob).opted_out_at == DURING
    assert len(events("ContactOptedOut")) == 1


# --- forwarding and the one-response-per-organization rule ---------------------------------------

def test_forward_to_a_colleague_issues_a_new_invitation(client, world):
    url = link(world.alice, world.round.id)
    page = text_of(client.get(f"{url}/forward"))
    csrf = hidden(page, "csrf_token")
    bad = client.post(f"{url}/forward", data={"csrf_token": csrf, "name": "", "email": "not-an-address"})
    assert bad.status_code == 422
    assert 'id="forward-name-error"' in text_of(bad) and 'id="forward-email-error"' in text_of(bad)
    assert 'value="not-an-address"' in text_of(bad) and len(events("InvitationForwarded")) == 0

    ok = client.post(f"{url}/forward", data={"csrf_token": csrf, "name": "Cara Colleague", "email": "cara@board.example",
                                            "title": "Analyst"})
    assert ok.status_code == 303
    original = invitation_of(world.alice, world.round.id)
    assert original.status == "forwarded"
    cara = db.session.scalar(select(Contact).where(Contact.email == "cara@board.example"))
    assert cara.organization_id == world.board.id
    new = invitation_of(cara.id, world.round.id)
    assert new.forwarded_from_id == original.id and new.status == "pending"
    [forwarded] = events("InvitationForwarded")
    assert forwarded.actor == f"token:{original.id}" and forwarded.payload["to_invitation_id"] == new.id
    page = text_of(client.get(url))
    assert "This survey was forwarded" in page and "Cara Colleague" in page and "<form" not in page
    assert "We emailed Cara Colleague a personal link" in page


def test_a_colleague_sees_the_organisation_answer_read_only(client, world):
    alice_url, bob_url = link(world.alice, world.round.id), link(world.bob, world.round.id)
    bob_page = text_of(client.get(bob_url))  # Bob opens his form before Alice submits
    assert send(client, alice_url, COMPLETE, action="submit").status_code == 303
    page = text_of(client.get(bob_url))
    assert "Your organization has already answered" in page and "one response per organization" in page
    assert "Alice Able" in page and "<dd>Desert Community College</dd>" in page and "<form" not in page
    late = client.post(bob_url, data={"csrf_token": hidden(bob_page, "csrf_token"), "revision": "0", "action": "submit",
                                      **dict(COMPLETE, partner_name="Other answer")})
    assert late.status_code == 409 and "Your organization has already answered" in text_of(late)
    assert count(Response) == 1
    assert invitation_of(world.bob, world.round.id).status == "pending"


# --- conflicts, CSRF, concurrency ----------------------------------------------------------------

def test_a_stale_form_is_refused_with_a_clear_page(client, world):
    url = link(world.alice, world.round.id)
    page = text_of(client.get(url))
    csrf = hidden(page, "csrf_token")
    first = client.post(url, data={"csrf_token": csrf, "revision": "0", "action": "save", "notes": "first tab"})
    assert first.status_code == 303
    second = client.post(url, data={"csrf_token": csrf, "revision": "0", "action": "save", "notes": "second tab"})
    body = text_of(second)
    assert second.status_code == 409 and "Your answers were not saved" in body and f'href="{url}"' in body
    assert invitation_of(world.alice, world.round.id).response.answers == {"notes": "first tab"}


def test_answer_form_without_csrf_token_is_refused(client, world):
    url = link(world.alice, world.round.id)
    response = client.post(url, data={"revision": "0", "action": "save", "role": "staff"})
    assert response.status_code == 400 and count(Response) == 0


def test_simultaneous_submits_store_one_response_and_no_server_error(app, world):
    url = link(world.alice, world.round.id)
    clients = [app.test_client() for _ in range(6)]
    forms = []
    for c in clients:
        with app.app_context():  # a context of its own, as a real request has: `g` caches the CSRF token
            page = text_of(c.get(url))
        forms.append({"csrf_token": hidden(page, "csrf_token"), "revision": "0", "action": "submit", **COMPLETE})
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def submit(c, data):
        with app.app_context():
            barrier.wait()
            statuses.append(c.post(url, data=data).status_code)
            db.session.remove()

    threads = [threading.Thread(target=submit, args=pair) for pair in zip(clients, forms)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [303] + [409] * (len(clients) - 1)
    assert count(Response) == 1 and len(events("ResponseSubmitted")) == 1


# --- carry-forward -------------------------------------------------------------------------------

def test_a_later_round_starts_from_the_previous_answers(app, client, world):
    assert send(client, link(world.alice, world.round.id), COMPLETE, action="submit").status_code == 303
    handle(cmd.CloseRound(world.round.id), actor="test", now=AFTER)
    # Version 2 drops "notes" and asks "staff_count" as text: neither old answer fits it any more.
    questions = [dict(q, type="text", min=None, max=None) if q["key"] == "staff_count" else q
                 for q in TEMPLATE["questions"] if q["key"] != "notes"]
    questions = [{k: v for k, v in q.items() if v is not None} for q in questions]
    handle(cmd.CreateTemplate(dict(TEMPLATE, questions=questions)), actor="test", now=AFTER)
    spring = launch(round_definition(title="Spring 2027 follow-up", opens="2027-03-01T09:00", closes="2027-03-31T17:00"),
                    now=dt.datetime(2027, 3, 2, 18, 0, tzinfo=UTC))
    app.config["FIXED_NOW"] = dt.datetime(2027, 3, 3, 18, 0, tzinfo=UTC)
    for person in (world.alice, world.bob):  # the same contact, or a colleague at the same organization
        page = text_of(client.get(link(person, spring.id)))
        assert "We filled in your answers from AM baseline winter 2026; check and update them." in page
        assert re.search(r'name="role" value="director" checked', page) and 'value="Desert Community College"' in page
        assert hidden(page, "revision") == "0"
        assert 'name="notes"' not in page and 'name="staff_count" value=""' in page
    other = text_of(client.get(link(world.dora, spring.id)))
    assert "We filled in your answers" not in other and not re.search(r'name="role" value="director" checked', other)


# --- rate limits ---------------------------------------------------------------------------------

def test_unknown_tokens_are_rate_limited_per_client(database_url, tmp_path):
    app = make_app(database_url, INSTANCE_PATH=str(tmp_path), RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    try:
        with app.app_context():
            client = app.test_client()
            statuses = [client.get(f"/r/{new_token()}").status_code for _ in range(21)]
            assert statuses == [404] * 20 + [429]
            assert client.get(f"/r/{new_token()}", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 404
            db.session.remove()
            db.engine.dispose()
    finally:
        # The limiter is one object shared by every app: leave it disabled as the test config has it.
        make_app(database_url, INSTANCE_PATH=str(tmp_path))


def test_colleagues_submitting_at_once_store_one_organisation_response(app, world):
    urls = [link(world.alice, world.round.id), link(world.bob, world.round.id)]
    clients = [app.test_client() for _ in urls]
    forms = []
    for c, url in zip(clients, urls):
        with app.app_context():
            page = text_of(c.get(url))
        forms.append({"csrf_token": hidden(page, "csrf_token"), "revision": "0", "action": "submit", **COMPLETE})
    barrier = threading.Barrier(len(clients))
    results: list[tuple[int, str]] = []

    def submit(c, url, data):
        with app.app_context():
            barrier.wait()
            r = c.post(url, data=data)
            results.append((r.status_code, text_of(r)))
            db.session.remove()

    threads = [threading.Thread(target=submit, args=args) for args in zip(clients, urls, forms)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(status for status, _ in results) == [303, 409]
    # Usually the loser is shown the winner's answers; should its retry also lose while the winner has not
    # committed yet (PostgreSQL deadlock detection, see the round lock in designations), the plain conflict page.
    refusal = next(body for status, body in results if status == 409)
    assert "Your organization has already answered" in refusal or "Your answers were not saved" in refusal
    assert count(Response, Response.status == "submitted") == 1 and len(events("ResponseSubmitted")) == 1


def test_a_clash_with_a_concurrent_request_is_retried_once_then_explained(client, world, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from wfsurvey import services

    url = link(world.alice, world.round.id)
    page = text_of(client.get(url))
    real, calls = services.handle, []

    def clashing(command, **kw):
        calls.append(command)
        if len(calls) <= failures:
            raise IntegrityError("INSERT INTO responses", {}, Exception("UNIQUE constraint failed"))
        return real(command, **kw)

    monkeypatch.setattr(services, "handle", clashing)
    data = {"csrf_token": hidden(page, "csrf_token"), "revision": "0", "action": "save", "notes": "retried"}
    failures = 1
    assert client.post(url, data=data).status_code == 303 and len(calls) == 2
    assert invitation_of(world.alice, world.round.id).response.answers == {"notes": "retried"}
    calls.clear()
    failures = 2
    refused = client.post(url, data=dict(data, revision="1", notes="never stored"))
    assert refused.status_code == 409 and len(calls) == 2 and "Your answers were not saved" in text_of(refused)
    assert invitation_of(world.alice, world.round.id).response.answers == {"notes": "retried"}
