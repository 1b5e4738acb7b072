"""Navigator-counterpart designations: recompute a round's results, admin overrides, and the policies that keep them current.

Only events are recorded here (the designations table is their projection), and the override in
force is the last DesignationOverridden of a region in the log, so the log alone decides.
"""
from __future__ import annotations

import datetime as dt
import json
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Integer, Select, Text, bindparam, distinct, literal_column, null, select, union_all
from sqlalchemy.orm import Session

from wfsurvey import settings
from wfsurvey.database import transaction_notes
from wfsurvey.domain import commands as cmd
from wfsurvey.domain import events as ev
from wfsurvey.domain.designation import (
    CONFLICT,
    DESIGNATED,
    NOMINATING_ORG_TYPE,
    UNFILLED,
    BoardAnswer,
    Override,
    Result,
    contact_question_key,
    decide_all,
)
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.rules import format_local
from wfsurvey.domain.stakeholders import EmailNotValidError, normalize_email
from wfsurvey.mail.outbox import enqueue
from wfsurvey.mail.render import render_email, sender_name
from wfsurvey.models import (
    BoardRegion,
    Designation,
    EventRecord,
    InvitationProgress,
    Organization,
    Response,
    Round,
    User,
)
from wfsurvey.prepared import Prepared
from wfsurvey.projections.baseline import round_questions
from wfsurvey.projections.upsert import IGNORES_PENDING
from wfsurvey.queries.status import region_names
from wfsurvey.services.rounds import NotFound, get_round
from wfsurvey.services.unit_of_work import AbstractUnitOfWork

#: Rounds whose designations are never computed: nothing was asked yet, or nothing will be.
SILENT_STATES = ("draft", "cancelled")


def designation_key(round_id: int, region: str) -> str:
    return f"{round_id}:{region}"


def round_regions(session: Session, round_: Round | RoundFacts) -> list[str]:
    """The round's audience regions, or when it names none, every region an invitation was issued in."""
    codes = list(round_.audience.get("regions") or [])
    if codes:
        return codes
    found: set[str] = set()
    for joined in session.scalars(select(distinct(InvitationProgress.regions)).where(InvitationProgress.round_id == round_.id)):
        found.update(code for code in joined.split(",") if code)
    return sorted(found)


def _boards_in(round_id: int, regions: list[str]):
    """SQL: the round's board invitations issued in one of `regions`, from the membership rows (their primary key)."""
    return (select(BoardRegion.invitation_id)
            .where(BoardRegion.round_id == round_id, BoardRegion.region.in_(regions)))


def board_answers(session: Session, round_id: int, key: str, regions: list[str] | None = None) -> list[BoardAnswer]:
    """Every submitted local-board answer of the round (or only of boards in `regions`), oldest first, in one query.

    Only the three parts of the contact answer are read, as text, and through the connection
    rather than the ORM: a round of 100,000 boards loads in a fraction of the time.
    """
    session.flush()  # a Core statement does not autoflush: it must see this unit of work's answers
    rows = _answers_query(session, round_id, key, regions)
    # Thousands of boards share a few region lists: split each distinct one once (the rule only reads them).
    split: dict[str, tuple[str, ...]] = {}
    return [
        BoardAnswer(org_id, board, NOMINATING_ORG_TYPE,
                    split[regions] if regions in split else split.setdefault(regions, tuple(regions.split(",")) if regions else ()),
                    {key: {"email": email, "name": name, "organization": organization}} if email else {})
        for org_id, board, regions, email, name, organization in rows
    ]


def _board_answers_select(key: str):
    return (
        select(Response.organization_id, Organization.name, InvitationProgress.regions, *_contact_parts(Response.answers, key))
        .join(InvitationProgress, InvitationProgress.invitation_id == Response.invitation_id)
        .join(Organization, Organization.id == Response.organization_id)
        .where(Response.status == "submitted", InvitationProgress.org_type == NOMINATING_ORG_TYPE)
        .order_by(Response.updated_at, Response.id)
    )


