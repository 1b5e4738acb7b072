"""The question-type registry: every type complete (label, declared definition fields, partials that exist), and
what each type says about its own questions."""
from __future__ import annotations

import pytest

from wfsurvey.domain.questions import QUESTION_TYPES, DefinitionError
from wfsurvey.domain.questions.base import COMMON_FIELDS
from wfsurvey.paths import TEMPLATES_DIR
from wfsurvey.schemas.templates import QuestionSchema

SCALE = {"key": "collab", "type": "scale", "label": "Collaboration", "min": 1, "max": 5,
         "min_label": "Not at all", "max_label": "Fully"}


def test_the_registry_lists_every_type_in_schema_order():
    assert list(QUESTION_TYPES) == ["single_choice", "multi_choice", "scale", "yes_no", "number", "ranking", "text", "long_text",
                                    "contact", "section"]
    assert all(name == question_type.name for name, question_type in QUESTION_TYPES.items())


@pytest.mark.parametrize("name", list(QUESTION_TYPES))
def test_each_type_is_complete(name):
    question_type = QUESTION_TYPES[name]
    assert question_type.label and question_type.label[0].isupper()
    # A builder offers only what the template schema can take.
    assert set(question_type.definition_fields) <= set(QuestionSchema().fields) - set(COMMON_FIELDS)
    assert (TEMPLATES_DIR / "respond" / "questions" / f"{question_type.partial}.html").is_file()
    if question_type.counted:
        assert (TEMPLATES_DIR / "staff" / "baseline" / f"{question_type.summary_partial}.html").is_file()


def test_labels_and_definition_fields_for_a_builder():
    assert {name: (t.label, t.definition_fields) for name, t in QUESTION_TYPES.items()} == {
        "single_choice": ("Single choice", ("options",)),
        "multi_choice": ("Multiple choice", ("options",)),
        "scale": ("Scale", ("min", "max", "min_label", "max_label")),
        "yes_no": ("Yes/no", ()),
        "number": ("Number", ("min", "max", "indicator")),
        "ranking": ("Ranking", ("options", "top")),
        "text": ("Short text", ()),
        "long_text": ("Long text", ()),
        "contact": ("Contact person", ()),
        "section": ("Section", ()),
    }


@pytest.mark.parametrize("question, message, field", [
    ({"type": "single_choice", "options": [{"value": "a", "label": "A"}]}, "Give it at least two options.", "options"),
    ({"type": "multi_choice", "options": [{"value": "a", "label": "A"}, {"value": "a", "label": "B"}]},
     "Two options have the value “a”: give each option its own value.", "options"),
    ({"type": "single_choice", "options": [{"value": "a", "label": "A"}, {"value": "n", "label": "None", "exclusive": True}]},
     "Only an option of a multiple choice question can be exclusive (picked alone, like “None of these”): a single "
     "choice takes one answer anyway.", "options"),
    ({"type": "yes_no", "options": [{"value": "a", "label": "A"}]},
     "A yes/no question's answers are always Yes and No: remove its options.", "options"),
    ({"type": "text", "max": 3}, "A short text question has no smallest or largest value; remove min and max.", "max"),
    ({"type": "scale", "min": 0, "max": 11}, "A scale runs between two whole numbers, the first smaller than the second, "
     "with at most 11 points (like 1 to 5).", "max"),
    ({"type": "number", "min": 2, "max": 1}, "The smallest number allowed is more than the largest.", "min"),
    ({"type": "section", "required": True}, "A section is not a question: it cannot be required.", "required"),
    ({"type": "section", "show_if": {"org_type": ["lwib"]}},
     "A section cannot have skip logic: give each of its questions its own rule.", "show_if"),
])
def test_each_type_checks_its_own_definition(question, message, field):
    with pytest.raises(DefinitionError) as refused:
        QUESTION_TYPES[question["type"]].check_definition({"key": "q", "label": "Q", **question})
    assert (refused.value.message, refused.value.field) == (message, field)


def test_only_types_with_comparable_answers_are_show_if_targets_each_with_its_operators():
    targets = {name: t.show_if_operators for name, t in QUESTION_TYPES.items() if t.show_if_target}
    assert targets == {"single_choice": ("equals", "not_equals"), "multi_choice": ("includes",),
                       "scale": ("equals", "not_equals"), "yes_no": ("equals", "not_equals"),
                       "number": ("equals", "not_equals")}
    assert QUESTION_TYPES["yes_no"].show_if_values({"key": "q", "type": "yes_no"}) == ["yes", "no"]
    assert QUESTION_TYPES["scale"].show_if_values(SCALE) == ["1", "2", "3", "4", "5"]
    assert QUESTION_TYPES["number"].show_if_values({"key": "n", "type": "number"}) is None


