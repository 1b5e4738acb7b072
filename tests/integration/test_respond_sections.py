"""The respondent form of a template with sections (issue 12, part 5): one section a page with "Section 2 of 3",
Next that saves the draft and checks the page, Back that keeps what was typed, skip logic across pages settled from
the saved answers, numbers without gaps, exclusive options refused, an error summary that leads to the right page, and
words that say a draft is still saved."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from tests import builders
from tests.integration.test_respond_pages import count, events, hidden, invitation_of, link
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import Contact, Response
from wfsurvey.services import handle

TEMPLATE = {
    "slug": "collab",
    "title": "Regional collaboration",
    "description": "How your board works with colleges.",
    "questions": [
        {"key": "role", "type": "single_choice", "label": "Your role", "required": True,
         "options": [{"value": "director", "label": "Director"}, {"value": "staff", "label": "Staff member"}]},
        {"key": "team", "type": "text", "label": "Your team", "show_if": {"question": "role", "not_equals": "director"}},
        {"key": "work", "type": "section", "label": "Your work with colleges", "help": "Think of the last twelve months."},
        {"key": "tools", "type": "multi_choice", "label": "Which training do you fund with colleges?", "required": True,
         "options": [{"value": "cnc", "label": "CNC machining"}, {"value": "weld", "label": "Welding"},
                     {"value": "none", "label": "None of these", "exclusive": True}]},
        {"key": "cnc_seats", "type": "number", "label": "How many CNC seats?", "required": True,
         "show_if": {"question": "tools", "includes": "cnc"}},
        {"key": "colleges", "type": "scale", "label": "How closely do you work with colleges?", "required": True},
        {"key": "director", "type": "section", "label": "For directors"},
        {"key": "budget", "type": "long_text", "label": "Your budget plans", "required": True,
         "show_if": {"question": "role", "equals": "director"}},
        {"key": "last", "type": "section", "label": "Last words"},
        {"key": "notes", "type": "long_text", "label": "Anything else?"},
    ],
}
LA = "los-angeles"


@pytest.fixture
def contact(app):
    builders.stakeholders(regions=(LA,), boards=1, colleges=0)
    builders.template(TEMPLATE)
    round_ = builders.launched_round()
    app.config["FIXED_NOW"] = builders.dt.datetime(2026, 10, 7, 17, 0, tzinfo=builders.UTC)
    contact_id = db.session.scalar(select(Contact.id))
    return contact_id, round_.id


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def post(client, url: str, page_url: str, answers: dict, action: str):
    """Post one page as the browser does: its CSRF token, revision and section, the button, the answers."""
    page = client.get(page_url).get_data(as_text=True)
    data = {"csrf_token": hidden(page, "csrf_token"), "revision": hidden(page, "revision"),
            "section": hidden(page, "section"), "action": action, **answers}
    return client.post(url, data=data)


def saved(contact_id: int, round_id: int) -> Response | None:
    return invitation_of(contact_id, round_id).response


def test_the_first_page_shows_its_section_and_next_but_not_submit(client, contact):
    url = link(*contact)
    page = text_of(client.get(url))
    assert "Section 1 of 4" in page and hidden(page, "section") == "1"
    assert 'name="role"' in page and 'name="team"' in page and 'name="tools"' not in page
    # "Your team" depends on an answer on this page: the browser decides, with a note for readers without JavaScript.
    assert 'data-show-if-question="role" data-show-if-not-equals="director"' in page
    assert "Answer only if you answered question 1 (“Your role”) with something other than “Director”." in page
    assert 'value="next">Next</button>' in page and 'value="submit"' not in page and 'value="back"' not in page
    assert "How your board works with colleges." in page
    assert count(Response) == 0


def test_next_checks_the_page_then_saves_it_and_moves_on(client, contact):
    url = link(*contact)
    refused = post(client, url, url, {"team": "Ops"}, "next")
    page = text_of(refused)
    assert refused.status_code == 422 and count(Response) == 0
    assert "Nothing was saved." in page and "Section 1 of 4" in page
    assert ('<a href="#q-role-0" data-key="role">Question <span data-number-of="role">1</span>, “Your role”: '
            'This question needs an answer.</a>') in page
    assert 'value="Ops"' in page  # what was typed is shown again

    moved = post(client, url, url, {"role": "staff", "team": "Ops"}, "next")
    assert moved.status_code == 303 and moved.headers["Location"].endswith(f"{url}?section=2")
    response = saved(*contact)
    assert (response.status, response.answers) == ("draft", {"role": "staff", "team": "Ops"})
    assert [e.type for e in events()][-1] == "ResponseDraftSaved"

    second = text_of(client.get(moved.headers["Location"]))
    assert "Section 2 of 3" in second and "Your work with colleges" in second and "Think of the last twelve months." in second
    # Numbers run on from the first page (two questions shown there), and the page posts which section it is.
    assert '<legend><span class="qnum">3.</span> Which training do you fund with colleges?' in second
    assert 'data-first-number="3"' in second and hidden(second, "section") == "2"
    assert 'value="back">Back</button>' in second and 'value="next">Next</button>' in second


def test_a_question_that_depends_on_an_earlier_page_is_settled_from_the_saved_answers(client, contact):
    url = link(*contact)
    post(client, url, url, {"role": "staff", "team": "Ops"}, "next")
    # A staff member never sees the directors' page: it is skipped and not counted.
    page = text_of(client.get(f"{url}?section=2"))
    assert "Section 2 of 3" in page
    answers = {"tools": ["weld"], "colleges": "3"}
    moved = post(client, url, f"{url}?section=2", answers, "next")
    assert moved.headers["Location"].endswith("?section=3")
    last = text_of(client.get(moved.headers["Location"]))
    assert "Section 3 of 3" in last and "Last words" in last and "Your budget plans" not in last
    assert 'value="submit">Submit</button>' in last and 'value="next"' not in last

    # A director sees it, with the budget question shown outright (its rule was settled on page 1).
    post(client, url, f"{url}?section=1", {"role": "director"}, "next")
    directors = text_of(client.get(f"{url}?section=3"))
    assert "Section 3 of 4" in directors and "For directors" in directors
    assert 'name="budget"' in directors and 'data-show-if-question' not in directors
    assert "Answer only if" not in directors
    # Numbers close up over what is hidden (the team for a director, the seats without CNC): role 1, tools 2, colleges 3.
    assert '<span class="qnum">4.</span> Your budget plans' in directors


def test_back_keeps_what_was_typed_and_next_then_checks_it(client, contact):
    url = link(*contact)
    post(client, url, url, {"role": "staff"}, "next")
    back = post(client, url, f"{url}?section=2", {"tools": ["cnc"]}, "back")
    assert back.status_code == 303 and back.headers["Location"].endswith(f"{url}?section=1")
    assert saved(*contact).answers == {"role": "staff", "tools": ["cnc"]}
    assert re.search(r'name="tools" value="cnc" checked', text_of(client.get(f"{url}?section=2")))
    # The seats question, now due (CNC is ticked), is required: Next refuses, and says the draft is still there.
    refused = post(client, url, f"{url}?section=2", {"tools": ["cnc"], "colleges": "4"}, "next")
    page = text_of(refused)
    assert refused.status_code == 422
    assert "Your draft is still saved, but the answers on this page were not saved yet." in page
    assert "Nothing was saved" not in page
    assert "How many CNC seats?”: This question needs an answer." in page
    assert saved(*contact).answers == {"role": "staff", "tools": ["cnc"]}


def test_an_exclusive_option_cannot_be_ticked_with_others(client, contact):
    url = link(*contact)
    post(client, url, url, {"role": "staff"}, "next")
    refused = post(client, url, f"{url}?section=2", {"tools": ["weld", "none"], "colleges": "2"}, "next")
    page = text_of(refused)
    assert refused.status_code == 422
    assert "“None of these” cannot be chosen with other options: untick it or untick the others." in page
    assert re.search(r'value="none"[^>]*data-exclusive', page)
    assert post(client, url, f"{url}?section=2", {"tools": ["none"], "colleges": "2"}, "next").status_code == 303
    assert saved(*contact).answers["tools"] == ["none"]


def test_submit_on_the_last_page_submits_every_page(client, contact):
    url = link(*contact)
    post(client, url, url, {"role": "director"}, "next")
    post(client, url, f"{url}?section=2", {"tools": ["cnc", "weld"], "cnc_seats": "12", "colleges": "5"}, "next")
    post(client, url, f"{url}?section=3", {"budget": "Growing"}, "next")
    done = post(client, url, f"{url}?section=4", {"notes": "Thanks"}, "submit")
    assert done.status_code == 303 and done.headers["Location"].endswith("/done")
    response = saved(*contact)
    assert response.status == "submitted"
    assert response.answers == {"role": "director", "tools": ["cnc", "weld"], "cnc_seats": 12, "colleges": 5,
                                "budget": "Growing", "notes": "Thanks"}
    assert [e.type for e in events()][-1] == "ResponseSubmitted"
    # Changing submitted answers: every section on one page, to change any answer, with "Submit changes".
    page = text_of(client.get(url))
    assert all(title in page for title in ("Your work with colleges", "For directors", "Last words"))
    assert 'name="section"' not in page and "Submit changes" in page and 'value="next"' not in page
    assert "Section 2 of 4" in page


def test_a_submit_missing_answers_on_another_page_saves_this_one_and_leads_there(client, contact):
    url = link(*contact)
    post(client, url, url, {"role": "director"}, "next")
    # Straight to the last page by its address, skipping the pages in between.
    response = post(client, url, f"{url}?section=4", {"notes": "Hello"}, "submit")
    page = text_of(response)
    assert response.status_code == 422
    assert saved(*contact).status == "draft" and saved(*contact).answers == {"role": "director", "notes": "Hello"}
    assert "Your answers on this page are saved in your draft." in page
    assert "Section 2 of 4" in page and hidden(page, "section") == "2"  # the first page with something missing
    assert 'href="#q-tools-0"' in page
    # The budget question is on page 3: its link leads there and lands on its input.
    assert re.search(rf'href="{re.escape(url)}\?section=3#q-budget"[^>]*>In section 3, “Your budget plans”: '
                     r'This question needs an answer.</a>', page)


def test_a_form_carrying_every_question_still_submits_in_one_post(client, contact):
    url = link(*contact)
    page = client.get(url).get_data(as_text=True)
    form = {"csrf_token": hidden(page, "csrf_token"), "revision": "0", "action": "submit", "role": "staff",
            "team": "Ops", "tools": ["weld"], "colleges": "3", "budget": "dropped: not shown to staff"}
    assert client.post(url, data=form).status_code == 303
    response = saved(*contact)
    assert (response.status, response.answers) == ("submitted", {"role": "staff", "team": "Ops", "tools": ["weld"],
                                                                  "colleges": 3})


def test_a_saved_draft_is_taken_up_where_it_left_off(client, contact):
    url = link(*contact)
    post(client, url, url, {"role": "director"}, "next")
    saved_draft = post(client, url, f"{url}?section=2", {"tools": ["cnc"]}, "save")
    assert saved_draft.headers["Location"].endswith("?section=2")
    page = text_of(client.get(url))  # the emailed link again, later
    assert "Section 2 of 4" in page and "Your draft was last saved" in page


def test_answers_carried_from_an_earlier_round_are_kept_on_the_pages_not_yet_shown(app, client):
    builders.stakeholders(regions=(LA,), boards=1, colleges=0)
    builders.template(TEMPLATE)
    first = builders.launched_round()
    contact_id = db.session.scalar(select(Contact.id))
    invitation = invitation_of(contact_id, first.id)
    handle(cmd.SaveAnswers(invitation.id, {"role": ["director"], "tools": ["weld"], "colleges": ["2"],
                                           "budget": ["Flat"], "notes": ["Last year"]}, True),
           actor="test", now=builders.dt.datetime(2026, 10, 7, 17, 0, tzinfo=builders.UTC))
    later = builders.dt.datetime(2026, 11, 10, 18, 0, tzinfo=builders.UTC)
    second = builders.launched_round(now=later, title="AM follow-up 2026", opens_at="2026-11-09T09:00",
                                     closes_at="2026-12-01T17:00")
    app.config["FIXED_NOW"] = later
    url = link(contact_id, second.id)
    page = text_of(client.get(url))
    assert "We filled in your answers from AM baseline 2026" in page and re.search(r'name="role" value="director" checked', page)
    # Next on the first page saves it; the carried answers of the later pages go into the draft with it.
    assert post(client, url, url, {"role": "director"}, "next").status_code == 303
    assert saved(contact_id, second.id).answers == {"role": "director", "tools": ["weld"], "colleges": 2,
                                                    "budget": "Flat", "notes": "Last year"}
    assert re.search(r'name="tools" value="weld" checked', text_of(client.get(f"{url}?section=2")))
