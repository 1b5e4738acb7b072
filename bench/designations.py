"""Benchmark of the designation rule: 100 regions x 1,000 local boards, pure and through RecomputeDesignations.

Run by hand: `.venv/bin/python bench/designations.py [DATABASE_URL]` (default: a SQLite file under
bench/_work). Target: each timing well under a second. Times are this process's CPU time, so that
a busy machine does not distort them (the database server's own work is not counted on PostgreSQL).
"""
from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

from sqlalchemy import insert

REGIONS, BOARDS = 100, 1000
NOW = dt.datetime(2026, 10, 8, 17, 0, tzinfo=dt.timezone.utc)
PEOPLE = [{"name": f"Person {i}", "email": f"p{i}@example.org", "organization": "College"} for i in range(3)]


def nominee(region: int, board: int) -> dict[str, str] | None:
    # Per region: 40% person 0, 40% person 1, 20% no nominee; odd regions lean to person 0.
    if board % 5 == 4:
        return None
    return PEOPLE[0] if region % 2 and board % 5 == 3 else PEOPLE[board % 2]


def bench_pure() -> float:
    from wfsurvey.domain.designation import BoardAnswer, decide_all

    regions = [f"region-{r}" for r in range(REGIONS)]
    answers = [
        BoardAnswer(organization_id=r * BOARDS + b, organization=f"Board {r}-{b}", org_type="lwib",
                    regions=(regions[r],), answers={"navigator": nominee(r, b)})
        for r in range(REGIONS) for b in range(BOARDS)
    ]
    started = time.process_time()
    decide_all(regions, answers, "navigator", final=False)
    return time.process_time() - started


def build(url: str) -> int:
    """A migrated database with one open round, its regions, boards, invitations and submitted responses."""
    from flask_migrate import upgrade

    from tests import builders
    from wfsurvey.domain import commands as cmd
    from wfsurvey.extensions import db
    from wfsurvey.models import Contact, Invitation, InvitationProgress, Organization, Region, Response, Round
    from wfsurvey.paths import MIGRATIONS_DIR
    from wfsurvey.services import handle

    upgrade(directory=str(MIGRATIONS_DIR))
    session = db.session
    codes = [f"region-{r}" for r in range(REGIONS)]
    session.execute(insert(Region), [{"scheme": "cc-macro", "code": c, "name": c, "created_at": NOW} for c in codes])
    session.commit()
    builders.template(now=NOW)
    round_ = handle(cmd.CreateRound(builders.round_definition(audience={"regions": codes, "org_types": ["lwib"]})),
                    actor="bench", now=NOW)
    session.execute(insert(Organization), [
        {"id": r * BOARDS + b + 1, "name": f"Board {r}-{b}", "org_type": "lwib", "created_at": NOW}
        for r in range(REGIONS) for b in range(BOARDS)
    ])
    session.execute(insert(Contact), [
        {"id": i, "organization_id": i, "name": f"Director {i}", "email": f"director{i}@example.org", "title": "",
         "created_at": NOW, "updated_at": NOW}
        for i in range(1, REGIONS * BOARDS + 1)
    ])
    session.execute(insert(Invitation), [
        {"id": i, "round_id": round_.id, "contact_id": i, "organization_id": i, "status": "submitted", "issued_at": NOW,
         "reminders_sent": 0}
        for i in range(1, REGIONS * BOARDS + 1)
    ])
    session.execute(insert(InvitationProgress), [
        {"invitation_id": r * BOARDS + b + 1, "round_id": round_.id, "org_type": "lwib", "regions": codes[r],
         "sent": True, "started": True, "submitted": True, "bounced": False, "opted_out": False, "forwarded": False}
        for r in range(REGIONS) for b in range(BOARDS)
    ])
    rows = []
    for r in range(REGIONS):
        for b in range(BOARDS):
            i = r * BOARDS + b + 1
            answers = {"targets_am": "no", "colleges": 3}
            if (person := nominee(r, b)) is not None:
                answers["navigator"] = person
            rows.append({"id": i, "invitation_id": i, "round_id": round_.id, "organization_id": i, "organization_slot": i,
                         "answers": answers, "status": "submitted", "revision": 1, "created_at": NOW, "updated_at": NOW,
                         "submitted_at": NOW})
    session.execute(insert(Response), rows)
    session.query(Round).filter_by(id=round_.id).update({"state": "open", "launched_at": NOW})
    session.commit()
    return round_.id


def bench_service(url: str) -> tuple[float, float]:
    from wfsurvey import create_app
    from wfsurvey.domain import commands as cmd
    from wfsurvey.extensions import db
    from wfsurvey.services import handle

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "ENV": "testing", "TESTING": True})
    with app.app_context():
        round_id = build(url)
        started = time.process_time()
        assert handle(cmd.RecomputeDesignations(round_id), actor="bench", now=NOW) == REGIONS
        first = time.process_time() - started
        started = time.process_time()
        assert handle(cmd.RecomputeDesignations(round_id), actor="bench", now=NOW) == 0
        again = time.process_time() - started
        db.session.remove()
        db.engine.dispose()
    return first, again


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    if len(sys.argv) > 1:
        url = sys.argv[1]
    else:
        work = Path(__file__).resolve().parent / "_work"
        work.mkdir(exist_ok=True)
        path = work / "designations.sqlite"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    print(f"pure rule, {REGIONS} regions x {BOARDS} boards: {bench_pure():.3f} s")
    first, again = bench_service(url)
    print(f"RecomputeDesignations, every region changes: {first:.3f} s")
    print(f"RecomputeDesignations, nothing changes:      {again:.3f} s")


if __name__ == "__main__":
    main()
