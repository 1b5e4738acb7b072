"""Completion per organization: how many organizations a round invited and heard from, by region and type, and how
many invitations still wait for an answer when a round takes one response per organization.

The baseline table counts organizations under that rule, and the dashboard's non-respondents are then
the standing invitations of organizations that have not answered: distinct counts that the invitation
counters (completion.py) cannot give. So this keeps one row per round and organization
(proj_organization_progress) and counters over those rows (proj_organization_counts), in the scopes of
proj_round_progress, so that neither page reads a row per invitation.

An organization counts, under the type of its first invitation, in the union of the regions its
invitations were issued with. `invitations` counts those not forwarded: forwarding stays inside the
organization (services.respond.forward), and the colleague's invitation, issued with forwarded_from,
takes the forwarded one's place; so only invitations issued without forwarded_from add to it.

The rows a run of events touches are read with SELECT ... FOR UPDATE (one statement per round on
PostgreSQL, the organizations passed as one array), so two PostgreSQL transactions touching one
organization queue on its row instead of both counting from the same old figures. New rows go in with
one INSERT, the counters with upsert.add_counts. (INSERT ... ON CONFLICT ... RETURNING would need no
read, but psycopg parses each of its multi-row statements anew: 6 s on PostgreSQL for a launch of
100,000 organizations, against under 2 s this way.) Only a launch or a late-comer invitation creates
rows, and both hold the round's lock.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache

from sqlalchemy import Integer, any_, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Update

from wfsurvey.domain import events as ev
from wfsurvey.models.projections import OrganizationCounts, OrganizationProgress
from wfsurvey.prepared import Prepared
from wfsurvey.projections.completion import scopes
from wfsurvey.projections.context import ProjectionContext
from wfsurvey.projections.upsert import add_counts, dialect_name

TABLES = (OrganizationProgress, OrganizationCounts)
COUNTERS = ("invited", "responded", "responses", "awaiting")
#: Organizations per SELECT on SQLite (a launch touches one row per organization invited).
CHUNK = 5000

_ORG = OrganizationProgress.__table__

Figures = tuple[int, int, int, int]  # one organization's share of COUNTERS
#: Per (round, organization): [org type, region codes (a list or set), invitations added, submitted added].
#: Lists, not objects: a launch makes one per organization invited.
Changes = dict[tuple[int, int], list]


def figures(invitations: int, submitted: int) -> Figures:
    """What one organization adds to each counter (in COUNTERS order) of every scope it counts in."""
    return (int(invitations > 0 or submitted > 0), int(submitted > 0), submitted, invitations if submitted == 0 else 0)


def _changes(events: Iterable[ev.InvitationIssued | ev.ResponseSubmitted], invitations: int, submitted: int,
             counted: Callable[[ev.Event], bool] = lambda e: True) -> Changes:
    """Each organization's change: `invitations` and `submitted` added per event that `counted` accepts."""
    changes: Changes = {}
    for e in events:
        n = counted(e)
        change = changes.get((e.round_id, e.organization_id))
        if change is None:
            changes[(e.round_id, e.organization_id)] = [e.org_type, e.regions, invitations * n, submitted * n]
        else:
            change[1] = {*change[1], *e.regions}
            change[2] += invitations * n
            change[3] += submitted * n
    return changes


def _locked_rows(session: Session, changes: Changes) -> dict[tuple[int, int], tuple[str, str, int, int]]:
    """The rows the changes touch that exist, locked until commit on PostgreSQL (SQLite lets one writer in at a time)."""
    by_round: dict[int, list[int]] = {}
    for round_id, org_id in changes:
        by_round.setdefault(round_id, []).append(org_id)
    postgres = dialect_name(session) == "postgresql"
    found = {}
    for round_id, org_ids in by_round.items():
        # One array parameter on PostgreSQL; SQLite takes a bounded number of parameters per statement.
        chunks = [org_ids] if postgres else [org_ids[i:i + CHUNK] for i in range(0, len(org_ids), CHUNK)]
        for chunk in chunks:
            wanted = (_ORG.c.organization_id == any_(bindparam("ids", chunk, type_=ARRAY(Integer))) if postgres
                      else _ORG.c.organization_id.in_(chunk))
            for org_id, org_type, regions, invitations, submitted in session.execute(
                select(_ORG.c.organization_id, _ORG.c.org_type, _ORG.c.regions, _ORG.c.invitations, _ORG.c.submitted)
                .where(_ORG.c.round_id == round_id, wanted).with_for_update()
            ):
                found[(round_id, org_id)] = (org_type, regions, invitations, submitted)
    return found


@cache
def _update_statement() -> Update:
    return (update(_ORG).where(_ORG.c.round_id == bindparam("r"), _ORG.c.organization_id == bindparam("o"))
            .values(regions=bindparam("new_regions"), invitations=bindparam("new_invitations"),
                    submitted=bindparam("new_submitted")))


