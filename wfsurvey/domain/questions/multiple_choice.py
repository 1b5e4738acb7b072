"""Multiple choice: any of the options the definition lists, as checkboxes, except that an option marked exclusive
("None of these") is picked alone; shares are out of the responses."""
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
    allows_exclusive = True
    show_if_target = True
    show_if_operators = ("includes",)

    def parse(self, q: Mapping[str, Any], form: Form) -> Parsed:
        key = q["key"]
        chosen = [v for v in (form.get(key) or []) if v != ""]
        allowed = self.option_values(q)
        if any(v not in allowed for v in chosen):
            return None, {key: "Choose only from the options listed."}
        # Stored in the order of the options, whatever the order the browser sent.
        picked = [v for v in allowed if v in chosen]
        alone = [o for o in q.get("options") or [] if o.get("exclusive") and o["value"] in picked]
        if alone and len(picked) > 1:
            return None, {key: f"“{alone[0]['label']}” cannot be chosen with other options: untick it or untick the others."}
        return (picked or None), {}

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
