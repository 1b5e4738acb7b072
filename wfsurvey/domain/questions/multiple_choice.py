"""Multiple choice: any of the options the definition lists, as checkboxes; shares are out of the responses."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wfsurvey.domain.questions.base import Cell, Form, Parsed, RawColumn
from wfsurvey.domain.questions.shared import CountsSummary, Options


class MultiChoice(Options, CountsSummary):
    name = "multi_choice"
    label = "Multiple choice"
    partial = "multiple_choice"
    is_group = True
    shares_of_responses = True

    def parse(self, q: Mapping[str, Any], form: Form) -> Parsed:
        key = q["key"]
        chosen = [v for v in (form.get(key) or []) if v != ""]
        allowed = self.option_values(q)
        if any(v not in allowed for v in chosen):
            return None, {key: "Choose only from the options listed."}
        # Stored in the order of the options, whatever the order the browser sent.
        return ([v for v in allowed if v in chosen] or None), {}

    def answer_text(self, q: Mapping[str, Any], value: Any) -> str:
        return "; ".join(self.value_label(q, v) for v in value)

    def raw_columns(self, q: Mapping[str, Any]) -> list[RawColumn]:
        # One column per option, so that a spreadsheet counts each with a plain sum.
        return [RawColumn(f"{q['key']}.{o['value']}", f"{q['label']}: {o['label']}", "flag") for o in q.get("options") or []]

    def raw_cells(self, q: Mapping[str, Any], value: Any, *, codes: bool = False) -> list[Any]:
        chosen = set(value or [])
        return [1 if v in chosen else None for v in self.option_values(q)]

    def baseline_cells(self, key: str, value: Any) -> list[Cell]:
        return [(key, str(v), 0.0) for v in value]
