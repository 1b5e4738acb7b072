"""Benchmark 11 (issue 15): a local board's and a college's first submit, at 0 and at 100,000 stored answers of their round.

One round of about 101,800 organizations in 20 regions is launched through the real command: 600 local
boards, 30 in each region (the whole country has about 550 local workforce boards, California 45 in 8
macro regions), the others colleges, employers and partners in the benchmark's proportions. A board's
answer is decided with the answers of its region's boards (the DesignationChanged it may record lists every
nominating board by name), so its submit costs in proportion to its region's boards by design, and not to
the answers of the round: that is what this row checks. (The benchmark's usual mix, `bench.data`, puts 10 %
of the organizations in boards and all of them in 2 of the 20 regions: 5,000 boards a region.) Submits are timed through the Flask test client in one process (the
real route, CSRF on as in benchmarks 1–2). Once the round is launched its database is copied; 100,000 answers
are stored in the original; then the same boards and colleges submit in both databases, a slice of submits
in the copy (at 0) and the same slice in the original (at 100,000) in turns, so that the machine's drift meets
both alike (run one after the other, minutes apart on a shared machine, the two states drifted apart by more
than the 15 % this row allows). Each value is the time of one submit (median of a repetition's submits, CPU time of this
process; with PostgreSQL its wall time is in the notes, since the server's work is not this process's).

The 100,000 stored answers are the one shortcut (as in benchmark 8): they are written with Core inserts,
shaped exactly as SaveAnswers stores them (the response, the invitation marked, the ResponseSubmitted event,
the progress flags, the submitted answers, the organization's row), since storing them one by one would take
longer than the rest of the suite. The counters (proj_round_progress, proj_organization_counts,
proj_baseline_stats) are not brought up to date: their rows are one per scope and cell, as many at 100,000
answers as at 0, so they weigh the same on a submit. PostgreSQL gets ANALYZE after the launch and after the
load (autovacuum's job in a running system).
"""
from __future__ import annotations

import datetime as dt
import statistics
import time

from sqlalchemy import event, func, select, text, update

from bench import common, data
from bench.common import Metric, Size

STORED = 100_000
#: Local boards of the round, spread evenly over the regions.
BOARDS = 600
#: Submits per kind, state and repetition.
PER_REP = 40
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def build(url: str, stored: int, reserve: int) -> tuple[int, dict[str, list[int]], list[int]]:
    """The launched round; the invitations kept for timed submits by kind; and those whose answers are stored."""
    from wfsurvey.extensions import db

    app = common.make_app(url)
    common.migrate(app)
    # Enough organizations that each kind has `reserve` to time, besides the stored answers.
    total = stored + 10 * reserve + 100
    with app.app_context():
        data.create_regions(NOW)
        stakeholders(total, boards=BOARDS if stored >= STORED else 60)
        data.create_template(NOW)
        round_id = data.create_round(NOW, opens_at=NOW - dt.timedelta(days=1), closes_at=NOW + dt.timedelta(days=14))
        data.launch(round_id, NOW)
        from wfsurvey.models import Invitation, InvitationProgress

        if db.session.get_bind().dialect.name == "postgresql":
            # As after the answers (store_answers): the statistics autovacuum would have gathered after a launch.
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        rows = db.session.execute(
            select(Invitation.id, InvitationProgress.org_type)
            .join(InvitationProgress, InvitationProgress.invitation_id == Invitation.id)
            .where(Invitation.round_id == round_id).order_by(Invitation.id)).all()
        db.session.rollback()
    common.dispose(app)
    timed: dict[str, list[int]] = {"lwib": [], "college": []}
    rest = []
    for invitation_id, kind in rows:
        if kind in timed and len(timed[kind]) < reserve:
            timed[kind].append(invitation_id)
        else:
            rest.append(invitation_id)
    return round_id, timed, rest[:stored]


