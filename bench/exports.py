"""Benchmark 10: the raw export of a 100,000-response round, as CSV and as XLSX, streamed: the peak RSS of the process
that serves it stays under 150 MB; and the responses list of that round, a page at a time and searched in free text.

The round is the national one (100,000 invitations, 40 % answered through SaveAnswers: bench/national.py) on a
copy; the other 60 % of its invitations get a submitted response written with Core inserts (the one shortcut of
the setup: SaveAnswers for 60,000 more would take many minutes), shaped as SaveAnswers stores them, with the
answers of bench/data.answers_form cleaned by the real clean_answers. Each repetition serves the file in a child
process through the real route (GET /api/v1/rounds/<id>/responses.csv or .xlsx, Flask's test client, the body
read piece by piece and written to a file), which reports its peak RSS (VmHWM), its RSS with the app loaded
before the request, the time and the size; the file is then checked to hold one row per response.

The list is timed as benchmark 6 times the dashboard (bench/dashboard.Clients: in process, server time only, SQL
statements counted against a 100-response round): its first page, a page from the middle (after a cursor), one
region's, the staff page, and a search in the free-text answers for words only one response holds, which reads
every response of the round (no index serves a search inside text) and counts the matches.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
import time
import zipfile

from sqlalchemy import func, insert, select

from bench import common, data, national
from bench.common import Metric, Size

FULL = 100_000
TARGET_MB = 150
EMAIL, PASSWORD = "exports@example.org", "benchmark-password-1234"
FORMATS = ("csv", "xlsx")


def top_up(url: str, round_id: int, now: dt.datetime) -> tuple[int, str]:
    """Give every invitation of the round without a response a submitted one; (responses in all, an API token)."""
    from wfsurvey.domain import commands as cmd
    from wfsurvey.domain.answers import clean_answers
    from wfsurvey.extensions import db
    from wfsurvey.models import Invitation, Response, Round
    from wfsurvey.services import handle

    app = common.make_app(url)
    with app.app_context():
        session = db.session
        questions = session.get(Round, round_id).template.questions
        answered = set(session.scalars(select(Response.invitation_id).where(Response.round_id == round_id)))
        invitations = [(i, org) for i, org in session.execute(
            select(Invitation.id, Invitation.organization_id).where(Invitation.round_id == round_id).order_by(Invitation.id))
            if i not in answered]
        facts = data.invitation_facts([i for i, _ in invitations])
        for start in range(0, len(invitations), 5000):
            rows = []
            for invitation_id, organization_id in invitations[start:start + 5000]:
                i, kind, region = facts[invitation_id]
                answers, _ = clean_answers(questions, data.answers_form(i, kind, region), kind, complete=True)
                rows.append({"invitation_id": invitation_id, "round_id": round_id, "organization_id": organization_id,
                             "organization_slot": organization_id, "answers": answers, "status": "submitted",
                             "revision": 1, "created_at": now, "updated_at": now, "submitted_at": now})
            session.execute(insert(Response), rows)
            session.commit()
        total = session.scalar(select(func.count(Response.id)).where(Response.round_id == round_id,
                                                                         Response.status == "submitted"))
        handle(cmd.CreateUser(email=EMAIL, password=PASSWORD, role="staff", name="Bench"), actor="bench")
        token = handle(cmd.CreateApiToken(user_email=EMAIL, name="exports"), actor="bench")
        db.session.remove()
    common.dispose(app)
    return total, token


# --- the child process -----------------------------------------------------------------------

def count_rows(path: str, fmt: str) -> int:
    """Data rows of the file, read in constant memory."""
    if fmt == "csv":
        with open(path, encoding="utf-8-sig", newline="") as f:
            return sum(1 for _ in csv.reader(f)) - 1
    rows, tail = 0, b""
    with zipfile.ZipFile(path) as archive, archive.open("xl/worksheets/sheet1.xml") as sheet:
        while piece := sheet.read(1 << 20):
            block = tail + piece
            rows += block.count(b"</row>")
            tail = block[-5:]  # a "</row>" cut between two pieces is counted once: the tail is shorter than it
    return rows - 1


def child_export(url: str, round_id: int, fmt: str, token: str, out: str) -> dict:
    app = common.make_app(url)
    client = app.test_client()
    loaded = common.proc_rss_mb(os.getpid())[0]
    started = time.perf_counter()
    response = client.get(f"/api/v1/rounds/{round_id}/responses.{fmt}", headers={"Authorization": f"Bearer {token}"},
                          buffered=False)
    if response.status_code != 200:
        raise RuntimeError(f"GET responses.{fmt}: {response.status_code}")
    size = 0
    with open(out, "wb") as f:
        for piece in response.response:
            f.write(piece)
            size += len(piece)
    response.close()
    seconds = time.perf_counter() - started
    peak = common.peak_rss_mb()
    common.dispose(app)
    return {"seconds": seconds, "peak_rss_mb": peak, "loaded_rss_mb": loaded, "bytes": size, "rows": count_rows(out, fmt)}


# --- the list ------------------------------------------------------------------------------------

def list_paths(url: str, round_id: int) -> dict[str, str]:
    """The list's requests: a middle page starts after the cursor of the response halfway down the list."""
    from wfsurvey.extensions import db
    from wfsurvey.models import Response
    from wfsurvey.queries.responses import cursor

    app = common.make_app(url)
    with app.app_context():
        ids = db.session.execute(select(Response.updated_at, Response.id).where(Response.round_id == round_id)
                                 .order_by(Response.updated_at.desc(), Response.id.desc())).all()
        middle = cursor(*ids[len(ids) // 2])
        # Words of one response's answer to the long-text question (bench/data.answers_form writes "pathway <i> ").
        one = db.session.scalar(select(Response.answers["initiatives"].as_string())
                                .where(Response.round_id == round_id, Response.answers["initiatives"].as_string().is_not(None))
                                .order_by(Response.id).limit(1))
        db.session.remove()
    common.dispose(app)
    words = " ".join(one.split()[:4])  # "Apprenticeship pathway 123 with": one contact number
    base = f"/api/v1/rounds/{round_id}/responses"
    return {
        "API responses list, first page": base,
        "API responses list, a page from the middle": f"{base}?after={middle}",
        "API responses list, one region's first page": f"{base}?region={data.region_code(3)}",
        "HTML responses list, first page": f"/staff/rounds/{round_id}/responses",
        "API responses search in free text (one match)": f"{base}?q={words.replace(' ', '+')}",
    }


def measure_list(url: str, round_id: int, reps: int, requests: int = 9) -> dict[str, tuple[list[float], int, int]]:
    """Per request: the median time of each repetition (ms), the statements of one request, the items it listed."""
    import statistics

    from bench.dashboard import Clients

    paths = list_paths(url, round_id)
    clients = Clients(url)
    out = {}
    try:
        for name, path in paths.items():
            for _ in range(2):
                clients.get(path)
            medians, statements = [], set()
            for _ in range(reps):
                times = []
                for _ in range(requests):
                    seconds, count = clients.get(path)
                    times.append(seconds * 1000)
                    statements.add(count)
                medians.append(statistics.median(times))
            listed = -1
            if path.startswith("/api/"):
                response = clients.api.get(path, headers=clients.headers)
                listed = len(response.get_json()["items"])
            out[name] = (medians, max(statements), listed)
    finally:
        clients.close()
    return out


def list_metrics(size: Size, base: national.National, url: str, responses: int) -> list[Metric]:
    small = national.build(Size(scale=100 / national.FULL, reps=1), name="exports_small")
    try:
        top_up(small.url, small.round_id, small.answered_at)
        few = measure_list(small.url, small.round_id, 1, requests=1)
    finally:
        common.remove_sqlite(common.sqlite_path(small.url))
    big = measure_list(url, base.round_id, size.reps)
    metrics = []
    for name, (medians, statements, listed) in big.items():
        search = "search" in name
        target = "median < 1 s (reads every response of the round)" if search else \
            "median < 50 ms; SQL statements identical to a 100-response round"
        conditions = {f"SQL statements identical ({statements} vs {few[name][1]} for 100 responses)": statements == few[name][1]}
        if search:
            conditions = {"the one response found": listed == 1}
        metrics.append(Metric(
            number="10", name=f"{name} of a {responses:,}-response round: server time", unit="ms", values=medians,
            target=target, check=(lambda m: m.median < 1000) if search else (lambda m: m.median < 50),
            higher_is_better=False, scaled=not size.full, conditions=conditions,
            notes=["each value: the median of 9 requests through the test client"]
            + ([f"{listed} responses listed"] if listed >= 0 else []),
        ))
    return metrics


# --- the benchmark ---------------------------------------------------------------------------

def run(size: Size, base: national.National | None = None) -> list[Metric]:
    base = base or national.build(size)
    url = national.copy(base, "exports")
    metrics = []
    try:
        started = time.perf_counter()
        responses, token = top_up(url, base.round_id, base.answered_at)
        setup = time.perf_counter() - started
        for fmt in FORMATS:
            peaks, notes, complete = [], [], True
            for rep in range(size.reps):
                out = str(common.work_dir() / f"exports.{fmt}")
                result = common.run_child("bench.exports", "--child", url, str(base.round_id), fmt, token, out)
                os.unlink(out)
                peaks.append(result["peak_rss_mb"])
                complete = complete and result["rows"] == responses
                notes.append(f"rep {rep + 1}: {result['seconds']:.1f} s, {result['bytes'] / 1e6:.1f} MB of {fmt.upper()}, "
                             f"{result['rows']:,} rows; RSS with the app loaded, before the request: "
                             f"{result['loaded_rss_mb']:.0f} MB")
            notes.append(f"setup: {responses - base.submitted:,} of the {responses:,} responses written with Core inserts "
                         f"(see the module docstring), in {setup:.0f} s")
            metrics.append(Metric(
                number="10", name=f"raw responses export as {fmt.upper()} of a {responses:,}-response round, streamed: "
                                  "peak RSS of the process", unit="MB", values=peaks, target=f"< {TARGET_MB} MB",
                check=lambda m: m.median < TARGET_MB, higher_is_better=False, scaled=not size.full,
                conditions={f"every response exported ({responses:,} rows)": complete}, notes=notes,
            ))
        metrics.extend(list_metrics(size, base, url, responses))
    finally:
        common.remove_sqlite(common.sqlite_path(url))
    return metrics


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--child":
        parser = argparse.ArgumentParser()
        for name in ("url", "round_id", "fmt", "token", "out"):
            parser.add_argument(name)
        # "--": the API token is random text, and may begin with "-" (argparse would take it for an option).
        args = parser.parse_args(["--", *argv[1:]])
        print(json.dumps(child_export(args.url, int(args.round_id), args.fmt, args.token, args.out)))
        return
    common.cli(__doc__.splitlines()[0], run, argv)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONPATH", str(common.ROOT))
    main()
