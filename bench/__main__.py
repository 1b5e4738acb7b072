"""`python -m bench` (or `make bench`): run every benchmark (issues 6, 13 and 15) and write bench/RESULTS.md.

Options: --quick (tiny sizes, one repetition, written to bench/_work/RESULTS.md), --size, --reps,
--seconds, --only NAME[,NAME]. A benchmark that fails is reported under "could not run" and the
others still run. Each benchmark also runs alone: `python -m bench.submit --quick`, etc.
"""
from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from bench import common, report
from bench.common import Metric, Size

ORDER = ("designations", "submit", "growth", "launch", "reminders", "dashboard", "exports", "rebuild", "delivery")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes and one repetition (checks that everything runs)")
    parser.add_argument("--size", type=float, default=1.0, help="fraction of the issue's row counts (default 1.0)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per metric (default 3)")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds of HTTP load per repetition (default 5)")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(ORDER)}")
    parser.add_argument("--output", type=Path, help="where to write the results (default bench/RESULTS.md; "
                                                    "bench/_work/RESULTS.md for a scaled-down run)")
    args = parser.parse_args(argv)
    size = Size(scale=0.001, reps=1, seconds=1.0) if args.quick else Size(args.size, args.reps, args.seconds)
    chosen = [name for name in ORDER if not args.only or name in args.only.split(",")]
    unknown = set(filter(None, args.only.split(","))) - set(ORDER)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    output = args.output or (common.BENCH_DIR / "RESULTS.md" if size.full and size.reps >= 3 and not args.only
                             else common.work_dir() / "RESULTS.md")

    from bench import dashboard, delivery, designations, exports, growth, national, rebuild, reminders, submit

    speed_before = common.reference_loop_ms()
    started = time.perf_counter()
    metrics: list[Metric] = []
    problems: list[str] = []
    state: dict = {}

    def national_round():
        if "national" not in state:
            log("building the national round (100k invitations delivered, 40 % answered)")
            state["national"] = national.build(size, state.get("launched"))
            log(f"national round ready in {state['national'].seconds:.0f} s")
        return state["national"]

    steps = {
        "designations": lambda: designations.run(size),
        "submit": lambda: submit.run(size),
        "growth": lambda: growth.run(size),
        "launch": lambda: run_launch(size, state, any(name in chosen for name in ("reminders", "dashboard", "exports", "rebuild"))),
        "reminders": lambda: reminders.run(size, national_round()),
        "dashboard": lambda: dashboard.run(size, national_round()),
        "exports": lambda: exports.run(size, national_round()),
        "rebuild": lambda: rebuild.run(size, national_round()),
        "delivery": lambda: delivery.run(size),
    }
    for name in chosen:
        log(f"{name}: running")
        step_started = time.perf_counter()
        try:
            found = steps[name]()
        except Exception as exc:  # noqa: BLE001  (one broken benchmark must not hide the others' results)
            traceback.print_exc()
            problems.append(f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
            found = []
        metrics.extend(found)
        log(f"{name}: done in {time.perf_counter() - step_started:.0f} s")
        for metric in found:
            log(f"  {metric.number} {metric.name}: {report.fmt(metric.median, metric.unit)} "
                f"{'pass' if metric.passed else 'FAIL'}")
    if "national" in state:
        common.remove_sqlite(common.sqlite_path(state["national"].url))
    elapsed = time.perf_counter() - started
    command = "make bench" if output == common.BENCH_DIR / "RESULTS.md" else "python -m bench " + " ".join(argv or sys.argv[1:])
    machine = common.machine()
    machine["speed"] = (f"a fixed pure-Python loop (bench/common.reference_loop_ms) took {speed_before:.0f} ms at the "
                        f"start of the run and {common.reference_loop_ms():.0f} ms at the end")
    output.write_text(report.markdown(metrics, machine, command=command, elapsed=elapsed, reps=size.reps,
                                      problems=problems))
    print(report.text_table(metrics))
    log(f"wrote {output} ({elapsed / 60:.1f} minutes)")
    return 1 if problems else 0


def run_launch(size: Size, state: dict, keep: bool) -> list[Metric]:
    from bench import launch
    from bench.submit import backends

    metrics: list[Metric] = []
    for backend in backends():
        found, kept = launch.measure(backend, size, keep_last=keep)
        metrics.extend(found)
        if kept is not None:
            state["launched"] = kept
    return metrics


if __name__ == "__main__":
    sys.exit(main())
