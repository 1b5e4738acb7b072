"""Queuing emails in the outbox inside the caller's transaction, each under a unique dedupe key so queuing twice is a no-op."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from wfsurvey.bulk import insert_rows
from wfsurvey.mail.render import RenderedEmail
from wfsurvey.models.outbox import OutboxMessage

#: Rows per INSERT statement in enqueue_many (a launch queues 100,000 at once).
CHUNK = 5000
#: Headers that build_message sets itself; a row may not carry them.
RESERVED_HEADERS = frozenset({"from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version",
                              "content-type", "content-transfer-encoding"})

_table = OutboxMessage.__table__


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
        "to_addr": to_addr, "subject": rendered.subject, "body_text": rendered.text, "body_html": rendered.html,
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

