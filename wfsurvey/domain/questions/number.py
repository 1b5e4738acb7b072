"""Number: any number, within min and max when the definition gives them; the baseline table shows its mean and sum.

A number can be an outcome indicator: `"indicator": {"code", "unit", "direction": "up"|"down", "aggregate": "sum"|"mean"
(default sum), "target"?}`. The code names the indicator across templates and rounds (a baseline round and an outcome
round that ask it under the same code compare), direction says which way is better, aggregate how a region's answers
make its value, target the value the program aims for.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wfsurvey.domain.questions.base import AnswerRow, Cell, DefinitionError, Found, Parsed, RawColumn, plain_number
from wfsurvey.domain.questions.shared import MeanChange

_NOT_A_NUMBER = "Enter a number, like 12."


class Number(MeanChange):
    name = "number"
    label = "Number"
    definition_fields = ("min", "max", "indicator")
    partial = "number"
    show_if_target = True
    counted = True
    summary_partial = "mean_sum"

    def check_definition(self, q: Mapping[str, Any]) -> None:
        super().check_definition(q)
        if "min" in q and "max" in q and q["min"] > q["max"]:
            raise DefinitionError("The smallest number allowed is more than the largest.", "min")
        # The indicator's own fields are checked by the template schema (IndicatorSchema); nothing here depends on them.

    def normalize(self, q: dict[str, Any]) -> dict[str, Any]:
        indicator = q.get("indicator")
        if indicator is None:
            q.pop("indicator", None)
        else:
            q["indicator"] = {**{k: v for k, v in indicator.items() if v is not None}, "aggregate": indicator.get("aggregate") or "sum"}
        return q

    def show_if_value(self, q: Mapping[str, Any], value: Any) -> Any:
        try:
            number = float(str(value).replace(",", ""))
        except ValueError:
            number = float("nan")
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"“{value}” is not a number: enter a number, like 12.") from None
        # Stored as the answer is (1000, not 1000.0), so that the two compare equal.
        return int(number) if number.is_integer() else number

    def view_data(self, q: Mapping[str, Any]) -> dict[str, Any]:
        return {"min": plain_number(q["min"]) if "min" in q else None,
                "max": plain_number(q["max"]) if "max" in q else None}

    def parse_text(self, q: Mapping[str, Any], raw: str) -> Parsed:
        key = q["key"]
        try:
            number = float(raw.replace(",", ""))
        except ValueError:
            return None, {key: _NOT_A_NUMBER}
        if number != number or number in (float("inf"), float("-inf")):
            return None, {key: _NOT_A_NUMBER}
        if "min" in q and number < q["min"]:
            return None, {key: f"Enter a number of at least {q['min']:g}."}
        if "max" in q and number > q["max"]:
            return None, {key: f"Enter a number no more than {q['max']:g}."}
        return (int(number) if number.is_integer() else number), {}

    def answer_text(self, q: Mapping[str, Any], value: Any) -> str:
        return plain_number(value)

    def raw_columns(self, q: Mapping[str, Any]) -> list[RawColumn]:
        return [RawColumn(q["key"], q["label"], "number")]

    def baseline_cells(self, key: str, value: Any) -> list[Cell]:
        # One cell per question (value ""): its count and total make the mean.
        return [(key, "", float(value))]

    def summarize(self, q: Mapping[str, Any], found: Found, responses: int) -> dict[str, Any]:
        n, total = found.get("", (0, 0.0))
        return {"type": self.name, "n": n, "mean": round(total / n, 4) if n else None, "sum": total}

    def export_columns(self, key: str, shape: Mapping[str, Any]) -> list[str]:
        return [f"{key} n", f"{key} mean", f"{key} sum"]

    def export_cells(self, summary: Mapping[str, Any], shape: Mapping[str, Any]) -> list[Any]:
        return [summary["n"], summary["mean"], summary["sum"]]

    def answer_rows(self, summary: Mapping[str, Any]) -> list[AnswerRow]:
        return [(None, summary["n"], None, summary["mean"])]
