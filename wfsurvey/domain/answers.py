"""Answers: parsing a form into typed values, the skip logic, and what is required — pure functions."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from wfsurvey.domain.stakeholders import EmailNotValidError, normalize_email

MAX_TEXT = 1000
MAX_LONG_TEXT = 10000
CONTACT_PARTS = ("name", "email", "organization")


def field_names(question: Mapping[str, Any]) -> list[str]:
    """The form field names a question uses (contact questions use three)."""
    if question["type"] == "contact":
        return [f"{question['key']}.{part}" for part in CONTACT_PARTS]
    return [question["key"]]


def options_of(question: Mapping[str, Any]) -> list[str]:
    if question["type"] == "yes_no":
        return ["yes", "no"]
    return [o["value"] for o in question.get("options") or []]


def is_visible(question: Mapping[str, Any], answers: Mapping[str, Any], visible_keys: set[str], org_type: str) -> bool:
    rule = question.get("show_if")
    if not rule:
        return True
    if "org_type" in rule:
        return org_type in rule["org_type"]
    target = rule["question"]
    return target in visible_keys and target in answers and str(answers[target]) == str(rule["equals"])


def visible_questions(questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any], org_type: str) -> list[Mapping[str, Any]]:
    """Questions shown to this respondent given these answers (show_if only looks back, so one pass does)."""
    shown: list[Mapping[str, Any]] = []
    keys: set[str] = set()
    for q in questions:
        if is_visible(q, answers, keys, org_type):
            shown.append(q)
            keys.add(q["key"])
    return shown


def _first(form: Mapping[str, Sequence[str]], name: str) -> str:
    values = form.get(name) or []
    return values[0].strip() if values else ""


def parse_question(q: Mapping[str, Any], form: Mapping[str, Sequence[str]]) -> tuple[Any, dict[str, str]]:
    """(typed value or None when unanswered, {field name: error})."""
    key, kind = q["key"], q["type"]
    if kind == "multi_choice":
        chosen = [v for v in (form.get(key) or []) if v != ""]
        allowed = options_of(q)
        bad = [v for v in chosen if v not in allowed]
        if bad:
            return None, {key: "Choose only from the options listed."}
        return ([v for v in allowed if v in chosen] or None), {}
    if kind == "contact":
        parts = {part: _first(form, f"{key}.{part}") for part in CONTACT_PARTS}
        if not any(parts.values()):
            return None, {}
        errors = {}
        if not parts["name"]:
            errors[f"{key}.name"] = "Enter the person's name."
        if not parts["email"]:
            errors[f"{key}.email"] = "Enter the person's email address."
        else:
            try:
                parts["email"] = normalize_email(parts["email"])
            except EmailNotValidError as exc:
                errors[f"{key}.email"] = f"Enter a valid email address ({exc})."
        for part in CONTACT_PARTS:
            if len(parts[part]) > 300:
                errors[f"{key}.{part}"] = "Keep this under 300 characters."
        return (None if errors else parts), errors
    raw = _first(form, key)
    if raw == "":
        return None, {}
    if kind in ("single_choice", "yes_no"):
        if raw not in options_of(q):
            return None, {key: "Choose one of the options listed."}
        return raw, {}
    if kind == "scale":
        lo, hi = int(q.get("min", 1)), int(q.get("max", 5))
        if not raw.lstrip("-").isdigit() or not lo <= int(raw) <= hi:
            return None, {key: f"Choose a point from {lo} to {hi}."}
        return int(raw), {}
    if kind == "number":
        try:
            number = float(raw.replace(",", ""))
        except ValueError:
            return None, {key: "Enter a number, like 12."}
        if number != number or number in (float("inf"), float("-inf")):
            return None, {key: "Enter a number, like 12."}
        if "min" in q and number < q["min"]:
            return None, {key: f"Enter a number of at least {q['min']:g}."}
        if "max" in q and number > q["max"]:
            return None, {key: f"Enter a number no more than {q['max']:g}."}
        return (int(number) if number.is_integer() else number), {}
    limit = MAX_LONG_TEXT if kind == "long_text" else MAX_TEXT
    if len(raw) > limit:
        return None, {key: f"Keep this under {limit} characters."}
    return raw, {}


def clean_answers(
    questions: Sequence[Mapping[str, Any]],
    form: Mapping[str, Sequence[str]],
    org_type: str,
    *,
    complete: bool,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed answers of the visible questions and errors by field name.

    Answers to questions the skip logic hides are discarded, whatever the browser sent.
    With complete=True (a submit), required visible questions must be answered.
    """
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    visible_keys: set[str] = set()
    for q in questions:
        if not is_visible(q, answers, visible_keys, org_type):
            continue
        visible_keys.add(q["key"])
        value, problems = parse_question(q, form)
        errors.update(problems)
        if value is not None:
            answers[q["key"]] = value
        elif complete and q.get("required") and not problems:
            name = field_names(q)[0] if q["type"] != "contact" else f"{q['key']}.name"
            errors[name] = "This question needs an answer." if q["type"] != "contact" else "Enter the person's name and email address."
    return answers, errors


def answers_to_form(questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any]) -> dict[str, list[str]]:
    """The form values that show stored answers again (for resuming a draft or carrying answers forward)."""
    form: dict[str, list[str]] = {}
    for q in questions:
        value = answers.get(q["key"])
        if value is None:
            continue
        if q["type"] == "contact" and isinstance(value, Mapping):
            for part in CONTACT_PARTS:
                form[f"{q['key']}.{part}"] = [str(value.get(part, ""))]
        elif isinstance(value, list):
            form[q["key"]] = [str(v) for v in value]
        else:
            form[q["key"]] = [str(value)]
    return form