def _contact_parts(answers: Any, key: str) -> tuple:
    """The contact answer's email, name and organization, as text, each by its path in the answers: one JSON lookup
    each (SQLite parses the document once per lookup; answers[key]["email"] would take two and a re-quoting)."""
    return tuple(answers[(key, part)].as_string() for part in ("email", "name", "organization"))


def _answers_query(session: Session, round_id: int, key: str, regions: list[str] | None) -> list:
    query = _board_answers_select(key)
    # A whole round is read from its responses, by their round index. Given regions, their boards'
    # invitations come from the membership rows (proj_board_regions, found by round and region), and
    # only their answers are looked up, one by one: the cost follows the boards of those regions,
    # not the answers of the round.
    if regions is None:
        query = query.where(Response.round_id == round_id)
    else:
        query = query.where(Response.invitation_id.in_(_boards_in(round_id, regions)))
    return session.connection().execute(query).all()  # fetchall: iterating a result fetches row by row, several times slower


def overrides_in_force(session: Session, round_id: int, regions: list[str]) -> dict[str, Override]:
    """The last admin override of each region, read from the log."""
    keys = [designation_key(round_id, code) for code in regions]
    found: dict[str, Override] = {}
    if not keys:
        return found
    for payload in session.execute(_overrides_select().where(EventRecord.aggregate_id.in_(keys))).scalars():
        found[payload["region"]] = Override(nominee=payload["nominee"], reason=payload["reason"])
    return found


def _overrides_select():
    return (select(EventRecord.payload)
            .where(EventRecord.aggregate_type == ev.DesignationOverridden.aggregate,
                   EventRecord.type == ev.DesignationOverridden.__name__)
            .order_by(EventRecord.seq))


def current_rows(session: Session, round_id: int, regions: list[str] | None = None) -> dict[str, Result]:
    """The designations table's result per region (of `regions` only, if given).

    Read as rows, not objects: the projection writes the table with Core statements, which
    objects already loaded in this session would not see.
    """
    table = Designation.__table__
    query = select(table).where(table.c.round_id == round_id)
    if regions is not None:
        query = query.where(table.c.region.in_(regions))
    return {row.region: as_result(row) for row in session.execute(query)}


def as_result(row) -> Result:
    return Result(row.region, row.status, row.final, row.nominee, list(row.nominations or []), row.explanation, row.overridden)


def _changed(round_id: int, result: Result, now: dt.datetime) -> ev.DesignationChanged:
    return ev.DesignationChanged(
        key=designation_key(round_id, result.region), round_id=round_id, region=result.region, status=result.status,
        final=result.final, nominee=result.nominee, nominations=result.nominations, explanation=result.explanation,
        decided_at=now.isoformat(), overridden=result.overridden,
    )


class _Inputs(NamedTuple):
    """What the rule decides the listed regions from; the designations rows too when one statement read them all."""

    regions: list[str]
    key: str
    answers: list[BoardAnswer]
    overrides: dict[str, Override]
    rows: dict[str, Result | _StoredRow] | None


def _inputs(session: Session, round_: Round | RoundFacts, regions: list[str] | None) -> _Inputs | None:
    if round_.state in SILENT_STATES:
        return None
    key = contact_question_key(round_questions(session, round_.id))
    if key is None:
        return None
    if regions is None:
        listed = round_regions(session, round_)
    else:
        # Without audience regions the round's are those its invitations were issued in, as the
        # regions of an answering board were: only the audience can leave some of them out.
        audience = round_.audience.get("regions")
        listed = [code for code in audience if code in regions] if audience else regions
        if not listed:
            return _Inputs([], key, [], {}, {})
    if regions is not None and len(listed) == 1:  # a board's answer: its region, in one statement
        return _one_region(session, round_.id, key, listed[0])
    return _Inputs(listed, key, board_answers(session, round_.id, key, None if regions is None else listed),
                   overrides_in_force(session, round_.id, listed), None)


