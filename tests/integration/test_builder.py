"""The survey builder at /staff/templates/new, driven as a browser without JavaScript drives it: every button posts the
whole form as the page rendered it (tests/htmlforms.py), and the page comes back changed. Then the shared table of
refusals: the builder's Save and POST /api/v1/templates refuse the same definitions with the same messages."""
from __future__ import annotations

import copy
import html
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from tests import builders
from tests.htmlforms import Form
from tests.integration.test_api import Api, token_for
from tests.web import signed_in  # noqa: F401  (fixture)
from wfsurvey.extensions import db
from wfsurvey.forms.builder import form_fields, from_definition, make_key, make_slug
from wfsurvey.models import Template
from wfsurvey.paths import PACKAGE_DIR

URL = "/staff/templates/new"
DEMO = json.loads((Path(PACKAGE_DIR) / "data" / "templates" / "regional-collaboration-am.json").read_text())


@pytest.fixture
def staff(signed_in):  # noqa: F811
    client, _ = signed_in("staff")
    return client


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def press(client, page, action: str, changes=None):
    """Fill in `changes` ({name: value}; a list ticks several boxes) on the builder form of `page` and press a button."""
    form = Form(page.get_data(as_text=True) if hasattr(page, "get_data") else page, "builder")
    for name, value in (changes or {}).items():
        if isinstance(value, list):
            for v in form.getlist(name):
                form.check(name, v, on=False)
            for v in value:
                form.check(name, v)
        elif name.endswith(("-required", "-exclusive", "-counted", "-indicator")):
            form.check(name, "1", on=bool(value))
        elif name.endswith("-rule"):
            form.choose(name, value)
        else:
            form.set(name, value)
    response = form.post(client, URL, action)
    assert response.status_code in (200, 302, 422), response.status_code
    return response


def uids(response) -> list[str]:
    return Form(response.get_data(as_text=True), "builder").getlist("item")


def option_uids(response, uid: str) -> list[str]:
    return Form(response.get_data(as_text=True), "builder").getlist(f"i{uid}-option")


def templates() -> list[Template]:
    db.session.expire_all()
    return db.session.scalars(select(Template).order_by(Template.id)).all()


# --- keys and short names ----------------------------------------------------------------------------

def test_keys_values_and_short_names_are_made_from_labels():
    assert make_key("How many apprentices do you place each year?", []) == "many_apprentices_place_each_year"
    assert make_key("Which credentials do you offer?", ["credentials_offer"]) == "credentials_offer_2"
    assert make_key("2026 plans", []) == "q_2026_plans"
    assert make_key("None of these", [], stop_words=False, default="option") == "none_of_these"
    assert make_key("¿Qué programas ofrecen?", []) == "que_programas_ofrecen"
    assert make_key("Your college partner's name", []) == "college_partners_name"
    assert make_slug("Regional collaboration on Advanced Manufacturing", ["regional-collaboration-advanced-manufacturing"]) \
        == "regional-collaboration-advanced-manufacturing-2"


# --- building a template with the buttons only -------------------------------------------------------

