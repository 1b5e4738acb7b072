"""Benchmark 6: the completion dashboard and the baseline table (API and HTML) of the national round (100k invitations,
40k responses): server time per request, and the SQL statements each takes, against a 100-invitation round.

Requests go through the Flask test client in this process, so the time is the server's alone
(routing, auth, queries, serializing or rendering), with no network or load client in it.
Statements are counted with a cursor-execute listener on the engine.
"""
from __future__ import annotations

import statistics
import time

from sqlalchemy import event, select

from bench import common, national
from bench.common import Metric, Size

#: Timed requests per endpoint and repetition, after WARMUP untimed ones.
REQUESTS = 9
WARMUP = 2
EMAIL, PASSWORD = "staff@example.org", "benchmark-password-1234"


def endpoints(round_id: int) -> dict[str, str]:
    return {
        "API status": f"/api/v1/rounds/{round_id}/status",
        "API baseline": f"/api/v1/rounds/{round_id}/baseline",
        "HTML dashboard": f"/staff/rounds/{round_id}/dashboard",
        "HTML baseline": f"/staff/rounds/{round_id}/baseline",
    }


class Clients:
    """A signed-in staff browser and an API client with a bearer token, on one app."""

    def __init__(self, url: str):
        from wfsurvey.domain import commands as cmd
        from wfsurvey.extensions import db
        from wfsurvey.services import handle

        self.app = common.make_app(url, WTF_CSRF_ENABLED=False)
        self.ctx = self.app.app_context()
        self.ctx.push()
        from wfsurvey.models import User

        if db.session.scalar(select(User.id).where(User.email == EMAIL)) is None:
            handle(cmd.CreateUser(email=EMAIL, password=PASSWORD, role="staff", name="Bench"), actor="bench")
        token = handle(cmd.CreateApiToken(user_email=EMAIL, name="bench"), actor="bench")
        db.session.remove()
        self.browser = self.app.test_client()
        response = self.browser.post("/login", data={"email": EMAIL, "password": PASSWORD})
        if response.status_code != 302:
            raise RuntimeError(f"sign-in failed: {response.status_code}")
        self.api = self.app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"}
        self.statements = 0
        event.listen(db.engine, "before_cursor_execute", self._count)
        self.routes = {rule.rule for rule in self.app.url_map.iter_rules()}

    def _count(self, *args) -> None:  # noqa: ANN002  (SQLAlchemy's listener signature)
        self.statements += 1

    def exists(self, path: str) -> bool:
        adapter = self.app.url_map.bind("localhost")
        try:
            adapter.match(path)
            return True
        except Exception:  # noqa: BLE001  (NotFound or MethodNotAllowed: the page is not written yet)
            return False

    def get(self, path: str) -> tuple[float, int]:
        """One request: (seconds, SQL statements); raises unless 200."""
        from wfsurvey.extensions import db

        client, headers = (self.api, self.headers) if path.startswith("/api/") else (self.browser, {})
        before = self.statements
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        seconds = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code}")
        db.session.remove()
        return seconds, self.statements - before

    def close(self) -> None:
        from wfsurvey.extensions import db

        db.session.remove()
        db.engine.dispose()
        self.ctx.pop()


def measure(url: str, round_id: int, reps: int, requests: int = REQUESTS) -> dict[str, tuple[list[float], int]]:
    """Per endpoint: the median time of each repetition (ms) and the statements of one request."""
    clients = Clients(url)
    out: dict[str, tuple[list[float], int]] = {}
    try:
        for name, path in endpoints(round_id).items():
            if not clients.exists(path):
                continue
            for _ in range(WARMUP):
                clients.get(path)
            medians, statements = [], set()
            for _ in range(reps):
                times = []
                for _ in range(requests):
                    seconds, count = clients.get(path)
                    times.append(seconds * 1000)
                    statements.add(count)
                medians.append(statistics.median(times))
            out[name] = (medians, max(statements))
    finally:
        clients.close()
    return out


def profile_endpoint(url: str, path: str) -> str:
    clients = Clients(url)
    try:
        _, text = common.profile(lambda: [clients.get(path) for _ in range(5)], f"5 requests of GET {path}:")
    finally:
        clients.close()
    return text


def run(size: Size, base: national.National | None = None) -> list[Metric]:
    base = base or national.build(size)
    small = national.build(Size(scale=100 / national.FULL, reps=1), name="national_small")
    big_url = national.copy(base, "dashboard")
    try:
        big = measure(big_url, base.round_id, size.reps)
        few = measure(small.url, small.round_id, 1, requests=1)
        metrics = []
        for name, (medians, statements) in big.items():
            small_statements = few[name][1]
            metric = Metric(
                number="6", name=f"{name} of a {base.invitations:,}-invitation / {base.submitted:,}-response round: "
                                 "server time", unit="ms", values=medians,
                target="median < 50 ms; SQL statements identical to a 100-invitation round",
                check=lambda m: m.median < 50, higher_is_better=False, scaled=not size.full,
                conditions={f"SQL statements identical ({statements} vs {small_statements} for "
                            f"{small.invitations} invitations)": statements == small_statements},
                notes=[f"each value: the median of {REQUESTS} requests through the test client"],
            )
            if size.full and not metric.passed:
                metric.profile = profile_endpoint(big_url, endpoints(base.round_id)[name])
            metrics.append(metric)
        missing = [name for name in endpoints(base.round_id) if name not in big]
        if missing and metrics:
            metrics[-1].notes.append(f"not measured (page not written yet): {', '.join(missing)}")
    finally:
        common.remove_sqlite(common.sqlite_path(big_url))
        common.remove_sqlite(common.sqlite_path(small.url))
    return metrics


def main() -> None:
    common.cli(__doc__.splitlines()[0], run)


if __name__ == "__main__":
    main()
