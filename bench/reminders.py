"""Benchmarks 4 and 9: the reminder sweep of the national round (100,000 open invitations, 60 % unanswered), run by
the real `wfsurvey scheduler` process, whose resident memory is sampled meanwhile.

Each repetition starts a scheduler on a fresh copy of the national round; its first tick runs every
job at the clock's time, and the reminders job's own record (job_runs: started, finished, counts)
gives the sweep's duration. Delivery points at a closed port, so the queued reminders stay queued
(delivery is benchmark 5). Then a second sweep at the same logical time must queue nothing.
"""
from __future__ import annotations

import datetime as dt
import subprocess
import threading
import time

from sqlalchemy import create_engine, func, select

from bench import common, national
from bench.common import Metric, Size

#: Upper bound on one scheduler run (the sweep's target is 10 s).
TICK_TIMEOUT = 300


def job_runs(url: str) -> list[tuple]:
    from wfsurvey.models import JobRun

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(JobRun.job, JobRun.logical_now, JobRun.started_at, JobRun.finished_at,
                                       JobRun.counts, JobRun.error).order_by(JobRun.id)).all()
    finally:
        engine.dispose()


def run_scheduler(url: str) -> dict:
    """Start `wfsurvey scheduler`, wait for its first tick to finish every job, stop it; the reminders run and the RSS."""
    closed_port = common.free_port()
    config = common.write_config_file(
        "scheduler", SMTP_URL=f"smtp://127.0.0.1:{closed_port}", SCHEDULER_INTERVAL_SECONDS=3600,
        SCHEDULER_HEARTBEAT_SECONDS=1, SCHEDULER_LEASE_SECONDS=30,
    )
    log = open(common.work_dir("logs") / "scheduler.log", "w")
    binary = common.VENV_BIN / "wfsurvey"
    proc = subprocess.Popen([str(binary) if binary.exists() else "wfsurvey", "scheduler"], cwd=common.ROOT,
                            env=common.process_env(config, url), stdout=log, stderr=subprocess.STDOUT)
    samples: list[float] = []
    peak = [0.0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            try:
                rss, hwm = common.proc_rss_mb(proc.pid)
            except (OSError, ValueError):
                return
            samples.append(rss)
            peak[0] = max(peak[0], hwm)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        deadline = time.monotonic() + TICK_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the scheduler exited with {proc.returncode}; see {log.name}")
            runs = job_runs(url)
            if any(r.job == "designations" and r.finished_at is not None for r in runs):
                break
            time.sleep(0.2)
        else:
            raise TimeoutError(f"the scheduler's first run did not finish within {TICK_TIMEOUT} s")
    finally:
        stop.set()
        sampler.join()
        common.stop_process(proc)
        log.close()
    reminders = next(r for r in runs if r.job == "reminders")
    return {
        "seconds": (reminders.finished_at - reminders.started_at).total_seconds(),
        "logical_now": reminders.logical_now, "counts": reminders.counts, "error": reminders.error,
        "peak_rss_mb": peak[0], "max_sampled_rss_mb": max(samples) if samples else 0.0,
    }


def second_sweep(url: str, logical_now) -> tuple[float, dict]:
    """The reminders job again, in this process, at the first run's logical time."""
    from wfsurvey.jobs import reminders

    app = common.make_app(url)
    counts: dict = {}
    with app.app_context():
        started = time.perf_counter()
        reminders.run(logical_now, counts)
        seconds = time.perf_counter() - started
    common.dispose(app)
    return seconds, counts


def expected_reminders(url: str, round_id: int) -> int:
    from wfsurvey.models import Invitation

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count(Invitation.id)).where(Invitation.round_id == round_id,
                                                                       Invitation.status.in_(["sent", "started"]))) or 0
    finally:
        engine.dispose()


def profile_sweep(base: national.National) -> str:
    url = national.copy(base, "reminders_profile")
    try:
        from wfsurvey.jobs import reminders

        app = common.make_app(url)
        with app.app_context():
            _, text = common.profile(lambda: reminders.run(dt.datetime.now(dt.timezone.utc), {}), "the reminders job, in one process:")
        common.dispose(app)
    finally:
        common.remove_sqlite(common.sqlite_path(url))
    return text


def run(size: Size, base: national.National | None = None) -> list[Metric]:
    base = base or national.build(size)
    sweeps, rss, second, notes = [], [], [], []
    queued_ok = again_ok = True
    for rep in range(size.reps):
        url = national.copy(base, f"reminders_{rep}")
        try:
            expected = expected_reminders(url, base.round_id)
            first = run_scheduler(url)
            seconds, counts = second_sweep(url, first["logical_now"])
            sweeps.append(first["seconds"])
            rss.append(first["peak_rss_mb"])
            second.append(seconds)
            queued_ok = queued_ok and first["error"] is None and first["counts"].get("queued") == expected
            again_ok = again_ok and counts.get("queued") == 0
            notes.append(f"rep {rep + 1}: first sweep {first['counts']} in {first['seconds']:.1f} s "
                         f"(expected {expected} queued); second sweep queued {counts.get('queued')} in {seconds:.1f} s")
        finally:
            common.remove_sqlite(common.sqlite_path(url))
    notes.append(f"round: {base.invitations:,} invitations, {base.submitted:,} answered; delivery pointed at a closed port")
    sweep = Metric(
        number="4", name=f"reminder sweep over {base.invitations:,} open invitations, 60 % unanswered (scheduler, SQLite)",
        unit="s", values=sweeps, target="< 10 s; a second sweep at the same time queues 0",
        check=lambda m: m.median < 10, higher_is_better=False, notes=notes, scaled=not size.full,
        conditions={"every unanswered invitation reminded once": queued_ok, "second sweep queues 0": again_ok},
    )
    memory = Metric(
        number="9", name="scheduler process during benchmark 4: peak RSS", unit="MB", values=rss,
        target="RSS < 200 MB", check=lambda m: m.median < 200, higher_is_better=False, scaled=not size.full,
        notes=["peak from /proc/<pid>/status VmHWM of the `wfsurvey scheduler` process over its whole run"],
    )
    if size.full and not sweep.passed:
        sweep.profile = profile_sweep(base)
    return [sweep, memory]


def main() -> None:
    common.cli(__doc__.splitlines()[0], run)


if __name__ == "__main__":
    main()
