"""The baseline table of a round: one row per region, the change against the baseline round, and a pilot-area ranking.

Each row: organizations (or, for a round taking one response per person, people) invited and
responded by organization type, the response rate, per question the mean and distribution
(scale), counts and shares (single and multiple choice, yes/no), mean and sum (number), and the
designation status. When the round is not itself the baseline round, `change` holds the difference
against the latest baseline round of the same template slug: response rate and each scale or
number mean in points, each choice share in points of a fraction.

Pilot-area ranking (PILOT_FORMULA says the same to the reader):

    score = 0.5 × readiness + 0.3 × response_rate + 0.2 × designated

- readiness: the mean, over the round's tabulated questions that the region answered, of
  each scale question's mean normalized to 0–1 ((mean − min) / (max − min)), and of the share
  answering "yes" to each yes/no question and to each single-choice question that offers a "yes"
  option (targeting Advanced Manufacturing, interest in being a pilot); 0 when nothing was answered;
- response_rate: responded / invited in the region (0 when nobody was invited);
- designated: 1 when the region has a designated navigator counterpart, else 0.

Figures say what they rest on: each row carries `n` per figure (the invited behind the rate, the
answers behind each question's figures, the responses behind readiness, the baseline round's
responses behind the change), a region with fewer responses than MIN_RESPONSES_FOR_RANKING (a
setting, 3 by default) is listed as not rankable rather than ranked, `change` is None where the
baseline round has no response in the region ("no baseline answers"), and each ranked region lists
the parts its readiness averages.

Every figure comes from the projections (proj_round_progress or proj_organization_counts,
proj_baseline_stats, designations): a fixed number of statements whatever the size of the round,
none of which reads a row per invitation or per organization.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from wfsurvey import settings
from wfsurvey.domain.designation import contact_question_key
from wfsurvey.domain.questions import QUESTION_TYPES
from wfsurvey.domain.questions.base import difference
from wfsurvey.domain.stakeholders import ORG_TYPES
from wfsurvey.models import BaselineStat, Designation, OrganizationCounts, Round, RoundProgress, Template
from wfsurvey.queries import iso, ratio
from wfsurvey.queries.status import load_round, region_names

WEIGHTS = {"readiness": 0.5, "response_rate": 0.3, "designated": 0.2}
PILOT_FORMULA = (
    "score = 0.5 × readiness + 0.3 × response_rate + 0.2 × designated; readiness = mean over the answered "
    "questions of each scale mean normalized to 0–1 and of the share answering 'yes' (yes/no questions and "
    "single-choice questions with a 'yes' option); response_rate = responded / invited; designated = 1 when "
    "the region has a designated navigator counterpart, else 0"
)
#: The row of the whole round uses this region code in the projection.
WHOLE_ROUND = ""
#: Responses a region needs to be ranked, unless the MIN_RESPONSES_FOR_RANKING setting says otherwise.
MIN_RESPONSES_FOR_RANKING = 3
#: What `change` says when the baseline round has nothing to compare with in a region.
NO_BASELINE_ANSWERS = "no baseline answers"


def min_responses_for_ranking() -> int:
    return int(settings.current().get("MIN_RESPONSES_FOR_RANKING", MIN_RESPONSES_FOR_RANKING))


#: (invited, responded, responses) of one organization type in one region.
Participation = tuple[int, int, int]


@dataclass
class _Figures:
    """What one round contributes: participation by region and type, answer cells and designations, in three statements."""

    round: Round
    questions: list[dict[str, Any]]
    #: By region code (WHOLE_ROUND for the whole round), then organization type.
    participation: dict[str, dict[str, Participation]]
    stats: dict[str, dict[str, dict[str, tuple[int, float]]]]
    designations: dict[str, str]
    by_organization: bool

    def regions(self) -> set[str]:
        codes = set(self.round.audience.get("regions") or [])
        codes.update(code for code in self.participation if code != WHOLE_ROUND)
        return codes


def tabulated_questions(template: Template) -> list[dict[str, Any]]:
    """Questions that feed the table: countable types not marked "baseline": "none"."""
    return [q for q in template.questions if QUESTION_TYPES[q["type"]].counted and q.get("baseline", "auto") != "none"]


def reference_round(session: Session, round_: Round) -> Round | None:
    """The latest baseline round of the same template slug that has opened (not this round), or None.

    A draft or scheduled baseline round has no answer yet, and a cancelled one never will: comparing with it
    would only say "no baseline answers" everywhere.
    """
    if round_.is_baseline:
        return None
    return session.scalars(
        select(Round).join(Template, Template.id == Round.template_id).options(joinedload(Round.template))
        .where(Template.slug == round_.template.slug, Round.is_baseline.is_(True), Round.id != round_.id,
               Round.state.in_(("open", "closed")))
        .order_by(Round.opens_at.desc(), Round.id.desc())
        .limit(1)
    ).first()


def _participation_rows(session: Session, round_: Round) -> dict[str, dict[str, Participation]]:
    """Invited, responded and responses by region and organization type, from the counters of the projections.

    Under one response per organization the units are organizations (proj_organization_counts: an
    organization is invited once it has an invitation standing or submitted, responded once it has
    submitted, in every region its invitations count in). Otherwise they are invitations
    (proj_round_progress): invited are those not forwarded, responded those submitted.
    """
    if round_.response_rule == "organization":
        table, columns = OrganizationCounts, (OrganizationCounts.invited, OrganizationCounts.responded, OrganizationCounts.responses)
    else:
        table, columns = RoundProgress, (RoundProgress.invited - RoundProgress.forwarded, RoundProgress.submitted, RoundProgress.submitted)
    out: dict[str, dict[str, Participation]] = defaultdict(dict)
    for scope, key, invited, responded, responses in session.execute(
        select(table.scope, table.key, *columns).where(table.round_id == round_.id, table.scope.in_(("org_type", "region_org")))
    ):
        region, _, org_type = key.rpartition("|") if scope == "region_org" else (WHOLE_ROUND, "", key)
        out[region][org_type] = (int(invited), int(responded), int(responses))
    return out


def _figures(session: Session, round_: Round) -> _Figures:
    stats: dict[str, dict[str, dict[str, tuple[int, float]]]] = defaultdict(lambda: defaultdict(dict))
    for s in session.scalars(select(BaselineStat).where(BaselineStat.round_id == round_.id)):
        stats[s.region][s.question][s.value] = (s.count, s.total)
    designations = dict(session.execute(select(Designation.region, Designation.status).where(Designation.round_id == round_.id)).all())
    return _Figures(round_, tabulated_questions(round_.template), _participation_rows(session, round_), stats, designations,
                    round_.response_rule == "organization")


def _participation(figures: _Figures, region: str) -> dict[str, Any]:
    """Invited and responded by organization type, the response rate, and the number of responses."""
    by_type = figures.participation.get(region, {})
    ordered = {
        t: {"invited": by_type[t][0], "responded": by_type[t][1]}
        for t in sorted(by_type, key=lambda t: (ORG_TYPES.index(t) if t in ORG_TYPES else 99, t))
    }
    invited = sum(v[0] for v in by_type.values())
    responded = sum(v[1] for v in by_type.values())
    responses = sum(v[2] for v in by_type.values())
    return {"by_org_type": ordered, "invited": invited, "responded": responded, "responses": responses,
            "response_rate": ratio(responded, invited)}


def _answers(figures: _Figures, region: str, responses: int) -> dict[str, dict[str, Any]]:
    cells = figures.stats.get(region, {})
    out: dict[str, dict[str, Any]] = {}
    for q in figures.questions:
        out[q["key"]] = QUESTION_TYPES[q["type"]].summarize(q, cells.get(q["key"], {}), responses)
    return out


def _designation(figures: _Figures, region: str) -> str | None:
    if region == WHOLE_ROUND or contact_question_key(figures.round.template.questions) is None:
        return None
    return figures.designations.get(region, "unfilled")


def _row(figures: _Figures, region: str, name: str, minimum: int) -> dict[str, Any]:
    participation = _participation(figures, region)
    answers = _answers(figures, region, participation["responses"])
    return {
        "region": region, "name": name, **participation,
        "designation": _designation(figures, region),
        "answers": answers,
        "n": {"response_rate": participation["invited"], "responses": participation["responses"],
              "answers": {key: a["n"] for key, a in answers.items()}, "readiness": participation["responses"],
              "baseline": None},
        "rankable": participation["responses"] >= minimum,
        "change": None,
        "change_note": None,
    }


def _change(row: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """This row minus the baseline round's row of the same region, for figures present in both."""
    answers: dict[str, Any] = {}
    for key, now in row["answers"].items():
        then = before["answers"].get(key)
        if then is None or then["type"] != now["type"]:
            continue
        answers[key] = QUESTION_TYPES[now["type"]].change(now, then)
    return {"response_rate": difference(row["response_rate"], before["response_rate"]), "answers": answers}


