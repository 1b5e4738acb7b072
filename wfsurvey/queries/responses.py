"""A round's responses as staff read them: a list a page at a time (filtered, searched in free text), one response
question by question with its edit history from the event log, every answer to one text question, and the rows of
the raw export read a chunk at a time.

Pages are keyset-paged: each starts after the last one's (last edit, id), found through the index on (round,
status, last edit, id), so the last page of a 100,000-response round costs what the first does. A search in free
text reads the answers of every response of the round that the other filters keep (one statement, no index).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from wfsurvey.domain import events as ev
from wfsurvey.domain.answers import visible_questions
from wfsurvey.domain.questions import QUESTION_TYPES
from wfsurvey.models import (
    Contact,
    EventRecord,
    Invitation,
    InvitationProgress,
    Organization,
    Response,
    Round,
    RoundProgress,
)
from wfsurvey.queries import DEFAULT_PER_PAGE, MAX_PER_PAGE, NotFound, iso
from wfsurvey.queries.actors import describe_actors
from wfsurvey.queries.status import load_round, region_names

#: What a response's status may be, and the list's status filter ("all": both).
RESPONSE_STATUSES = ("submitted", "draft")
STATUS_FILTERS = ("submitted", "draft", "all")
#: Responses the raw export reads per statement.
EXPORT_CHUNK = 1000
#: Names per IN list (well under SQLite's limit on bound parameters: a round may have thousands of boards).
NAMES_CHUNK = 900
#: Characters of a free-text answer shown around a search's match in the list.
SNIPPET = 160
#: The events that make a response's history, and what each did, in words.
HISTORY_EVENTS = {
    ev.ResponseDraftSaved.__name__: "Saved a draft",
    ev.ResponseSubmitted.__name__: "Submitted",
    ev.ResponseAmended.__name__: "Changed the submitted answers",
}
_CURSOR = re.compile(r"^(\d{1,10})\.(\d{1,20})$")


class BadCursor(ValueError):
    """An `after` that no page handed out."""


# --- the list ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ResponseFilters:
    """What the list keeps: a status (submitted, draft or all), a region code, an organization type, words in the
    free-text answers (of `question` only, when given: then only responses that answered it), and the order."""

    status: str = "submitted"
    region: str | None = None
    org_type: str | None = None
    q: str | None = None
    #: A text question's key: every answer to it (the free-text page).
    question: str | None = None
    oldest_first: bool = False

    def __post_init__(self) -> None:
        if self.status not in STATUS_FILTERS:
            raise ValueError(f"status must be one of {', '.join(STATUS_FILTERS)}, not {self.status!r}")

    @property
    def statuses(self) -> tuple[str, ...]:
        return RESPONSE_STATUSES if self.status == "all" else (self.status,)


@dataclass(frozen=True)
class Listing:
    """One page: the items, how many the filters keep in all, and the cursor of the next page (None at the end)."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    next_after: str | None
    #: The round's questions, in order (for "not asked" and the answers in words).
    questions: list[dict[str, Any]] = field(default_factory=list)


def cursor(updated_at: dt.datetime, response_id: int) -> str:
    """The page key after a response: "<id>.<microseconds since 1970 of its last edit>" (digits only, safe in a URL)."""
    return f"{response_id}.{round(updated_at.timestamp() * 1_000_000)}"


def parse_cursor(text: str) -> tuple[dt.datetime, int]:
    match = _CURSOR.match(text or "")
    if match is None:
        raise BadCursor(f"{text!r} is not a page cursor: use the `next` a page gave")
    micros = int(match.group(2))
    try:
        moment = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=micros)
    except OverflowError:
        raise BadCursor(f"{text!r} is not a page cursor: use the `next` a page gave") from None
    return moment, int(match.group(1))


def _like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.casefold()}%"


def free_text_keys(questions: Sequence[Mapping[str, Any]]) -> list[str]:
    """Keys of the questions whose answers are free text (the ones a search reads)."""
    return [q["key"] for q in questions if QUESTION_TYPES[q["type"]].free_text]