def test_a_template_built_with_the_buttons_alone_is_saved_as_version_1(staff):
    page = staff.get(URL)
    assert page.status_code == 200
    assert "No questions yet" in text(page)
    assert templates() == []

    page = press(staff, page, "add", {"title": "Apprenticeship pathways", "new_type": "single_choice"})
    (role,) = uids(page)
    assert f'id="i{role}-label"' in page.get_data(as_text=True) and "autofocus" in page.get_data(as_text=True)
    first, second = option_uids(page, role)
    page = press(staff, page, "add_option:" + role, {
        f"i{role}-label": "What is your role?", f"i{role}-required": True,
        f"i{role}-o{first}-label": "Director", f"i{role}-o{second}-label": "Staff member"})
    third = option_uids(page, role)[2]
    page = press(staff, page, "add", {f"i{role}-o{third}-label": "Board member", "new_type": "multi_choice"})
    role, tools = uids(page)
    a, b = option_uids(page, tools)
    page = press(staff, page, "add_option:" + tools, {
        f"i{tools}-label": "Which trades do you train for?", f"i{tools}-o{a}-label": "Welding",
        f"i{tools}-o{b}-label": "CNC machining"})
    c = option_uids(page, tools)[2]
    page = press(staff, page, "add_section", {f"i{tools}-o{c}-label": "None of these", f"i{tools}-o{c}-exclusive": True})
    role, tools, section = uids(page)
    page = press(staff, page, "add", {f"i{section}-label": "Your partners", "new_type": "text"})
    role, tools, section, partner = uids(page)
    # The rule picker offers the earlier questions that can be a target; choosing one shows its operators and values.
    body = text(page)
    assert re.search(rf'<select id="i{partner}-rule_question"[^>]*>.*1\. What is your role\?.*2\. Which trades do you '
                     r'train for\?.*</select>', body, re.S)
    page = press(staff, page, f"refresh:{partner}", {
        f"i{partner}-label": "Which employer trains your welders?", f"i{partner}-rule": "answer",
        f"i{partner}-rule_question": tools})
    body = text(page)
    assert re.search(rf'<select id="i{partner}-rule_operator"[^>]*>\s*<option value="includes"', body)
    assert "not_equals" not in re.search(rf'<select id="i{partner}-rule_operator".*?</select>', body, re.S).group(0)
    page = press(staff, page, "save", {f"i{partner}-rule_value": "welding"})

    assert page.status_code == 302 and page.headers["Location"] == "/staff/templates/apprenticeship-pathways/v1"
    (template,) = templates()
    assert (template.slug, template.version, template.title) == ("apprenticeship-pathways", 1, "Apprenticeship pathways")
    assert template.questions == [
        {"key": "role", "type": "single_choice", "label": "What is your role?", "help": "", "required": True,
         "baseline": "auto", "options": [{"value": "director", "label": "Director"},
                                         {"value": "staff_member", "label": "Staff member"},
                                         {"value": "board_member", "label": "Board member"}]},
        {"key": "trades_train", "type": "multi_choice", "label": "Which trades do you train for?", "help": "",
         "required": False, "baseline": "auto",
         "options": [{"value": "welding", "label": "Welding"}, {"value": "cnc_machining", "label": "CNC machining"},
                     {"value": "none_of_these", "label": "None of these", "exclusive": True}]},
        {"key": "partners", "type": "section", "label": "Your partners", "help": ""},
        {"key": "employer_trains_welders", "type": "text", "label": "Which employer trains your welders?", "help": "",
         "required": False, "baseline": "auto", "show_if": {"question": "trades_train", "includes": "welding"}},
    ]
    shown = text(staff.get(page.headers["Location"]))
    assert "Saved “Apprenticeship pathways” as version 1." in shown and "Your partners" in shown


def test_move_duplicate_and_delete_rearrange_the_list_and_keep_every_field(staff):
    page = staff.get(URL)
    for kind in ("yes_no", "scale", "number"):
        page = press(staff, page, "add", {"new_type": kind})
    yes, scale, number = uids(page)
    page = press(staff, page, f"up:{number}", {"title": "Moves", f"i{yes}-label": "Do you train?",
                                               f"i{scale}-label": "How well?", f"i{number}-label": "How many?",
                                               f"i{number}-min": "0"})
    assert uids(page) == [yes, number, scale]
    assert 'autofocus' in re.search(rf'<button[^>]*id="i{number}-up"[^>]*>', page.get_data(as_text=True)).group(0)
    page = press(staff, page, f"down:{yes}")
    assert uids(page) == [number, yes, scale]
    page = press(staff, page, f"duplicate:{scale}")
    copy_uid = uids(page)[-1]
    assert uids(page)[:3] == [number, yes, scale] and len(uids(page)) == 4
    form = Form(page.get_data(as_text=True), "builder")
    assert form.get(f"i{copy_uid}-label") == "How well?" and form.get(f"i{copy_uid}-key") == "well_2"
    assert (form.get(f"i{copy_uid}-min"), form.get(f"i{copy_uid}-max")) == ("1", "5")
    page = press(staff, page, f"delete:{yes}")
    assert uids(page) == [number, scale, copy_uid]
    form = Form(page.get_data(as_text=True), "builder")
    assert (form.get(f"i{number}-label"), form.get(f"i{number}-min")) == ("How many?", "0")
    assert templates() == []  # nothing is stored until Save