def _compare(row: dict[str, Any], before: dict[str, Any]) -> None:
    """Set the row's change against the baseline round's row of its region, where that row rests on answers."""
    row["n"]["baseline"] = before["responses"]
    if before["responses"]:
        row["change"] = _change(row, before)
    else:
        # A rate against nobody's answers (0 of 26) would read as a rise; say there is nothing to compare.
        row["change_note"] = NO_BASELINE_ANSWERS


def readiness_parts(questions: list[dict[str, Any]], answers: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """What a region's readiness averages: per answered question that speaks to it, the figure (0–1), its n and
    what it was made from."""
    parts = []
    for q in questions:
        a = answers.get(q["key"])
        if a is None or not a["n"]:
            continue
        question_type = QUESTION_TYPES[q["type"]]
        figure = question_type.readiness(q, a)
        if figure is not None:
            parts.append({"key": q["key"], "label": q["label"], "figure": round(figure, 4), "n": a["n"],
                          "basis": question_type.readiness_basis(q, a)})
    return parts


def pilot_ranking(questions: list[dict[str, Any]], rows: list[dict[str, Any]],
                  minimum: int = MIN_RESPONSES_FOR_RANKING) -> dict[str, Any]:
    """Rankable regions by score; the others, with too few responses to rank, apart, fewest answers last."""
    ranked, unranked = [], []
    for row in rows:
        if not row["rankable"]:
            unranked.append({"region": row["region"], "name": row["name"], "responses": row["responses"],
                             "invited": row["invited"], "needed": minimum - row["responses"]})
            continue
        parts = readiness_parts(questions, row["answers"])
        ready = round(sum(p["figure"] for p in parts) / len(parts), 4) if parts else 0.0
        rate = row["response_rate"] or 0.0
        designated = 1 if row["designation"] == "designated" else 0
        score = WEIGHTS["readiness"] * ready + WEIGHTS["response_rate"] * rate + WEIGHTS["designated"] * designated
        ranked.append({"region": row["region"], "name": row["name"], "score": round(score, 4), "readiness": ready,
                       "readiness_figures": len(parts), "readiness_parts": parts, "response_rate": rate,
                       "designated": bool(designated), "responses": row["responses"], "invited": row["invited"]})
    ranked.sort(key=lambda r: (-r["score"], -r["response_rate"], r["region"]))
    for rank, entry in enumerate(ranked, 1):
        entry["rank"] = rank
    unranked.sort(key=lambda r: (-r["responses"], r["name"].casefold(), r["region"]))
    return {"formula": PILOT_FORMULA, "weights": dict(WEIGHTS), "min_responses": minimum, "regions": ranked,
            "not_ranked": unranked}


def _round_summary(round_: Round) -> dict[str, Any]:
    return {"id": round_.id, "title": round_.title, "state": round_.state, "is_baseline": round_.is_baseline,
            "template": {"slug": round_.template.slug, "version": round_.template.version},
            "timezone": round_.timezone, "opens_at": iso(round_.opens_at, round_.timezone),
            "closes_at": iso(round_.closes_at, round_.timezone), "response_rule": round_.response_rule}


def baseline_table(session: Session, round_id: int) -> dict[str, Any]:
    """The whole table of a round (see the module docstring for every figure)."""
    round_ = load_round(session, round_id)
    current = _figures(session, round_)
    reference = reference_round(session, round_)
    previous = _figures(session, reference) if reference is not None else None
    minimum = min_responses_for_ranking()
    codes = sorted(current.regions())
    names = region_names(session, codes)
    rows = [_row(current, code, names.get(code, code), minimum) for code in codes]
    rows.sort(key=lambda r: (r["name"].casefold(), r["region"]))
    total = _row(current, WHOLE_ROUND, "All regions", minimum)
    if previous is not None:
        for row in [*rows, total]:
            _compare(row, _row(previous, row["region"], row["name"], minimum))
    return {
        "round": _round_summary(round_),
        "unit": "organization" if current.by_organization else "contact",
        "compared_with": _round_summary(reference) if reference is not None else None,
        "questions": [
            {k: q[k] for k in ("key", "type", "label", "options", "min", "max") if k in q} for q in current.questions
        ],
        "rows": rows,
        "total": total,
        "ranking": pilot_ranking(current.questions, rows, minimum),
    }