def in_region(code: str) -> ColumnElement[bool]:
    """The invitation was issued in the region (its regions are stored comma-separated)."""
    listed = literal(",") + InvitationProgress.regions + literal(",")
    return listed.contains(f",{code},", autoescape=True)


def _answer_text(key: str) -> ColumnElement[str]:
    return Response.answers[key].as_string()


def _conditions(round_id: int, filters: ResponseFilters, questions: Sequence[Mapping[str, Any]]) -> list[ColumnElement[bool]]:
    """The WHERE of the list and of its count, status aside."""
    conditions: list[ColumnElement[bool]] = [Response.round_id == round_id]
    if filters.org_type:
        conditions.append(InvitationProgress.org_type == filters.org_type)
    if filters.region:
        conditions.append(in_region(filters.region))
    keys = [filters.question] if filters.question else free_text_keys(questions)
    if filters.question:
        conditions.append(and_(_answer_text(filters.question).is_not(None), _answer_text(filters.question) != ""))
    if filters.q and filters.q.strip():
        pattern = _like(filters.q.strip())
        matches = [func.lower(_answer_text(key)).like(pattern, escape="\\") for key in keys]
        conditions.append(or_(*matches) if matches else false())
    return conditions


def _rows_statement(conditions: list[ColumnElement[bool]], status: str, oldest_first: bool,
                    after: tuple[dt.datetime, int] | None, limit: int) -> Select:
    key = (Response.updated_at, Response.id)
    query = (
        select(Response.id, Response.status, Response.invitation_id, Response.submitted_at, Response.updated_at,
               Response.created_at, Response.revision, Response.answers,
               Organization.id.label("organization_id"), Organization.name.label("organization_name"),
               InvitationProgress.org_type, InvitationProgress.regions,
               Contact.id.label("contact_id"), Contact.name.label("contact_name"), Contact.email)
        .join(Invitation, Invitation.id == Response.invitation_id)
        .join(Contact, Contact.id == Invitation.contact_id)
        .join(Organization, Organization.id == Response.organization_id)
        .join(InvitationProgress, InvitationProgress.invitation_id == Response.invitation_id)
        .where(*conditions, Response.status == status)
        .order_by(*(k.asc() if oldest_first else k.desc() for k in key))
        .limit(limit)
    )
    if after is not None:
        query = query.where(tuple_(*key) > tuple_(*after) if oldest_first else tuple_(*key) < tuple_(*after))
    return query


def _total(session: Session, round_id: int, filters: ResponseFilters, conditions: list[ColumnElement[bool]]) -> int:
    """How many responses the filters keep: from the completion counters (one row), or counted when searching.

    A response exists once its invitation started (a draft saved or a submission), and is submitted once the
    invitation is: so drafts are started minus submitted, in the counters' scope for the region and type.
    """
    if filters.q or filters.question:
        return session.scalar(
            select(func.count()).select_from(Response)
            .join(InvitationProgress, InvitationProgress.invitation_id == Response.invitation_id)
            .where(*conditions, Response.status.in_(filters.statuses))
        ) or 0
    if filters.region and filters.org_type:
        scope, key = "region_org", f"{filters.region}|{filters.org_type}"
    elif filters.region:
        scope, key = "region", filters.region
    elif filters.org_type:
        scope, key = "org_type", filters.org_type
    else:
        scope, key = "total", ""
    row = session.execute(select(RoundProgress.started, RoundProgress.submitted).where(
        RoundProgress.round_id == round_id, RoundProgress.scope == scope, RoundProgress.key == key)).first()
    if row is None:
        return 0
    started, submitted = row
    return {"submitted": submitted, "draft": started - submitted, "all": started}[filters.status]


