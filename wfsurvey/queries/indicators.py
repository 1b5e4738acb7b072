"""Outcome indicators over time: per region (or the whole series) and per indicator of a series' template, each
period's value (the sum or mean of the answers, as the indicator says) with its n, the baseline value, the target and
the change since the baseline. Figures come from the baseline projection (proj_baseline_stats): a fixed number of
statements whatever the number of answers.

The baseline value of an indicator is its value in the latest baseline round (open or closed) whose template asks a
number question with the same indicator code, in the same region.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from wfsurvey.domain.questions.base import difference
from wfsurvey.domain.series import period_end, period_words
from wfsurvey.models import BaselineStat, PilotRegion, Round, Template
from wfsurvey.queries.baseline import WHOLE_ROUND
from wfsurvey.queries.series import load_series
from wfsurvey.queries.status import region_names


def indicators_of(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The questions of a template marked as indicators."""
    return [q for q in questions if isinstance(q.get("indicator"), dict)]


def value_of(indicator: dict[str, Any], count: int, total: float) -> float | None:
    """A region's value from its answers' count and total: the sum, or the mean; None without answers."""
    if not count:
        return None
    value = total if indicator.get("aggregate", "sum") == "sum" else total / count
    return round(value, 4)


def _cells(session: Session, round_ids: list[int], keys: list[str], region: str) -> dict[tuple[int, str], tuple[int, float]]:
    if not round_ids or not keys:
        return {}
    rows = session.execute(select(BaselineStat.round_id, BaselineStat.question, BaselineStat.count, BaselineStat.total)
                           .where(BaselineStat.round_id.in_(round_ids), BaselineStat.question.in_(keys),
                                  BaselineStat.region == region, BaselineStat.value == ""))
    return {(r.round_id, r.question): (r.count, r.total) for r in rows}


def _baselines(session: Session, codes: list[str], region: str) -> dict[str, dict[str, Any]]:
    """Per indicator code: {value, n, round: {id, title}} from the latest baseline round asking it."""
    rounds = session.scalars(select(Round).options(joinedload(Round.template))
                             .where(Round.is_baseline.is_(True), Round.state.in_(("open", "closed")))
                             .order_by(Round.opens_at.desc(), Round.id.desc())).unique().all()
    found: dict[str, tuple[Round, dict[str, Any]]] = {}
    for round_ in rounds:
        for q in indicators_of(round_.template.questions):
            found.setdefault(q["indicator"]["code"], (round_, q))
    wanted = {code: found[code] for code in codes if code in found}
    cells: dict[tuple[int, str], tuple[int, float]] = {}
    for round_id in {r.id for r, _ in wanted.values()}:
        cells.update(_cells(session, [round_id], [q["key"] for r, q in wanted.values() if r.id == round_id], region))
    out = {}
    for code, (round_, q) in wanted.items():
        count, total = cells.get((round_.id, q["key"]), (0, 0.0))
        out[code] = {"value": value_of(q["indicator"], count, total), "n": count,
                     "round": {"id": round_.id, "title": round_.title}}
    return out


def series_regions(session: Session, series_id: int) -> list[dict[str, Any]]:
    """The regions a series' rounds asked, pilot regions first, each {region, name, pilot}."""
    codes: set[str] = set()
    for audience in session.scalars(select(Round.audience).where(Round.series_id == series_id)):
        codes.update((audience or {}).get("regions") or [])
    codes.update(session.scalars(select(BaselineStat.region).join(Round, Round.id == BaselineStat.round_id)
                                 .where(Round.series_id == series_id, BaselineStat.region != WHOLE_ROUND).distinct()))
    pilots = set(session.scalars(select(PilotRegion.region)))
    names = region_names(session, sorted(codes))
    regions = [{"region": c, "name": names.get(c, c), "pilot": c in pilots} for c in codes]
    return sorted(regions, key=lambda r: (not r["pilot"], r["name"].casefold(), r["region"]))


def indicator_series(session: Session, series_id: int, region: str | None = None) -> list[dict[str, Any]]:
    """Every indicator of the series' template, in question order: [{code, label, unit, direction, aggregate, target,
    baseline, baseline_n, baseline_round, points: [{period, period_end, period_words, value, n, round_id}], latest,
    change}] for `region` (a code), or the whole series when None."""
    series = load_series(session, series_id)
    scope = region or WHOLE_ROUND
    rounds = session.scalars(select(Round).options(joinedload(Round.template))
                             .where(Round.series_id == series.id, Round.state != "cancelled")
                             .order_by(Round.period)).unique().all()
    template = rounds[-1].template if rounds else session.scalars(
        select(Template).where(Template.slug == series.template_slug).order_by(Template.version.desc()).limit(1)).first()
    questions = indicators_of(template.questions) if template is not None else []
    keys_by_round = {r.id: {q["indicator"]["code"]: q for q in indicators_of(r.template.questions)} for r in rounds}
    cells = _cells(session, [r.id for r in rounds], sorted({q["key"] for qs in keys_by_round.values() for q in qs.values()}),
                   scope)
    baselines = _baselines(session, [q["indicator"]["code"] for q in questions], scope)
    out = []
    for q in questions:
        indicator = q["indicator"]
        code = indicator["code"]
        points = []
        for r in rounds:
            asked = keys_by_round[r.id].get(code)
            count, total = cells.get((r.id, asked["key"]), (0, 0.0)) if asked else (0, 0.0)
            end = period_end(series.first_period_end, series.cadence, r.period)
            points.append({"period": r.period, "period_end": end.isoformat(),
                           "period_words": period_words(series.cadence, end), "round_id": r.id,
                           "value": value_of(indicator, count, total) if asked else None, "n": count})
        base = baselines.get(code) or {"value": None, "n": 0, "round": None}
        latest = next((p["value"] for p in reversed(points) if p["value"] is not None), None)
        out.append({"code": code, "label": q["label"], "unit": indicator.get("unit", ""),
                    "direction": indicator.get("direction", "up"), "aggregate": indicator.get("aggregate", "sum"),
                    "target": indicator.get("target"), "baseline": base["value"], "baseline_n": base["n"],
                    "baseline_round": base["round"], "points": points, "latest": latest,
                    "change": difference(latest, base["value"])})
    return out


def indicator_rows(session: Session, series_id: int, regions: list[dict[str, Any]]) -> list[list[Any]]:
    """The export: one row per region (and the whole series), indicator and period."""
    out: list[list[Any]] = [["Region code", "Region", "Pilot region", "Indicator", "Label", "Unit", "Aggregate", "Period",
                             "Period end", "Value", "n", "Baseline", "Baseline n", "Target", "Change since baseline"]]
    for scope in [*regions, {"region": "", "name": "All regions", "pilot": False}]:
        for item in indicator_series(session, series_id, scope["region"] or None):
            for p in item["points"]:
                out.append([scope["region"], scope["name"], "yes" if scope["pilot"] else "", item["code"], item["label"],
                            item["unit"], item["aggregate"], p["period_words"], p["period_end"], p["value"], p["n"],
                            item["baseline"], item["baseline_n"], item["target"],
                            difference(p["value"], item["baseline"])])
    return out