def compute(session: Session, round_: Round | RoundFacts, *, extra_override: tuple[str, Override] | None = None,
            regions: list[str] | None = None) -> dict[str, Result] | None:
    """Every region's result as the rule and the overrides decide now; None when the round has no designations.

    A region's result depends only on the answers of the boards issued in it: given `regions`, only
    those regions are decided, from only their boards' answers, with the results a full compute
    would give them.
    """
    inputs = _inputs(session, round_, regions)
    return None if inputs is None else _decide(round_, inputs, extra_override)


def _decide(round_: Round | RoundFacts, inputs: _Inputs,
            extra_override: tuple[str, Override] | None = None) -> dict[str, Result]:
    overrides = inputs.overrides
    if extra_override is not None:
        overrides = {**overrides, extra_override[0]: extra_override[1]}
    return decide_all(inputs.regions, inputs.answers, inputs.key, final=round_.state == "closed", overrides=overrides)


#: The kinds of row _one_region_statement gives, in this order.
_OVERRIDE, _ROW, _ANSWER = 0, 1, 2


@cache
def _one_region_statement(key: str) -> Prepared:
    """Everything a board's answer decides its region from, in one statement (one round trip on PostgreSQL):
    the region's overrides in the log (oldest first), its designations row, and its boards' submitted answers
    (oldest first), as one UNION ALL of rows of one shape:

    - an override: its payload as JSON text (t1), its place in the log (id);
    - the designations row: status (t1), nominee and nominations as JSON text (t2, t3), explanation (t4),
      final and overridden as 0 or 1 (n1, n2);
    - an answer: the board's organization id (n1) and name (t1), the nominee's email, name and organization (t2, t3,
      t4), ordered by when the response last changed (changed_at, id).

    The boards come from the membership rows (proj_board_regions, by round and region): the cost follows the
    boards of the region, not the answers of the round. Run without sending this transaction's waiting writes
    to the log first (PostgreSQL, projections.upsert): the overrides are the only rows read from it, and the
    command that submits an answer records none.
    """
    events, designations = EventRecord.__table__, Designation.__table__
    responses, organizations, members = Response.__table__, Organization.__table__, BoardRegion.__table__
    at = null().cast(responses.c.updated_at.type)

    def text():
        return null().cast(Text)

    def number():
        return null().cast(Integer)

    def kind(n: int):
        return literal_column(str(n), Integer).label("kind")

    overrides = (select(kind(_OVERRIDE), number().label("n1"), number().label("n2"),
                        events.c.payload.cast(Text).label("t1"), text().label("t2"), text().label("t3"),
                        text().label("t4"), at.label("changed_at"), events.c.seq.label("id"))
                 .where(events.c.aggregate_type == ev.DesignationOverridden.aggregate,
                        events.c.type == ev.DesignationOverridden.__name__,
                        events.c.aggregate_id == bindparam("key")))
    row = (select(kind(_ROW), designations.c.final.cast(Integer), designations.c.overridden.cast(Integer),
                  designations.c.status.cast(Text), designations.c.nominee.cast(Text),
                  designations.c.nominations.cast(Text), designations.c.explanation.cast(Text), at, number())
           .where(designations.c.round_id == bindparam("round_id"), designations.c.region == bindparam("region")))
    answers = (select(kind(_ANSWER), responses.c.organization_id, number(), organizations.c.name.cast(Text),
                      *_contact_parts(responses.c.answers, key), responses.c.updated_at, responses.c.id)
               .join(members, members.c.invitation_id == responses.c.invitation_id)
               .join(organizations, organizations.c.id == responses.c.organization_id)
               .where(members.c.round_id == bindparam("round_id"), members.c.region == bindparam("region"),
                      responses.c.status == "submitted"))
    union = union_all(overrides, row, answers)
    columns = union.selected_columns
    return Prepared(union.order_by(columns.kind, columns.changed_at, columns.id),
                    options={IGNORES_PENDING: (events.name,)})


