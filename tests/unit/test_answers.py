"""Parsing answers, skip logic and required questions."""
import itertools

from wfsurvey.domain import pages
from wfsurvey.domain.answers import answers_to_form, clean_answers, not_asked, question_numbers, visible_questions

QUESTIONS = [
    {"key": "targets_am", "type": "yes_no", "label": "Targets AM?", "required": True,
     "options": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}]},
    {"key": "initiatives", "type": "long_text", "label": "Initiatives", "required": True,
     "show_if": {"question": "targets_am", "equals": "yes"}},
    {"key": "colleges", "type": "scale", "label": "Colleges", "min": 1, "max": 5, "required": True},
    {"key": "occupations", "type": "multi_choice", "label": "Occupations",
     "options": [{"value": "cnc", "label": "CNC"}, {"value": "weld", "label": "Welder"}]},
    {"key": "slots", "type": "number", "label": "Slots", "min": 0},
    {"key": "navigator", "type": "contact", "label": "Navigator", "required": True, "show_if": {"org_type": ["lwib"]}},
]


def test_complete_answers_are_typed():
    form = {"targets_am": ["yes"], "initiatives": ["IE AM consortium"], "colleges": ["4"], "occupations": ["weld", "cnc"],
            "slots": ["12"], "navigator.name": ["Ana Ruiz"], "navigator.email": ["Ana.Ruiz@Example.org "],
            "navigator.organization": ["Riverside County WDB"]}
    answers, errors = clean_answers(QUESTIONS, form, "lwib", complete=True)
    assert errors == {}
    assert answers == {"targets_am": "yes", "initiatives": "IE AM consortium", "colleges": 4, "occupations": ["cnc", "weld"],
                       "slots": 12, "navigator": {"name": "Ana Ruiz", "email": "ana.ruiz@example.org",
                                                  "organization": "Riverside County WDB"}}
    assert clean_answers(QUESTIONS, answers_to_form(QUESTIONS, answers), "lwib", complete=True)[0] == answers


def test_hidden_answers_are_discarded_whatever_the_browser_sent():
    form = {"targets_am": ["no"], "initiatives": ["should vanish"], "colleges": ["2"],
            "navigator.name": ["X"], "navigator.email": ["x@example.org"]}
    answers, errors = clean_answers(QUESTIONS, form, "college", complete=True)
    assert errors == {}
    assert "initiatives" not in answers and "navigator" not in answers


def test_required_only_on_submit_and_format_always():
    form = {"targets_am": ["yes"], "colleges": ["9"], "slots": ["-1"]}
    _, draft_errors = clean_answers(QUESTIONS, form, "lwib", complete=False)
    assert set(draft_errors) == {"colleges", "slots"}
    _, submit_errors = clean_answers(QUESTIONS, form, "lwib", complete=True)
    assert set(submit_errors) == {"colleges", "slots", "initiatives", "navigator.name"}


def test_choices_outside_the_options_are_refused():
    _, errors = clean_answers(QUESTIONS, {"targets_am": ["maybe"], "occupations": ["astronaut"]}, "lwib", complete=False)
    assert set(errors) == {"targets_am", "occupations"}


SECTIONED = [
    {"key": "about", "type": "section", "label": "About"},
    {"key": "stage", "type": "single_choice", "label": "Stage",
     "options": [{"value": "talks", "label": "In talks"}, {"value": "active", "label": "Active"}]},
    {"key": "occupations", "type": "multi_choice", "label": "Occupations",
     "options": [{"value": "cnc", "label": "CNC"}, {"value": "none", "label": "None of these", "exclusive": True}]},
    {"key": "training", "type": "section", "label": "Training"},
    {"key": "seats", "type": "number", "label": "Seats", "show_if": {"question": "occupations", "includes": "cnc"}},
    {"key": "plans", "type": "long_text", "label": "Plans", "show_if": {"question": "stage", "not_equals": "talks"}},
    {"key": "more", "type": "text", "label": "More on the plans", "show_if": {"question": "plans", "equals": "more"}},
    {"key": "partners", "type": "section", "label": "Partners"},
    {"key": "navigator", "type": "contact", "label": "Navigator", "show_if": {"org_type": ["lwib"]}},
]


def test_numbers_and_not_asked_leave_sections_out_and_close_up_over_hidden_questions():
    answers = {"stage": "talks", "occupations": ["none"]}
    assert question_numbers(SECTIONED, answers, "lwib") == {"stage": 1, "occupations": 2, "navigator": 3}
    assert not_asked(SECTIONED, answers, "lwib") == ["seats", "plans", "more"]
    answers = {"stage": "active", "occupations": ["cnc"], "seats": 3, "plans": "more"}
    assert question_numbers(SECTIONED, answers, "college") == {"stage": 1, "occupations": 2, "seats": 3, "plans": 4,
                                                               "more": 5}
    assert not_asked(SECTIONED, answers, "college") == ["navigator"]
    assert not_asked(SECTIONED, {}, "lwib") == ["seats", "plans", "more"]  # an unanswered question meets no rule


def test_the_form_s_pages_and_the_responses_agree_on_what_was_asked():
    """The respondent form settles rules page by page (domain.pages.plan); staff pages, the exports and the answers
    kept read them with visible_questions and clean_answers: every "is", "is not" and "includes" reads alike."""
    layout = pages.pages(SECTIONED)
    for stage, occupations, plans, org_type in itertools.product(
            (None, "talks", "active"), (None, ["cnc"], ["none"]), (None, "more", "less"), ("lwib", "college")):
        saved = {k: v for k, v in (("stage", stage), ("occupations", occupations), ("plans", plans),
                                   ("seats", 2), ("more", "x")) if v is not None}
        kept, _ = clean_answers(SECTIONED, answers_to_form(SECTIONED, saved), org_type, complete=False)
        planned = pages.plan(layout, kept, org_type, len(layout) + 1)
        shown = {q["key"] for q in visible_questions(SECTIONED, kept, org_type)}
        assert shown == {key for key, state in planned.items() if state == pages.SHOWN}, saved
        assert set(not_asked(SECTIONED, kept, org_type)) == {key for key, state in planned.items() if state == pages.HIDDEN}
        assert set(kept) <= shown