def test_a_rule_follows_its_question_when_keys_and_values_change_and_waits_when_it_is_deleted(staff):
    page = press(staff, staff.get(URL), "add", {"title": "Rules", "new_type": "single_choice"})
    (pick,) = uids(page)
    a, b = option_uids(page, pick)
    page = press(staff, page, "add", {f"i{pick}-label": "Pick one", f"i{pick}-o{a}-label": "Apples",
                                      f"i{pick}-o{b}-label": "Pears", "new_type": "text"})
    pick, why = uids(page)
    page = press(staff, page, f"refresh:{why}", {f"i{why}-label": "Why pears?", f"i{why}-rule": "answer",
                                                 f"i{why}-rule_question": pick})
    page = press(staff, page, "preview", {f"i{why}-rule_operator": "not_equals", f"i{why}-rule_value": "pears"})
    # The option's wording changes: its value follows, and so does the rule; the key typed by hand is kept.
    page = press(staff, page, "preview", {f"i{pick}-o{b}-label": "Ripe pears", f"i{pick}-key": "fruit"})
    form = Form(page.get_data(as_text=True), "builder")
    assert form.get(f"i{pick}-o{b}-value") == "ripe_pears" and form.get(f"i{why}-rule_value") == "ripe_pears"
    assert form.get(f"i{pick}-key") == "fruit"
    assert 'data-show-if-question="fruit" data-show-if-not-equals="ripe_pears"' in page.get_data(as_text=True)
    # Deleting the question a rule depends on leaves the rule to choose again, and Save says so.
    page = press(staff, page, f"delete:{pick}")
    assert "Choose the question, then the answer that shows this one." in text(page)
    page = press(staff, page, "save")
    assert page.status_code == 422
    assert "Question 1, “Why pears?”: Choose the question it depends on." in text(page)
    assert templates() == []


def test_the_preview_uses_the_respondent_partials_for_the_chosen_organization_type(staff):
    definition = copy.deepcopy(builders.TEMPLATE)
    definition["questions"].insert(2, {"key": "more", "type": "section", "label": "More about you", "help": "Two minutes."})
    builders.template(definition)
    page = staff.get("/staff/templates/new?from=collab")
    body = text(page)
    preview = body[body.index('id="preview"'):]
    assert '<fieldset id="q-targets_am"' in preview and 'name="navigator.email"' in preview
    assert "Section 2 of 2" in preview and "More about you" in preview
    page = press(staff, page, "preview", {"preview_org_type": "college"})
    preview = text(page)[text(page).index('id="preview"'):]
    assert 'name="navigator.email"' not in preview and 'name="targets_am"' in preview
    # A question that cannot be shown yet is named, not dropped silently.
    page = press(staff, page, "add", {"new_type": "single_choice"})
    assert re.search(r"Not shown until their problems are fixed: Question 7\.", text(page))


# --- editing as a new version ------------------------------------------------------------------------

@pytest.mark.parametrize("definition", [builders.TEMPLATE, DEMO], ids=["collab", "demo"])
def test_edit_as_a_new_version_saves_the_same_questions_unchanged(staff, definition):
    # The known bug: a yes/no question's stored options made this refused.
    builders.template(definition)
    version_page = text(staff.get(f"/staff/templates/{definition['slug']}/v1"))
    assert f'href="/staff/templates/new?from={definition["slug"]}&amp;version=1"' in html.escape(version_page, quote=False) \
        or f'/staff/templates/new?from={definition["slug"]}&version=1' in version_page
    page = staff.get(f"/staff/templates/new?from={definition['slug']}&version=1")
    assert "Save as version 2" in text(page)
    saved = press(staff, page, "save")
    assert saved.status_code == 302, text(saved)[:3000]
    first, second = templates()
    assert second.version == 2 and second.questions == first.questions and second.title == first.title


def test_a_short_name_in_use_is_said_before_saving_over_it(staff):
    builders.template()
    page = press(staff, staff.get(URL), "add", {"title": "Something", "slug": "collab", "new_type": "text"})
    assert "A template with this short name exists already (“Regional collaboration”, version 1): saving makes its " \
           "version 2." in text(page)
    assert "Save as version 2" in text(page)
    # A new title makes a short name of its own, not one in use.
    page = press(staff, staff.get(URL), "add", {"title": "Collab", "new_type": "text"})
    assert Form(page.get_data(as_text=True), "builder").get("slug") == "collab-2"


# --- the same refusals, with the same words, from the API and the builder ----------------------------

