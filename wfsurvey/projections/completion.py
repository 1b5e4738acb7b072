"""Completion counters per round (total, by region, by organization type, by both), fed by invitation events."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import cache

from sqlalchemy import Integer, any_, bindparam, delete, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from wfsurvey.bulk import insert_rows
from wfsurvey.database import one_of, transaction_notes
from wfsurvey.domain import events as ev
from wfsurvey.models.projections import InvitationProgress, RoundProgress
from wfsurvey.prepared import Prepared
from wfsurvey.projections.context import ProjectionContext
from wfsurvey.projections.upsert import add_counts, dialect_name, update_rows

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
    """Add each key's deltas to its counter row (made when missing), in one statement that reads nothing."""
    rows = [
        {"round_id": key[0], "scope": key[1], "key": key[2], **{c: delta.get(c, 0) for c in COUNTERS}}
        for key, delta in sorted(deltas.items()) if any(delta.values())
    ]
    add_counts(session, RoundProgress.__table__, ("round_id", "scope", "key"), COUNTERS, rows)


def on_invitations_issued(events: list[ev.InvitationIssued], uow: ProjectionContext) -> None:
    session = uow.session
    unset = dict.fromkeys(FLAGS, False)
    rows = []
    # Counted per (round, type, regions) first: a launch's 100,000 invitations fall into a few hundred.
    groups: Counter[tuple[int, str, str]] = Counter()
    for e in events:
        regions = ",".join(e.regions)
        rows.append({"invitation_id": e.invitation_id, "round_id": e.round_id, "org_type": e.org_type,
                     "regions": regions, **unset})
        groups[(e.round_id, e.org_type, regions)] += 1
    deltas: dict[Key, Counter] = defaultdict(Counter)
    for (round_id, org_type, regions), invited in groups.items():
        for scope, key in scopes(org_type, regions.split(",") if regions else []):
            deltas[(round_id, scope, key)]["invited"] += invited
    # Core inserts, not ORM objects: a launch issues 100,000 at once, and nothing in the unit of
    # work needs them as objects (later handlers select them).
    session.flush()
    for start in range(0, len(rows), 5000):
        insert_rows(session, InvitationProgress.__table__, rows[start:start + 5000])
    _bump(session, deltas)


@cache
def _raise_statement(flag: str) -> Prepared:
    """One flag raised for the invitations given that have not got it, returning what counts them: a prepared
    statement for any number of invitations (database.one_of)."""
    table = InvitationProgress.__table__
    return Prepared(
        update(table)
        .where(one_of(table.c.invitation_id, "ids"), table.c[flag].is_(False))
        .values({flag: True})
        .returning(table.c.round_id, table.c.org_type, table.c.regions)
    )


@cache
def _raise_together_statement(flags: tuple[str, ...]) -> Prepared:
    """PostgreSQL: several flags raised in one UPDATE that also returns what each was before.

    The rows are read and locked by a subquery (FOR UPDATE), whose values are the flags as they were:
    RETURNING of the updated table gives only the new ones.
    """
    table = InvitationProgress.__table__
    old = (select(table.c.invitation_id, *(table.c[f] for f in flags))
           .where(table.c.invitation_id == any_(bindparam("ids", type_=ARRAY(Integer))))
           .with_for_update().subquery("old"))
    return Prepared(
        update(table)
        .where(table.c.invitation_id == old.c.invitation_id, or_(*(old.c[f].is_(False) for f in flags)))
        .values(dict.fromkeys(flags, True))
        .returning(table.c.round_id, table.c.org_type, table.c.regions, *(old.c[f] for f in flags))
    )


#: Where a session notes the progress rows its command read under the invitation's lock (note_progress).
_NOTED_KEY = "wfsurvey_noted_progress"
#: The flags a respondent's command raises, which only it raises, under the invitation's lock.
ANSWER_FLAGS = ("started", "submitted")


class NotedProgress:
    """An invitation's progress row as a command read it under the invitation's lock: its answer flags as they are."""

    __slots__ = ("round_id", "org_type", "regions", "started", "submitted")

    def __init__(self, round_id: int, org_type: str, regions: str, started: bool, submitted: bool):
        self.round_id, self.org_type, self.regions = round_id, org_type, regions
        self.started, self.submitted = started, submitted


def note_progress(session: Session, invitation_id: int, round_id: int, org_type: str, regions: str, *, started: bool,
                  submitted: bool) -> None:
    """A respondent's command read the invitation's progress row while holding the invitation's lock (PostgreSQL) or
    the writers' turn (SQLite). Its answer flags (ANSWER_FLAGS) are raised only by such commands, so they stay as read
    until this transaction raises them: the draft or the submit it records raises them without reading them back
    (no UPDATE ... RETURNING; on PostgreSQL the write waits with the others). The rebuild notes nothing, and reads."""
    noted = transaction_notes(session, _NOTED_KEY)
    noted[invitation_id] = NotedProgress(round_id, org_type, regions, started, submitted)