def snippet(text: str, q: str | None, width: int = SNIPPET) -> str:
    """Up to `width` characters of `text`, around the first match of `q` when there is one."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    at = text.casefold().find(q.strip().casefold()) if q and q.strip() else -1
    start = 0 if at < 0 else max(0, at - width // 3)
    piece = text[start:start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")


def list_responses(session: Session, round_id: int, filters: ResponseFilters | None = None, *, after: str | None = None,
                   limit: int = DEFAULT_PER_PAGE) -> Listing:
    """A page of a round's responses, last edited first (or first edited first), after the cursor `after`.

    Statements: the round, one per status listed (two for "all", merged here), the total, the regions' names.
    """
    filters = filters or ResponseFilters()
    round_ = load_round(session, round_id)
    questions = list(round_.template.questions)
    limit = min(max(1, limit), MAX_PER_PAGE)
    key = parse_cursor(after) if after else None
    conditions = _conditions(round_id, filters, questions)
    rows = [row for status in filters.statuses
            for row in session.execute(_rows_statement(conditions, status, filters.oldest_first, key, limit + 1))]
    rows.sort(key=lambda r: (r.updated_at, r.id), reverse=not filters.oldest_first)
    more = len(rows) > limit
    rows = rows[:limit]
    names = region_names(session, sorted({code for r in rows for code in (r.regions or "").split(",") if code}))
    keys = [filters.question] if filters.question else free_text_keys(questions)
    items = [_item(row, round_, questions, names, filters.q, keys) for row in rows]
    next_after = cursor(rows[-1].updated_at, rows[-1].id) if more and rows else None
    return Listing(items, _total(session, round_id, filters, conditions), limit, next_after, questions)


def _item(row: Any, round_: Round, questions: Sequence[Mapping[str, Any]], names: Mapping[str, str], q: str | None,
          keys: Sequence[str]) -> dict[str, Any]:
    codes = [code for code in (row.regions or "").split(",") if code]
    answers = dict(row.answers or {})
    shown = {question["key"] for question in visible_questions(questions, answers, row.org_type)}
    found = next(((key, str(answers[key])) for key in keys if answers.get(key) and (
        not q or q.strip().casefold() in str(answers[key]).casefold())), None)
    return {
        "id": row.id, "status": row.status, "invitation_id": row.invitation_id,
        "organization": {"id": row.organization_id, "name": row.organization_name, "type": row.org_type,
                         "regions": codes, "region_names": [names.get(code, code) for code in codes]},
        "contact": {"id": row.contact_id, "name": row.contact_name, "email": row.email},
        "submitted_at": iso(row.submitted_at, round_.timezone), "updated_at": iso(row.updated_at, round_.timezone),
        "revision": row.revision,
        "answers": answers,
        "not_asked": [question["key"] for question in questions if question["key"] not in shown],
        "match": None if found is None else {"question": found[0], "text": snippet(found[1], q),
                                             "full": found[1]},
    }


def region_choices(session: Session, round_: Round) -> dict[str, str]:
    """Name by code of the round's regions: its audience's and every region an invitation counts in (two statements)."""
    codes = set(round_.audience.get("regions") or [])
    codes.update(session.scalars(select(RoundProgress.key).where(RoundProgress.round_id == round_.id,
                                                                 RoundProgress.scope == "region")))
    names = region_names(session, sorted(codes))
    return {code: names.get(code, code) for code in sorted(codes)}


def question_of(round_: Round, key: str) -> dict[str, Any]:
    """The round's question with that key; NotFound if it asks none."""
    found = round_.template.question(key)
    if found is None:
        raise NotFound(f"round {round_.id} asks no question '{key}'")
    return found


