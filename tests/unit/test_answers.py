"""Parsing answers, skip logic and required questions."""
from wfsurvey.domain.answers import answers_to_form, clean_answers

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