def _definition(**changes) -> dict:
    d = {"slug": "pathways", "title": "Pathways", "questions": [
        {"key": "role", "type": "single_choice", "label": "Your role",
         "options": [{"value": "director", "label": "Director"}, {"value": "staff", "label": "Staff"}]},
        {"key": "trades", "type": "multi_choice", "label": "Which credentials do you offer with colleges?",
         "options": [{"value": "weld", "label": "Welding"}, {"value": "cnc", "label": "CNC"},
                     {"value": "none", "label": "None of these", "exclusive": True}]},
        {"key": "about", "type": "section", "label": "About your board"},
        {"key": "collab", "type": "scale", "label": "How closely do you work with colleges?"},
        {"key": "why", "type": "text", "label": "Why?", "show_if": {"question": "trades", "includes": "weld"}},
    ]}
    for path, value in changes.items():
        node = d
        *parents, last = path.split(".")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is _DELETE:
            del node[int(last) if last.isdigit() else last]
        elif last == "+":
            node.append(value)
        else:
            node[int(last) if last.isdigit() else last] = value
    return d


_DELETE = object()

#: (case, changes to the definition, the sentence both say, the field the builder puts the message beside).
REFUSALS = [
    ("duplicate keys", {"questions.3.key": "role"},
     "Question 3, “How closely do you work with colleges?”: Its key “role” is the key of question 1, “Your role” too: "
     "give each its own key.", "i{3}-key"),
    ("a rule on a later question", {"questions.0.show_if": {"question": "collab", "equals": 3}},
     "Question 1, “Your role”: It depends on question 3, “How closely do you work with colleges?”, which comes after "
     "it: a question can only depend on an earlier one. Move it below that question, or choose another.", "i{0}-rule"),
    ("includes on a single choice", {"questions.4.show_if": {"question": "role", "includes": "staff"}},
     "Question 4, “Why?”: “includes” does not fit question 1, “Your role” (single choice): use “is” or “is not”.",
     "i{4}-rule"),
    ("is not on a multiple choice", {"questions.4.show_if": {"question": "trades", "not_equals": "weld"}},
     "Question 4, “Why?”: “is not” does not fit question 2, “Which credentials do you offer with…” (multiple choice): "
     "use “includes”.", "i{4}-rule"),
    ("a value that is not an answer", {"questions.4.show_if": {"question": "collab", "equals": 9}},
     "Question 4, “Why?”: It depends on question 3, “How closely do you work with colleges?”, but “9” is not a point "
     "of its scale: choose a whole number from 1 to 5.", "i{4}-rule"),
    ("a rule on a text question", {"questions.+": {"key": "more", "type": "text", "label": "More?",
                                                   "show_if": {"question": "why", "equals": "x"}}},
     "Question 5, “More?”: It cannot depend on question 4, “Why?” (short text): choose a single choice, multiple "
     "choice, scale, yes/no or number question.", "i{5}-rule"),
    ("a scale with min above max", {"questions.3.min": 5, "questions.3.max": 2},
     "Question 3, “How closely do you work with colleges?”: A scale runs between two whole numbers, the first smaller "
     "than the second, with at most 11 points (like 1 to 5).", "i{3}-max"),
    ("a choice with one option", {"questions.0.options.1": _DELETE},
     "Question 1, “Your role”: Give it at least two options.", "i{0}-options"),
    ("an exclusive option on a single choice", {"questions.0.options.1.exclusive": True},
     "Question 1, “Your role”: Only an option of a multiple choice question can be exclusive (picked alone, like "
     "“None of these”): a single choice takes one answer anyway.", "i{0}-options"),
    ("an empty section", {"questions.+": {"key": "end", "type": "section", "label": "The end"}},
     "Section 2, “The end”: It has no questions: add questions after it, or delete it.", "i{5}-label"),
    ("a question without wording", {"questions.4.label": ""}, "Question 4: Enter its wording.", "i{4}-label"),
    ("an option without wording", {"questions.1.options.1.label": ""},
     "Question 2, “Which credentials do you offer with…”, option 2: Enter the option's wording.", "o{1}{1}-label"),
    ("no organization type ticked", {"questions.4.show_if": {"org_type": []}},
     "Question 4, “Why?”: Tick at least one organization type.", "i{4}-rule_org"),
    ("a short name with spaces", {"slug": "Path ways"},
     "Short name: A short name uses lower-case letters, digits and single hyphens, like regional-collaboration.", "slug"),
    ("no title", {"title": ""}, "Title: Enter a title.", "title"),
    ("a ranking's top beyond its options", {"questions.+": {"key": "rank", "type": "ranking", "label": "Rank them", "top": 3,
                                                            "options": [{"value": "a", "label": "A"},
                                                                        {"value": "b", "label": "B"}]}},
     "Question 5, “Rank them”: Ask for a top between 1 and 2 (the number of options), or leave it out to have every "
     "option ranked.", "i{5}-top"),
    ("an indicator without a unit", {"questions.+": {"key": "jobs", "type": "number", "label": "Jobs filled",
                                                     "indicator": {"code": "jobs", "unit": "", "direction": "up"}}},
     "Question 5, “Jobs filled”: Say what it counts, like jobs or contracts.", "i{5}-indicator_unit"),
]