def submitted_by_organization(session: Session, round_id: int, names: Sequence[str]) -> dict[str, int]:
    """The submitted response of each named organization in the round (the latest, if several people answered), by
    name: the designations page links each nominating board to its answer. One statement per NAMES_CHUNK names."""
    found: dict[str, tuple[dt.datetime, int]] = {}
    wanted = sorted(set(names))
    for start in range(0, len(wanted), NAMES_CHUNK):
        for name, updated_at, response_id in session.execute(
            select(Organization.name, Response.updated_at, Response.id)
            .join(Response, Response.organization_id == Organization.id)
            .where(Response.round_id == round_id, Response.status == "submitted",
                   Organization.name.in_(wanted[start:start + NAMES_CHUNK]))
        ):
            if name not in found or (updated_at, response_id) > found[name]:
                found[name] = (updated_at, response_id)
    return {name: response_id for name, (_, response_id) in found.items()}


# --- one response -----------------------------------------------------------------------------

def _words(question: Mapping[str, Any] | None, value: Any) -> str | None:
    if value is None:
        return None
    if question is None:  # a key the template does not ask (cannot happen with an immutable template, but say it)
        return str(value)
    return QUESTION_TYPES[question["type"]].answer_words(question, value)


def response_detail(session: Session, round_id: int, response_id: int) -> dict[str, Any]:
    """One response: who, where, when, every question in order with the answer in words (or "not asked" when the
    skip logic hid it), and its history from the event log, oldest first. Five statements (six for a forwarded
    invitation)."""
    round_ = load_round(session, round_id)
    row = session.execute(
        select(Response, Invitation, Contact, Organization, InvitationProgress.org_type, InvitationProgress.regions)
        .join(Invitation, Invitation.id == Response.invitation_id)
        .join(Contact, Contact.id == Invitation.contact_id)
        .join(Organization, Organization.id == Response.organization_id)
        .outerjoin(InvitationProgress, InvitationProgress.invitation_id == Response.invitation_id)
        .where(Response.id == response_id, Response.round_id == round_id)
    ).first()
    if row is None:
        raise NotFound(f"round {round_id} has no response {response_id}")
    response, invitation, contact, organization, org_type, regions = row
    org_type = org_type or organization.org_type
    codes = [code for code in (regions or "").split(",") if code] if regions is not None else organization.region_codes
    questions = list(round_.template.questions)
    answers = dict(response.answers or {})
    shown = {q["key"] for q in visible_questions(questions, answers, org_type)}
    rows = []
    for number, q in enumerate(questions, 1):
        value = answers.get(q["key"])
        asked = q["key"] in shown
        rows.append({"number": number, "key": q["key"], "type": q["type"], "label": q["label"], "asked": asked,
                     "value": value, "words": _words(q, value) if asked else None,
                     "state": "answered" if asked and value not in (None, "", []) else "unanswered" if asked else "not_asked"})
    history = response_history(session, round_, invitation.id, questions)
    names = region_names(session, codes)
    forwarded_by = None
    if invitation.forwarded_from_id is not None:
        # The colleague who passed the link on: a statement more, for forwarded invitations only.
        forwarded_by = session.execute(
            select(Contact.name, Contact.email).join(Invitation, Invitation.contact_id == Contact.id)
            .where(Invitation.id == invitation.forwarded_from_id)
        ).first()
    return {
        "id": response.id, "status": response.status, "revision": response.revision,
        "round": {"id": round_.id, "title": round_.title, "timezone": round_.timezone, "state": round_.state},
        "invitation_id": invitation.id, "forwarded_from": invitation.forwarded_from_id,
        "forwarded_by": None if forwarded_by is None else {"name": forwarded_by.name, "email": forwarded_by.email},
        "organization": {"id": organization.id, "name": organization.name, "type": org_type, "regions": codes,
                         "region_names": [names.get(code, code) for code in codes]},
        "contact": {"id": contact.id, "name": contact.name, "email": contact.email, "title": contact.title},
        "created_at": iso(response.created_at, round_.timezone),
        "submitted_at": iso(response.submitted_at, round_.timezone),
        "updated_at": iso(response.updated_at, round_.timezone),
        "answers": answers,
        "not_asked": [q["key"] for q in questions if q["key"] not in shown],
        "questions": rows,
        "history": history,
    }


