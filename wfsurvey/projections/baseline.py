"""Answer statistics per round, region and question (the baseline table), fed by submissions and amendments."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from wfsurvey.domain import events as ev
from wfsurvey.models.projections import BaselineStat, SubmittedAnswers
from wfsurvey.models.surveys import Round, Template

TABLES = (SubmittedAnswers, BaselineStat)
#: Question types that feed the table; text answers and contacts do not.
COUNTED = {"single_choice", "multi_choice", "scale", "yes_no", "number"}

Cell = tuple[int, str, str, str]


def _questions(session: Session, round_id: int, cache: dict[int, dict[str, dict]]) -> dict[str, dict]:
    # Template versions never change once a round uses them, so reading one now gives the
    # same answer live and in a rebuild.
    if round_id not in cache:
        template = session.scalar(select(Template).join(Round, Round.template_id == Template.id).where(Round.id == round_id))
        cache[round_id] = {q["key"]: q for q in (template.questions if template else [])}
    return cache[round_id]


def cells(questions: dict[str, dict], answers: dict[str, Any]) -> list[tuple[str, str, float]]:
    """(question, value, numeric amount) for each countable answer."""
    out = []
    for key, value in answers.items():
        q = questions.get(key)
        if q is None or q["type"] not in COUNTED or value is None or value == "" or value == []:
            continue
        if q["type"] == "multi_choice":
            out.extend((key, str(v), 0.0) for v in value)
        elif q["type"] == "scale":
            out.append((key, str(int(value)), float(value)))
        elif q["type"] == "number":
            out.append((key, "", float(value)))
        else:
            out.append((key, str(value), 0.0))
    return out


def _apply(session: Session, deltas: dict[Cell, list[float]]) -> None:
    deltas = {k: v for k, v in deltas.items() if v != [0, 0.0]}
    if not deltas:
        return
    keys = list(deltas)
    existing = {}
    for i in range(0, len(keys), 2000):
        existing.update(
            ((s.round_id, s.region, s.question, s.value), s)
            for s in session.scalars(
                select(BaselineStat).where(
                    tuple_(BaselineStat.round_id, BaselineStat.region, BaselineStat.question, BaselineStat.value).in_(keys[i:i + 2000])
                )
            )
        )
    for key, (count, total) in deltas.items():
        stat = existing.get(key)
        if stat is None:
            stat = BaselineStat(round_id=key[0], region=key[1], question=key[2], value=key[3], count=0, total=0.0)
            session.add(stat)
        stat.count += count
        stat.total += total
        if stat.count == 0:
            session.delete(stat)


def _add(deltas, questions, round_id: int, regions: list[str], answers: dict, sign: int) -> None:
    for question, value, amount in cells(questions, answers):
        for region in ["", *regions]:
            cell = deltas[(round_id, region, question, value)]
            cell[0] += sign
            cell[1] += sign * amount


def on_answers(events: list[ev.ResponseSubmitted | ev.ResponseAmended], uow) -> None:
    session = uow.session
    cache: dict[int, dict[str, dict]] = {}
    deltas: dict[Cell, list[float]] = defaultdict(lambda: [0, 0.0])
    ids = [e.invitation_id for e in events]
    previous = {s.invitation_id: s for s in session.scalars(select(SubmittedAnswers).where(SubmittedAnswers.invitation_id.in_(ids)))}
    for e in events:
        questions = _questions(session, e.round_id, cache)
        old = previous.get(e.invitation_id)
        if old is not None:
            _add(deltas, questions, old.round_id, old.regions.split(",") if old.regions else [], old.answers, -1)
            old.answers = e.answers
            old.regions = ",".join(e.regions)
            old.org_type = e.org_type
        else:
            old = SubmittedAnswers(
                invitation_id=e.invitation_id, round_id=e.round_id, org_type=e.org_type,
                regions=",".join(e.regions), answers=e.answers,
            )
            session.add(old)
            previous[e.invitation_id] = old
        _add(deltas, questions, e.round_id, e.regions, e.answers, +1)
    session.flush()
    _apply(session, deltas)


def clear(session: Session) -> None:
    for table in TABLES:
        session.execute(delete(table))