@pytest.mark.parametrize("changes, sentence, field", [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS])
def test_the_builder_and_the_api_refuse_the_same_definitions_with_the_same_words(app, client, staff, changes, sentence, field):
    definition = _definition(**changes)
    api = Api(client, token_for("staff", "script@example.org"))
    refused = api.post("/templates", copy.deepcopy(definition))
    assert refused.status_code == 422
    assert refused.get_json()["error"]["message"] == sentence

    draft = from_definition(copy.deepcopy(definition))
    data = MultiDict([*form_fields(draft), ("csrf_token", Form(staff.get(URL).get_data(as_text=True), "builder")
                                            .get("csrf_token")), ("action", "save")])
    page = staff.post(URL, data=data)
    body = text(page)
    assert page.status_code == 422
    item = re.match(r"[io]\{(\d)\}(?:\{(\d)\})?", field)
    if item:
        entry = draft.items[int(item.group(1))]
        target = f"i{entry.uid}-o{entry.options[int(item.group(2))].uid}" if field.startswith("o") else f"i{entry.uid}"
        field_id = target + field[item.end():]
    else:
        field_id = field
    # In the error summary, linked to the field; and beside the field, without the question's name.
    assert f'<li><a href="#{field_id}">{sentence}</a></li>' in body
    beside = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error"><span class="visually-hidden">Error: '
                       r'</span>(.*?)</p>', body)
    assert beside and sentence.endswith(beside.group(1)), (field_id, beside and beside.group(1))
    assert db.session.scalar(select(func.count()).select_from(Template)) == 0


def test_the_json_upload_is_checked_the_same_and_a_version_downloads_as_json(staff):
    builders.template()
    download = staff.get("/staff/templates/collab/v1.json")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert 'filename="collab-v1.json"' in download.headers["Content-Disposition"]
    definition = download.get_json()
    assert definition["slug"] == "collab" and definition["questions"][0]["options"][0] == {"value": "yes", "label": "Yes"}
    definition["questions"][0]["type"] = "scale"
    upload = Form(staff.get("/staff/templates/upload").get_data(as_text=True), "template-upload")
    upload.set("json_text", json.dumps(definition))
    refused = text(staff.post("/staff/templates/upload", data=upload.data("upload")))
    assert "Question 1, “Does the board target Advanced…”: A scale question has no options; remove them." in refused


def test_a_top_n_ranking_is_built_with_the_buttons_and_edited_as_a_new_version(staff):
    page = press(staff, staff.get(URL), "add", {"title": "Occupations", "new_type": "ranking"})
    (rank,) = uids(page)
    body = text(page)
    assert f'<label for="i{rank}-top">How many to rank (optional)</label>' in body
    first, second = option_uids(page, rank)
    page = press(staff, page, "add_option:" + rank, {
        f"i{rank}-label": "Which occupations do manufacturers need most?", f"i{rank}-top": "2",
        f"i{rank}-o{first}-label": "CNC machinist", f"i{rank}-o{second}-label": "Welder"})
    third = option_uids(page, rank)[2]
    # The preview shows the respondent's selects: ranks 1 and 2 for a top 2.
    page = press(staff, page, "preview", {f"i{rank}-o{third}-label": "Electrician"})
    preview = text(page)[text(page).index('id="preview"'):]
    assert re.search(r'name="occupations_manufacturers_need_most\.cnc_machinist"[^>]*>\s*<option value="">Not ranked'
                     r'</option>\s*<option value="1">1</option><option value="2">2</option>\s*</select>', preview)
    page = press(staff, page, "save")
    assert page.status_code == 302, text(page)[:2000]
    (template,) = templates()
    (question,) = template.questions
    assert question["type"] == "ranking" and question["top"] == 2
    assert [o["value"] for o in question["options"]] == ["cnc_machinist", "welder", "electrician"]
    # Edited as a new version, the top comes back in its field and is saved again unchanged.
    page = staff.get("/staff/templates/new?from=occupations&version=1")
    assert Form(page.get_data(as_text=True), "builder").get(f"i{uids(page)[0]}-top") == "2"
    assert press(staff, page, "save").status_code == 302
    first_version, second_version = templates()
    assert second_version.questions == first_version.questions