def test_a_rule_value_is_stored_as_its_target_answers_are():
    assert QUESTION_TYPES["scale"].show_if_value(SCALE, "4") == 4
    assert QUESTION_TYPES["number"].show_if_value({"key": "n"}, "1,000.0") == 1000
    assert QUESTION_TYPES["number"].show_if_value({"key": "n"}, 2.5) == 2.5
    assert QUESTION_TYPES["yes_no"].show_if_value({"key": "y"}, "no") == "no"
    with pytest.raises(ValueError, match="“7” is not a point of its scale: choose a whole number from 1 to 5."):
        QUESTION_TYPES["scale"].show_if_value(SCALE, 7)
    with pytest.raises(ValueError, match="“maybe” is not one of its answers: choose “Yes” or “No”."):
        QUESTION_TYPES["yes_no"].show_if_value({"key": "y"}, "maybe")


def test_a_yes_no_question_takes_back_its_own_normalized_options():
    stored = QUESTION_TYPES["yes_no"].normalize({"key": "y", "type": "yes_no", "label": "Y"})
    QUESTION_TYPES["yes_no"].check_definition(stored)  # not refused: what the API returns can be posted again


def test_an_exclusive_option_is_picked_alone():
    q = {"key": "why", "type": "multi_choice", "label": "Why",
         "options": [{"value": "cost", "label": "Cost"}, {"value": "time", "label": "Time"},
                     {"value": "none", "label": "None of these", "exclusive": True}]}
    multi = QUESTION_TYPES["multi_choice"]
    assert multi.parse(q, {"why": ["none"]}) == (["none"], {})
    assert multi.parse(q, {"why": ["time", "cost"]}) == (["cost", "time"], {})
    assert multi.parse(q, {"why": ["cost", "none"]}) == (
        None, {"why": "“None of these” cannot be chosen with other options: untick it or untick the others."})
    assert [c.exclusive for c in multi.choices(q)] == [False, False, True]
    assert multi.normalize({**q, "options": [{"value": "a", "label": "A", "exclusive": False}]})["options"] == [
        {"value": "a", "label": "A"}]


def test_answers_in_words():
    assert QUESTION_TYPES["scale"].answer_text(SCALE, 3) == "3 on a scale of 1 to 5 (1 = Not at all, 5 = Fully)"
    assert QUESTION_TYPES["number"].answer_text({"key": "n"}, 12.0) == "12"
    assert QUESTION_TYPES["yes_no"].answer_text({"key": "y"}, "no") == "No"
    contact = {"name": "Ana Ruiz", "email": "ana@example.org", "organization": ""}
    assert QUESTION_TYPES["contact"].answer_text({"key": "c"}, contact) == "Ana Ruiz\nana@example.org"


def test_counted_types_and_their_cells():
    assert {name for name, t in QUESTION_TYPES.items() if t.counted} == {"single_choice", "multi_choice", "scale", "yes_no", "number",
                                                                            "ranking"}
    assert QUESTION_TYPES["multi_choice"].baseline_cells("occ", ["cnc", "weld"]) == [("occ", "cnc", 0.0), ("occ", "weld", 0.0)]
    assert QUESTION_TYPES["scale"].baseline_cells("collab", 4) == [("collab", "4", 4.0)]
    assert QUESTION_TYPES["number"].baseline_cells("slots", 12) == [("slots", "", 12.0)]
    assert QUESTION_TYPES["yes_no"].baseline_cells("targets", "yes") == [("targets", "yes", 0.0)]


def test_only_contact_questions_nominate_a_person():
    assert [name for name, t in QUESTION_TYPES.items() if t.nominates_person] == ["contact"]


def test_answers_in_words_for_staff():
    scale = QUESTION_TYPES["scale"]
    assert scale.answer_words(SCALE, 3) == "3 of 5"
    assert scale.answer_words(SCALE, 5) == "Fully (5 of 5)"
    assert scale.answer_words(SCALE, 1) == "Not at all (1 of 5)"
    assert scale.answer_words({**SCALE, "max_label": "deep, ongoing partnership"}, 5) == "Deep, ongoing partnership (5 of 5)"
    assert scale.answer_words({"key": "z", "min": 0, "max": 10}, 7) == "7 on 0 to 10"
    contact = {"name": "Ana Ruiz", "email": "ana@example.org", "organization": "Riverside Board"}
    assert QUESTION_TYPES["contact"].answer_words({"key": "c"}, contact) == "Ana Ruiz <ana@example.org>, Riverside Board"
    # Types that say nothing shorter read the answer as the respondent does.
    assert QUESTION_TYPES["yes_no"].answer_words({"key": "y"}, "yes") == "Yes"


