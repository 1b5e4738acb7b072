"""Answers: parsing a form into typed values (each question's type reads its own fields), the skip logic,
and what is required — pure functions."""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from wfsurvey.domain import skip_logic
from wfsurvey.domain.questions import QUESTION_TYPES, answerable


def is_visible(question: Mapping[str, Any], answers: Mapping[str, Any], visible_keys: set[str], org_type: str) -> bool:
    rule = question.get("show_if")
    if not rule:
        return True
    if "org_type" in rule:
        return org_type in rule["org_type"]
    target = rule["question"]
    return target in visible_keys and skip_logic.holds(rule, answers.get(target))


def visible_questions(questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any], org_type: str) -> list[Mapping[str, Any]]:
    """Questions shown to this respondent given these answers (show_if only looks back, so one pass does); sections
    are left out."""
    shown: list[Mapping[str, Any]] = []
    keys: set[str] = set()
    for q in answerable(questions):
        if is_visible(q, answers, keys, org_type):
            shown.append(q)
            keys.add(q["key"])
    return shown


def clean_answers(
    questions: Sequence[Mapping[str, Any]],
    form: Mapping[str, Sequence[str]],
    org_type: str,
    *,
    complete: bool,
    complete_keys: Collection[str] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed answers of the visible questions and errors by field name.

    Answers to questions the skip logic hides are discarded, whatever the browser sent.
    With complete=True (a submit), required visible questions must be answered: all of them, or only those whose
    keys `complete_keys` names (the questions of one page).
    """
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    visible_keys: set[str] = set()
    for q in questions:
        question_type = QUESTION_TYPES[q["type"]]
        if not question_type.answerable or not is_visible(q, answers, visible_keys, org_type):
            continue
        visible_keys.add(q["key"])
        value, problems = question_type.parse(q, form)
        errors.update(problems)
        if value is not None:
            answers[q["key"]] = value
        elif complete and q.get("required") and not problems and (complete_keys is None or q["key"] in complete_keys):
            name, message = question_type.required_error(q)
            errors[name] = message
    return answers, errors


def answers_to_form(questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any]) -> dict[str, list[str]]:
    """The form values that show stored answers again (for resuming a draft or carrying answers forward)."""
    form: dict[str, list[str]] = {}
    for q in answerable(questions):
        value = answers.get(q["key"])
        if value is not None:
            form.update(QUESTION_TYPES[q["type"]].to_form(q, value))
    return form