def _one_region(session: Session, round_id: int, key: str, region: str) -> _Inputs:
    """_inputs of one region, read by _one_region_statement."""
    session.flush()  # a Core statement does not autoflush: it must see this unit of work's answers
    answers: list[BoardAnswer] = []
    overrides: dict[str, Override] = {}
    rows: dict[str, Result | _StoredRow] = {}
    regions = (region,)
    for kind_, n1, n2, t1, t2, t3, t4, _at, _id in _one_region_statement(key).execute(
            session, {"key": designation_key(round_id, region), "round_id": round_id, "region": region}).fetchall():
        if kind_ == _ANSWER:
            answers.append(BoardAnswer(n1, t1, NOMINATING_ORG_TYPE, regions,
                                       {key: {"email": t2, "name": t3, "organization": t4}} if t2 else {}))
        elif kind_ == _ROW:
            rows[region] = _StoredRow(t1, bool(n1), _json(t2), t3, t4, bool(n2))
        else:  # the last override in the log is the one in force
            payload = json.loads(t1)
            overrides[region] = Override(nominee=payload["nominee"], reason=payload["reason"])
    return _Inputs([region], key, answers, overrides, rows)


def _json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


class _StoredRow(NamedTuple):
    """A designations row as _one_region_statement gives it, its nominations still JSON text: a board's answer nearly
    always changes the explanation (its counts), and then the nominations, which list every nominating board, need
    not be decoded to tell that the result changed."""

    status: str
    final: bool
    nominee: dict[str, str] | None
    nominations_json: str | None
    explanation: str
    overridden: bool

    def same_as(self, result: Result) -> bool:
        return ((self.status, self.final, self.nominee, self.explanation, self.overridden)
                == (result.status, result.final, result.nominee, result.explanation, result.overridden)
                and (_json(self.nominations_json) or []) == result.nominations)


class RoundFacts(NamedTuple):
    """What a recompute reads of its round, when the round is not loaded as an object (compute takes either)."""

    id: int
    state: str
    audience: dict


_rounds = Round.__table__


def round_lock(id_parameter: str = "id") -> Select:
    """The round's lock, which also reads its state and audience (as the transaction it waited for left them).

    FOR NO KEY UPDATE: it does not conflict with the key-share locks that new responses' foreign keys take on the
    round row, so two colleagues submitting at once cannot deadlock on it. (SQLite renders no row lock.)
    """
    return (select(_rounds.c.state, _rounds.c.audience).where(_rounds.c.id == bindparam(id_parameter))
            .with_for_update(key_share=True))


_ROUND_FACTS = Prepared(select(_rounds.c.state, _rounds.c.audience).where(_rounds.c.id == bindparam("id")))
_ROUND_FACTS_LOCKED = Prepared(round_lock())
#: Where a session notes what its transaction read of a round (note_round_facts), and the rounds it locked with it.
_FACTS_KEY = "wfsurvey_round_facts"
_LOCKED_KEY = "wfsurvey_locked_rounds"


def note_round_facts(session: Session, round_id: int, state: str, audience: dict) -> None:
    """A command read the round's state and audience in this transaction (SQLite's writers take turns, so they
    cannot change before it ends): a recompute in the same transaction need not read them again."""
    transaction_notes(session, _FACTS_KEY)[round_id] = RoundFacts(round_id, state, audience)


def recomputes_under_lock(org_type: str) -> bool:
    """Whether an answer submitted by this type of organization makes the policy recompute its regions (on_responses),
    holding the round's lock (round_lock): a command may take the lock beforehand, in a statement it sends anyway, and
    note it (note_round_locked)."""
    return org_type == NOMINATING_ORG_TYPE


def note_round_locked(session: Session, round_id: int, state: str, audience: dict) -> None:
    """This transaction holds the round's lock (round_lock, PostgreSQL), which read its state and audience: a
    recompute in it takes the lock no more and uses them."""
    transaction_notes(session, _LOCKED_KEY)[round_id] = RoundFacts(round_id, state, audience)


