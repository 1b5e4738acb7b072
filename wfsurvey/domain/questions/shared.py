"""Behavior several question types share: options listed in the definition, one value picked from a list,
counts and shares per value, and changes in a mean."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from wfsurvey.domain.questions.base import (
    AnswerRow,
    Cell,
    Choice,
    DefinitionError,
    Found,
    Parsed,
    QuestionType,
    difference,
    plain_number,
    ratio,
)


class Options(QuestionType):
    """Options listed in the definition (single and multiple choice): at least two, each value once."""

    definition_fields = ("options",)
    #: Whether an option may be marked exclusive: picked alone or not at all ("None of these").
    allows_exclusive: ClassVar[bool] = False

    def check_definition(self, q: Mapping[str, Any]) -> None:
        options = q.get("options")
        if not options or len(options) < 2:
            raise DefinitionError("Give it at least two options.", "options")
        values = [o["value"] for o in options]
        twice = next((v for i, v in enumerate(values) if v in values[:i]), None)
        if twice is not None:
            raise DefinitionError(f"Two options have the value “{twice}”: give each option its own value.", "options")
        if not self.allows_exclusive and any(o.get("exclusive") for o in options):
            raise DefinitionError("Only an option of a multiple choice question can be exclusive (picked alone, like "
                                  "“None of these”): a single choice takes one answer anyway.", "options")
        super().check_definition(q)

    def normalize(self, q: dict[str, Any]) -> dict[str, Any]:
        # "exclusive" is stored only where it is true, so that a version saved again compares equal.
        q["options"] = [{k: v for k, v in o.items() if k != "exclusive" or v} for o in q.get("options") or []]
        return super().normalize(q)

    def option_values(self, q: Mapping[str, Any]) -> list[str]:
        return [o["value"] for o in q.get("options") or []]

    def choices(self, q: Mapping[str, Any]) -> list[Choice]:
        return [Choice(o["value"], o["label"], bool(o.get("exclusive"))) for o in q.get("options") or []]

    def show_if_values(self, q: Mapping[str, Any]) -> list[str] | None:
        return self.option_values(q)

    def value_label(self, q: Mapping[str, Any], value: Any) -> str:
        for option in q.get("options") or []:
            if option["value"] == str(value):
                return option["label"]
        return plain_number(value)


class CountsSummary(QuestionType):
    """Counts and shares per answer value in the baseline table (single and multiple choice, yes/no), and their change."""

    counted = True
    summary_partial = "counts"
    #: Shares out of the responses rather than out of the answers: a multiple choice's one response counts
    #: under several values.
    shares_of_responses = False

    def summarize(self, q: Mapping[str, Any], found: Found, responses: int) -> dict[str, Any]:
        values = [o["value"] for o in q.get("options") or []]
        values += sorted(v for v in found if v not in values)  # answers to options no longer offered
        counts = {v: found.get(v, (0, 0.0))[0] for v in values}
        n = responses if self.shares_of_responses else sum(counts.values())
        return {"type": self.name, "n": n, "counts": counts, "shares": {v: ratio(c, n) for v, c in counts.items()}}

    def change(self, now: Mapping[str, Any], then: Mapping[str, Any]) -> dict[str, Any]:
        return {"shares": {v: difference(s, then["shares"].get(v)) for v, s in now["shares"].items()}}

    def export_columns(self, key: str, shape: Mapping[str, Any]) -> list[str]:
        return [f"{key} n"] + [f"{key}: {v}" for v in shape["counts"]]

    def export_cells(self, summary: Mapping[str, Any], shape: Mapping[str, Any]) -> list[Any]:
        return [summary["n"]] + [summary["counts"].get(v, 0) for v in shape["counts"]]

    def change_columns(self, key: str, shape: Mapping[str, Any]) -> list[str]:
        return [f"{key}: {v} share change" for v in shape["counts"]]

    def change_cells(self, change: Mapping[str, Any], shape: Mapping[str, Any]) -> list[Any]:
        shares = change.get("shares") or {}
        return [shares.get(v) for v in shape["counts"]]

    def answer_rows(self, summary: Mapping[str, Any]) -> list[AnswerRow]:
        return [(value, count, summary["shares"].get(value), None) for value, count in summary["counts"].items()]


class PickOne(CountsSummary):
    """One value picked from a list (single choice, yes/no): radios, a show_if target, counted once under its value."""

    partial = "choice"
    is_group = True
    show_if_target = True

    def option_values(self, q: Mapping[str, Any]) -> list[str]:
        raise NotImplementedError

    def show_if_values(self, q: Mapping[str, Any]) -> list[str] | None:
        return self.option_values(q)

    def parse_text(self, q: Mapping[str, Any], raw: str) -> Parsed:
        if raw not in self.option_values(q):
            return None, {q["key"]: "Choose one of the options listed."}
        return raw, {}

    def answer_text(self, q: Mapping[str, Any], value: Any) -> str:
        return self.value_label(q, value)

    def baseline_cells(self, key: str, value: Any) -> list[Cell]:
        return [(key, str(value), 0.0)]

    def readiness(self, q: Mapping[str, Any], summary: Mapping[str, Any]) -> float | None:
        # A "yes" (targeting Advanced Manufacturing, interest in being a pilot) is a sign of readiness.
        return (summary["shares"].get("yes") or 0.0) if "yes" in summary["counts"] else None

    def readiness_basis(self, q: Mapping[str, Any], summary: Mapping[str, Any]) -> str:
        yes = summary["counts"].get("yes", 0)
        return f"{yes} of {summary['n']} answered “{self.value_label(q, 'yes')}”" if "yes" in summary["counts"] else ""


class MeanChange(QuestionType):
    """A change in the mean against the baseline round (scale and number)."""

    def change(self, now: Mapping[str, Any], then: Mapping[str, Any]) -> dict[str, Any]:
        return {"mean": difference(now["mean"], then["mean"])}

    def change_columns(self, key: str, shape: Mapping[str, Any]) -> list[str]:
        return [f"{key} mean change"]

    def change_cells(self, change: Mapping[str, Any], shape: Mapping[str, Any]) -> list[Any]:
        return [change.get("mean")]
