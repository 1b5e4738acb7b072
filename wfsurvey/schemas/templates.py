"""Survey template definitions: the shape every question has and skip logic across questions, each problem said in
words a staff member understands and pointing at its question ("Question 4, “Which credentials…”: ..."); each
question's type (wfsurvey.domain.questions) checks the rest of its definition.

The API (POST /templates), the JSON upload and the survey builder all check a definition here, so they refuse the
same things with the same messages.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from wfsurvey.domain import skip_logic
from wfsurvey.domain.questions import QUESTION_TYPES, DefinitionError, QuestionType
from wfsurvey.domain.stakeholders import ORG_TYPES

KEY = validate.Regexp(r"^[a-z][a-z0-9_]{0,59}$", error="A key uses lower-case letters, digits and _, starts with a "
                                                      "letter and has at most 60 characters, like training_slots.")
SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                       error="A short name uses lower-case letters, digits and single hyphens, like regional-collaboration.")
#: How long a label quoted in a message may be before it is cut.
QUOTE_LENGTH = 40
#: What the template's own fields are called on the builder's page.
TEMPLATE_FIELDS = {"slug": "Short name", "title": "Title", "description": "Introduction", "questions": "Questions"}
#: marshmallow's own messages, for the fields that do not set theirs, in words.
GENERIC = {
    "Not a valid string.": "Enter text here.",
    "Not a valid boolean.": "Give true or false.",
    "Not a valid number.": "Enter a number, like 3.",
    "Not a valid list.": "Give a list.",
    "Invalid input type.": "Give an object with named fields.",
    "Field may not be null.": "Give a value (not null).",
    "Missing data for required field.": "This is required.",
}


def _text(missing: str, *validators: Any, **kwargs: Any) -> fields.String:
    """A text field whose messages are words: `missing` when it is left out or null."""
    return fields.String(validate=list(validators), error_messages={"required": missing, "null": missing,
                                                                      "invalid": "Enter text here."}, **kwargs)


def _registered_type(kind: str) -> None:
    # Read from the registry on each check, so that a type registered after import counts.
    if kind not in QUESTION_TYPES:
        raise ValidationError(f"“{kind}” is not a question type: use one of {', '.join(QUESTION_TYPES)}.")


def _question_key(key: str) -> None:
    if key == "":
        raise ValidationError("Choose the question it depends on.")
    KEY(key)


def _stripped(data: Any, *names: str) -> Any:
    """`data` with the named text values stripped of surrounding whitespace (NBSP included)."""
    if not isinstance(data, dict):
        return data
    return {**data, **{name: data[name].strip() for name in names if isinstance(data.get(name), str)}}


class OptionSchema(Schema):
    class Meta:
        unknown = RAISE

    value = _text("Give the option a value.", validate.Length(min=1, error="Give the option a value."),
                  validate.Length(max=100, error="Keep an option's value under 100 characters."), required=True)
    label = _text("Enter the option's wording.", validate.Length(min=1, error="Enter the option's wording."),
                  validate.Length(max=300, error="Keep an option's wording under 300 characters."), required=True)
    #: Picked alone or not at all ("None of these"); multiple choice only.
    exclusive = fields.Boolean(error_messages={"invalid": "“exclusive” is true or false."})

    @pre_load
    def _trim(self, data: Any, **_: Any) -> Any:
        # The form sends a choice's value trimmed: a value stored with a space around it could never be chosen.
        return _stripped(data, "value", "label")


class ShowIfSchema(Schema):
    class Meta:
        unknown = RAISE

    #: The rule below, as JSON Schema says it (wfsurvey.blueprints.api.openapi adds it to the document): a question
    #: and one way to compare its answer, or organization types.
    openapi_extra = {"oneOf": [
        {"required": ["question"], "oneOf": [{"required": ["equals"]}, {"required": ["not_equals"]},
                                             {"required": ["includes"]}],
         "not": {"required": ["org_type"]}},
        {"required": ["org_type"], "not": {"anyOf": [{"required": ["question"]}, {"required": ["equals"]},
                                                     {"required": ["not_equals"]}, {"required": ["includes"]}]}},
    ]}

    question = fields.String(validate=_question_key, error_messages={"invalid": "Choose the question it depends on."})
    #: The answer that shows the question ("is").
    equals = fields.Raw()
    #: Any answer but this one shows it ("is not").
    not_equals = fields.Raw()
    #: A multiple choice's picks include this one.
    includes = fields.Raw()
    org_type = fields.List(
        fields.String(validate=validate.OneOf(ORG_TYPES, error="“{input}” is not an organization type: use "
                                                                + ", ".join(ORG_TYPES) + ".")),
        validate=validate.Length(min=1, error="Tick at least one organization type."),
        error_messages={"invalid": "List the organization types."})

    @pre_load
    def _trim(self, data: Any, **_: Any) -> Any:
        # Trimmed as option values are, so that a rule names the value as stored.
        return _stripped(data, "question", "equals", "not_equals", "includes")

    @validates_schema
    def _one_rule(self, data: dict[str, Any], **_: Any) -> None:
        operators = [op for op in skip_logic.OPERATORS if op in data]
        by_answer = "question" in data or bool(operators)
        if by_answer == ("org_type" in data):
            raise ValidationError("Give either a question and the answer to compare with (equals, not_equals or "
                                  "includes), or organization types (org_type).")
        if by_answer and "question" not in data:
            raise ValidationError("Choose the question it depends on.", "question")
        if by_answer and len(operators) != 1:
            raise ValidationError("Compare the answer one way: equals (is), not_equals (is not) or includes.")
        if by_answer and data[operators[0]] in (None, "", [], {}):
            raise ValidationError("Choose the answer it depends on.", operators[0])


class IndicatorSchema(Schema):
    """A number question tracked as an outcome indicator."""

    class Meta:
        unknown = RAISE

    code = _text("Give the indicator a code, like jobs_filled.", KEY, required=True)
    unit = _text("Say what it counts, like jobs or contracts.", validate.Length(min=1, error="Say what it counts, like jobs "
                                                                               "or contracts."),
                 validate.Length(max=40, error="Keep the unit under 40 characters."), required=True)
    direction = _text("Say which way is better: up or down.", validate.OneOf(["up", "down"], error="Say which way is "
                                                                              "better: up or down."), required=True)
    aggregate = _text("Say how a region's answers add up: sum or mean.",
                      validate.OneOf(["sum", "mean"], error="Say how a region's answers add up: sum or mean."),
                      load_default="sum")
    target = fields.Float(allow_none=True, allow_nan=False, error_messages={"invalid": "Enter the target as a number, like 120."})


class QuestionSchema(Schema):
    class Meta:
        unknown = RAISE

    key = _text("Give it a key: the name its answers go by in exports, like training_slots.", KEY, required=True)
    type = _text("Choose a question type.", _registered_type, required=True)
    label = _text("Enter its wording.", validate.Length(min=1, error="Enter its wording."),
                  validate.Length(max=500, error="Keep the wording under 500 characters."), required=True)
    help = _text("Enter help text, or leave it out.", validate.Length(max=1000, error="Keep the help text under 1,000 characters."),
                 load_default="")
    required = fields.Boolean(load_default=False, error_messages={"invalid": "“required” is true or false."})
    options = fields.List(fields.Nested(OptionSchema), error_messages={"invalid": "List the options."})
    min = fields.Float(error_messages={"invalid": "Enter a number, like 1."})
    max = fields.Float(error_messages={"invalid": "Enter a number, like 5."})
    #: Labels of a scale's two ends, e.g. "not at all" / "fully".
    min_label = _text("Enter the label of the scale's low end, or leave it out.",
                      validate.Length(max=100, error="Keep an end label under 100 characters."))
    max_label = _text("Enter the label of the scale's high end, or leave it out.",
                      validate.Length(max=100, error="Keep an end label under 100 characters."))
    #: A ranking's top N: how many options each respondent ranks (every option when left out).
    top = fields.Integer(strict=True, allow_none=True, error_messages={"invalid": "Enter a whole number, like 3."})
    #: A number question tracked as an outcome indicator.
    indicator = fields.Nested(IndicatorSchema, allow_none=True)
    show_if = fields.Nested(ShowIfSchema)
    #: How the answer feeds the baseline table: "auto" (by type) or "none" (not tabulated).
    baseline = fields.String(load_default="auto", validate=validate.OneOf(["auto", "none"], error="“baseline” is auto or none."))

    @validates_schema
    def _shape(self, q: dict[str, Any], **_: Any) -> None:
        try:
            QUESTION_TYPES[q["type"]].check_definition(q)
        except DefinitionError as exc:
            raise ValidationError(exc.message, exc.field) from exc


class TemplateSchema(Schema):
    class Meta:
        unknown = RAISE

    slug = _text("Enter a short name for the template, like regional-collaboration.",
                 validate.Length(min=1, error="Enter a short name for the template, like regional-collaboration."),
                 validate.Length(max=80, error="Keep the short name under 80 characters."), SLUG, required=True)
    title = _text("Enter a title.", validate.Length(min=1, error="Enter a title."),
                  validate.Length(max=300, error="Keep the title under 300 characters."), required=True)
    description = _text("Enter an introduction, or leave it out.",
                        validate.Length(max=5000, error="Keep the introduction under 5,000 characters."), load_default="")
    questions = fields.List(fields.Nested(QuestionSchema), required=True,
                            validate=[validate.Length(min=1, error="Add at least one question."),
                                      validate.Length(max=200, error="A template holds at most 200 questions and sections.")],
                            error_messages={"required": "Add at least one question.", "invalid": "List the questions."})


def normalise_question(q: dict[str, Any]) -> dict[str, Any]:
    """Fill what a renderer needs so that stored questions are complete and uniform."""
    return QUESTION_TYPES[q["type"]].normalize(dict(q))


def normalise_rules(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each rule on an answer with its value stored as its target's answers are (a scale's point as a number), so that a
    rule made in the builder and one posted to the API are the same. The questions are checked already."""
    by_key = {q["key"]: q for q in questions}
    for q in questions:
        op = skip_logic.operator_of(q.get("show_if") or {})
        if op:
            target = by_key[q["show_if"]["question"]]
            q["show_if"] = {**q["show_if"], op: QUESTION_TYPES[target["type"]].show_if_value(target, q["show_if"][op])}
    return questions


