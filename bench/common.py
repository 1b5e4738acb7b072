"""What every benchmark shares: the work dir, fresh databases, the benchmark app config, metrics, machine facts, profiles.

A benchmark module exposes `run(size) -> list[Metric]` and a `main()` built with `cli()`; the
suite (`python -m bench`) runs them all and writes bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
#: Databases, logs and scratch files (git-ignored); a test points it elsewhere.
WORK = Path(os.environ.get("WFSURVEY_BENCH_WORK") or BENCH_DIR / "_work")
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
#: The PostgreSQL server the benchmarks create their databases on (trust auth on loopback).
PG_SERVER = os.environ.get("WFSURVEY_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")

#: Settings of every benchmark app (and of the gunicorn and scheduler processes, through a config file).
#: Rate limits stay on, with limits no benchmark reaches: all load comes from one loopback address.
BENCH_CONFIG: dict[str, Any] = {
    "ENV": "benchmark",
    "SECRET_KEY": "benchmark-secret-key",
    "BASE_URL": "https://survey.example.org",
    "MAIL_FROM": "State Workforce Association <survey@example.org>",
    "TIMEZONE": "America/Los_Angeles",
    "RATELIMIT_STORAGE_URI": "memory://",
    "RESPOND_LINK_RATE_LIMIT": "1000000 per minute",
    "RESPOND_NOT_FOUND_RATE_LIMIT": "1000000 per minute",
}


@dataclass
class Size:
    """How big a benchmark runs: `scale` multiplies the issue's row counts, `reps` repetitions, `seconds` of load."""

    scale: float = 1.0
    reps: int = 3
    seconds: float = 5.0

    def n(self, full: int, minimum: int = 10) -> int:
        return max(minimum, int(full * self.scale))

    @property
    def full(self) -> bool:
        return self.scale >= 1.0


@dataclass
class Metric:
    """One row of RESULTS.md: a measured value per repetition, the target, and the floor measured alongside."""

    number: str
    name: str
    unit: str
    values: list[float]
    #: The target as the issue states it, and the test of the headline value against it.
    target: str
    check: Callable[[Metric], bool] | None = None
    floor: list[float] | None = None
    floor_name: str = ""
    #: True when bigger is better (throughput); False for times and sizes (see ratio).
    higher_is_better: bool = True
    notes: list[str] = field(default_factory=list)
    #: Extra conditions that must hold for a pass (0 errors, every request stored, identical results).
    conditions: dict[str, bool] = field(default_factory=dict)
    profile: str = ""
    #: The size the metric ran at, when not the issue's (smoke runs).
    scaled: bool = False

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def floor_median(self) -> float | None:
        return statistics.median(self.floor) if self.floor else None

    @property
    def ratio(self) -> float | None:
        """Value against the floor, as 'how much of the floor's speed': throughput / floor, or floor time / time."""
        f = self.floor_median
        if not f or not self.values or not self.median:
            return None  # a value of 0 (a tiny --quick run, or nothing measured) has no ratio
        return self.median / f if self.higher_is_better else f / self.median

    @property
    def passed(self) -> bool:
        ok = all(self.conditions.values())
        if self.check is not None:
            ok = ok and bool(self.check(self))
        return ok

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number, "name": self.name, "unit": self.unit, "values": self.values, "median": self.median,
            "target": self.target, "floor": self.floor, "floor_name": self.floor_name, "ratio": self.ratio,
            "passed": self.passed, "conditions": self.conditions, "notes": self.notes, "scaled": self.scaled,
            "profile": self.profile,
        }


# --- databases ------------------------------------------------------------------------------