def test_a_number_is_marked_as_an_outcome_indicator_in_the_builder(staff):
    page = press(staff, staff.get(URL), "add", {"title": "Outcomes", "new_type": "number"})
    (jobs,) = uids(page)
    assert "Track this number as an outcome indicator, period by period" in text(page)
    page = press(staff, page, "save", {
        f"i{jobs}-label": "Jobs filled this quarter", f"i{jobs}-min": "0", f"i{jobs}-indicator": True,
        f"i{jobs}-indicator_code": "jobs_filled", f"i{jobs}-indicator_unit": "jobs",
        f"i{jobs}-indicator_direction": "up", f"i{jobs}-indicator_aggregate": "mean", f"i{jobs}-indicator_target": "1,200"})
    assert page.status_code == 302, text(page)[:3000]
    (template,) = templates()
    assert template.questions[0]["indicator"] == {"code": "jobs_filled", "unit": "jobs", "direction": "up",
                                                  "aggregate": "mean", "target": 1200.0}
    page = staff.get("/staff/templates/new?from=outcomes&version=1")
    form = Form(page.get_data(as_text=True), "builder")
    uid = uids(page)[0]
    assert (form.get(f"i{uid}-indicator_code"), form.get(f"i{uid}-indicator_target")) == ("jobs_filled", "1200")
    assert press(staff, page, "save").status_code == 302
    assert templates()[1].questions == templates()[0].questions


def test_a_control_character_typed_in_a_question_keeps_the_form_and_is_said_beside_the_field(staff):
    page = press(staff, staff.get(URL), "add", {"title": "Apprenticeship pathways", "new_type": "single_choice"})
    (role,) = uids(page)
    first, second = option_uids(page, role)
    # Pasted from a word processor: a vertical tab (U+000B) inside the question, a bell (U+0007) in an option.
    refused = press(staff, page, "save", {
        f"i{role}-label": "What is\x0b your role?", f"i{role}-help": "Pick one.\nThe closest.",
        f"i{role}-required": True, f"i{role}-o{first}-label": "Direc\x07tor", f"i{role}-o{second}-label": "Staff member"})
    assert refused.status_code == 422
    body = text(refused)
    form = Form(refused.get_data(as_text=True), "builder")
    # Everything typed is kept (the invisible characters taken out), and nothing is stored.
    assert form.get("title") == "Apprenticeship pathways"
    assert form.get(f"i{role}-label") == "What is your role?"
    assert form.get(f"i{role}-help") == "Pick one.\nThe closest."
    assert form.getlist(f"i{role}-required") == ["1"]
    assert form.get(f"i{role}-o{first}-label") == "Director" and form.get(f"i{role}-o{second}-label") == "Staff member"
    assert templates() == []
    # Said in the summary, naming the question, and beside each field.
    said = ("Text must not contain the control character U+000B, which cannot be seen: it is taken out here. "
            "Check the text, then save again.")
    assert f"Question 1, “What is your role?”: {said}" in body
    assert re.search(rf'<p class="field-error" id="i{role}-label-error">.*?{re.escape(said)}</p>', body, re.S)
    assert re.search(rf'id="i{role}-o{first}-label-error">.*?U\+0007, which cannot be seen', body, re.S)
    assert "Question 1, “What is your role?”, option 1: Text must not contain the control character U+0007" in body

    # Saved as it now reads.
    saved = press(staff, refused, "save")
    assert saved.status_code == 302
    (template,) = templates()
    assert template.questions[0]["label"] == "What is your role?"
    assert [o["label"] for o in template.questions[0]["options"]] == ["Director", "Staff member"]


def test_the_builder_still_refuses_a_control_character_in_its_own_hidden_fields(staff):
    page = press(staff, staff.get(URL), "add", {"title": "Apprenticeship pathways", "new_type": "text"})
    form = Form(page.get_data(as_text=True), "builder")
    form.set("slug_auto", "x\x00")
    assert form.post(staff, URL, "save").status_code == 400
    assert templates() == []