# --- problems, in words ---------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """One thing a definition gets wrong: where (an entry of the question list, or the template) and what."""

    #: The entry's place in the question list (0-based), or None for the template's own fields.
    index: int | None
    #: The field at fault, dotted below the entry or the template ("label", "options.1.label", "show_if.question").
    field: str
    #: What is wrong and what to do, in words: "Give it at least two options."
    message: str
    #: What it is about: "Question 4, “Which credentials…”", "Section 2, “About you”", "Title".
    where: str

    @property
    def sentence(self) -> str:
        return f"{self.where}: {self.message}"


def quote(label: Any) -> str:
    """A label as a message quotes it: cut at a word near QUOTE_LENGTH characters."""
    text = " ".join(str(label).split())
    if len(text) <= QUOTE_LENGTH:
        return text
    cut = text[:QUOTE_LENGTH].rsplit(" ", 1)[0] or text[:QUOTE_LENGTH]
    return cut.rstrip(",;:.") + "…"


class Names:
    """What people call each entry of a question list: questions and sections numbered apart, as the builder shows them."""

    def __init__(self, items: Sequence[Any]) -> None:
        self.items = list(items)
        self.numbers: list[tuple[bool, int]] = []
        counts = {True: 0, False: 0}
        for item in self.items:
            kind = kind_of(item)
            is_question = kind is None or kind.answerable
            counts[is_question] += 1
            self.numbers.append((is_question, counts[is_question]))

    def __call__(self, index: int, *, lower: bool = False) -> str:
        if not 0 <= index < len(self.items):
            return "questions"
        is_question, number = self.numbers[index]
        item = self.items[index]
        label = item.get("label") if isinstance(item, Mapping) else None
        name = f"{'Question' if is_question else 'Section'} {number}"
        if isinstance(label, str) and label.strip():
            name += f", “{quote(label)}”"
        return name[0].lower() + name[1:] if lower else name

    def noun(self, index: int) -> str:
        """The word for an entry's label: a question's wording, a section's title."""
        if 0 <= index < len(self.items) and not self.numbers[index][0]:
            return "title"
        return "wording"

    def of_key(self, key: str) -> int | None:
        return next((i for i, item in enumerate(self.items) if isinstance(item, Mapping) and item.get("key") == key), None)