def _apply(session: Session, changes: Changes, existing: dict[tuple[int, int], tuple[str, str, int, int]] | None = None,
           written: bool = False) -> None:
    """Write the changed rows, then the difference each organization's figures made to the counters.

    `existing`: the rows as they were, when the caller read them already; `written`: the caller also
    added the changes' figures to them (regions still to widen, if need be).
    """
    if existing is None:
        existing = _locked_rows(session, changes)
    # Summed per (round, org type, regions) first: a launch's 100,000 organizations fall into a few hundred.
    sums: dict[tuple[int, str, str], list[int]] = {}
    added: list[dict] = []
    changed: list[dict] = []
    for key in sorted(changes):
        org_type, codes, more_invitations, more_submitted = changes[key]
        row = existing.get(key)
        if row is None:
            regions = ",".join(sorted(set(codes)))
            added.append({"round_id": key[0], "organization_id": key[1], "org_type": org_type, "regions": regions,
                          "invitations": more_invitations, "submitted": more_submitted})
            _add_to(sums, (key[0], org_type, regions), figures(more_invitations, more_submitted), +1)
            continue
        org_type, stored, invitations, submitted = row
        known = set(stored.split(",")) - {""}
        regions = stored if known.issuperset(codes) else ",".join(sorted(known.union(codes)))
        if not written or regions != stored:
            changed.append({"r": key[0], "o": key[1], "new_regions": regions,
                            "new_invitations": invitations + more_invitations, "new_submitted": submitted + more_submitted})
        before, after = figures(invitations, submitted), figures(invitations + more_invitations, submitted + more_submitted)
        if before != after or regions != stored:
            _add_to(sums, (key[0], org_type, stored), before, -1)
            _add_to(sums, (key[0], org_type, regions), after, +1)
    if added:
        _insert(session, added)
    if changed:
        session.execute(_update_statement(), changed)
    _bump(session, sums)


def _insert(session: Session, rows: list[dict]) -> None:
    """New rows: on PostgreSQL one INSERT ... SELECT over a parameter array per column (a launch's 100,000 rows
    in a fraction of what as many executemany rows take), elsewhere an executemany INSERT."""
    if dialect_name(session) != "postgresql":
        session.execute(insert(_ORG), rows)
        return
    names = [c.name for c in _ORG.columns]
    arrays = [bindparam(c.name, [row[c.name] for row in rows], type_=ARRAY(c.type)) for c in _ORG.columns]
    session.execute(insert(_ORG).from_select(names, select(func.unnest(*arrays).table_valued(*names).render_derived())))


def _add_to(sums: dict[tuple, list[int]], key: tuple, amounts: Iterable[int], sign: int) -> None:
    total = sums.get(key)
    if total is None:
        total = sums[key] = [0] * len(COUNTERS)
    for i, n in enumerate(amounts):
        total[i] += sign * n


def _bump(session: Session, sums: dict[tuple[int, str, str], list[int]]) -> None:
    deltas: dict[tuple[int, str, str], list[int]] = {}
    for (round_id, org_type, regions), values in sums.items():
        for scope, key in scopes(org_type, regions.split(",") if regions else []):
            _add_to(deltas, (round_id, scope, key), values, +1)
    rows = [
        {"round_id": r, "scope": s, "key": k, **dict(zip(COUNTERS, values, strict=True))}
        for (r, s, k), values in sorted(deltas.items()) if any(values)
    ]
    add_counts(session, OrganizationCounts.__table__, ("round_id", "scope", "key"), COUNTERS, rows)


def on_invitations_issued(events: list[ev.InvitationIssued], uow: ProjectionContext) -> None:
    _apply(uow.session, _changes(events, invitations=1, submitted=0, counted=lambda e: e.forwarded_from is None))


@cache
def _count_answer_statement() -> Prepared:
    return Prepared(update(_ORG).where(_ORG.c.round_id == bindparam("r"), _ORG.c.organization_id == bindparam("o"))
                    .values(submitted=_ORG.c.submitted + bindparam("n"))
                    .returning(_ORG.c.org_type, _ORG.c.regions, _ORG.c.invitations, _ORG.c.submitted))


def on_submitted(events: list[ev.ResponseSubmitted], uow: ProjectionContext) -> None:
    """One answer (a respondent's submit) in one statement that counts it and returns the row as it was
    (UPDATE ... RETURNING, which also locks it on PostgreSQL); a run of several takes the general way."""
    session = uow.session
    changes = _changes(events, invitations=0, submitted=1)
    if len(changes) != 1:
        _apply(session, changes)
        return
    [(key, change)] = changes.items()
    row = _count_answer_statement().execute(session, {"r": key[0], "o": key[1], "n": change[3]}).first()
    if row is None:  # not invited (cannot happen through the commands): the general way creates the row
        _apply(session, changes)
        return
    org_type, regions, invitations, submitted = row
    _apply(session, changes, existing={key: (org_type, regions, invitations, submitted - change[3])}, written=True)


def clear(session: Session) -> None:
    for table in TABLES:
        session.execute(delete(table))