def test_only_text_types_are_free_text():
    assert {name for name, t in QUESTION_TYPES.items() if t.free_text} == {"text", "long_text"}


OCCUPATIONS = {"key": "occ", "type": "multi_choice", "label": "Occupations",
               "options": [{"value": "cnc", "label": "CNC machinist"}, {"value": "weld", "label": "Welder"}]}
STAGE = {"key": "stage", "type": "single_choice", "label": "Stage",
         "options": [{"value": "talks", "label": "In talks"}, {"value": "active", "label": "Active"}]}


def test_raw_export_columns_per_type():
    columns = {name: [tuple(c) for c in t.raw_columns({"key": "q", "label": "Q", **extra})]
               for name, t, extra in [("multi_choice", QUESTION_TYPES["multi_choice"], OCCUPATIONS),
                                      ("scale", QUESTION_TYPES["scale"], {}), ("contact", QUESTION_TYPES["contact"], {}),
                                      ("text", QUESTION_TYPES["text"], {})]}
    assert columns == {
        "multi_choice": [("occ.cnc", "Occupations: CNC machinist", "flag"), ("occ.weld", "Occupations: Welder", "flag")],
        "scale": [("q", "Q", "number")],
        "contact": [("q.name", "Q: Name", "text"), ("q.email", "Q: Email address", "text"),
                    ("q.organization", "Q: Organization", "text")],
        "text": [("q", "Q", "text")],
    }


def test_raw_export_cells_in_words_or_codes():
    multi, single = QUESTION_TYPES["multi_choice"], QUESTION_TYPES["single_choice"]
    assert multi.raw_cells(OCCUPATIONS, ["weld"]) == [None, 1]
    assert multi.raw_cells(OCCUPATIONS, None) == [None, None]
    assert single.raw_cells(STAGE, "talks") == ["In talks"]
    assert single.raw_cells(STAGE, "talks", codes=True) == ["talks"]
    assert QUESTION_TYPES["yes_no"].raw_cells({"key": "y"}, "no") == ["No"]
    assert QUESTION_TYPES["scale"].raw_cells(SCALE, 4) == [4]
    assert QUESTION_TYPES["number"].raw_cells({"key": "n"}, 2.5) == [2.5]
    assert QUESTION_TYPES["text"].raw_cells({"key": "t"}, None) == [None]
    contact = {"name": "Ana Ruiz", "email": "ana@example.org", "organization": ""}
    assert QUESTION_TYPES["contact"].raw_cells({"key": "c"}, contact) == ["Ana Ruiz", "ana@example.org", None]


RANKED = {"key": "occ", "type": "ranking", "label": "Occupations most needed",
          "options": [{"value": "cnc", "label": "CNC machinist"}, {"value": "weld", "label": "Welder"},
                      {"value": "tech", "label": "Maintenance technician"}, {"value": "qa", "label": "Quality inspector"}]}


def test_a_ranking_reads_one_select_per_option_and_stores_the_values_in_order():
    ranking = QUESTION_TYPES["ranking"]
    assert ranking.field_names(RANKED) == ["occ.cnc", "occ.weld", "occ.tech", "occ.qa"]
    assert ranking.view_data(RANKED)["ranks"] == [1, 2, 3, 4]
    assert ranking.view_data({**RANKED, "top": 2})["ranks"] == [1, 2]
    assert ranking.parse(RANKED, {"occ.cnc": ["2"], "occ.weld": [""], "occ.tech": ["1"], "occ.qa": ["3"]}) == \
        (["tech", "cnc", "qa"], {})
    assert ranking.parse(RANKED, {"occ.cnc": [""]}) == (None, {})
    assert ranking.to_form(RANKED, ["tech", "cnc"]) == {"occ.tech": ["1"], "occ.cnc": ["2"]}
    assert ranking.answer_text(RANKED, ["tech", "cnc"]) == "1. Maintenance technician; 2. CNC machinist"


@pytest.mark.parametrize("form, field, message", [
    ({"occ.cnc": ["1"], "occ.weld": ["1"]}, "occ.weld",
     "Rank 1 is given to “CNC machinist” too: give each rank to one option only."),
    ({"occ.cnc": ["1"], "occ.weld": ["3"]}, "occ.weld",
     "No option has rank 2: number the options you rank 1, 2, 3 and so on, without gaps."),
    ({"occ.cnc": ["5"]}, "occ.cnc", "Choose a rank from 1 to 4, or leave it blank."),
    ({"occ.cnc": ["first"]}, "occ.cnc", "Choose a rank from 1 to 4, or leave it blank."),
])
def test_a_ranking_refuses_duplicate_ranks_gaps_and_ranks_out_of_range(form, field, message):
    assert QUESTION_TYPES["ranking"].parse(RANKED, form) == (None, {field: message})


