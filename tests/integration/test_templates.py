"""Templates: validation that names the question and problem, and versions."""
import pytest
from sqlalchemy import func, select

from tests.integration.test_api import Api, token_for
from wfsurvey.domain import commands as cmd
from wfsurvey.models import EventRecord, Template
from wfsurvey.services import handle
from wfsurvey.services.templates import TemplateInvalid


def definition(**over):
    d = {
        "slug": "collab",
        "title": "Collaboration",
        "questions": [
            {"key": "targets_am", "type": "yes_no", "label": "Does the board target Advanced Manufacturing?", "required": True},
            {"key": "initiatives", "type": "long_text", "label": "Initiatives",
             "show_if": {"question": "targets_am", "equals": "yes"}},
            {"key": "colleges", "type": "scale", "label": "Collaboration with colleges", "min_label": "none", "max_label": "deep"},
            {"key": "navigator", "type": "contact", "label": "Navigator", "show_if": {"org_type": ["lwib"]}},
        ],
    }
    d.update(over)
    return d


def test_create_stores_normalised_questions_and_an_event(app):
    template = handle(cmd.CreateTemplate(definition()), actor="user:1")
    stored = app.extensions["sqlalchemy"].session.get(Template, template.id)
    assert (stored.slug, stored.version) == ("collab", 1)
    assert stored.question("colleges")["min"] == 1 and stored.question("colleges")["max"] == 5
    assert [o["value"] for o in stored.question("targets_am")["options"]] == ["yes", "no"]
    event = app.extensions["sqlalchemy"].session.scalar(select(EventRecord).where(EventRecord.type == "TemplateCreated"))
    assert event.actor == "user:1" and event.payload["version"] == 1


def test_an_edit_is_a_new_version(app):
    handle(cmd.CreateTemplate(definition()), actor="cli")
    second = handle(cmd.CreateTemplate(definition(title="Collaboration, revised")), actor="cli")
    assert second.version == 2
    db = app.extensions["sqlalchemy"]
    assert db.session.scalar(select(func.count()).select_from(Template)) == 2


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["questions"][1].update(show_if={"question": "navigator", "equals": "x"}),
         "Question 2, “Initiatives”: It depends on question 4, “Navigator”, which comes after it: a question can only "
         "depend on an earlier one. Move it below that question, or choose another."),
        (lambda d: d["questions"][1].update(show_if={"question": "targets_am", "equals": "perhaps"}),
         "Question 2, “Initiatives”: It depends on question 1, “Does the board target Advanced…”, but “perhaps” is not "
         "one of its answers: choose “Yes” or “No”."),
        (lambda d: d["questions"][2].update(key="targets_am"),
         "Question 3, “Collaboration with colleges”: Its key “targets_am” is the key of question 1, “Does the board "
         "target Advanced…” too: give each its own key."),
        (lambda d: d["questions"].append({"key": "pick", "type": "single_choice", "label": "Pick", "options": [{"value": "a", "label": "A"}]}),
         "Question 5, “Pick”: Give it at least two options."),
        (lambda d: d["questions"][0].update(type="essay"),
         "Question 1, “Does the board target Advanced…”: “essay” is not a question type: use one of single_choice, "),
        (lambda d: d["questions"][2].update(max=50),
         "Question 3, “Collaboration with colleges”: A scale runs between two whole numbers, the first smaller than the "
         "second, with at most 11 points (like 1 to 5)."),
    ],
)
def test_bad_template_names_the_question_and_the_problem(app, change, message):
    d = definition()
    change(d)
    with pytest.raises(TemplateInvalid) as info:
        handle(cmd.CreateTemplate(d), actor="cli")
    assert message in info.value.message
    db = app.extensions["sqlalchemy"]
    assert db.session.scalar(select(func.count()).select_from(Template)) == 0
    assert db.session.scalar(select(func.count()).select_from(EventRecord)) == 0


def test_sections_and_every_rule_round_trip_through_the_api(app, client):
    api = Api(client, token_for("staff", "script@example.org"))
    sent = definition(questions=[
        {"key": "start", "type": "section", "label": "About you", "help": "Two questions."},
        {"key": "role", "type": "single_choice", "label": "Role",
         "options": [{"value": "director", "label": "Director"}, {"value": "staff", "label": "Staff"}]},
        {"key": "team", "type": "text", "label": "Team", "show_if": {"question": "role", "not_equals": "director"}},
        {"key": "work", "type": "section", "label": "Your work"},
        {"key": "trades", "type": "multi_choice", "label": "Trades",
         "options": [{"value": "weld", "label": "Welding"}, {"value": "none", "label": "None", "exclusive": True}]},
        {"key": "welders", "type": "number", "label": "Welders", "show_if": {"question": "trades", "includes": "weld"}},
        {"key": "colleges", "type": "scale", "label": "Colleges"},
        {"key": "why", "type": "text", "label": "Why?", "show_if": {"question": "colleges", "equals": "1"}},
    ])
    assert api.post("/templates", sent).status_code == 201
    first = api.get("/templates/collab").get_json()["versions"][0]["questions"]
    assert first[0] == {"key": "start", "type": "section", "label": "About you", "help": "Two questions."}
    assert first[7]["show_if"] == {"question": "colleges", "equals": 1}  # stored as the scale's answers are
    assert first[4]["options"][1] == {"value": "none", "label": "None", "exclusive": True}
    again = api.post("/templates", {**sent, "questions": first})  # what the API returns goes back as it is
    assert again.status_code == 201 and again.get_json()["version"] == 2
    second = api.get("/templates/collab").get_json()["versions"][0]["questions"]
    assert second == first