def work_dir(*parts: str) -> Path:
    path = WORK.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def copy_sqlite(source_url: str, name: str) -> str:
    """A copy of a (checkpointed, closed) SQLite database under a new name in the work dir."""
    source = sqlite_path(source_url)
    with contextlib.closing(sqlite3.connect(source)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    target = work_dir() / f"{name}.sqlite"
    remove_sqlite(target)
    shutil.copyfile(source, target)
    return sqlite_url(target)


def _pg_admin(sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_SERVER.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def pg_url(name: str) -> str:
    base, _, _ = PG_SERVER.rpartition("/")
    return f"{base}/{name}"


def create_postgres(prefix: str, template: str | None = None) -> str:
    """A new PostgreSQL database (optionally a copy of `template`'s, which must have no connections); its URL."""
    name = f"wfs_bench_{prefix}_{uuid.uuid4().hex[:8]}"
    _pg_admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return pg_url(name)


def drop_postgres(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_available() -> bool:
    try:
        _pg_admin("SELECT 1")
        return True
    except Exception:  # noqa: BLE001  (any failure means: skip the PostgreSQL rows, say why)
        return False


@contextlib.contextmanager
def fresh_database(backend: str, name: str) -> Iterator[str]:
    """A new empty database on `backend` ("sqlite" or "postgresql"), dropped (PostgreSQL) after the block."""
    if backend == "sqlite":
        path = work_dir() / f"{name}.sqlite"
        remove_sqlite(path)
        yield sqlite_url(path)
        return
    url = create_postgres(name)
    try:
        yield url
    finally:
        drop_postgres(url)


def db_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


# --- the app ---------------------------------------------------------------------------------

def make_app(url: str, **overrides: Any):
    from wfsurvey import create_app

    return create_app({**BENCH_CONFIG, "DATABASE_URL": url, "INSTANCE_PATH": str(work_dir("instance")), **overrides})


def migrate(app) -> None:
    from flask_migrate import upgrade

    from wfsurvey.paths import MIGRATIONS_DIR

    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))


def dispose(app) -> None:
    from wfsurvey.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def write_config_file(name: str, **overrides: Any) -> Path:
    """A WFSURVEY_CONFIG file with the benchmark settings, for processes started by command (gunicorn, scheduler)."""
    path = work_dir() / f"{name}.cfg.py"
    lines = [f"{key} = {value!r}" for key, value in {**BENCH_CONFIG, **overrides}.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def process_env(config: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WFSURVEY_")}
    env.update(WFSURVEY_CONFIG=str(config), WFSURVEY_DATABASE_URL=url, PYTHONPATH=str(ROOT),
               WFSURVEY_INSTANCE_PATH=str(work_dir("instance")))
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def stop_process(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- measuring -------------------------------------------------------------------------------

@contextlib.contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    started = time.perf_counter()
    ended: list[float] = []
    yield lambda: (ended[0] if ended else time.perf_counter()) - started
    ended.append(time.perf_counter())


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB.

    VmHWM, not ru_maxrss: a child started by fork and exec inherits its parent's ru_maxrss (the
    benchmark suite's, hundreds of MB), while VmHWM belongs to the process's own memory map.
    """
    with contextlib.suppress(OSError):
        return proc_rss_mb(os.getpid())[1]
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def proc_rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a live process in MB, from /proc/<pid>/status."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, amount, _unit = line.split()
                values[key[:-1]] = int(amount) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def run_child(module: str, *args: str, env: dict[str, str] | None = None, timeout: float = 600) -> dict[str, Any]:
    """Run `python -m module args` and return the JSON object it prints on its last line of output."""
    done = subprocess.run([PYTHON, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env=env or {**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def profile(func: Callable[[], Any], title: str) -> tuple[Any, str]:
    """Run `func` under pyinstrument (when installed); its result and the profile as text."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        return func(), f"({title}: pyinstrument is not installed: pip install '.[bench]')"
    profiler = Profiler(interval=0.002)
    profiler.start()
    try:
        result = func()
    finally:
        profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False, short_mode=False)
    return result, f"{title}\n{trim_profile(text)}"


def trim_profile(text: str, max_lines: int = 70) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > max_lines:
        lines = lines[:max_lines] + [f"... ({len(lines) - max_lines} more lines)"]
    return "\n".join(lines)


# --- the machine -----------------------------------------------------------------------------

def reference_loop_ms() -> float:
    """Milliseconds a fixed pure-Python loop takes here (best of 3): how fast this machine is right now.

    The targets of rows 3, 4, 7 and 8 are absolute times, and a shared machine's speed drifts from
    one hour to the next: quoted at the start and the end of a run, this tells a slow machine from a
    slow program when two runs are compared.
    """
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i & 7
        best = min(best, time.perf_counter() - started)
    return best * 1000


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    pg = "not available"
    with contextlib.suppress(Exception):
        from sqlalchemy import create_engine, text

        engine = create_engine(PG_SERVER.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect() as conn:
            pg = conn.execute(text("SHOW server_version")).scalar()
        engine.dispose()
    wrk = shutil.which("wrk")
    wrk_version = "not installed (Python load client)"
    if wrk:
        out = subprocess.run([wrk, "--version"], capture_output=True, text=True)
        wrk_version = (out.stdout or out.stderr).splitlines()[0].split("[")[0].strip()
    mem = ""
    with contextlib.suppress(OSError, ValueError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    return {
        "CPU": cpu, "cores": str(os.cpu_count()), "memory": mem, "OS": platform.platform(terse=True),
        "Python": platform.python_version(), "SQLite": sqlite3.sqlite_version, "PostgreSQL": pg, "load": wrk_version,
    }


# --- command line ----------------------------------------------------------------------------

def cli(description: str, run: Callable[[Size], list[Metric]], argv: Sequence[str] | None = None) -> list[Metric]:
    """The command line of one benchmark: --size/--quick/--reps/--seconds, prints its rows, writes nothing else."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--size", type=float, default=1.0, help="fraction of the issue's row counts (default 1.0)")
    parser.add_argument("--quick", action="store_true", help="tiny size and one repetition: checks the script still runs")
    parser.add_argument("--reps", type=int, default=3, help="repetitions (default 3)")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds of HTTP load per repetition (default 5)")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON to FILE")
    args = parser.parse_args(argv)
    size = Size(scale=0.001, reps=1, seconds=1.0) if args.quick else Size(scale=args.size, reps=args.reps, seconds=args.seconds)
    metrics = run(size)
    from bench.report import text_table

    print(text_table(metrics))
    if args.json:
        Path(args.json).write_text(json.dumps([m.as_dict() for m in metrics], indent=1))
    return metrics
