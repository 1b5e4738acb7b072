"""Survey template definitions: the shape every question has, skip logic across questions; each question's type
(wfsurvey.domain.questions) checks the rest of its definition."""
from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from wfsurvey.domain.questions import QUESTION_TYPES, DefinitionError
from wfsurvey.domain.stakeholders import ORG_TYPES

KEY = validate.Regexp(r"^[a-z][a-z0-9_]{0,59}$", error="use lower-case letters, digits and _ (start with a letter)")
SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="use lower-case letters, digits and single hyphens")


def _registered_type(kind: str) -> None:
    # Read from the registry on each check, so that a type registered after import counts.
    validate.OneOf(tuple(QUESTION_TYPES))(kind)


def _stripped(data: Any, *names: str) -> Any:
    """`data` with the named text values stripped of surrounding whitespace (NBSP included)."""
    if not isinstance(data, dict):
        return data
    return {**data, **{name: data[name].strip() for name in names if isinstance(data.get(name), str)}}


class OptionSchema(Schema):
    class Meta:
        unknown = RAISE

    value = fields.String(required=True, validate=[validate.Length(1, 100)])
    label = fields.String(required=True, validate=validate.Length(1, 300))

    @pre_load
    def _trim(self, data: Any, **_: Any) -> Any:
        # The form sends a choice's value trimmed: a value stored with a space around it could never be chosen.
        return _stripped(data, "value", "label")


class ShowIfSchema(Schema):
    class Meta:
        unknown = RAISE

    #: The rule below, as JSON Schema says it (wfsurvey.blueprints.api.openapi adds it to the document).
    openapi_extra = {"oneOf": [{"required": ["question", "equals"], "not": {"required": ["org_type"]}},
                               {"required": ["org_type"], "not": {"anyOf": [{"required": ["question"]},
                                                                            {"required": ["equals"]}]}}]}

    question = fields.String(validate=KEY)
    equals = fields.Raw()
    org_type = fields.List(fields.String(validate=validate.OneOf(ORG_TYPES)), validate=validate.Length(min=1))

    @pre_load
    def _trim(self, data: Any, **_: Any) -> Any:
        # Trimmed as option values are, so that a rule names the value as stored.
        return _stripped(data, "question", "equals")

    @validates_schema
    def _one_rule(self, data: dict[str, Any], **_: Any) -> None:
        by_answer = "question" in data
        by_org = "org_type" in data
        if by_answer == by_org:
            raise ValidationError('give either {"question", "equals"} or {"org_type": [...]}')
        if by_answer and "equals" not in data:
            raise ValidationError('"equals" is required with "question"', "equals")


class QuestionSchema(Schema):
    class Meta:
        unknown = RAISE

    key = fields.String(required=True, validate=KEY)
    type = fields.String(required=True, validate=_registered_type)
    label = fields.String(required=True, validate=validate.Length(1, 500))
    help = fields.String(load_default="", validate=validate.Length(max=1000))
    required = fields.Boolean(load_default=False)
    options = fields.List(fields.Nested(OptionSchema))
    min = fields.Float()
    max = fields.Float()
    #: Labels of a scale's two ends, e.g. "not at all" / "fully".
    min_label = fields.String(validate=validate.Length(max=100))
    max_label = fields.String(validate=validate.Length(max=100))
    show_if = fields.Nested(ShowIfSchema)
    #: How the answer feeds the baseline table: "auto" (by type) or "none" (not tabulated).
    baseline = fields.String(load_default="auto", validate=validate.OneOf(["auto", "none"]))

    @validates_schema
    def _shape(self, q: dict[str, Any], **_: Any) -> None:
        try:
            QUESTION_TYPES[q["type"]].check_definition(q)
        except DefinitionError as exc:
            raise ValidationError(exc.message, exc.field) from exc


class TemplateSchema(Schema):
    class Meta:
        unknown = RAISE

    slug = fields.String(required=True, validate=[SLUG, validate.Length(1, 80)])
    title = fields.String(required=True, validate=validate.Length(1, 300))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    questions = fields.List(fields.Nested(QuestionSchema), required=True, validate=validate.Length(min=1, max=200))


def normalise_question(q: dict[str, Any]) -> dict[str, Any]:
    """Fill what a renderer needs so that stored questions are complete and uniform."""
    return QUESTION_TYPES[q["type"]].normalize(dict(q))


def cross_check(questions: list[dict[str, Any]]) -> dict[int, dict[str, list[str]]]:
    """Rules across questions: unique keys; show_if names an earlier question and one of its values."""
    errors: dict[int, dict[str, list[str]]] = {}
    seen: dict[str, dict[str, Any]] = {}
    for i, q in enumerate(questions):
        problems: dict[str, list[str]] = {}
        if q["key"] in seen:
            problems.setdefault("key", []).append(f"duplicate key '{q['key']}'")
        rule = q.get("show_if") or {}
        if "question" in rule:
            target = seen.get(rule["question"])
            if target is None:
                problems.setdefault("show_if", []).append(
                    f"refers to '{rule['question']}', which is not an earlier question"
                )
            elif not QUESTION_TYPES[target["type"]].show_if_target:
                problems.setdefault("show_if", []).append(
                    f"cannot depend on '{rule['question']}' ({target['type']}); use a single choice, yes/no, scale or number"
                )
            else:
                values = QUESTION_TYPES[target["type"]].show_if_values(target)  # None: any value (a scale, a number)
                if values is not None and str(rule["equals"]) not in values:
                    problems.setdefault("show_if", []).append(
                        f"'{rule['equals']}' is not a value of '{rule['question']}' (one of: {', '.join(values)})"
                    )
        if problems:
            errors[i] = problems
        seen.setdefault(q["key"], q)
    return errors


def describe_errors(definition: dict[str, Any], messages: dict[str, Any]) -> str:
    """One readable sentence naming the first question and problem, e.g. "question 4 ('initiatives'): show_if ..."."""
    questions = definition.get("questions") if isinstance(definition, dict) else None
    q_errors = messages.get("questions") if isinstance(messages, dict) else None
    if isinstance(q_errors, dict) and q_errors:
        index = sorted(q_errors, key=lambda k: int(k) if str(k).isdigit() else -1)[0]
        detail = q_errors[index]
        key = None
        if isinstance(questions, list) and str(index).isdigit() and int(index) < len(questions):
            item = questions[int(index)]
            key = item.get("key") if isinstance(item, dict) else None
        name = f"question {int(index) + 1}" + (f" ('{key}')" if key else "") if str(index).isdigit() else "questions"
        return f"{name}: {_flatten(detail)}"
    return _flatten(messages)


def nested_messages(path: str, message: str) -> dict[str, Any]:
    """A problem at a JSON path ("questions.2.label") in the shape marshmallow reports it:
    {"questions": {"2": {"label": [message]}}}."""
    messages: Any = [message]
    for part in reversed(path.split(".") if path else ["_schema"]):
        messages = {part: messages}
    return messages


def _flatten(detail: Any) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{k}: {_flatten(v)}" if k != "_schema" else _flatten(v) for k, v in detail.items())
    if isinstance(detail, list):
        return "; ".join(_flatten(v) for v in detail)
    return str(detail)