def kind_of(item: Any) -> QuestionType | None:
    """The registered type of an entry that may be anything (a definition not checked yet), or None."""
    name = item.get("type") if isinstance(item, Mapping) else None
    return QUESTION_TYPES.get(name) if isinstance(name, str) else None


def _in_words(message: str, name: str, kind: str) -> str:
    if message == "Unknown field.":
        return f"“{name}” is not a field {kind} takes: remove it."
    return GENERIC.get(message, message)


def _walk(messages: Any, path: list[str], out: list[tuple[list[str], str]]) -> None:
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            _walk(value, path if key == "_schema" else [*path, str(key)], out)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out.extend((path, m) for m in messages)
    elif isinstance(messages, list):
        for value in messages:
            _walk(value, path, out)
    else:
        out.append((path, str(messages)))


def problems_of(definition: Any, messages: Mapping[str, Any]) -> list[Problem]:
    """The problems in marshmallow's nested messages (and cross_check's, of the same shape), in list order."""
    items = definition.get("questions") if isinstance(definition, Mapping) else None
    names = Names(items if isinstance(items, list) else [])
    found: list[tuple[list[str], str]] = []
    _walk(messages, [], found)
    problems = []
    for path, message in found:
        if len(path) >= 2 and path[0] == "questions" and path[1].isdigit():
            index, rest = int(path[1]), path[2:]
            kind = ("a section" if names.noun(index) == "title" else "a question") if len(rest) == 1 else \
                "an option" if rest[:1] == ["options"] else "a skip rule"
            noun = names.noun(index)
            text = _in_words(message, rest[-1] if rest else "", kind)
            text = text.replace("its wording", f"its {noun}").replace("the wording", f"the {noun}")
            where = names(index)
            if len(rest) >= 2 and rest[0] == "options" and rest[1].isdigit():
                where += f", option {int(rest[1]) + 1}"
            problems.append(Problem(index, ".".join(rest), text, where))
        else:
            name = path[0] if path else ""
            where = TEMPLATE_FIELDS.get(name, f"“{name}”" if name else "The template")
            problems.append(Problem(None, ".".join(path), _in_words(message, name, "a template"), where))
    return sorted(problems, key=lambda p: -1 if p.index is None else p.index)


