"""Skip logic's three operators, answers cleaned across sections, and the pages a template's sections make: which
questions a page can show given the answers saved on earlier pages, and where a draft is taken up again."""
from __future__ import annotations

import pytest

from wfsurvey.domain import pages, skip_logic
from wfsurvey.domain.answers import answers_to_form, clean_answers, visible_questions

ROLE = {"key": "role", "type": "single_choice", "label": "Your role", "required": True,
        "options": [{"value": "director", "label": "Director"}, {"value": "staff", "label": "Staff"}]}
TOOLS = {"key": "tools", "type": "multi_choice", "label": "Tools",
         "options": [{"value": "cnc", "label": "CNC"}, {"value": "weld", "label": "Welding"},
                     {"value": "none", "label": "None of these", "exclusive": True}]}
ITEMS = [
    ROLE,
    {"key": "team", "type": "text", "label": "Your team", "show_if": {"question": "role", "not_equals": "director"}},
    {"key": "about_tools", "type": "section", "label": "Tools you use", "help": "Think of the last year."},
    TOOLS,
    {"key": "cnc_hours", "type": "number", "label": "CNC hours", "required": True,
     "show_if": {"question": "tools", "includes": "cnc"}},
    {"key": "board_only", "type": "yes_no", "label": "Board question", "show_if": {"org_type": ["lwib"]}},
    {"key": "last", "type": "section", "label": "Last words"},
    {"key": "director_note", "type": "long_text", "label": "A note from the director", "required": True,
     "show_if": {"question": "role", "equals": "director"}},
    {"key": "weld_note", "type": "text", "label": "About welding", "show_if": {"question": "tools", "includes": "weld"}},
]


@pytest.mark.parametrize("rule, answer, shown", [
    ({"question": "q", "equals": "yes"}, "yes", True),
    ({"question": "q", "equals": "yes"}, "no", False),
    ({"question": "q", "equals": 3}, 3, True),
    ({"question": "q", "not_equals": "no"}, "yes", True),
    ({"question": "q", "not_equals": "no"}, "no", False),
    ({"question": "q", "not_equals": "no"}, None, False),  # "is not" speaks of an answer given
    ({"question": "q", "includes": "cnc"}, ["cnc", "weld"], True),
    ({"question": "q", "includes": "cnc"}, ["weld"], False),
    ({"question": "q", "includes": "cnc"}, "cnc", False),
])
def test_each_operator(rule, answer, shown):
    assert skip_logic.holds(rule, answer) is shown


def test_sections_split_the_list_into_pages():
    layout = pages.pages(ITEMS)
    assert [(p.number, p.title, [q["key"] for q in p.questions]) for p in layout] == [
        (1, "", ["role", "team"]),
        (2, "Tools you use", ["tools", "cnc_hours", "board_only"]),
        (3, "Last words", ["director_note", "weld_note"]),
    ]
    assert layout[1].help == "Think of the last year."
    assert pages.has_sections(ITEMS) and not pages.has_sections([ROLE, TOOLS])
    assert [p.number for p in pages.pages([ROLE, TOOLS])] == [1]


def test_sections_are_never_answered_nor_shown_as_questions():
    form = {"role": ["staff"], "team": ["Ops"], "tools": ["cnc"], "cnc_hours": ["12"], "about_tools": ["sneaked in"]}
    answers, errors = clean_answers(ITEMS, form, "college", complete=True)
    assert answers == {"role": "staff", "team": "Ops", "tools": ["cnc"], "cnc_hours": 12} and errors == {}
    assert [q["key"] for q in visible_questions(ITEMS, answers, "college")] == ["role", "team", "tools", "cnc_hours"]
    assert "about_tools" not in answers_to_form(ITEMS, {**answers, "about_tools": "x"})


def test_required_answers_can_be_asked_of_one_page_only():
    answers, errors = clean_answers(ITEMS, {"role": ["director"], "tools": ["cnc"]}, "college", complete=True,
                                    complete_keys={"tools", "cnc_hours", "board_only"})
    assert answers == {"role": "director", "tools": ["cnc"]}
    assert errors == {"cnc_hours": "This question needs an answer."}  # the director's note is on another page


def test_a_page_settles_what_depends_on_earlier_pages_and_leaves_its_own_rules_to_the_browser():
    layout = pages.pages(ITEMS)
    saved = {"role": "staff", "tools": ["weld"]}
    on_page_2 = pages.plan(layout, saved, "college", 2)
    assert on_page_2["team"] == pages.SHOWN  # settled: its target is on page 1, answered "staff"
    assert on_page_2["cnc_hours"] == pages.MAYBE  # its target is on this page: the browser decides
    assert on_page_2["board_only"] == pages.HIDDEN
    on_page_3 = pages.plan(layout, saved, "college", 3)
    assert (on_page_3["director_note"], on_page_3["weld_note"]) == (pages.HIDDEN, pages.SHOWN)
    # Every page at once (one page, a preview): every rule on an answer is the browser's.
    assert pages.plan(layout, saved, "college", None)["team"] == pages.MAYBE


def test_a_page_whose_every_question_is_hidden_is_skipped():
    layout = pages.pages(ITEMS)
    states = pages.plan(layout, {"role": "staff", "tools": ["cnc"]}, "college", 3)
    assert [p.number for p in pages.open_pages(layout, states)] == [1, 2]
    states = pages.plan(layout, {"role": "director", "tools": ["cnc"]}, "college", 3)
    assert [p.number for p in pages.open_pages(layout, states)] == [1, 2, 3]


def test_a_draft_is_taken_up_where_a_required_answer_is_missing_else_where_it_stopped():
    layout = pages.pages(ITEMS)
    assert pages.resume_page(layout, {}, "college") == 1
    assert pages.resume_page(layout, {"role": "staff"}, "college") == 1
    assert pages.resume_page(layout, {"role": "director", "tools": ["cnc"]}, "college") == 2  # CNC hours missing
    assert pages.resume_page(layout, {"role": "director", "tools": ["weld"]}, "college") == 3  # the note missing
    assert pages.resume_page(layout, {"role": "staff", "tools": ["weld"], "weld_note": "TIG"}, "college") == 3
