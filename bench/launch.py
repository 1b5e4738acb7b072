"""Benchmark 3: launching a round of 100,000 invitations (tokens, invitations, events, outbox rows) on SQLite and PostgreSQL.

Each repetition launches on a fresh copy of one prepared database (stakeholders, template, draft
round) in a child process, which reports the launch's time and its own peak RSS. The floor is a
raw DBAPI executemany of the same rows (invitations, tokens, events, outbox messages of the same
size) into another copy, also in a child process.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import sqlite3
import statistics
import sys
import time
from dataclasses import dataclass

from bench import common, data
from bench.common import Metric, Size

FULL = 100_000
#: Logical times of the national round, relative to the moment the data is prepared (T0): open
#: since three days, launched two and a half days ago, closing in 36 hours; the P2D reminder slot
#: (12 hours ago) is due from then on, so benchmark 4's scheduler finds it due at the clock's time.
OPENS = dt.timedelta(days=-3)
LAUNCHED = dt.timedelta(days=-2, hours=-12)
CLOSES = dt.timedelta(hours=36)


@dataclass
class Prepared:
    url: str
    round_id: int
    t0: dt.datetime
    count: int

    @property
    def launched_at(self) -> dt.datetime:
        return self.t0 + LAUNCHED


def prepare(backend: str, count: int, name: str = "launch_base") -> Prepared:
    """A migrated database with `count` contacts (Core inserts), the template and a draft round of all of them."""
    if backend == "sqlite":
        path = common.work_dir() / f"{name}.sqlite"
        common.remove_sqlite(path)
        url = common.sqlite_url(path)
    else:
        url = common.create_postgres(name)
    app = common.make_app(url)
    common.migrate(app)
    t0 = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    setup = t0 - dt.timedelta(days=10)
    with app.app_context():
        data.create_regions(setup)
        data.bulk_stakeholders(count, setup)
        data.create_template(setup)
        round_id = data.create_round(setup, opens_at=t0 + OPENS, closes_at=t0 + CLOSES, offsets=("P7D", "P2D", "P1D"),
                                     send_hours=(0, 24), min_gap_hours=20)
    common.dispose(app)
    return Prepared(url, round_id, t0, count)


def copy(prepared: Prepared, backend: str, name: str) -> str:
    if backend == "sqlite":
        return common.copy_sqlite(prepared.url, name)
    return common.create_postgres(name, template=common.db_name(prepared.url))


def discard(url: str, backend: str) -> None:
    if backend == "sqlite":
        common.remove_sqlite(common.sqlite_path(url))
    else:
        common.drop_postgres(url)


# --- the child processes ---------------------------------------------------------------------

def child_launch(url: str, round_id: int, now: dt.datetime, profile: bool) -> dict:
    from sqlalchemy import func, select

    from wfsurvey.extensions import db
    from wfsurvey.models import AccessToken, EventRecord, Invitation, OutboxMessage

    app = common.make_app(url)
    with app.app_context():
        text = ""
        started = time.perf_counter()
        if profile:
            _, text = common.profile(lambda: data.launch(round_id, now), "LaunchRound in its own process:")
        else:
            data.launch(round_id, now)
        seconds = time.perf_counter() - started
        counts = {
            "invitations": db.session.scalar(select(func.count(Invitation.id)).where(Invitation.round_id == round_id)),
            "tokens": db.session.scalar(select(func.count(AccessToken.id))),
            "outbox": db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.round_id == round_id)),
            "events": db.session.scalar(select(func.count(EventRecord.seq)).where(EventRecord.type == "InvitationIssued")),
        }
        db.session.remove()
        db.engine.dispose()
    return {"seconds": seconds, "peak_rss_mb": common.peak_rss_mb(), "counts": counts, "profile": text}


def child_floor(url: str, count: int) -> dict:
    """Raw executemany of `count` rows into each of invitations, access_tokens, events and outbox, one transaction."""
    from sqlalchemy import create_engine, text

    from wfsurvey.settings import normalise_database_url

    engine = create_engine(normalise_database_url(url))
    with engine.connect() as conn:
        round_id = conn.scalar(text("SELECT max(id) FROM rounds"))
        contacts = conn.execute(text("SELECT id, organization_id FROM contacts ORDER BY id")).all()[:count]
        first_id = (conn.scalar(text("SELECT max(id) FROM invitations")) or 0) + 1
    engine.dispose()
    now = "2026-01-01 00:00:00"
    body_text = "x" * 900
    body_html = "<p>" + "x" * 2400 + "</p>"
    payload = json.dumps({"invitation_id": 1, "round_id": round_id, "contact_id": 1, "organization_id": 1,
                          "org_type": "employer", "regions": ["region-001"], "forwarded_from": None})
    invitations = [(first_id + k, round_id, cid, oid, "pending", now, 0) for k, (cid, oid) in enumerate(contacts)]
    tokens = [(first_id + k, secrets.token_hex(32), "invitation", now) for k in range(len(contacts))]
    events = [("InvitationIssued", "invitation", str(first_id + k), "bench", now, now, 1, payload) for k in range(len(contacts))]
    outbox = [(f"floor:{first_id + k}", "invitation", first_id + k, round_id, f"person{k}@example.org", "Survey", body_text,
               body_html, '{"List-Unsubscribe": "<https://x/r/t/opt-out>"}', "queued", 0, now, now)
              for k in range(len(contacts))]
    started = time.perf_counter()
    if url.startswith("sqlite"):
        conn = sqlite3.connect(common.sqlite_path(url), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("BEGIN")
        mark = "?"
    else:
        import psycopg

        conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        mark = "%s"
    cur = conn.cursor()

    def many(sql: str, rows: list[tuple]) -> None:
        cur.executemany(sql.replace("?", mark), rows)

    many("INSERT INTO invitations (id, round_id, contact_id, organization_id, status, issued_at, reminders_sent) "
         "VALUES (?, ?, ?, ?, ?, ?, ?)", invitations)
    many("INSERT INTO access_tokens (invitation_id, token_hash, purpose, created_at) VALUES (?, ?, ?, ?)", tokens)
    many("INSERT INTO events (type, aggregate_type, aggregate_id, actor, occurred_at, recorded_at, schema_version, payload) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", events)
    many("INSERT INTO outbox (dedupe_key, kind, invitation_id, round_id, to_addr, subject, body_text, body_html, headers, "
         "status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", outbox)
    if url.startswith("sqlite"):
        conn.execute("COMMIT")
    else:
        conn.commit()
    seconds = time.perf_counter() - started
    conn.close()
    return {"seconds": seconds, "rows": len(contacts) * 4}


# --- the benchmark ---------------------------------------------------------------------------

def measure(backend: str, size: Size, keep_last: bool = False) -> tuple[list[Metric], Prepared | None]:
    """The launch rows of one backend; with keep_last, the last launched copy is kept (benchmarks 4, 6, 7 start from it)."""
    count = size.n(FULL, 50)
    prepared = prepare(backend, count, f"launch_base_{backend}")
    times, rss, floors = [], [], []
    notes: list[str] = []
    rows_ok = True
    kept = None
    profile_text = ""
    try:
        for rep in range(size.reps):
            url = copy(prepared, backend, f"launch_{backend}_{rep}")
            last = rep == size.reps - 1
            try:
                result = common.run_child("bench.launch", "--child-launch", url, str(prepared.round_id),
                                          prepared.launched_at.isoformat())
                counts = result["counts"]
                times.append(result["seconds"])
                rss.append(result["peak_rss_mb"])
                rows_ok = rows_ok and all(v == count for v in counts.values())
            finally:
                if keep_last and last and backend == "sqlite":
                    kept = Prepared(url, prepared.round_id, prepared.t0, count)
                else:
                    discard(url, backend)
            url = copy(prepared, backend, f"launch_floor_{backend}_{rep}")
            try:
                floors.append(common.run_child("bench.launch", "--child-floor", url, str(count))["seconds"])
            finally:
                discard(url, backend)
        limit = 15 if backend == "sqlite" else 30
        if size.full and statistics.median(times) >= limit:
            url = copy(prepared, backend, f"launch_profile_{backend}")
            try:
                profile_text = common.run_child("bench.launch", "--child-launch", url, str(prepared.round_id),
                                                prepared.launched_at.isoformat(), "--profile")["profile"]
            finally:
                discard(url, backend)
    finally:
        discard(prepared.url, backend)
    label = "SQLite" if backend == "sqlite" else "PostgreSQL"
    limit = 15 if backend == "sqlite" else 30
    seconds = Metric(
        number="3", name=f"launch {count:,} invitations, {label}: time", unit="s", values=times,
        target=f"< {limit} s", check=lambda m: m.median < limit, floor=floors, higher_is_better=False,
        floor_name="raw executemany of the same rows",
        conditions={f"every row made ({count:,} invitations, tokens, outbox rows, events)": rows_ok}, scaled=not size.full, profile=profile_text,
        notes=notes,
    )
    memory = Metric(
        number="3", name=f"launch {count:,} invitations, {label}: peak RSS of the process", unit="MB", values=rss,
        target="< 300 MB", check=lambda m: m.median < 300, higher_is_better=False, scaled=not size.full,
    )
    return [seconds, memory], kept


def run(size: Size) -> list[Metric]:
    from bench.submit import backends

    metrics: list[Metric] = []
    for backend in backends():
        metrics.extend(measure(backend, size)[0])
    return metrics


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--child-launch":
        parser = argparse.ArgumentParser()
        parser.add_argument("url")
        parser.add_argument("round_id", type=int)
        parser.add_argument("now")
        parser.add_argument("--profile", action="store_true")
        args = parser.parse_args(argv[1:])
        print(json.dumps(child_launch(args.url, args.round_id, dt.datetime.fromisoformat(args.now), args.profile)))
        return
    if argv and argv[0] == "--child-floor":
        print(json.dumps(child_floor(argv[1], int(argv[2]))))
        return
    common.cli(__doc__.splitlines()[0], run, argv)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONPATH", str(common.ROOT))
    main()