def as_fields(problems: Sequence[Problem]) -> dict[str, Any]:
    """The problems nested as the API reports them: {"questions": {"3": {"show_if": [message]}}, "title": [message]};
    messages about a field and about a part of it both kept (the field's own under "_schema")."""
    out: dict[str, Any] = {}
    for problem in problems:
        path = (["questions", str(problem.index)] if problem.index is not None else []) + \
            [part for part in problem.field.split(".") if part]
        node = out
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {"_schema": child} if isinstance(child, list) else {}
            node = child
        last = path[-1] if path else "_schema"
        slot = node.setdefault(last, [])
        (slot.setdefault("_schema", []) if isinstance(slot, dict) else slot).append(problem.message)
    return out


def describe(problems: Sequence[Problem]) -> str:
    """Every problem in one text, a sentence each."""
    return " ".join(p.sentence for p in problems)


# --- rules across questions -----------------------------------------------------------------

def _targets() -> str:
    kinds = [t.label.lower() for t in QUESTION_TYPES.values() if t.show_if_target]
    return ", ".join(kinds[:-1]) + f" or {kinds[-1]}" if len(kinds) > 1 else "".join(kinds)


def _either(words: Sequence[str]) -> str:
    quoted = [f"“{w}”" for w in words]
    return ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else "".join(quoted)


