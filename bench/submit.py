"""Benchmarks 1 and 2: respondent submit under gunicorn (2 sync workers, 16 connections) on SQLite WAL and PostgreSQL.

Every request is a first submit through a different invitation's link (token lookup, validation,
response, event, projections, policies), so the round is launched with enough invitations for
every repetition, and the links are read from the invitation messages in the outbox. The floor
(bench/floor_app.py) is served the same way, with the same bodies, on the same kind of database.
CSRF is on in both apps, as users have it: each request carries a session cookie and the form's CSRF
token (one browser session's, made once per app with its secret key: csrf_session), so both pay for
reading the session and checking the token.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from urllib.parse import quote

from sqlalchemy import create_engine, func, select

from bench import common, data
from bench.common import Metric, Size

CONNECTIONS = 16
WORKERS = 2
#: Invitations per repetition and second of load: more than the real submit path can use up.
RATE_CAP = 1000
#: Seconds of load before the measured repetitions, so that each worker has loaded what it caches.
WARMUP_SECONDS = 1.0
LUA = common.BENCH_DIR / "submit.lua"


def backends() -> list[str]:
    wanted = os.environ.get("WFSURVEY_BENCH_BACKENDS", "sqlite,postgresql").split(",")
    out = [b for b in wanted if b == "sqlite" or (b == "postgresql" and common.postgres_available())]
    return out


def load_tool() -> str:
    return "wrk" if shutil.which("wrk") else "python"


@contextlib.contextmanager
def gunicorn(app_spec: str, env: dict[str, str], name: str) -> Iterator[int]:
    port = common.free_port()
    log = common.work_dir("logs") / f"{name}.log"
    binary = common.VENV_BIN / "gunicorn"
    command = [str(binary) if binary.exists() else "gunicorn", "-w", str(WORKERS), "-k", "sync",
               "-b", f"127.0.0.1:{port}", "--error-logfile", str(log), "--log-level", "warning", app_spec]
    proc = subprocess.Popen(command, cwd=common.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        common.wait_for_port(port, proc=proc)
        yield port
    finally:
        common.stop_process(proc)


def load(port: int, lines: list[str], seconds: float) -> dict:
    """Run the load client for `seconds` against the server; one request per line at most."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", dir=common.work_dir(), delete=False) as f:
        f.write("\n".join(lines) + "\n")
        requests_file = f.name
    try:
        if load_tool() == "wrk":
            out = subprocess.run(
                ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(LUA),
                 f"http://127.0.0.1:{port}", "--", requests_file, "1"],
                capture_output=True, text=True, timeout=seconds + 60,
            )
            if out.returncode != 0:
                raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr or out.stdout}")
            out = out.stdout
        else:
            out = subprocess.run(
                [common.PYTHON, "-m", "bench.loadclient", "--port", str(port), "--connections", str(CONNECTIONS),
                 "--seconds", str(seconds), "--requests", requests_file],
                capture_output=True, text=True, timeout=seconds + 60, check=True, cwd=common.ROOT,
            ).stdout
    finally:
        os.unlink(requests_file)
    result = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
    result["socket_errors"] = sum(v for k, v in result["errors"].items() if k != "status")
    return result


def count_submitted(url: str, lines: list[str] | None = None) -> int:
    """Submitted responses in the database; with `lines`, only those made through these requests' links."""
    from wfsurvey.domain.tokens import hash_token
    from wfsurvey.models import AccessToken, Response
    from wfsurvey.settings import normalise_database_url

    query = select(func.count(Response.id)).where(Response.status == "submitted")
    if lines is not None:
        hashes = [hash_token(line.split("\t", 1)[0].rsplit("/", 1)[1]) for line in lines]
        query = query.where(Response.invitation_id.in_(
            select(AccessToken.invitation_id).where(AccessToken.token_hash.in_(hashes))))
    engine = create_engine(normalise_database_url(url))
    try:
        with engine.connect() as conn:
            return conn.scalar(query) or 0
    finally:
        engine.dispose()


def settled_count(url: str, lines: list[str], quiet: float = 1.0, limit: float = 30.0) -> int:
    """Responses stored through these requests' links once the server has stored what it was sent.

    When wrk stops, requests it sent may still be queued or running in the workers (one per
    connection at most): the count is read once nothing new has been stored for `quiet` seconds.
    Counting this repetition's links only keeps stragglers of the warm-up or of the repetition
    before out of it, however slow the machine.
    """
    count = count_submitted(url, lines)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = count_submitted(url, lines)
        if now == count:
            break
        count = now
    return count