def response_history(session: Session, round_: Round, invitation_id: int,
                     questions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """What happened to an invitation's response, from the event log, oldest first: each save, submission and change
    with when, who (in words) and, for a submission or change, every answer that changed as [old, new].

    Drafts' answers are not in the log (only that a draft was saved), so a first submission lists every answer
    as new. The events in one statement, then one per kind of actor among them (queries.actors).
    """
    records = session.execute(
        select(EventRecord.seq, EventRecord.type, EventRecord.actor, EventRecord.occurred_at, EventRecord.payload)
        .where(EventRecord.aggregate_type == ev.ResponseSubmitted.aggregate,
               EventRecord.aggregate_id == str(invitation_id), EventRecord.type.in_(list(HISTORY_EVENTS)))
        .order_by(EventRecord.seq)
    ).all()
    actors = describe_actors(session, {r.actor for r in records})
    by_key = {q["key"]: q for q in questions}
    order = {q["key"]: i for i, q in enumerate(questions)}
    before: dict[str, Any] = {}
    out = []
    for seq, type_name, actor, occurred_at, payload in records:
        changes: dict[str, list[Any]] = {}
        if type_name != ev.ResponseDraftSaved.__name__:
            after = payload.get("answers") or {}
            for key in sorted(set(before) | set(after), key=lambda k: (order.get(k, len(order)), k)):
                if before.get(key) != after.get(key):
                    changes[key] = [before.get(key), after.get(key)]
            before = after
        out.append({
            "seq": seq, "event": type_name, "action": HISTORY_EVENTS[type_name],
            "at": iso(occurred_at, round_.timezone), "actor": actors.get(actor, actor), "actor_ref": actor,
            "changes": changes,
            "changed": [{"key": key, "label": by_key[key]["label"] if key in by_key else key,
                         "old": _words(by_key.get(key), old), "new": _words(by_key.get(key), new)}
                        for key, (old, new) in changes.items()],
        })
    return out


# --- the raw export ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ExportRow:
    """What the raw export writes of one response (answers as stored; the export turns them into cells)."""

    id: int
    status: str
    organization: str
    org_type: str
    regions: list[str]
    contact_name: str
    contact_email: str
    submitted_at: dt.datetime | None
    updated_at: dt.datetime
    answers: dict[str, Any]


def export_rows(session: Session, round_id: int, *, include_drafts: bool = False, question: str | None = None,
                chunk: int = EXPORT_CHUNK) -> Iterator[ExportRow]:
    """Every submitted response of the round (drafts too with include_drafts), in id order, `chunk` per statement.

    Each chunk starts after the last id of the one before, through the index on (round, id): memory stays that
    of one chunk however big the round, and a response edited meanwhile is neither skipped nor written twice.
    With `question`, only responses that answered it.
    """
    statuses = RESPONSE_STATUSES if include_drafts else ("submitted",)
    last = 0
    while True:
        query = (
            select(Response.id, Response.status, Response.submitted_at, Response.updated_at, Response.answers,
                   Organization.name.label("organization"), InvitationProgress.org_type, InvitationProgress.regions,
                   Contact.name.label("contact_name"), Contact.email)
            .join(Invitation, Invitation.id == Response.invitation_id)
            .join(Contact, Contact.id == Invitation.contact_id)
            .join(Organization, Organization.id == Response.organization_id)
            .join(InvitationProgress, InvitationProgress.invitation_id == Response.invitation_id)
            .where(Response.round_id == round_id, Response.id > last, Response.status.in_(statuses))
            .order_by(Response.id)
            .limit(chunk)
        )
        if question:
            query = query.where(_answer_text(question).is_not(None), _answer_text(question) != "")
        rows = session.execute(query).all()
        for r in rows:
            yield ExportRow(r.id, r.status, r.organization, r.org_type, [c for c in (r.regions or "").split(",") if c],
                            r.contact_name, r.email, r.submitted_at, r.updated_at, r.answers or {})
        if len(rows) < chunk:
            return
        last = rows[-1].id
