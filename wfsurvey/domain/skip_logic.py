"""Skip logic: a question's `show_if` rule, in one of its shapes, and whether an answer meets it.

A rule names an earlier question and compares its answer: {"question", "equals"} (is), {"question",
"not_equals"} (is not) or {"question", "includes"} (one of a multiple choice's picks); or it names organization
types: {"org_type": [...]}. Which operators a question allows is its type's `show_if_operators`.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Every operator a rule on an answer may use, in the order a picker offers them, with its words.
OPERATORS: dict[str, str] = {"equals": "is", "not_equals": "is not", "includes": "includes"}


def operator_of(rule: Mapping[str, Any]) -> str | None:
    """The operator of a rule on an answer, or None (a rule on organization types, or none)."""
    return next((op for op in OPERATORS if op in rule), None) if "question" in rule else None


def holds(rule: Mapping[str, Any], answer: Any) -> bool:
    """Whether an answer meets a rule on it. An unanswered question meets none, "is not" included: the rule speaks of
    an answer given."""
    if answer is None:
        return False
    op = operator_of(rule)
    if op == "equals":
        return str(answer) == str(rule["equals"])
    if op == "not_equals":
        return str(answer) != str(rule["not_equals"])
    if op == "includes":
        return isinstance(answer, list) and str(rule["includes"]) in (str(v) for v in answer)
    return False


def value_of(rule: Mapping[str, Any]) -> Any:
    """The value a rule on an answer compares with."""
    op = operator_of(rule)
    return rule[op] if op else None
