"""The outbox's rules, each a statement in the caller's transaction: queue a message under a unique dedupe key (twice
is a no-op), claim due messages for a sender's batch and start them, and cancel messages still waiting.

The claim protocol that these statements serve, and the transactions around them, are described in
wfsurvey.mail.sender.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Collection, Iterable, Mapping
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from wfsurvey.bulk import insert_rows
from wfsurvey.database import one_of
from wfsurvey.mail.render import RenderedEmail
from wfsurvey.models.outbox import OutboxMessage
from wfsurvey.models.stakeholders import Contact

#: Rows per INSERT statement in enqueue_many (a launch queues 100,000 at once).
CHUNK = 5000
#: Headers that build_message sets itself; a row may not carry them.
RESERVED_HEADERS = frozenset({"from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version",
                              "content-type", "content-transfer-encoding"})

#: Stages of a claimed row (status "sending", column claim_stage): held by a sender's batch, then
#: started (about to be handed to the mail server, or already).
CLAIMED, SENDING = "claimed", "sending"
#: Why cancel_waiting cancelled a message, kept in its last_error (shown with the invitation's last message).
OPTED_OUT = "not sent: the recipient opted out"

_table = OutboxMessage.__table__
_contacts = Contact.__table__


def unsubscribe_headers(opt_out_link: str, mailto: str | None = None) -> dict[str, str]:
    """RFC 2369 List-Unsubscribe and RFC 8058 one-click headers for an opt-out link.

    Mail providers only offer one-click unsubscribe for an https link; an http link (development)
    is still listed so that the message looks the same everywhere.
    """
    # A prefix test, not urlsplit: a launch makes 100,000 of these headers.
    if not opt_out_link[:8].lower().startswith(("https://", "http://")):
        raise ValueError(f"opt-out link must be an http(s) URL, got {opt_out_link!r}")
    targets = [f"<{opt_out_link}>"]
    if mailto:
        targets.append(f"<mailto:{mailto}?subject=unsubscribe>")
    return {"List-Unsubscribe": ", ".join(targets), "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(_table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    if dialect == "sqlite":
        return sqlite.insert(_table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    raise NotImplementedError(f"the outbox needs ON CONFLICT DO NOTHING; {dialect} is not supported")


def _row(
    *, dedupe_key: str, kind: str, to_addr: str, rendered: RenderedEmail, now: dt.datetime,
    headers: Mapping[str, str] | None = None, invitation_id: int | None = None, round_id: int | None = None,
    convening_id: int | None = None, convening_invitation_id: int | None = None,
    attachments: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    if not dedupe_key or len(dedupe_key) > 120:
        raise ValueError(f"dedupe key must be 1 to 120 characters, got {dedupe_key!r}")
    if not to_addr or "\n" in to_addr or "\r" in to_addr:
        raise ValueError(f"invalid recipient address {to_addr!r}")
    headers = dict(headers or {})
    reserved = sorted(h for h in headers if h.lower() in RESERVED_HEADERS)
    if reserved:
        raise ValueError(f"header(s) {', '.join(reserved)} are set when the message is built, not in the outbox")
    return {
        "dedupe_key": dedupe_key, "kind": kind, "invitation_id": invitation_id, "round_id": round_id,
        "convening_id": convening_id, "convening_invitation_id": convening_invitation_id,
        "attachments": list(attachments) if attachments else None, "to_addr": to_addr, "subject": rendered.subject, "body_text": rendered.text, "body_html": rendered.html,
        "headers": headers, "status": "queued", "attempts": 0, "next_attempt_at": now, "created_at": now,
    }


def enqueue(
    session: Session, *, dedupe_key: str, kind: str, to_addr: str, rendered: RenderedEmail, now: dt.datetime,
    headers: Mapping[str, str] | None = None, invitation_id: int | None = None, round_id: int | None = None,
) -> int | None:
    """Queue one message in the session's transaction; the new row's id, or None if the key was queued before."""
    row = _row(dedupe_key=dedupe_key, kind=kind, to_addr=to_addr, rendered=rendered, now=now,
               headers=headers, invitation_id=invitation_id, round_id=round_id)
    return session.execute(_insert(session).values(row).returning(_table.c.id)).scalar_one_or_none()


def enqueue_many(session: Session, rows: Iterable[Mapping[str, Any]], now: dt.datetime) -> int:
    """Queue many messages (dicts of enqueue's keyword arguments, without `now`); returns how many were new.

    One bulk INSERT ... ON CONFLICT DO NOTHING per chunk of CHUNK rows, so already queued keys (a
    launch run twice, say) are skipped without an error. Nothing is returned: the row count says
    how many were new, and an INSERT ... RETURNING of many rows is several times slower on psycopg.
    """
    inserted = 0
    chunk: list[dict[str, Any]] = []
    seen: set[str] = set()

    def flush() -> int:
        count = insert_rows(session, _table, chunk, skip_conflicts_on="dedupe_key")
        chunk.clear()
        return count

    for given in rows:
        row = _row(**given, now=now)
        # A key twice in one call is a caller's slip; the first wins, as it would across calls.
        if row["dedupe_key"] in seen:
            continue
        seen.add(row["dedupe_key"])
        chunk.append(row)
        if len(chunk) >= CHUNK:
            inserted += flush()
    inserted += flush()
    return inserted


# --- claiming and starting (the sender's side) ---------------------------------------------

class Claim(NamedTuple):
    """A sender's hold on rows in status "sending": the stage they are at, and the batch that holds them.

    An outcome names the claim its row must still be under (DeliveryOutcome.claim): a row taken
    over since (released, recovered, cancelled, claimed again) is left alone.
    """

    stage: str
    batch: str


@dataclasses.dataclass(frozen=True)
class ClaimedMessage:
    """What the sender needs of a claimed row, copied so that sending touches no ORM state."""

    id: int
    dedupe_key: str
    kind: str
    to_addr: str
    subject: str
    body_text: str
    body_html: str
    headers: dict[str, Any]
    #: Files sent with it ([{"filename", "content_type", "content"}]), or None.
    attachments: list[dict[str, str]] | None
    claim: Claim


#: The outbox columns a ClaimedMessage copies, in the order of its fields.
_CLAIMED_COLUMNS = tuple(f.name for f in dataclasses.fields(ClaimedMessage) if f.name != "claim")
_HEADERS_AT = _CLAIMED_COLUMNS.index("headers")


def claim_due(session: Session, *, now: dt.datetime, limit: int) -> tuple[list[ClaimedMessage], int]:
    """Claim up to `limit` due rows (queued, next_attempt_at <= now) for a new batch; (the claimed, how many cancelled).

    Rows to people who opted out since they were queued are cancelled instead (cancel_waiting): a
    message may wait days in the retry queue, and an opt-out in the meantime must still stop it.
    Core statements: the rows are copied out, never kept as objects. `FOR UPDATE SKIP LOCKED` lets
    senders share the work on PostgreSQL.
    """
    rows = session.execute(_DUE_ROWS, {"now": now, "limit": limit}).all()
    if not rows:
        return [], 0
    opted_out = set(session.scalars(_OPTED_OUT, {"emails": sorted({r.to_addr for r in rows})}))
    cancelled = 0
    if opted_out:
        # Only among this batch's rows, which this transaction holds: cancelling other rows to these
        # addresses could wait on another sender's claim while it waits on ours.
        cancelled = cancel_waiting(session, reason=OPTED_OUT, to_addrs=opted_out,
                                   message_ids=[r.id for r in rows if r.to_addr in opted_out])
    claim = Claim(CLAIMED, uuid.uuid4().hex[:12])
    h = _HEADERS_AT  # the headers are copied: the sender may not change what the row holds
    claimed = [ClaimedMessage(*r[:h], dict(r[h] or {}), *r[h + 1:], claim=claim) for r in rows if r.to_addr not in opted_out]
    if claimed:
        session.execute(_CLAIM, {"ids": [m.id for m in claimed], "batch": claim.batch, "now": now})
    return claimed, cancelled


def start(connection: Session | Connection, messages: list[ClaimedMessage], now: dt.datetime) -> tuple[Claim, set[int]]:
    """Mark a group of one batch's claimed rows as handed to the server; (their claim now, the ids still held).

    One statement for the group, in the caller's transaction. A row missing from the ids lost its
    claim (cancelled, or a recovery requeued it) and must not be sent.
    """
    claim = messages[0].claim
    if claim.stage != CLAIMED or any(m.claim != claim for m in messages):
        raise ValueError("a group to start must be claimed rows of one batch")
    started = set(connection.execute(_START, {"ids": [m.id for m in messages], "batch": claim.batch, "now": now}).scalars())
    return Claim(SENDING, claim.batch), started


def stale_claims(session: Session, *, before: dt.datetime) -> list[tuple[int, Claim | None]]:
    """Rows in "sending" whose claim stage was reached before `before` (a crashed sender's), with their claim.

    None for a row with no claim to show (it cannot be told apart from a started one: in doubt).
    """
    rows = session.execute(
        select(_table.c.id, _table.c.claim_stage, _table.c.claim_batch)
        .where(_table.c.status == "sending",
               or_(_table.c.claim_stage_at.is_(None), _table.c.claim_stage_at <= before))
        .order_by(_table.c.id)
    ).all()
    return [(row.id, Claim(row.claim_stage, row.claim_batch) if row.claim_stage and row.claim_batch else None)
            for row in rows]


#: No claim: what a row leaving "sending" (or cancelled) carries.
NO_CLAIM = {"claim_stage": None, "claim_batch": None, "claim_stage_at": None}

_DUE_ROWS = (
    select(*(_table.c[name] for name in _CLAIMED_COLUMNS))
    .where(_table.c.status == "queued", _table.c.next_attempt_at <= bindparam("now"))
    .order_by(_table.c.next_attempt_at, _table.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_OPTED_OUT = select(_contacts.c.email).where(one_of(_contacts.c.email, "emails"), _contacts.c.opted_out_at.is_not(None))
_CLAIM = (
    update(_table).where(one_of(_table.c.id, "ids"))
    .values(status="sending", claim_stage=CLAIMED, claim_batch=bindparam("batch"), claim_stage_at=bindparam("now"))
)


def _locked_in_id_order(*conditions) -> Any:
    """`id IN (the rows meeting the conditions, locked in id order)`.

    Statements that change many waiting rows at once (a start, a cancel) lock them in one order, so
    that two of them cannot each hold a row the other waits for (PostgreSQL; SQLite has one writer).
    """
    return _table.c.id.in_(select(_table.c.id).where(*conditions).order_by(_table.c.id).with_for_update().correlate(None))


#: Built once (no ORM object is affected: the claimed rows were copied out).
_START = (
    update(_table)
    .where(_locked_in_id_order(one_of(_table.c.id, "ids"), _table.c.status == "sending",
                               _table.c.claim_stage == CLAIMED, _table.c.claim_batch == bindparam("batch")))
    .values(claim_stage=SENDING, claim_stage_at=bindparam("now"))
    .returning(_table.c.id)
)


# --- cancelling ----------------------------------------------------------------------------

#: A message still waiting: queued, or claimed by a sender that has not started it. Once started,
#: the mail server may have it, and it is the sender's to record.
_WAITING = or_(_table.c.status == "queued", and_(_table.c.status == "sending", _table.c.claim_stage == CLAIMED))


def cancel_waiting(
    session: Session | Connection, *, reason: str, invitation_ids: Collection[int] | None = None,
    round_id: int | None = None, kinds: Collection[str] | None = None, to_addrs: Collection[str] | None = None,
    message_ids: Collection[int] | None = None,
) -> int:
    """Cancel the messages still waiting (_WAITING) that meet every criterion given; returns how many.

    The one rule for every message that must not go out any more: a forward, a round closed or
    cancelled, an opt-out, an answer, a recipient found opted out when claimed. `reason` is kept in
    last_error. A sender's start only marks rows still claimed by its batch, so a claimed message
    cancelled here is never sent; one already started is not touched. One statement per CHUNK
    invitation ids or message ids (none for an empty list), in the caller's transaction.
    """
    if invitation_ids is not None and message_ids is not None:
        raise ValueError("cancel_waiting takes invitation ids or message ids, not both")
    if round_id is None and to_addrs is None and invitation_ids is None and message_ids is None:
        raise ValueError("cancel_waiting needs invitation ids, a round, addresses or message ids: it never cancels everything")
    column, listed = (_table.c.id, message_ids) if message_ids is not None else (_table.c.invitation_id, invitation_ids)
    if any(given is not None and not given for given in (listed, kinds, to_addrs)):
        return 0
    conditions = [_WAITING]
    if round_id is not None:
        conditions.append(_table.c.round_id == round_id)
    if kinds is not None:
        conditions.append(_table.c.kind.in_(sorted(kinds)))
    if to_addrs is not None:
        conditions.append(_table.c.to_addr.in_(sorted(to_addrs)))
    ids = sorted(listed) if listed is not None else []
    chunks = [ids[first:first + CHUNK] for first in range(0, len(ids), CHUNK)] if listed is not None else [None]
    cancelled = 0
    for chunk in chunks:
        where = conditions if chunk is None else [*conditions, column.in_(chunk)]
        cancelled += session.execute(
            update(_table).where(_locked_in_id_order(*where)).values(status="cancelled", last_error=reason, **NO_CLAIM)
        ).rowcount
    return cancelled
