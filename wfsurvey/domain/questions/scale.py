"""Scale: a whole-number point between min and max (1 to 5 unless the definition says otherwise), with labels for
the two ends; the baseline table shows its mean and distribution."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wfsurvey.domain.questions.base import AnswerRow, Cell, Choice, DefinitionError, Found, Parsed, RawColumn
from wfsurvey.domain.questions.shared import MeanChange


def bounds(q: Mapping[str, Any]) -> tuple[int, int]:
    return int(q.get("min", 1)), int(q.get("max", 5))


class Scale(MeanChange):
    name = "scale"
    label = "Scale"
    definition_fields = ("min", "max", "min_label", "max_label")
    partial = "scale"
    is_group = True
    group_class = "scale"
    show_if_target = True
    counted = True
    summary_partial = "distribution"

    def check_definition(self, q: Mapping[str, Any]) -> None:
        super().check_definition(q)
        lo, hi = q.get("min", 1), q.get("max", 5)
        if lo != int(lo) or hi != int(hi) or not lo < hi or hi - lo > 10:
            raise DefinitionError("A scale runs between two whole numbers, the first smaller than the second, "
                                  "with at most 11 points (like 1 to 5).", "max")

    def normalize(self, q: dict[str, Any]) -> dict[str, Any]:
        q["min"], q["max"] = bounds(q)
        return q

    def show_if_values(self, q: Mapping[str, Any]) -> list[str] | None:
        lo, hi = bounds(q)
        return [str(point) for point in range(lo, hi + 1)]

    def show_if_value(self, q: Mapping[str, Any], value: Any) -> Any:
        lo, hi = bounds(q)
        point = str(value).strip()
        if point.endswith(".0"):
            point = point[:-2]
        if point not in self.show_if_values(q):
            raise ValueError(f"“{value}” is not a point of its scale: choose a whole number from {lo} to {hi}.")
        return int(point)

    def choices(self, q: Mapping[str, Any]) -> list[Choice]:
        lo, hi = bounds(q)
        low, high = q.get("min_label") or "", q.get("max_label") or ""
        points = []
        for point in range(lo, hi + 1):
            label = str(point)
            if point == lo and low:
                label += f" – {low}"
            elif point == hi and high:
                label += f" – {high}"
            points.append(Choice(str(point), label))
        return points

    def view_data(self, q: Mapping[str, Any]) -> dict[str, Any]:
        lo, hi = bounds(q)
        return {"min": lo, "max": hi, "min_label": q.get("min_label") or "", "max_label": q.get("max_label") or ""}

    def parse_text(self, q: Mapping[str, Any], raw: str) -> Parsed:
        lo, hi = bounds(q)
        if not raw.lstrip("-").isdigit() or not lo <= int(raw) <= hi:
            return None, {q["key"]: f"Choose a point from {lo} to {hi}."}
        return int(raw), {}

    def answer_text(self, q: Mapping[str, Any], value: Any) -> str:
        lo, hi = bounds(q)
        text = f"{value} on a scale of {lo} to {hi}"
        ends = [f"{lo} = {q['min_label']}" if q.get("min_label") else "",
                f"{hi} = {q['max_label']}" if q.get("max_label") else ""]
        ends = [e for e in ends if e]
        return text + (f" ({', '.join(ends)})" if ends else "")

    def answer_words(self, q: Mapping[str, Any], value: Any) -> str:
        """"3 of 5", or "Fully (5 of 5)" at an end with a label; a scale not starting at 1 names both ends."""
        lo, hi = bounds(q)
        where = f"{value} of {hi}" if lo == 1 else f"{value} on {lo} to {hi}"
        label = q.get("min_label") if value == lo else q.get("max_label") if value == hi else None
        return f"{label[0].upper()}{label[1:]} ({where})" if label else where

    def raw_columns(self, q: Mapping[str, Any]) -> list[RawColumn]:
        return [RawColumn(q["key"], q["label"], "number")]

    def baseline_cells(self, key: str, value: Any) -> list[Cell]:
        # Counted under its point, like a choice, and added to the total that makes the mean.
        return [(key, str(int(value)), float(value))]

    def summarize(self, q: Mapping[str, Any], found: Found, responses: int) -> dict[str, Any]:
        lo, hi = bounds(q)
        distribution = {str(p): found.get(str(p), (0, 0.0))[0] for p in range(lo, hi + 1)}
        n = sum(c for c, _ in found.values())
        total = sum(t for _, t in found.values())
        return {"type": self.name, "n": n, "mean": round(total / n, 4) if n else None, "distribution": distribution}

    def readiness(self, q: Mapping[str, Any], summary: Mapping[str, Any]) -> float | None:
        if summary["mean"] is None:
            return None
        lo, hi = bounds(q)
        return min(1.0, max(0.0, (summary["mean"] - lo) / (hi - lo)))

    def readiness_basis(self, q: Mapping[str, Any], summary: Mapping[str, Any]) -> str:
        lo, hi = bounds(q)
        return f"mean {summary['mean']:.2f} on {lo} to {hi}, as (mean − {lo}) / {hi - lo}" if summary["mean"] is not None else ""

    def export_columns(self, key: str, shape: Mapping[str, Any]) -> list[str]:
        return [f"{key} n", f"{key} mean"] + [f"{key} {p}" for p in shape["distribution"]]

    def export_cells(self, summary: Mapping[str, Any], shape: Mapping[str, Any]) -> list[Any]:
        return [summary["n"], summary["mean"]] + [summary["distribution"].get(p, 0) for p in shape["distribution"]]

    def answer_rows(self, summary: Mapping[str, Any]) -> list[AnswerRow]:
        return [(point, count, None, summary["mean"]) for point, count in summary["distribution"].items()]