def _round_for_recompute(session: Session, round_id: int) -> Round | RoundFacts:
    """The round, locked on PostgreSQL: its object if the session holds it, else its facts.

    The lock makes two submissions to one round take turns here, so that each compares against
    the other's result and neither inserts the same designations row (PostgreSQL; SQLite serializes writers).
    One statement takes it and reads the facts (the state as the transaction it waited for left it), unless the
    command took it already (note_round_locked).
    SQLite renders no row lock (its writers are serialized already): there the round's object or the facts
    its command noted are used as they are, else the facts are read.
    """
    loaded = session.identity_map.get(session.identity_key(Round, round_id))
    if session.get_bind().dialect.name != "sqlite":
        locked = transaction_notes(session, _LOCKED_KEY).get(round_id)
        if locked is not None:
            return loaded if loaded is not None else locked
        row = _ROUND_FACTS_LOCKED.first(session, {"id": round_id})
    elif loaded is not None:
        return loaded
    else:
        noted = transaction_notes(session, _FACTS_KEY).get(round_id)
        if noted is not None:
            return noted
        row = _ROUND_FACTS.first(session, {"id": round_id})
    if row is None:
        raise NotFound(f"no round {round_id}")
    return loaded if loaded is not None else RoundFacts(round_id, row[0], row[1])


def recompute(uow: AbstractUnitOfWork, round_id: int, regions: list[str] | None = None) -> int:
    """Record a DesignationChanged for each region (of `regions` only, if given) whose result changed.

    Returns how many; final results stay.
    """
    session = uow.session
    round_ = _round_for_recompute(session, round_id)  # locked: see there
    inputs = _inputs(session, round_, regions)
    if inputs is None:
        return 0
    results = _decide(round_, inputs)
    rows = inputs.rows if inputs.rows is not None else current_rows(session, round_id,
                                                                     None if regions is None else list(results))
    changed = 0
    for region, result in results.items():
        row = rows.get(region)
        if row is not None and (row.final or (row.same_as(result) if isinstance(row, _StoredRow)
                                              else row.comparable() == result.comparable())):
            continue
        uow.record(_changed(round_id, result, uow.now))
        changed += 1
    return changed


def recompute_designations(command: cmd.RecomputeDesignations, uow: AbstractUnitOfWork) -> int:
    return recompute(uow, command.round_id)


def override_designation(command: cmd.OverrideDesignation, uow: AbstractUnitOfWork) -> Result:
    """An admin names a region's counterpart; it wins over the rule until a later override, even after close."""
    session = uow.session
    round_ = get_round(session, command.round_id, lock=True)
    if round_.state in SILENT_STATES:
        raise DomainError(f"round {round_.id} is {round_.state}; it has no designations to override")
    if contact_question_key(round_.template.questions) is None:
        raise DomainError(f"round {round_.id} asks no contact question, so it has no designations", code="invalid")
    region = command.region.strip()
    if region not in round_regions(session, round_):
        raise DomainError(f"round {round_.id} has no region '{region}'", code="not_found", fields={"region": ["unknown region"]})
    errors: dict[str, list[str]] = {}
    name, organization, reason = command.name.strip(), command.organization.strip(), command.reason.strip()
    if not name:
        errors["name"] = ["Enter the counterpart's name."]
    email = ""
    try:
        email = normalize_email(command.email)
    except EmailNotValidError as exc:
        errors["email"] = [f"Enter a valid email address ({exc})."]
    if not reason:
        errors["reason"] = ["Say why the rule's result is overridden."]
    if errors:
        raise DomainError("override invalid", code="invalid", fields=errors)
    nominee = {"name": name, "email": email, "organization": organization}
    override = Override(nominee=nominee, reason=reason)
    results = compute(session, round_, extra_override=(region, override))
    result = results[region]
    uow.record(ev.DesignationOverridden(key=designation_key(round_.id, region), round_id=round_.id, region=region,
                                        nominee=nominee, reason=reason))
    row = current_rows(session, round_.id, [region]).get(region)
    if row is None or row.comparable() != result.comparable():
        uow.record(_changed(round_.id, result, uow.now))
    return result