def prepare(url: str, invitations: int) -> list[str]:
    """A launched, open round of `invitations` people; one request line (path TAB body) per invitation."""
    app = common.make_app(url)
    common.migrate(app)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    with app.app_context():
        round_id = data.open_round(invitations, now)
        links = data.tokens_of_round(round_id)
        facts = data.invitation_facts([i for i, _ in links])
    common.dispose(app)
    lines = []
    for invitation_id, token in links:
        i, kind, region = facts[invitation_id]
        lines.append(f"/r/{token}\t{data.form_body(i, kind, region)}")
    return lines


def csrf_session(app) -> tuple[str, str]:
    """(CSRF token, Cookie header) of one browser session of `app`, made with its secret key as its pages would."""
    from flask import session
    from flask_wtf.csrf import generate_csrf

    with app.test_request_context():
        token = generate_csrf()
        value = app.session_interface.get_signing_serializer(app).dumps(dict(session))
    return token, f"{app.config['SESSION_COOKIE_NAME']}={value}"


def with_csrf(lines: list[str], csrf: tuple[str, str]) -> list[str]:
    """The request lines as a browser sends them: the form's CSRF token in the body, the session cookie (third field)."""
    token, cookie = csrf
    field = "&csrf_token=" + quote(token, safe="")
    return [f"{line}{field}\t{cookie}" for line in lines]


def browser(app, csrf: tuple[str, str]):
    """A Flask test client holding the session cookie of `csrf` (csrf_session), as a browser would."""
    client = app.test_client()
    name, value = csrf[1].split("=", 1)
    client.set_cookie(name, value)
    return client