def _raise_noted(session: Session, wanted: dict[int, set[str]], deltas: dict[Key, Counter]) -> None:
    """Raise the answer flags of the invitations whose rows are noted (note_progress), counting what they raise; those
    invitations leave `wanted`."""
    noted = transaction_notes(session, _NOTED_KEY)
    rows = []
    for invitation_id in sorted(wanted):
        progress = noted.get(invitation_id)
        flags = wanted[invitation_id]
        if progress is None or not flags.issubset(ANSWER_FLAGS):
            continue
        del wanted[invitation_id]
        raised = [flag for flag in ANSWER_FLAGS if flag in flags and not getattr(progress, flag)]
        if not raised:
            continue
        for flag in raised:
            setattr(progress, flag, True)
        rows.append({"invitation_id": invitation_id, "started": progress.started, "submitted": progress.submitted})
        for scope, key in scopes(progress.org_type, progress.regions.split(",") if progress.regions else []):
            for flag in raised:
                deltas[(progress.round_id, scope, key)][flag] += 1
    update_rows(session, InvitationProgress.__table__, ("invitation_id",), ANSWER_FLAGS, rows)


def _raise_flags(uow: ProjectionContext, pairs: list[tuple[int, str]]) -> None:
    """Set each (invitation, flag) once; a flag already set does not count again.

    One UPDATE ... WHERE NOT flag RETURNING per flag: the rows it returns are exactly those whose
    flag was raised now, so the counters follow without reading the rows first, and two transactions
    raising one flag at once (PostgreSQL) count it once, since the second finds it set. (UPDATE ...
    RETURNING needs SQLite 3.35 or later.) On PostgreSQL, invitations that raise the same flags (a
    submit raises started and submitted) are raised in one statement (_raise_together_statement).
    The answer flags of an invitation whose respondent's command noted its row (note_progress) are
    raised without reading them back, as that command found them.
    """
    wanted: dict[int, set[str]] = {}
    for invitation_id, flag in pairs:
        if invitation_id is not None:
            wanted.setdefault(invitation_id, set()).add(flag)
    deltas: dict[Key, Counter] = defaultdict(Counter)
    session = uow.session
    _raise_noted(session, wanted, deltas)
    if dialect_name(session) == "postgresql":
        by_flags: dict[tuple[str, ...], list[int]] = {}
        for invitation_id, flags in wanted.items():
            by_flags.setdefault(tuple(f for f in FLAGS if f in flags), []).append(invitation_id)
        for flags, ids in sorted(by_flags.items()):
            ids.sort()
            for chunk in range(0, len(ids), 5000):
                part = ids[chunk:chunk + 5000]
                rows = (_raise_statement(flags[0]) if len(flags) == 1 else _raise_together_statement(flags)).execute(
                    session, {"ids": part})
                for row in rows:
                    raised = flags if len(flags) == 1 else [f for f, was in zip(flags, row[3:], strict=True) if not was]
                    for scope, key in scopes(row.org_type, row.regions.split(",") if row.regions else []):
                        for flag in raised:
                            deltas[(row.round_id, scope, key)][flag] += 1
        _bump(session, deltas)
        return
    by_flag: dict[str, list[int]] = {}
    for invitation_id, flags in wanted.items():
        for flag in flags:
            by_flag.setdefault(flag, []).append(invitation_id)
    for flag in FLAGS:
        ids = sorted(by_flag.get(flag, ()))
        for chunk in range(0, len(ids), 5000):
            raised = _raise_statement(flag).execute(session, {"ids": ids[chunk:chunk + 5000]}).fetchall()
            for round_id, org_type, regions in raised:
                for scope, key in scopes(org_type, regions.split(",") if regions else []):
                    deltas[(round_id, scope, key)][flag] += 1
    _bump(session, deltas)


def on_email_delivered(events: list[ev.EmailDelivered], uow: ProjectionContext) -> None:
    _raise_flags(uow, [(e.invitation_id, "sent") for e in events])


def on_email_bounced(events: list[ev.EmailBounced], uow: ProjectionContext) -> None:
    _raise_flags(uow, [(e.invitation_id, "bounced") for e in events])


def on_draft_saved(events: list[ev.ResponseDraftSaved], uow: ProjectionContext) -> None:
    _raise_flags(uow, [(e.invitation_id, "started") for e in events])


def on_submitted(events: list[ev.ResponseSubmitted], uow: ProjectionContext) -> None:
    _raise_flags(uow, [(e.invitation_id, flag) for e in events for flag in ("started", "submitted")])


def on_opted_out(events: list[ev.ContactOptedOut], uow: ProjectionContext) -> None:
    _raise_flags(uow, [(i, "opted_out") for e in events for i in e.invitation_ids])


def on_forwarded(events: list[ev.InvitationForwarded], uow: ProjectionContext) -> None:
    _raise_flags(uow, [(e.invitation_id, "forwarded") for e in events])


def clear(session: Session) -> None:
    for table in TABLES:
        session.execute(delete(table))