def alert_admins_at_close(uow: AbstractUnitOfWork, round_: Round) -> int:
    """Queue one email to each active admin listing the regions a round closes with in conflict or unfilled, with a
    link to resolve them; returns how many were queued.

    Called by the handler that closes the round (the close command and the windows job's close alike), once the
    round is closed: the results are the final ones the close's policy records. One message per round and admin
    (its dedupe key), whatever happens after.
    """
    results = compute(uow.session, round_)
    if not results:
        return 0
    conflicts = [r for r in results.values() if r.status == CONFLICT]
    unfilled = [r for r in results.values() if r.status == UNFILLED]
    if not conflicts and not unfilled:
        return 0
    session = uow.session
    admins = session.execute(select(User.id, User.email, User.name).where(User.role == "admin", User.active.is_(True))
                             .order_by(User.id)).all()
    names = region_names(session, [r.region for r in conflicts + unfilled])
    config = settings.current()
    # As for every email: the Reply-To header and the copy that invites replies come from the same setting.
    reply_to = config.get("MAIL_REPLY_TO") or ""
    headers = {"Reply-To": reply_to} if reply_to else None
    context = {
        "round_title": round_.title, "template_title": round_.template.title,
        "closes_local": format_local(round_.closed_at or round_.closes_at, round_.timezone),
        "opens_local": format_local(round_.opens_at, round_.timezone),
        "link": f"{config.get('BASE_URL', '').rstrip('/')}/staff/rounds/{round_.id}/designations",
        "opt_out_link": "", "organization_name": "",
        "sender_name": sender_name(config.get("MAIL_FROM", "")), "reply_to": reply_to,
        "conflicts": [{"name": names.get(r.region, r.region), "region": r.region, "explanation": r.explanation,
                       "nominations": r.nominations} for r in sorted(conflicts, key=lambda r: names.get(r.region, r.region))],
        "unfilled": [{"name": names.get(r.region, r.region), "region": r.region, "explanation": r.explanation}
                     for r in sorted(unfilled, key=lambda r: names.get(r.region, r.region))],
        "designated": sum(1 for r in results.values() if r.status == DESIGNATED), "regions": len(results),
    }
    queued = 0
    for admin_id, email, name in admins:
        rendered = render_email("designation_alert", contact_name=name or email, **context)
        if enqueue(session, dedupe_key=f"designation-alert:{round_.id}:{admin_id}", kind="designation_alert",
                   to_addr=email, rendered=rendered, now=uow.now, headers=headers, round_id=round_.id) is not None:
            queued += 1
    return queued


# --- policies -----------------------------------------------------------------------------

def on_responses(events: list[ev.ResponseSubmitted] | list[ev.ResponseAmended], uow: AbstractUnitOfWork) -> None:
    """A board's answer may change the designations of its own regions; other organizations' answers cannot.

    So only the regions of the boards that answered are recomputed, from only the answers of the
    boards of those regions. (An amendment is recomputed even when its nomination did not change:
    the rule takes answers in the order they were last changed, which can decide a tie.)
    """
    regions: dict[int, set[str]] = {}
    for e in events:
        if e.org_type == NOMINATING_ORG_TYPE:
            regions.setdefault(e.round_id, set()).update(e.regions)
    for round_id in sorted(regions):
        recompute(uow, round_id, sorted(regions[round_id]))


def on_round_launched(events: list[ev.RoundLaunched] | list[ev.LatecomersInvited], uow: AbstractUnitOfWork) -> None:
    """From launch every region of the round is listed (unfilled until a board answers); late-comers
    from a region new to a round whose audience names no regions add that region."""
    for round_id in sorted({e.round_id for e in events}):
        recompute(uow, round_id)


def on_round_closed(events: list[ev.RoundClosed], uow: AbstractUnitOfWork) -> None:
    """At close every result becomes final (the round's state is closed by now)."""
    for round_id in sorted({e.round_id for e in events}):
        recompute(uow, round_id)
