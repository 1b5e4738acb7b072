"""Answer statistics per round, region and question (the baseline table), fed by submissions and amendments."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import bindparam, delete, insert, inspect, select, tuple_, update
from sqlalchemy.orm import Session

from wfsurvey.domain import events as ev
from wfsurvey.domain.questions import QUESTION_TYPES, QuestionType
from wfsurvey.models.projections import BaselineStat, SubmittedAnswers
from wfsurvey.models.surveys import Round, Template
from wfsurvey.prepared import Prepared
from wfsurvey.projections.context import ProjectionContext
from wfsurvey.projections.upsert import add_counts, insert_later

TABLES = (SubmittedAnswers, BaselineStat)

Cell = tuple[int, str, str, str]
#: What an invitation's answers count in: (round id, regions, answers).
Counted = tuple[int, list[str], dict[str, Any]]

_stats = BaselineStat.__table__
_submitted = SubmittedAnswers.__table__
_templates = Template.__table__
_rounds = Round.__table__
# Statements built once and reused, so that an execution neither rebuilds them nor recomputes their cache key.
_QUESTIONS = (select(_templates.c.questions).join(_rounds, _rounds.c.template_id == _templates.c.id)
              .where(_rounds.c.id == bindparam("round_id")))
_PREVIOUS = (select(_submitted.c.invitation_id, _submitted.c.round_id, _submitted.c.regions, _submitted.c.answers)
             .where(_submitted.c.invitation_id.in_(bindparam("ids", expanding=True))))
_INSERT_PREVIOUS = Prepared(insert(_submitted), column_keys=("invitation_id", "round_id", "org_type", "regions", "answers"))
_UPDATE_PREVIOUS = (update(_submitted).where(_submitted.c.invitation_id == bindparam("b_invitation_id"))
                    .values(org_type=bindparam("b_org_type"), regions=bindparam("b_regions"), answers=bindparam("b_answers")))
_STAT_KEY = ("round_id", "region", "question", "value")


def round_questions(session: Session, round_id: int) -> list[dict]:
    """The questions of a round's template version.

    Template versions never change once a round uses them, so reading one now gives the same
    answer live and in a rebuild. The command that recorded the event has usually loaded the round
    and its template in this session already: then they are taken from there, without SQL.
    """
    noted = session.info.get(_QUESTIONS_KEY)
    if noted is not None and round_id in noted:
        return noted[round_id]
    round_ = session.identity_map.get(session.identity_key(Round, round_id))
    template = inspect(round_).dict.get("template") if round_ is not None else None
    if template is not None and "questions" in inspect(template).dict:
        return template.questions
    questions = session.execute(_QUESTIONS, {"round_id": round_id}).scalar() or []
    note_round_questions(session, round_id, questions)
    return questions


#: Where a session keeps the questions of the rounds it read them for (see note_round_questions).
_QUESTIONS_KEY = "wfsurvey_round_questions"


def note_round_questions(session: Session, round_id: int, questions: list[dict]) -> None:
    """Keep the questions a command read of a launched round for this session's handlers (round_questions).

    A command that read them as values (no Round object in the session) saves the handlers of its
    events a statement. Only launched rounds: a draft's template version may still change.
    """
    session.info.setdefault(_QUESTIONS_KEY, {})[round_id] = questions


#: A counted question of a round: its type and its definition.
Counted_ = tuple[QuestionType, dict]


def _counted(session: Session, round_id: int, cache: dict[int, dict[str, Counted_]]) -> dict[str, Counted_]:
    """The type and definition of each question of the round whose answers feed the table (text answers and contacts
    do not), by key."""
    # Looked up once per round and batch of events, not once per answer.
    if round_id not in cache:
        found = {q["key"]: (QUESTION_TYPES[q["type"]], q) for q in round_questions(session, round_id)}
        cache[round_id] = {key: tq for key, tq in found.items() if tq[0].counted}
    return cache[round_id]


def cells(types: dict[str, Counted_], answers: dict[str, Any]) -> list[tuple[str, str, float]]:
    """(question, value, numeric amount) for each countable answer, given the counted questions."""
    out = []
    for key, value in answers.items():
        counted = types.get(key)
        if counted is None or value is None or value == "" or value == []:
            continue
        out.extend(counted[0].question_cells(counted[1], value))
    return out


def _apply(session: Session, deltas: dict[Cell, list[float]]) -> None:
    """Add the deltas to the table in one statement; cells whose count fell to nought are deleted."""
    changed = sorted((key, delta) for key, delta in deltas.items() if delta != [0, 0.0])
    rows = [dict(zip(_STAT_KEY, key), count=count, total=total) for key, (count, total) in changed]
    add_counts(session, _stats, _STAT_KEY, ("count", "total"), rows)
    # Counts never go below nought, so only a cell that lost answers (an amendment) can reach it.
    emptied = [key for key, (count, _) in changed if count <= 0]
    for i in range(0, len(emptied), 2000):
        session.execute(delete(_stats).where(
            tuple_(*(_stats.c[k] for k in _STAT_KEY)).in_(emptied[i:i + 2000]), _stats.c.count == 0))


def _add(deltas, types: dict[str, Counted_], round_id: int, regions: list[str], answers: dict, sign: int) -> None:
    for question, value, amount in cells(types, answers):
        for region in ["", *regions]:
            cell = deltas[(round_id, region, question, value)]
            cell[0] += sign
            cell[1] += sign * amount


def _stored(session: Session, invitation_ids: list[int]) -> dict[int, Counted]:
    """The answers each invitation counts with now, for those that submitted before."""
    found: dict[int, Counted] = {}
    for i in range(0, len(invitation_ids), 5000):
        for invitation_id, round_id, regions, answers in session.execute(_PREVIOUS, {"ids": invitation_ids[i:i + 5000]}):
            found[invitation_id] = (round_id, regions.split(",") if regions else [], answers)
    return found


def on_answers(events: list[ev.ResponseSubmitted | ev.ResponseAmended], uow: ProjectionContext) -> None:
    session = uow.session
    cache: dict[int, dict[str, Counted_]] = {}
    deltas: dict[Cell, list[float]] = defaultdict(lambda: [0, 0.0])
    # A ResponseSubmitted is an invitation's first submission (a later one is a ResponseAmended):
    # only an amendment has stored answers to take back.
    counted = _stored(session, sorted({e.invitation_id for e in events if isinstance(e, ev.ResponseAmended)}))
    before = set(counted)
    latest: dict[int, ev.ResponseSubmitted | ev.ResponseAmended] = {}
    for e in events:
        types = _counted(session, e.round_id, cache)
        old = counted.get(e.invitation_id)
        if old is not None:
            _add(deltas, types, old[0], old[1], old[2], -1)
        # An invitation never changes round: an amendment keeps the round it was first stored with.
        counted[e.invitation_id] = (old[0] if old is not None else e.round_id, e.regions, e.answers)
        latest[e.invitation_id] = e
        _add(deltas, types, e.round_id, e.regions, e.answers, +1)
    new = [{"invitation_id": i, "round_id": e.round_id, "org_type": e.org_type, "regions": ",".join(e.regions),
            "answers": e.answers} for i, e in latest.items() if i not in before]
    if new and not insert_later(session, _submitted, new):
        _INSERT_PREVIOUS.execute(session, new)
    amended = [{"b_invitation_id": i, "b_org_type": e.org_type, "b_regions": ",".join(e.regions), "b_answers": e.answers}
               for i, e in latest.items() if i in before]
    if amended:
        session.execute(_UPDATE_PREVIOUS, amended)
    _apply(session, deltas)


def clear(session: Session) -> None:
    for table in TABLES:
        session.execute(delete(table))