def cross_check(items: Sequence[Any], loaded: Sequence[Mapping[str, Any] | None] | None = None) -> dict[int, dict[str, list[str]]]:
    """Rules across the question list: unique keys; a show_if names an earlier question that can be a target, with an
    operator and a value that fit it; a section has questions after it.

    `loaded` holds each entry as its schema loaded it, or None where the schema refused it (default: `items` are all
    loaded); a rule whose target was refused is not judged, so that one mistake is not reported twice.
    """
    loaded = list(items) if loaded is None else list(loaded)
    names = Names(items)
    errors: dict[int, dict[str, list[str]]] = {}
    seen: dict[str, int] = {}
    codes: dict[str, int] = {}
    for i, raw in enumerate(items):
        q = loaded[i]
        key = raw.get("key") if isinstance(raw, Mapping) else None
        kind = kind_of(raw)
        problems: dict[str, list[str]] = {}
        if isinstance(key, str) and key in seen:
            problems.setdefault("key", []).append(
                f"Its key “{key}” is the key of {names(seen[key], lower=True)} too: give each its own key.")
        indicator = raw.get("indicator") if isinstance(raw, Mapping) else None
        code = indicator.get("code") if isinstance(indicator, Mapping) else None
        if isinstance(code, str) and code:
            if code in codes:
                problems.setdefault("indicator.code", []).append(
                    f"Its indicator code “{code}” is the code of {names(codes[code], lower=True)} too: give each "
                    "indicator its own code.")
            codes.setdefault(code, i)
        if kind is not None and kind.starts_page:
            following = items[i + 1] if i + 1 < len(items) else None
            next_kind = kind_of(following)
            if following is None or (next_kind is not None and next_kind.starts_page):
                problems.setdefault("label", []).append("It has no questions: add questions after it, or delete it.")
        rule = (q if q is not None else raw if isinstance(raw, Mapping) else {}).get("show_if")
        message = _rule_problem(rule, i, items, loaded, names, seen) if _judged(rule) else None
        if message:
            problems.setdefault("show_if", []).append(message)
        if problems:
            errors[i] = problems
        if isinstance(key, str) and key:
            seen.setdefault(key, i)
    return errors


def nested_messages(path: str, message: str) -> dict[str, Any]:
    """A problem at a JSON path ("questions.2.label") in the shape marshmallow reports it:
    {"questions": {"2": {"label": [message]}}}."""
    messages: Any = [message]
    for part in reversed(path.split(".") if path else ["_schema"]):
        messages = {part: messages}
    return messages


def _judged(rule: Any) -> bool:
    """Whether a rule is one on an answer whose own shape is right, so that its fit with its target can be judged."""
    return (isinstance(rule, Mapping) and isinstance(rule.get("question"), str) and rule["question"] != ""
            and sum(op in rule for op in skip_logic.OPERATORS) == 1 and skip_logic.value_of(rule) not in (None, ""))


def _rule_problem(rule: Mapping[str, Any], i: int, items: Sequence[Any], loaded: Sequence[Mapping[str, Any] | None],
                  names: Names, earlier: Mapping[str, int]) -> str | None:
    target_key = rule["question"]
    at = earlier.get(target_key)
    if at is None:
        later = names.of_key(target_key)
        if later is not None and later >= i:
            return (f"It depends on {names(later, lower=True)}, which comes after it: a question can only depend on "
                    "an earlier one. Move it below that question, or choose another.") if later > i else \
                "It cannot depend on itself: choose an earlier question."
        return f"It depends on “{target_key}”, which is not a question of this template: choose an earlier question."
    target = loaded[at]
    if target is None:
        return None
    target_type = QUESTION_TYPES[target["type"]]
    if not target_type.show_if_target:
        return (f"It cannot depend on {names(at, lower=True)} ({target_type.label.lower()}): choose a "
                f"{_targets()} question.")
    op = skip_logic.operator_of(rule)
    if op not in target_type.show_if_operators:
        allowed = [skip_logic.OPERATORS[o] for o in target_type.show_if_operators]
        return (f"“{skip_logic.OPERATORS[op]}” does not fit {names(at, lower=True)} ({target_type.label.lower()}): "
                f"use {_either(allowed)}.")
    try:
        target_type.show_if_value(target, rule[op])
    except ValueError as exc:
        return f"It depends on {names(at, lower=True)}, but {exc}"
    return None
