"""Writing the results: a plain table for the terminal and bench/RESULTS.md (the table, the machine, notes and profiles)."""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from bench.common import Metric


def fmt(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}" if abs(value) >= 0.1 or value == 0 else f"{value:.3f}"
    return f"{text} {unit}".strip()


def spread(m: Metric) -> str:
    if not m.values:
        return "–"
    return f"{fmt(min(m.values))}–{fmt(max(m.values))}"


def ratio_text(m: Metric) -> str:
    r = m.ratio
    if r is None:
        return "–"
    return f"{r * 100:.0f} % (floor {fmt(m.floor_median, m.unit)})"


def verdict(m: Metric) -> str:
    if m.passed:
        return "pass"
    failed = [name for name, ok in m.conditions.items() if not ok]
    return "FAIL" + (f" ({', '.join(failed)})" if failed else "")


def rows(metrics: Sequence[Metric]) -> list[list[str]]:
    return [[m.number, m.name + (" (scaled down)" if m.scaled else ""), m.target, fmt(m.median, m.unit), spread(m),
             ratio_text(m), verdict(m)] for m in metrics]


HEADER = ["#", "metric", "target", "median", "min–max", "vs floor", "result"]


def text_table(metrics: Sequence[Metric]) -> str:
    table = [HEADER] + rows(metrics)
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)) for r in table]
    return "\n".join(lines)


def markdown(metrics: Sequence[Metric], machine: dict[str, str], *, command: str, elapsed: float,
             reps: int, problems: Sequence[str] = ()) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    out = [
        "# Benchmark results",
        "",
        f"Produced by `{command}` on {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} "
        f"in {elapsed / 60:.1f} minutes; each value is the median of {reps} repetitions. Floors are measured in the "
        "same run on the same machine: on a shared, noisy machine the ratios hold better than the absolute numbers.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---" for _ in HEADER) + "|",
    ]
    out += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows(metrics)]
    out += ["", "## Machine", ""]
    out += [f"- {key}: {value}" for key, value in machine.items()]
    if problems:
        out += ["", "## Benchmarks that could not run", ""] + [f"- {p}" for p in problems]
    noted = [m for m in metrics if m.notes or m.conditions]
    if noted:
        out += ["", "## Notes per metric", ""]
        for m in noted:
            out.append(f"- **{m.number} {m.name}**: values {', '.join(fmt(v, m.unit) for v in m.values)}"
                       + (f"; floor {', '.join(fmt(v, m.unit) for v in m.floor)}" if m.floor else ""))
            for name, ok in m.conditions.items():
                out.append(f"  - {name}: {'yes' if ok else 'NO'}")
            for note in m.notes:
                out.append(f"  - {note}")
    profiled = [m for m in metrics if m.profile]
    if profiled:
        out += ["", "## Profiles of missed targets", "",
                "pyinstrument, wall-clock time per call tree (library frames folded)."]
        for m in profiled:
            out += ["", f"### {m.number} {m.name}", "", "```", m.profile.rstrip(), "```"]
    return "\n".join(out) + "\n"