def stakeholders(count: int, boards: int) -> None:
    """Organizations (one contact each) written with Core inserts: `boards` local boards spread evenly over the regions,
    the others colleges, employers and partners as in bench.data (whose contact numbering they keep)."""
    from sqlalchemy import insert

    from wfsurvey.extensions import db
    from wfsurvey.models import Contact, Organization, Region, organization_regions

    session = db.session
    region_ids = dict(session.execute(select(Region.code, Region.id)).all())
    every = count // boards
    others = [kind for kind in data.ORG_TYPE_BY_DIGIT if kind != "lwib"]

    def kind_and_region(i: int) -> tuple[str, str]:
        if i % every == 0 and i // every < boards:
            return "lwib", data.region_code((i // every) % data.REGIONS)
        return others[i % len(others)], data.region_code(i % data.REGIONS)

    for start in range(0, count, 10000):
        block = [(i, *kind_and_region(i)) for i in range(start, min(count, start + 10000))]
        session.execute(insert(Organization), [{"id": i + 1, "name": f"Org {i:06d}", "org_type": kind, "created_at": NOW}
                                               for i, kind, _ in block])
        session.execute(insert(organization_regions), [{"organization_id": i + 1, "region_id": region_ids[code]}
                                                       for i, _, code in block])
        session.execute(insert(Contact), [
            {"id": i + 1, "organization_id": i + 1, "name": f"Person {i:06d}", "email": f"person{i:06d}@example.org",
             "title": "Director", "created_at": NOW, "updated_at": NOW} for i, _, _ in block])
    session.commit()


def store_answers(url: str, round_id: int, invitation_ids: list[int]) -> float:
    """Write first submissions of these invitations as SaveAnswers would (see the module docstring); seconds taken."""
    from wfsurvey.bulk import insert_rows
    from wfsurvey.domain import events as ev
    from wfsurvey.domain.answers import clean_answers
    from wfsurvey.extensions import db
    from wfsurvey.models import (
        EventRecord,
        Invitation,
        InvitationProgress,
        OrganizationProgress,
        Response,
        Round,
        SubmittedAnswers,
    )

    app = common.make_app(url)
    started = time.perf_counter()
    with app.app_context():
        session = db.session
        round_ = session.get(Round, round_id)
        questions, rule = round_.template.questions, round_.response_rule
        facts = data.invitation_facts(invitation_ids)
        orgs = dict(session.execute(select(Invitation.id, Invitation.organization_id)
                                    .where(Invitation.round_id == round_id)).all())
        regions = dict(session.execute(select(InvitationProgress.invitation_id, InvitationProgress.regions)
                                       .where(InvitationProgress.round_id == round_id)).all())
        session.rollback()
        for start in range(0, len(invitation_ids), 5000):
            chunk = invitation_ids[start:start + 5000]
            responses, events, submitted = [], [], []
            for invitation_id in chunk:
                i, kind, region = facts[invitation_id]
                answers, errors = clean_answers(questions, data.answers_form(i, kind, region), kind, complete=True)
                assert not errors, errors
                org_id = orgs[invitation_id]
                codes = regions[invitation_id].split(",") if regions[invitation_id] else []
                responses.append({"invitation_id": invitation_id, "round_id": round_id, "organization_id": org_id,
                                  "organization_slot": org_id if rule == "organization" else None, "answers": answers,
                                  "status": "submitted", "revision": 1, "created_at": NOW, "updated_at": NOW,
                                  "submitted_at": NOW})
                e = ev.ResponseSubmitted(invitation_id=invitation_id, round_id=round_id, response_id=0,
                                         organization_id=org_id, org_type=kind, regions=codes, answers=answers)
                events.append(e)
                submitted.append({"invitation_id": invitation_id, "round_id": round_id, "org_type": kind,
                                  "regions": regions[invitation_id], "answers": answers})
            insert_rows(session, Response.__table__, responses)
            ids = dict(session.execute(select(Response.invitation_id, Response.id)
                                       .where(Response.invitation_id.in_(chunk))).all())
            insert_rows(session, EventRecord.__table__, [
                {"type": e.type, "aggregate_type": e.aggregate, "aggregate_id": e.aggregate_id, "actor": "bench",
                 "occurred_at": NOW, "recorded_at": NOW, "schema_version": e.schema_version,
                 "payload": {**e.payload(), "response_id": ids[e.invitation_id]}}
                for e in events])
            insert_rows(session, SubmittedAnswers.__table__, submitted)
            session.execute(update(Invitation).where(Invitation.id.in_(chunk))
                            .values(status="submitted", started_at=NOW, submitted_at=NOW))
            session.execute(update(InvitationProgress).where(InvitationProgress.invitation_id.in_(chunk))
                            .values(started=True, submitted=True))
            session.execute(update(OrganizationProgress).where(
                OrganizationProgress.round_id == round_id,
                OrganizationProgress.organization_id.in_([orgs[i] for i in chunk])).values(submitted=1))
            session.commit()
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
            session.commit()
        assert session.scalar(select(func.count(Response.id)).where(Response.round_id == round_id)) >= len(invitation_ids)
    common.dispose(app)
    return time.perf_counter() - started


def links(url: str, round_id: int) -> dict[int, str]:
    """Each invitation's token, read from its invitation message."""
    app = common.make_app(url)
    with app.app_context():
        tokens = dict(data.tokens_of_round(round_id))
    common.dispose(app)
    return tokens


class Submitter:
    """The real app on one database, and a browser session of it (CSRF on, as users have it)."""

    def __init__(self, url: str, tokens: dict[int, str]):
        from bench.submit import browser, csrf_session
        from wfsurvey.extensions import db

        self.app = common.make_app(url)
        self.csrf = csrf_session(self.app)
        self.client = browser(self.app, self.csrf)
        self.tokens = tokens
        with self.app.app_context():
            self.engine = db.engine

    def time(self, invitation_ids: list[int]) -> tuple[float, float, float]:
        """(median CPU ms, median wall ms, statements) of one first submit of each invitation, through the real route."""
        from bench.submit import post

        with self.app.app_context():
            facts = data.invitation_facts(invitation_ids)
        statements = [0]

        def count(*_args) -> None:
            statements[0] += 1

        cpu, wall = [], []
        event.listen(self.engine, "before_cursor_execute", count)
        try:
            for invitation_id in invitation_ids:
                i, kind, region = facts[invitation_id]
                line = f"/r/{self.tokens[invitation_id]}\t{data.form_body(i, kind, region)}"
                c, w = time.process_time(), time.perf_counter()
                post(self.client, line, self.csrf)
                wall.append((time.perf_counter() - w) * 1000)
                cpu.append((time.process_time() - c) * 1000)
        finally:
            event.remove(self.engine, "before_cursor_execute", count)
        return statistics.median(cpu), statistics.median(wall), statements[0] / len(invitation_ids)

    def close(self) -> None:
        common.dispose(self.app)


def copy_database(backend: str, url: str, name: str) -> str:
    """A copy of the launched round's database (SQLite file, or PostgreSQL database made from it as a template)."""
    if backend == "sqlite":
        return common.copy_sqlite(url, name)
    return common.create_postgres(name, template=common.db_name(url))


def run_backend(backend: str, size: Size) -> list[Metric]:
    stored = STORED if size.full else max(200, int(STORED * size.scale * 10))
    per_rep = PER_REP if size.full else 5
    label = "SQLite" if backend == "sqlite" else "PostgreSQL"
    warm = 10
    with common.fresh_database(backend, "growth") as url:
        clock = time.perf_counter()
        round_id, timed, rest = build(url, stored, reserve=warm + per_rep * size.reps)
        tokens = links(url, round_id)
        # The launched round, copied before any answer is stored: the "at 0" database. The same invitations
        # submit in both, in turns (a slice at 0, then the same slice at 100,000), so that the machine's drift
        # over the minutes of the run meets both states alike.
        empty = copy_database(backend, url, "growth_at_0")
        built = time.perf_counter() - clock
        try:
            seconds = store_answers(url, round_id, rest)
            found: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
            submitters = {"0": Submitter(empty, tokens), f"{stored}": Submitter(url, tokens)}
            try:
                for state, submitter in submitters.items():
                    for kind in ("lwib", "college"):
                        # An app's first submits compile and cache what the rest reuse: not timed.
                        submitter.time(timed[kind][:warm])
                for rep in range(size.reps):
                    for kind in ("lwib", "college"):
                        start = warm + rep * per_rep
                        for state, submitter in submitters.items():
                            found.setdefault((kind, state), []).append(submitter.time(timed[kind][start:start + per_rep]))
            finally:
                for submitter in submitters.values():
                    submitter.close()
        finally:
            if backend == "postgresql":
                common.drop_postgres(empty)
    metrics = []
    for kind, name in (("lwib", "a local board's"), ("college", "a college's")):
        at0, atn = found[(kind, "0")], found[(kind, f"{stored}")]
        cpu0, cpun = [v[0] for v in at0], [v[0] for v in atn]
        ratio = statistics.median(cpun) / statistics.median(cpu0)
        metrics.append(Metric(
            number="11", name=f"{name} first submit at {stored:,} stored answers of its round, {label}: CPU time",
            unit="ms", values=cpun, target="within 15 % of the same at 0 stored answers",
            check=lambda m, r=ratio: r <= 1.15, floor=cpu0, floor_name="the same submit at 0 stored answers",
            higher_is_better=False, scaled=not size.full,
            notes=[
                (f"at {stored:,} / at 0: {ratio:.2f} (CPU); wall {statistics.median(v[1] for v in atn):.2f} ms vs "
                 f"{statistics.median(v[1] for v in at0):.2f} ms"),
                (f"statements a submit: {statistics.median(v[2] for v in atn):.1f} at {stored:,}, "
                 f"{statistics.median(v[2] for v in at0):.1f} at 0"),
                (f"each value: the median of {per_rep} first submits through the Flask test client, one process, "
                 "CSRF on; the same invitations submit in a copy of the database made before the answers were "
                 "stored (at 0) and in the database holding them, slice by slice in turns"),
                (f"round of {len(rest) + sum(len(v) for v in timed.values()):,} invitations launched in {built:.0f} s "
                 f"(setup); {len(rest):,} answers stored with Core inserts in {seconds:.0f} s"),
            ],
        ))
    return metrics


def run(size: Size) -> list[Metric]:
    from bench.submit import backends

    metrics: list[Metric] = []
    for backend in backends():
        metrics.extend(run_backend(backend, size))
    return metrics


def main() -> None:
    common.cli(__doc__.splitlines()[0], run)


if __name__ == "__main__":
    main()
