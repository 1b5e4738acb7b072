"""Regional consensus on a ranking question of a round: per region, the order of the options by Borda count and the
agreement among respondents (Kendall's W), from the sums the baseline projection keeps (wfsurvey.domain.consensus);
two statements whatever the size of the round."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wfsurvey.domain.questions import QUESTION_TYPES
from wfsurvey import settings
from wfsurvey.models import BaselineStat, Organization, Region, Round
from wfsurvey.models.stakeholders import organization_regions
from wfsurvey.queries import NotFound
from wfsurvey.queries.status import load_round, progress_rows, region_names, round_region_codes


def ranking_questions(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The questions of a template whose answers order its options."""
    return [q for q in questions if QUESTION_TYPES[q["type"]].orders_options]


def audience_region_codes(session: Session, round_: Round) -> list[str]:
    """Every region the round's audience reaches, named or not: its named regions, every region an invitation counts
    in, and, before any invitation is issued, the regions of the organizations of its types."""
    codes = set(round_region_codes(round_, progress_rows(session, round_.id)))
    if not codes:
        types = list(round_.audience.get("org_types") or [])
        query = (select(Region.code).join(organization_regions, organization_regions.c.region_id == Region.id)
                 .join(Organization, Organization.id == organization_regions.c.organization_id)
                 .where(Region.scheme == settings.region_scheme()).distinct())
        if types:
            query = query.where(Organization.org_type.in_(types))
        codes.update(session.scalars(query))
    return sorted(codes)


def round_consensus(session: Session, round_id: int, question: str) -> dict[str, Any]:
    """{"question": {key, label, options}, "regions": [{region, name, n, order, kendall_w}]} for every region the
    round's audience reaches (n = 0 where nobody ranked yet) or with answers, by name; NotFound when the round has no
    ranking question with that key."""
    round_ = load_round(session, round_id)
    q = next((q for q in ranking_questions(round_.template.questions) if q["key"] == question), None)
    if q is None:
        raise NotFound(f"round {round_id} has no ranking question '{question}'")
    found: dict[str, dict[str, tuple[int, float]]] = defaultdict(dict)
    for region, value, count, total in session.execute(
        select(BaselineStat.region, BaselineStat.value, BaselineStat.count, BaselineStat.total)
        .where(BaselineStat.round_id == round_id, BaselineStat.question == question)
    ):
        found[region][value] = (count, total)
    codes = sorted({*audience_region_codes(session, round_), *found} - {""})
    names = region_names(session, codes)
    kind = QUESTION_TYPES[q["type"]]
    regions = []
    for code in codes:
        summary = kind.summarize(q, found.get(code, {}), 0)
        regions.append({"region": code, "name": names.get(code, code), "n": summary["n"], "order": summary["order"],
                        "kendall_w": summary["kendall_w"]})
    regions.sort(key=lambda r: (r["name"].casefold(), r["region"]))
    return {"question": {"key": q["key"], "label": q["label"], "options": q.get("options") or [],
                         "top": q.get("top")},
            "regions": regions}
