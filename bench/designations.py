"""Benchmark 8: designation of 100 regions x 1,000 local boards: the pure rule, and RecomputeDesignations on SQLite.

The measured operations are the real ones (`decide_all`, and the RecomputeDesignations command with
its queries, events and projection). The setup is the one exception to the real-command rule
besides stakeholders: 100,000 submitted board responses and their completion rows are written
with Core inserts (a real setup would take many minutes), shaped exactly as SaveAnswers stores them.
Each repetition recomputes on a fresh copy, where every region changes; then once more, where none does.
"""
from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import insert, update

from bench import common, data
from bench.common import Metric, Size

REGIONS, BOARDS = 100, 1000
NOW = dt.datetime(2026, 10, 8, 17, 0, tzinfo=dt.timezone.utc)
PEOPLE = [{"name": f"Person {i}", "email": f"p{i}@example.org", "organization": "College"} for i in range(3)]


def nominee(region: int, board: int) -> dict[str, str] | None:
    # Per region: 40% person 0, 40% person 1, 20% no nominee; odd regions lean to person 0.
    if board % 5 == 4:
        return None
    return PEOPLE[0] if region % 2 and board % 5 == 3 else PEOPLE[board % 2]


def bench_pure(regions: int, boards: int) -> tuple[float, float]:
    """(wall, CPU) seconds of decide_all over every board answer."""
    from wfsurvey.domain.designation import BoardAnswer, decide_all

    codes = [f"region-{r}" for r in range(regions)]
    answers = [
        BoardAnswer(organization_id=r * boards + b, organization=f"Board {r}-{b}", org_type="lwib",
                    regions=(codes[r],), answers={"navigator": nominee(r, b)})
        for r in range(regions) for b in range(boards)
    ]
    wall, cpu = time.perf_counter(), time.process_time()
    decide_all(codes, answers, "navigator", final=False)
    return time.perf_counter() - wall, time.process_time() - cpu


def build(url: str, regions: int, boards: int) -> int:
    """A migrated database with one open round, its regions, boards, invitations and submitted responses."""
    from wfsurvey.extensions import db
    from wfsurvey.models import Contact, Invitation, InvitationProgress, Organization, Region, Response, Round

    app = common.make_app(url)
    common.migrate(app)
    with app.app_context():
        session = db.session
        codes = [f"region-{r}" for r in range(regions)]
        session.execute(insert(Region), [{"scheme": "cc-macro", "code": c, "name": c, "created_at": NOW} for c in codes])
        session.commit()
        data.create_template(NOW)
        round_id = data.create_round(NOW, regions=codes, opens_at=NOW - dt.timedelta(days=3),
                                     closes_at=NOW + dt.timedelta(days=20))
        total = regions * boards
        session.execute(insert(Organization), [
            {"id": r * boards + b + 1, "name": f"Board {r}-{b}", "org_type": "lwib", "created_at": NOW}
            for r in range(regions) for b in range(boards)
        ])
        session.execute(insert(Contact), [
            {"id": i, "organization_id": i, "name": f"Director {i}", "email": f"director{i}@example.org", "title": "",
             "created_at": NOW, "updated_at": NOW}
            for i in range(1, total + 1)
        ])
        session.execute(insert(Invitation), [
            {"id": i, "round_id": round_id, "contact_id": i, "organization_id": i, "status": "submitted", "issued_at": NOW,
             "reminders_sent": 0}
            for i in range(1, total + 1)
        ])
        session.execute(insert(InvitationProgress), [
            {"invitation_id": r * boards + b + 1, "round_id": round_id, "org_type": "lwib", "regions": codes[r],
             "sent": True, "started": True, "submitted": True, "bounced": False, "opted_out": False, "forwarded": False}
            for r in range(regions) for b in range(boards)
        ])
        rows = []
        for r in range(regions):
            for b in range(boards):
                i = r * boards + b + 1
                answers = {"targets_am": "no", "colleges": 3, "stage": "talks"}
                if (person := nominee(r, b)) is not None:
                    answers["navigator"] = person
                rows.append({"id": i, "invitation_id": i, "round_id": round_id, "organization_id": i,
                             "organization_slot": i, "answers": answers, "status": "submitted", "revision": 1,
                             "created_at": NOW, "updated_at": NOW, "submitted_at": NOW})
        session.execute(insert(Response), rows)
        session.execute(update(Round).where(Round.id == round_id).values(state="open", launched_at=NOW))
        session.commit()
    common.dispose(app)
    return round_id


def recompute(url: str, round_id: int, expected_first: int) -> tuple[float, float, float, bool]:
    """(wall s every region changing, CPU s of it, wall s with nothing changing, counts as expected)."""
    from wfsurvey.domain import commands as cmd
    from wfsurvey.services import handle

    app = common.make_app(url)
    with app.app_context():
        wall, cpu = time.perf_counter(), time.process_time()
        first = handle(cmd.RecomputeDesignations(round_id), actor="bench", now=NOW)
        first_wall, first_cpu = time.perf_counter() - wall, time.process_time() - cpu
        wall = time.perf_counter()
        again = handle(cmd.RecomputeDesignations(round_id), actor="bench", now=NOW)
        again_wall = time.perf_counter() - wall
    common.dispose(app)
    return first_wall, first_cpu, again_wall, first == expected_first and again == 0


def run(size: Size) -> list[Metric]:
    regions = max(2, int(REGIONS * min(1.0, size.scale * 10))) if not size.full else REGIONS
    boards = BOARDS if size.full else max(5, int(BOARDS * size.scale * 10))
    label = f"{regions} regions × {boards:,} boards"
    pure, pure_cpu, first, first_cpu, again = [], [], [], [], []
    counts_ok = True
    base = common.sqlite_url(common.work_dir() / "designations_base.sqlite")
    common.remove_sqlite(common.sqlite_path(base))
    round_id = build(base, regions, boards)
    try:
        for rep in range(size.reps):
            wall, cpu = bench_pure(regions, boards)
            pure.append(wall)
            pure_cpu.append(cpu)
            url = common.copy_sqlite(base, f"designations_{rep}")
            try:
                w, c, a, ok = recompute(url, round_id, regions)
            finally:
                common.remove_sqlite(common.sqlite_path(url))
            first.append(w)
            first_cpu.append(c)
            again.append(a)
            counts_ok = counts_ok and ok
    finally:
        common.remove_sqlite(common.sqlite_path(base))
    cpu_note = "CPU time of this process: " + ", ".join(f"{v:.2f} s" for v in first_cpu)
    return [
        Metric(number="8", name=f"designation rule (decide_all), {label}", unit="s", values=pure, target="< 1 s",
               check=lambda m: m.median < 1, higher_is_better=False, scaled=not size.full,
               notes=["CPU time: " + ", ".join(f"{v:.2f} s" for v in pure_cpu)]),
        Metric(number="8", name=f"RecomputeDesignations, {label}, every region changes, SQLite", unit="s", values=first,
               target="< 1 s", check=lambda m: m.median < 1, higher_is_better=False, scaled=not size.full,
               conditions={"one DesignationChanged per region, then none": counts_ok},
               notes=[cpu_note, "setup: board responses written with Core inserts (see the module docstring)"]),
        Metric(number="8", name=f"RecomputeDesignations, {label}, nothing changes, SQLite", unit="s", values=again,
               target="< 1 s", check=lambda m: m.median < 1, higher_is_better=False, scaled=not size.full),
    ]


def main() -> None:
    common.cli(__doc__.splitlines()[0], run)


if __name__ == "__main__":
    main()