def post(client, line: str, csrf: tuple[str, str]) -> None:
    """One request line through a browser() client, with the session's CSRF token; it must store and redirect."""
    path, body = line.split("\t", 1)
    response = client.post(path, data=body + "&csrf_token=" + quote(csrf[0], safe=""),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 303, response.status_code


def floor_lines(template_lines: list[str], count: int, tag: str) -> list[str]:
    """The same bodies to made-up links: the floor looks nothing up."""
    bodies = [line.split("\t", 1)[1] for line in template_lines]
    return [f"/r/floor-{tag}-{k}\t{bodies[k % len(bodies)]}" for k in range(count)]


def run_backend(backend: str, size: Size) -> list[Metric]:
    per_rep = int(size.seconds * RATE_CAP)
    warmup = int(WARMUP_SECONDS * RATE_CAP) if size.full else 50
    number = "1" if backend == "sqlite" else "2"
    label = "SQLite WAL" if backend == "sqlite" else "PostgreSQL"
    app_rates, app_p99, floor_rates, floor_p99 = [], [], [], []
    errors = stored_ok = exhausted = 0
    notes = []
    with common.fresh_database(backend, "submit") as url, common.fresh_database(backend, "submit_floor") as floor_url:
        lines = plain = prepare(url, warmup + per_rep * size.reps)
        from bench import floor_app

        floor_app.init_db(floor_url)
        config = common.write_config_file("submit")
        app_env = common.process_env(config, url)
        # One browser session per app, made with the secret key its workers use (the config above; the floor's own).
        app = common.make_app(url)
        app_csrf = csrf_session(app)
        common.dispose(app)
        floor_csrf = csrf_session(floor_app.create_app(floor_url))
        lines = with_csrf(lines, app_csrf)
        floor_env = {**app_env, "WFSURVEY_BENCH_FLOOR_URL": floor_url}
        with gunicorn("wfsurvey:create_app()", app_env, f"submit-{backend}") as app_port, \
                gunicorn("bench.floor_app:create_app()", floor_env, f"floor-{backend}") as floor_port:
            # Each worker's first requests load and compile what it then caches: not part of the measure.
            warm = load(app_port, lines[:warmup], WARMUP_SECONDS)
            load(floor_port, with_csrf(floor_lines(plain, warmup * 3, "warm"), floor_csrf), WARMUP_SECONDS)
            if warm["errors"]["status"] or warm["socket_errors"]:
                notes.append(f"warm-up errors: {warm['errors']}")
            for rep in range(size.reps):
                part = lines[warmup + rep * per_rep: warmup + (rep + 1) * per_rep]
                result = load(app_port, part, size.seconds)
                stored = settled_count(url, part)
                answered = result["requests"] - result["errors"]["status"]
                # Requests still in flight when the load stops may be stored without being counted by the client.
                if not answered <= stored <= answered + CONNECTIONS:
                    stored_ok += 1
                    notes.append(f"rep {rep + 1}: {answered} answered but {stored} stored")
                errors += result["errors"]["status"] + result["socket_errors"]
                exhausted += result["exhausted_threads"]
                app_rates.append(result["rate"])
                app_p99.append(result["latency_us"]["p99"] / 1000)
                floor = load(floor_port, with_csrf(floor_lines(plain, int(size.seconds * RATE_CAP * 4), str(rep)), floor_csrf),
                             size.seconds)
                floor_rates.append(floor["rate"])
                floor_p99.append(floor["latency_us"]["p99"] / 1000)
                notes.append(
                    f"rep {rep + 1}: {result['requests']} submits, {stored} stored, p50 {result['latency_us']['p50'] / 1000:.1f} ms"
                    f"; floor {floor['requests']} requests, p99 {floor['latency_us']['p99'] / 1000:.1f} ms"
                    + (f", floor errors {floor['errors']}" if floor["errors"]["status"] or floor["socket_errors"] else "")
                )
    conditions = {"0 errors": errors == 0, "every request stored": stored_ok == 0,
                  "enough invitations for every request": exhausted == 0}
    # Issue 15: half the floor's rate on SQLite; on PostgreSQL, whose server's work is the same for both, 40 %.
    share = 0.5 if backend == "sqlite" else 0.4
    throughput = Metric(
        number=number, name=f"respondent submit, {label}: requests/s", unit="req/s", values=app_rates,
        target=f"≥ {share * 100:.0f} % of the floor's requests/s; 0 errors; every request stored",
        check=lambda m: (m.ratio or 0) >= share, floor=floor_rates,
        floor_name="bare Flask + WTForms + one ORM insert, same gunicorn settings, CSRF on in both", conditions=conditions,
        notes=notes + [f"load: {load_tool()}, {CONNECTIONS} connections, {WORKERS} sync workers, {size.seconds:g} s per rep"],
        scaled=not size.full,
    )
    latency = Metric(
        number=number, name=f"respondent submit, {label}: p99 latency", unit="ms", values=app_p99,
        target="p99 ≤ 50 ms", check=lambda m: m.median <= 50, floor=floor_p99, floor_name="the floor's p99",
        higher_is_better=False, scaled=not size.full,
    )
    return [throughput, latency]


def count_submit(backend: str, size: Size) -> str:
    """Statements, transactions, connection check-outs and (PostgreSQL) round trips of a first submit, in one process.

    Counted with SQLAlchemy's events over submits through the Flask test client, after each route's first
    requests: statements (before_cursor_execute), commits, rollbacks and check-outs from the pool. On
    PostgreSQL each statement is a round trip, and so are psycopg's BEGIN, the COMMIT and the pool's
    pre-ping at check-out.
    """
    from sqlalchemy import event

    from wfsurvey.extensions import db

    count = 60 if size.full else 10
    with common.fresh_database(backend, "submit_count") as url:
        lines = prepare(url, count + 10)
        app = common.make_app(url)
        csrf = csrf_session(app)
        client = browser(app, csrf)
        with app.app_context():
            engine = db.engine
            pre_ping = engine.pool._pre_ping
        seen = dict.fromkeys(("statements", "commits", "rollbacks", "checkouts", "begins"), 0)

        def tally(name):
            def listener(*_args) -> None:
                seen[name] += 1
            return listener

        listeners = [("before_cursor_execute", tally("statements")), ("commit", tally("commits")),
                     ("rollback", tally("rollbacks")), ("checkout", tally("checkouts")), ("begin", tally("begins"))]
        for n, line in enumerate(lines):
            if n == 10:
                for name, listener in listeners:
                    event.listen(engine, name, listener)
            post(client, line, csrf)
        for name, listener in listeners:
            event.remove(engine, name, listener)
        common.dispose(app)
    per = {k: v / count for k, v in seen.items()}
    app_cpu, floor_cpu = cpu_in_process(backend, size)
    text = (f"{backend}: {per['statements']:.1f} statements a first submit (the benchmark's mix: 10 % boards), "
            f"{per['begins']:.1f} transactions, {per['commits']:.1f} commits, {per['rollbacks']:.1f} rollbacks, "
            f"{per['checkouts']:.1f} connection check-outs")
    if backend == "postgresql":
        trips = per["statements"] + per["begins"] + per["commits"] + (per["checkouts"] if pre_ping else 0)
        text += (f"; {trips:.1f} round trips to the server (the statements, psycopg's BEGIN, the COMMIT"
                 + (", the pool's pre-ping)" if pre_ping else ")"))
    text += (f"; in one process (Flask test client, no HTTP server; CPU time of the process, the database server's "
             f"not in it) {app_cpu:.2f} ms a first submit against the floor's {floor_cpu:.2f} ms "
             f"({floor_cpu / app_cpu * 100:.0f} % of the floor's efficiency), the two taking turns in slices of 50")
    return text


def cpu_in_process(backend: str, size: Size) -> tuple[float, float]:
    """(ours, the floor's) median CPU milliseconds a submit through the Flask test client, in one process.

    Taking turns in slices of 50 submits, so that the machine's drift meets both alike: on a shared machine
    this ratio holds better than requests per second under load.
    """
    from bench import floor_app

    slices = 6 if size.full else 2
    with common.fresh_database(backend, "submit_cpu") as url, common.fresh_database(backend, "submit_cpu_floor") as floor_url:
        lines = prepare(url, 50 * slices + 20)
        floor_app.init_db(floor_url)
        app = common.make_app(url)
        floor = floor_app.create_app(floor_url)
        sessions = {"ours": csrf_session(app), "floor": csrf_session(floor)}
        clients = {"ours": browser(app, sessions["ours"]), "floor": browser(floor, sessions["floor"])}
        paths = {"ours": lines, "floor": floor_lines(lines, len(lines), "cpu")}
        per: dict[str, list[float]] = {"ours": [], "floor": []}

        def go(which: str, part: list[str]) -> None:
            for line in part:
                post(clients[which], line, sessions[which])

        for which in clients:
            go(which, paths[which][:20])  # each app compiles and caches on its first requests
        for k in range(slices):
            for which in clients:
                part = paths[which][20 + 50 * k: 20 + 50 * (k + 1)]
                started = time.process_time()
                go(which, part)
                per[which].append((time.process_time() - started) / len(part) * 1000)
        common.dispose(app)
        with floor.app_context():
            floor_app.db.session.remove()
            floor_app.db.engine.dispose()
    return statistics.median(per["ours"]), statistics.median(per["floor"])


def profile_submit(size: Size) -> str:
    """Where one worker's time goes: submits through the Flask test client on SQLite, timed, then under pyinstrument.

    The timed part also sums the time spent inside the database driver's execute (commits aside),
    which tells the database's share apart from the Python stack's (Flask, SQLAlchemy, ours).
    """
    from sqlalchemy import event

    with common.fresh_database("sqlite", "submit_profile") as url:
        count = 300 if size.full else 20
        lines = prepare(url, 2 * count)
        app = common.make_app(url)
        csrf = csrf_session(app)
        client = browser(app, csrf)

        def go(part: list[str]) -> None:
            for line in part:
                post(client, line, csrf)

        from wfsurvey.extensions import db

        with app.app_context():
            engine = db.engine
        driver = {"seconds": 0.0, "statements": 0}
        started: dict[int, float] = {}

        def before(conn, cursor, statement, parameters, context, executemany) -> None:
            started[id(cursor)] = time.perf_counter()

        def after(conn, cursor, statement, parameters, context, executemany) -> None:
            driver["seconds"] += time.perf_counter() - started.pop(id(cursor), time.perf_counter())
            driver["statements"] += 1

        go(lines[: count // 3])  # each route's first requests compile and cache what the rest reuse
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        clock, cpu = time.perf_counter(), time.process_time()
        go(lines[count // 3: count // 3 + count])
        seconds, cpu = time.perf_counter() - clock, time.process_time() - cpu
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        summary = (f"{count} submits through the test client (SQLite), one process, no profiler: "
                   f"{seconds / count * 1000:.2f} ms a submit ({cpu / count * 1000:.2f} ms of CPU), of which "
                   f"{driver['seconds'] / count * 1000:.2f} ms inside the database driver's execute "
                   f"({driver['statements'] / count:.1f} statements a submit, commits not counted); the rest is "
                   f"Python: Flask, SQLAlchemy and the command's own code.")
        _, text = common.profile(lambda: go(lines[count // 3 + count:]),
                                 f"{summary}\n\nThe next {len(lines) - count // 3 - count} under pyinstrument:")
        common.dispose(app)
    return text


def run(size: Size) -> list[Metric]:
    metrics: list[Metric] = []
    counts = []
    for backend in backends():
        found = run_backend(backend, size)
        # The statement count and the profile of the submit are quoted whatever the result (issue 15).
        counts.append(count_submit(backend, size))
        found[0].notes.append(counts[-1])
        metrics.extend(found)
    metrics[0].profile = "\n".join(counts) + "\n\n" + profile_submit(size)
    return metrics


def main() -> None:
    common.cli(__doc__.splitlines()[0], run)


if __name__ == "__main__":
    main()
