"""Ranking: order the options, or pick and order the top N (`top`). The form has one select per option, named
<key>.<option value>, offering ranks 1..N (blank = not ranked), so it works without JavaScript; the answer is stored as
the ranked option values in order. The baseline table shows each region's Borda order and Kendall's W
(wfsurvey.domain.consensus), from sums the projection keeps per option."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wfsurvey.domain.consensus import RankTotals, borda_order, borda_points, kendall_w, mid_ranks, tie_term
from wfsurvey.domain.questions.base import (
    AnswerRow,
    Cell,
    DefinitionError,
    Form,
    Found,
    InputPart,
    Parsed,
    RawColumn,
    difference,
    first_value,
)
from wfsurvey.domain.questions.shared import Options

#: Baseline cells: ("", Σ tie terms) counts the rankings; RANK + value sums an option's mid-ranks (its count is the
#: rankings), POINTS + value its Borda points (its count is the rankings that ranked it).
RANK = "rank:"
POINTS = "points:"


def ranks_offered(q: Mapping[str, Any]) -> int:
    """N: the ranks each select offers (the top N asked for, else one per option)."""
    return int(q.get("top") or len(q.get("options") or []))


class Ranking(Options):
    name = "ranking"
    label = "Ranking"
    definition_fields = ("options", "top")
    partial = "ranking"
    is_group = True
    group_class = "ranking"
    counted = True
    summary_partial = "ranking"
    orders_options = True

    def check_definition(self, q: Mapping[str, Any]) -> None:
        super().check_definition(q)
        top = q.get("top")
        if top is not None:
            count = len(q.get("options") or [])
            if top != int(top) or not 1 <= top <= count:
                raise DefinitionError(f"Ask for a top between 1 and {count} (the number of options), or leave it out "
                                      "to have every option ranked.", "top")

    def normalize(self, q: dict[str, Any]) -> dict[str, Any]:
        q = super().normalize(q)
        if q.get("top") is not None:
            q["top"] = int(q["top"])
        return q

    # --- the respondent form ---------------------------------------------------------------

    def input_parts(self, q: Mapping[str, Any]) -> list[InputPart]:
        # Option values may hold any character, so the ids number the options instead.
        return [InputPart(f"{q['key']}.{o['value']}", o["label"], f"rank-{i}") for i, o in enumerate(q.get("options") or [])]

    def field_names(self, q: Mapping[str, Any]) -> list[str]:
        return [f"{q['key']}.{v}" for v in self.option_values(q)]

    def choices(self, q: Mapping[str, Any]) -> list:
        return []

    def view_data(self, q: Mapping[str, Any]) -> dict[str, Any]:
        top = q.get("top")
        return {"ranks": list(range(1, ranks_offered(q) + 1)), "top": int(top) if top else None,
                "options": len(q.get("options") or [])}

    def parse(self, q: Mapping[str, Any], form: Form) -> Parsed:
        key, n = q["key"], ranks_offered(q)
        given: dict[str, int] = {}
        errors: dict[str, str] = {}
        for o in q.get("options") or []:
            name = f"{key}.{o['value']}"
            raw = first_value(form, name)
            if raw == "":
                continue
            if not raw.isdigit() or not 1 <= int(raw) <= n:
                errors[name] = f"Choose a rank from 1 to {n}, or leave it blank."
                continue
            rank = int(raw)
            holder = next((v for v, r in given.items() if r == rank), None)
            if holder is not None:
                errors[name] = (f"Rank {rank} is given to “{self.value_label(q, holder)}” too: give each rank to one "
                                "option only.")
                continue
            given[o["value"]] = rank
        if errors:
            return None, errors
        if not given:
            return None, {}
        ranks = sorted(given.values())
        missing = next((r for r in range(1, len(ranks) + 1) if r not in ranks), None)
        if missing is not None:
            after = next(v for v, r in given.items() if r > missing)
            return None, {f"{key}.{after}": f"No option has rank {missing}: number the options you rank "
                                            f"1, 2, 3 and so on, without gaps."}
        return [v for v, _ in sorted(given.items(), key=lambda vr: vr[1])], {}

    def required_error(self, q: Mapping[str, Any]) -> tuple[str, str]:
        return self.field_names(q)[0], "Rank at least one option: give 1 to the one you put first."

    def to_form(self, q: Mapping[str, Any], value: Any) -> dict[str, list[str]]:
        if isinstance(value, list):
            return {f"{q['key']}.{v}": [str(i)] for i, v in enumerate(value, 1)}
        return {}

    # --- the answer in words ---------------------------------------------------------------

    def answer_text(self, q: Mapping[str, Any], value: Any) -> str:
        if not isinstance(value, list):
            return str(value)
        return "; ".join(f"{i}. {self.value_label(q, v)}" for i, v in enumerate(value, 1))

    # --- the raw responses export ---------------------------------------------------------

    def raw_columns(self, q: Mapping[str, Any]) -> list[RawColumn]:
        # One column per option holding its rank, so that a spreadsheet can sort or average them.
        return [RawColumn(f"{q['key']}.{o['value']}", f"{q['label']}: {o['label']} (rank)", "number")
                for o in q.get("options") or []]

    def raw_cells(self, q: Mapping[str, Any], value: Any, *, codes: bool = False) -> list[Any]:
        ranks = {v: i for i, v in enumerate(value, 1)} if isinstance(value, list) else {}
        return [ranks.get(v) for v in self.option_values(q)]

    # --- the baseline table ---------------------------------------------------------------

    def question_cells(self, q: Mapping[str, Any], value: Any) -> list[Cell]:
        """One ranking's cells: ("", its tie term) counts it; per option its mid-rank, and its Borda points if ranked."""
        options = self.option_values(q)
        ranking = {v: i for i, v in enumerate(value, 1)}
        cells: list[Cell] = [(q["key"], "", tie_term(ranking, options))]
        cells += [(q["key"], f"{RANK}{v}", r) for v, r in mid_ranks(ranking, options).items()]
        cells += [(q["key"], f"{POINTS}{v}", p) for v, p in borda_points(ranking, options).items()]
        return cells

    def totals(self, q: Mapping[str, Any], found: Found) -> RankTotals:
        options = self.option_values(q)
        m, ties = found.get("", (0, 0.0))
        return RankTotals(options, m, {v: found.get(f"{RANK}{v}", (0, 0.0))[1] for v in options},
                          {v: found.get(f"{POINTS}{v}", (0, 0.0))[1] for v in options}, ties)

    def summarize(self, q: Mapping[str, Any], found: Found, responses: int) -> dict[str, Any]:
        t = self.totals(q, found)
        w = kendall_w(t)
        return {"type": self.name, "n": t.m,
                "order": [{"value": v, "label": self.value_label(q, v), "score": score} for v, score in borda_order(t)],
                "ranked": {v: found.get(f"{POINTS}{v}", (0, 0.0))[0] for v in t.options},
                "kendall_w": round(w, 4) if w is not None else None}

    def change(self, now: Mapping[str, Any], then: Mapping[str, Any]) -> dict[str, Any]:
        return {"kendall_w": difference(now["kendall_w"], then["kendall_w"])}

    def export_columns(self, key: str, shape: Mapping[str, Any]) -> list[str]:
        return ([f"{key} n", f"{key} Kendall's W", f"{key} order"]
                + [f"{key}: {v} Borda score" for v in shape["ranked"]])

    def export_cells(self, summary: Mapping[str, Any], shape: Mapping[str, Any]) -> list[Any]:
        scores = {o["value"]: o["score"] for o in summary["order"]}
        order = " > ".join(o["label"] for o in summary["order"] if summary["ranked"].get(o["value"]))
        return [summary["n"], summary["kendall_w"], order] + [scores.get(v, 0.0) for v in shape["ranked"]]

    def change_columns(self, key: str, shape: Mapping[str, Any]) -> list[str]:
        return [f"{key} Kendall's W change"]

    def change_cells(self, change: Mapping[str, Any], shape: Mapping[str, Any]) -> list[Any]:
        return [change.get("kendall_w")]

    def answer_rows(self, summary: Mapping[str, Any]) -> list[AnswerRow]:
        # Per option: how many ranked it, and its Borda score where the other types put a mean.
        return [(o["value"], summary["ranked"].get(o["value"], 0), None, o["score"]) for o in summary["order"]]
