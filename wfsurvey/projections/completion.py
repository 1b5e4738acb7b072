"""Completion counters per round (total, by region, by organisation type, by both), fed by invitation events."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.orm import Session

from wfsurvey.domain import events as ev
from wfsurvey.models.projections import InvitationProgress, RoundProgress

FLAGS = ("sent", "started", "submitted", "bounced", "opted_out", "forwarded")
COUNTERS = ("invited",) + FLAGS
TABLES = (InvitationProgress, RoundProgress)

Key = tuple[int, str, str]


def scopes(org_type: str, regions: Iterable[str]) -> list[tuple[str, str]]:
    """The counter rows one invitation counts in."""
    out = [("total", ""), ("org_type", org_type)]
    for code in regions:
        out.append(("region", code))
        out.append(("region_org", f"{code}|{org_type}"))
    return out


def _bump(session: Session, deltas: dict[Key, Counter]) -> None:
    if not deltas:
        return
    existing = {
        (row.round_id, row.scope, row.key): row
        for row in session.scalars(
            select(RoundProgress).where(tuple_(RoundProgress.round_id, RoundProgress.scope, RoundProgress.key).in_(list(deltas)))
        )
    }
    for key, delta in deltas.items():
        row = existing.get(key)
        if row is None:
            row = RoundProgress(round_id=key[0], scope=key[1], key=key[2], **{c: 0 for c in COUNTERS})
            session.add(row)
        for column, n in delta.items():
            setattr(row, column, getattr(row, column) + n)


def on_invitations_issued(events: list[ev.InvitationIssued], uow) -> None:
    session = uow.session
    deltas: dict[Key, Counter] = defaultdict(Counter)
    rows = []
    for e in events:
        rows.append({"invitation_id": e.invitation_id, "round_id": e.round_id, "org_type": e.org_type,
                     "regions": ",".join(e.regions), **{f: False for f in FLAGS}})
        for scope, key in scopes(e.org_type, e.regions):
            deltas[(e.round_id, scope, key)]["invited"] += 1
    # Core inserts, not ORM objects: a launch issues 100,000 at once, and nothing in the unit of
    # work needs them as objects (later handlers select them).
    session.flush()
    for start in range(0, len(rows), 5000):
        session.execute(insert(InvitationProgress.__table__), rows[start:start + 5000])
    _bump(session, deltas)


def _raise_flags(uow, pairs: list[tuple[int, str]]) -> None:
    """Set each (invitation, flag) once; a flag already set does not count again."""
    pairs = [(i, f) for i, f in pairs if i is not None]
    if not pairs:
        return
    session = uow.session
    ids = sorted({i for i, _ in pairs})
    progress = {}
    for chunk in range(0, len(ids), 5000):
        progress.update(
            (p.invitation_id, p)
            for p in session.scalars(select(InvitationProgress).where(InvitationProgress.invitation_id.in_(ids[chunk:chunk + 5000])))
        )
    deltas: dict[Key, Counter] = defaultdict(Counter)
    for invitation_id, flag in pairs:
        row = progress.get(invitation_id)
        if row is None or getattr(row, flag):
            continue
        setattr(row, flag, True)
        regions = row.regions.split(",") if row.regions else []
        for scope, key in scopes(row.org_type, regions):
            deltas[(row.round_id, scope, key)][flag] += 1
    session.flush()
    _bump(session, deltas)


def on_email_delivered(events: list[ev.EmailDelivered], uow) -> None:
    _raise_flags(uow, [(e.invitation_id, "sent") for e in events])


def on_email_bounced(events: list[ev.EmailBounced], uow) -> None:
    _raise_flags(uow, [(e.invitation_id, "bounced") for e in events])


def on_draft_saved(events: list[ev.ResponseDraftSaved], uow) -> None:
    _raise_flags(uow, [(e.invitation_id, "started") for e in events])


def on_submitted(events: list[ev.ResponseSubmitted], uow) -> None:
    _raise_flags(uow, [(e.invitation_id, flag) for e in events for flag in ("started", "submitted")])


def on_opted_out(events: list[ev.ContactOptedOut], uow) -> None:
    _raise_flags(uow, [(i, "opted_out") for e in events for i in e.invitation_ids])


def on_forwarded(events: list[ev.InvitationForwarded], uow) -> None:
    _raise_flags(uow, [(e.invitation_id, "forwarded") for e in events])


def clear(session: Session) -> None:
    for table in TABLES:
        session.execute(delete(table))
