"""Benchmark 7: `wfsurvey projections rebuild` of a log of 1,000,000 events on SQLite, compared with the live projections.

The log is the national round's (launch, deliveries, answers, designations) plus launches of
scheduled rounds of the same audience (100,000 InvitationIssued each, no messages yet) until it
holds a million events, all made by the real commands. Before rebuilding, the live projection
tables are copied aside; after each rebuild every table must hold exactly the same rows.
"""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import time

from sqlalchemy import create_engine, func, select, text

from bench import common, data, national
from bench.common import Metric, Size

FULL = 1_000_000
PREFIX = "bench_live_"


def projection_tables() -> list[str]:
    from wfsurvey.projections import TABLES

    return [model.__tablename__ for model in TABLES]


def pad(url: str, base: national.National, events: int) -> int:
    """Launch scheduled rounds of the whole audience until the log holds `events` events; returns the count."""
    from wfsurvey.extensions import db
    from wfsurvey.models import EventRecord

    app = common.make_app(url)
    with app.app_context():
        count = db.session.scalar(select(func.count(EventRecord.seq)))
        n = 0
        while count < events:
            n += 1
            when = base.t0 - dt.timedelta(days=1)
            round_id = data.create_round(when, title=f"Scheduled round {n}", opens_at=base.t0 + dt.timedelta(days=2),
                                         closes_at=base.t0 + dt.timedelta(days=30))
            data.launch(round_id, when)
            db.session.expunge_all()
            count = db.session.scalar(select(func.count(EventRecord.seq)))
        db.session.rollback()
    common.dispose(app)
    return count


def snapshot(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in projection_tables():
            conn.execute(text(f'DROP TABLE IF EXISTS "{PREFIX}{table}"'))
            conn.execute(text(f'CREATE TABLE "{PREFIX}{table}" AS SELECT * FROM "{table}"'))
    engine.dispose()


def differences(url: str) -> dict[str, int]:
    """Rows in one table and not the other, both ways, per projection table (all zero when identical)."""
    engine = create_engine(url)
    out = {}
    with engine.connect() as conn:
        for table in projection_tables():
            live, rebuilt = f'"{PREFIX}{table}"', f'"{table}"'
            missing = conn.scalar(text(f"SELECT count(*) FROM (SELECT * FROM {live} EXCEPT SELECT * FROM {rebuilt})"))
            extra = conn.scalar(text(f"SELECT count(*) FROM (SELECT * FROM {rebuilt} EXCEPT SELECT * FROM {live})"))
            rows = conn.scalar(text(f"SELECT count(*) FROM {rebuilt}"))
            out[table] = (missing or 0) + (extra or 0)
            out[f"{table} rows"] = rows
    engine.dispose()
    return out


def rebuild_command(url: str) -> float:
    """`wfsurvey projections rebuild` as an operator runs it: its wall time, process start included."""
    config = common.write_config_file("rebuild")
    binary = common.VENV_BIN / "wfsurvey"
    started = time.perf_counter()
    done = subprocess.run([str(binary) if binary.exists() else "wfsurvey", "projections", "rebuild"], cwd=common.ROOT,
                          env=common.process_env(config, url), capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"projections rebuild failed: {done.stderr[-3000:]}")
    return seconds


def profile_rebuild(url: str) -> str:
    from wfsurvey.extensions import db
    from wfsurvey.projections import rebuild

    app = common.make_app(url)
    with app.app_context():
        _, text_ = common.profile(lambda: rebuild(db.session), "projections.rebuild, in one process:")
    common.dispose(app)
    return text_


def run(size: Size, base: national.National | None = None) -> list[Metric]:
    base = base or national.build(size)
    wanted = size.n(FULL, 500)
    url = national.copy(base, "rebuild")
    try:
        started = time.perf_counter()
        events = pad(url, base, wanted)
        setup = time.perf_counter() - started
        snapshot(url)
        times, notes = [], []
        identical = True
        for rep in range(size.reps):
            times.append(rebuild_command(url))
            diff = differences(url)
            same = all(v == 0 for k, v in diff.items() if not k.endswith(" rows"))
            identical = identical and same
            notes.append(f"rep {rep + 1}: {times[-1]:.1f} s, " + ("identical" if same else f"DIFFERENT: {diff}"))
        rows = {k[:-5]: v for k, v in differences(url).items() if k.endswith(" rows")}
        notes.append(f"log of {events:,} events (padding took {setup:.0f} s); rebuilt rows: "
                     + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
        metric = Metric(
            number="7", name=f"projections rebuild of {events:,} events, SQLite", unit="s", values=times,
            target="< 60 s; identical to the live projections", check=lambda m: m.median < 60, higher_is_better=False,
            conditions={"every projection table identical to the live one": identical}, notes=notes,
            scaled=not size.full,
        )
        if size.full and not metric.passed:
            metric.profile = profile_rebuild(url)
    finally:
        common.remove_sqlite(common.sqlite_path(url))
    return [metric]


def main() -> None:
    common.cli(__doc__.splitlines()[0], run)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONPATH", str(common.ROOT))
    main()