def test_a_top_n_ranking_offers_n_ranks_and_its_definition_is_checked():
    ranking = QUESTION_TYPES["ranking"]
    assert ranking.parse({**RANKED, "top": 2}, {"occ.cnc": ["3"]}) == \
        (None, {"occ.cnc": "Choose a rank from 1 to 2, or leave it blank."})
    with pytest.raises(DefinitionError, match="Ask for a top between 1 and 4") as refused:
        ranking.check_definition({**RANKED, "top": 5})
    assert refused.value.field == "top"
    with pytest.raises(DefinitionError, match="A scale question has no “top”; remove it."):
        QUESTION_TYPES["scale"].check_definition({**SCALE, "top": 2})


def test_a_rankings_cells_carry_mid_ranks_borda_points_and_ties_and_its_summary_the_consensus():
    ranking = QUESTION_TYPES["ranking"]
    # Ranked cnc, weld of four: tech and qa tie at 3.5 (tie term 2³ − 2 = 6); Borda 4 and 3.
    assert ranking.question_cells(RANKED, ["cnc", "weld"]) == [
        ("occ", "", 6.0), ("occ", "rank:cnc", 1.0), ("occ", "rank:weld", 2.0), ("occ", "rank:tech", 3.5),
        ("occ", "rank:qa", 3.5), ("occ", "points:cnc", 4.0), ("occ", "points:weld", 3.0)]
    found: dict = {}
    for answer in (["cnc", "weld", "tech", "qa"], ["cnc", "tech", "weld", "qa"], ["weld", "cnc", "tech", "qa"]):
        for _, value, amount in ranking.question_cells(RANKED, answer):
            count, total = found.get(value, (0, 0.0))
            found[value] = (count + 1, total + amount)
    summary = ranking.summarize(RANKED, found, 3)
    assert summary["n"] == 3
    # Borda: cnc 4+4+3 = 11, weld 3+2+4 = 9, tech 2+3+2 = 7, qa 1+1+1 = 3.
    assert [(o["value"], o["score"]) for o in summary["order"]] == [("cnc", 11), ("weld", 9), ("tech", 7), ("qa", 3)]
    # Rank sums 4, 6, 8, 12 around 7.5: S = 12.25 + 2.25 + 0.25 + 20.25 = 35; W = 12 × 35 / (9 × 60) = 0.7778.
    assert summary["kendall_w"] == 0.7778
    assert ranking.export_cells(summary, summary)[:3] == \
        [3, 0.7778, "CNC machinist > Welder > Maintenance technician > Quality inspector"]


def _template(*questions) -> dict:
    return {"slug": "outcomes", "title": "Outcomes", "questions": list(questions)}


def test_a_number_marked_as_an_indicator_is_checked_and_stored_with_its_aggregate():
    from wfsurvey.services.templates import TemplateInvalid, validate_definition

    jobs = {"key": "jobs", "type": "number", "label": "Jobs filled",
            "indicator": {"code": "jobs_filled", "unit": "jobs", "direction": "up", "target": 120}}
    stored = validate_definition(_template(jobs))["questions"][0]
    assert stored["indicator"] == {"code": "jobs_filled", "unit": "jobs", "direction": "up", "target": 120.0,
                                   "aggregate": "sum"}
    for indicator, message in [
        ({"code": "jobs", "unit": "jobs", "direction": "sideways"}, "Say which way is better: up or down."),
        ({"code": "Jobs Filled", "unit": "jobs", "direction": "up"}, "A key uses lower-case letters"),
        ({"code": "jobs", "unit": "", "direction": "up"}, "Say what it counts, like jobs or contracts."),
        ({"code": "jobs", "unit": "jobs", "direction": "up", "aggregate": "median"},
         "Say how a region's answers add up: sum or mean."),
        ({"code": "jobs", "unit": "jobs", "direction": "up", "target": "lots"}, "Enter the target as a number, like 120."),
    ]:
        with pytest.raises(TemplateInvalid) as refused:
            validate_definition(_template({**jobs, "indicator": indicator}))
        assert message in refused.value.message, refused.value.message
    with pytest.raises(TemplateInvalid) as refused:
        validate_definition(_template({"key": "why", "type": "text", "label": "Why", "indicator": jobs["indicator"]}))
    assert "A short text question has no “indicator”; remove it." in refused.value.message
    with pytest.raises(TemplateInvalid) as refused:
        validate_definition(_template(jobs, {**jobs, "key": "jobs2", "label": "More jobs"}))
    assert refused.value.message == ("Question 2, “More jobs”: Its indicator code “jobs_filled” is the code of question 1, "
                                     "“Jobs filled” too: give each indicator its own code.")
