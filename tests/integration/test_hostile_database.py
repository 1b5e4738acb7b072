"""Issue 14, item 4: an unreachable, slow or dying database. /healthz answers 503 within 6 s, the API a JSON 503
with Retry-After, pages a plain "try again shortly" 503 with the usual headers; a connection killed under a
request never turns into a bare 500, and a submit that was stored is never reported as failed."""
from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import random
import re
import threading
import time
import urllib.parse

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from tests import builders
from tests.conftest import make_app
from tests.web import csrf_token
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.tokens import hash_token, new_token
from wfsurvey.extensions import db
from wfsurvey.models import AccessToken, Invitation, Response
from wfsurvey.services import handle
from wfsurvey.settings import normalise_database_url

pytestmark = pytest.mark.hostile

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 7, 17, 0, tzinfo=UTC)
TRY_AGAIN = "Please try again shortly."


class BlackholeProxy:
    """A TCP proxy to PostgreSQL that can start swallowing everything: it still accepts connections and data,
    but forwards nothing either way, like a network that silently drops packets."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.blackholed = False
        self.writers: set = set()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._accept, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()

    async def _pipe(self, reader, writer) -> None:
        try:
            while data := await reader.read(65536):
                if not self.blackholed and writer is not None:
                    writer.write(data)
                    await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if writer is not None:
                writer.close()

    async def _accept(self, reader, writer) -> None:
        self.writers.add(writer)
        if self.blackholed:
            await self._pipe(reader, None)  # read and drop: the client waits for an answer that never comes
            return
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers.add(up_writer)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _shutdown(self) -> None:
        self.server.close()
        for writer in self.writers:
            writer.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.server.wait_closed()

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


def setup_round(app) -> tuple[list[str], str]:
    """Links to the invitations of an open round, and a staff API token."""
    with app.app_context():
        builders.stakeholders(regions=("los-angeles",), boards=4, colleges=0)
        builders.template()
        builders.launched_round()
        links = []
        for invitation_id in db.session.scalars(select(Invitation.id).order_by(Invitation.id)):
            token = new_token()
            db.session.add(AccessToken(invitation_id=invitation_id, token_hash=hash_token(token), purpose="test",
                                       created_at=NOW))
            links.append(f"/r/{token}")
        db.session.commit()
        handle(cmd.CreateUser(email="ops@example.org", password="correct-horse-battery-staple-42", role="staff"),
               actor="test")
        api_token = handle(cmd.CreateApiToken(user_email="ops@example.org", name="monitor"), actor="test")
        db.session.remove()
    return links, api_token


def timed(call):
    start = time.monotonic()
    response = call()
    return response, time.monotonic() - start


@pytest.mark.postgres_only
@pytest.mark.slow
def test_a_blackholed_database_answers_503_quickly_everywhere(database_url, tmp_path):
    server = make_url(database_url)
    proxy = BlackholeProxy(server.host or "127.0.0.1", server.port or 5432)
    proxied = server.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = make_app(proxied, INSTANCE_PATH=str(tmp_path), FIXED_NOW=NOW, PASSWORD_HASH_METHOD="scrypt:16384:8:1")
    assert (app.config["DATABASE_CONNECT_TIMEOUT"], app.config["DATABASE_STATEMENT_TIMEOUT"]) == (5, 15)  # defaults
    try:
        links, api_token = setup_round(app)
        client = app.test_client()
        bearer = {"Authorization": f"Bearer {api_token}"}
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/v1/regions", headers=bearer).status_code == 200
        assert client.get(links[0]).status_code == 200  # pooled connections now exist

        proxy.blackholed = True
        health, took = timed(lambda: client.get("/healthz"))
        assert health.status_code == 503 and took < 6, took
        assert health.get_json() == {"status": "unavailable", "database": "unreachable"}

        api, took = timed(lambda: client.get("/api/v1/regions", headers=bearer))
        assert api.status_code == 503 and took < 25, took  # well inside gunicorn's 30 s
        assert api.get_json()["error"]["code"] == "unavailable" and api.headers["Retry-After"] == "10"

        page, took = timed(lambda: client.get(links[1]))
        assert page.status_code == 503 and took < 25, took
        body = page.get_data(as_text=True)
        assert TRY_AGAIN in body and "Traceback" not in body
        assert page.headers["Retry-After"] == "10" and "Content-Security-Policy" in page.headers
        assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"

        # Once the network heals, the next request connects again.
        proxy.blackholed = False
        assert client.get("/healthz").status_code == 200
        assert client.get(links[1]).status_code == 200
    finally:
        proxy.blackholed = True
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        proxy.close()


@pytest.mark.postgres_only
def test_a_slow_statement_is_cancelled_and_answered_503(database_url, tmp_path, monkeypatch):
    app = make_app(database_url, INSTANCE_PATH=str(tmp_path), FIXED_NOW=NOW, DATABASE_STATEMENT_TIMEOUT=1)
    links, api_token = setup_round(app)
    from wfsurvey.queries import tokens

    real = tokens.invitation_for_token

    def slow(session, token):
        session.execute(text("SELECT pg_sleep(3)"))
        return real(session, token)

    monkeypatch.setattr("wfsurvey.blueprints.respond.views.invitation_for_token", slow)
    response, took = timed(lambda: app.test_client().get(links[0]))
    assert response.status_code == 503 and took < 2.5, took
    assert TRY_AGAIN in response.get_data(as_text=True)
    monkeypatch.setattr("wfsurvey.blueprints.respond.views.invitation_for_token", real)
    assert app.test_client().get(links[0]).status_code == 200  # the next request is fine
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# --- connections killed under load ----------------------------------------------------------------

class Killer(threading.Thread):
    """Terminates the app's PostgreSQL sessions (only this test database's) at random moments."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.engine = create_engine(normalise_database_url(url), isolation_level="AUTOCOMMIT")
        self.stopping = threading.Event()
        self.kills = 0

    def run(self) -> None:
        with self.engine.connect() as conn:
            while not self.stopping.is_set():
                time.sleep(random.uniform(0.01, 0.05))
                self.kills += conn.execute(text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                )).scalar()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)
        self.engine.dispose()


def request(port: int, method: str, path: str, body: str | None = None, cookie: str | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    if cookie:
        headers["Cookie"] = cookie
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    result = response.status, response.read().decode(), dict(response.getheaders())
    conn.close()
    return result


@pytest.mark.postgres_only
@pytest.mark.slow
def test_connections_killed_under_load_never_give_a_bare_500_nor_lose_a_stored_submit(database_url, tmp_path):
    app = make_app(database_url, INSTANCE_PATH=str(tmp_path), FIXED_NOW=NOW)
    with app.app_context():
        builders.stakeholders(regions=("los-angeles", "inland-empire-desert"), boards=30, colleges=0)
        builders.template()
        builders.launched_round()
        links = {}
        for invitation_id in db.session.scalars(select(Invitation.id).order_by(Invitation.id)):
            token = new_token()
            db.session.add(AccessToken(invitation_id=invitation_id, token_hash=hash_token(token), purpose="test",
                                       created_at=NOW))
            links[invitation_id] = f"/r/{token}"
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    killer = Killer(database_url)
    answers: dict[int, list[int]] = {i: [] for i in links}  # POST statuses per invitation
    others: list[tuple[int, str]] = []
    killer.start()
    try:
        for invitation_id, link in links.items():
            for _try in range(30):  # a respondent who sees "try again shortly" tries again
                status, html, headers = request(server.port, "GET", link)
                if status != 200:
                    others.append((status, html))
                    continue
                if "Submit changes" in html:
                    break  # stored by an earlier try: the form now shows the submitted answers
                body = urllib.parse.urlencode({
                    "csrf_token": csrf_token(html), "action": "submit",
                    "revision": re.search(r'name="revision" value="(\d+)"', html).group(1),
                    "targets_am": "no", "colleges": "3", "navigator.name": "Ana Ruiz",
                    "navigator.email": "ana@example.org", "navigator.organization": "Board",
                })
                cookie = headers.get("Set-Cookie", "").split(";")[0]
                status, html, headers = request(server.port, "POST", link, body, cookie)
                answers[invitation_id].append(status)
                if status != 303:
                    others.append((status, html))
                if status == 303:
                    break
    finally:
        killer.stop()
        server.shutdown()
        server.server_close()
        serving.join(timeout=10)

    assert killer.kills >= 10, killer.kills  # connections were killed under the requests
    statuses = {s for s, _ in others} | {s for each in answers.values() for s in each}
    assert statuses <= {200, 303, 503}, [(s, b[:300]) for s, b in others]  # never a 500, bare or styled
    assert all(TRY_AGAIN in body for status, body in others if status == 503)
    with app.app_context():
        stored = dict(db.session.execute(select(Response.invitation_id, Response.revision)).all())
        db.session.remove()
        db.engine.dispose()
    for invitation_id, posted in answers.items():
        # Each stored submit adds a revision; each was answered 303, and every 303 was stored.
        assert posted.count(303) == stored.get(invitation_id, 0), (invitation_id, posted, stored.get(invitation_id))
    assert sum(posted.count(303) for posted in answers.values()) >= len(links) // 2  # most got through


# --- a connection lost around the commit (any backend) -------------------------------------------

def lost(statement: str):
    from sqlalchemy.exc import OperationalError

    return OperationalError(statement, {}, Exception("server closed the connection unexpectedly"),
                            connection_invalidated=True)


@pytest.mark.parametrize("stored_before_the_loss", [True, False])
def test_a_submit_whose_connection_dies_is_answered_by_what_was_stored(app, client, monkeypatch, stored_before_the_loss):
    app.config["FIXED_NOW"] = NOW
    builders.stakeholders(regions=("los-angeles",), boards=1, colleges=0)
    builders.template()
    builders.launched_round()
    invitation_id = db.session.scalar(select(Invitation.id))
    token = new_token()
    db.session.add(AccessToken(invitation_id=invitation_id, token_hash=hash_token(token), purpose="test", created_at=NOW))
    db.session.commit()
    html = client.get(f"/r/{token}").get_data(as_text=True)

    from wfsurvey import services

    real, calls = services.handle, []

    def dying(command, **kw):
        calls.append(command)
        if len(calls) > 1:
            return real(command, **kw)
        if stored_before_the_loss:
            real(command, **kw)  # the commit went through; its answer never came back
        raise lost("COMMIT")

    monkeypatch.setattr(services, "handle", dying)
    response = client.post(f"/r/{token}", data={
        "csrf_token": csrf_token(html), "action": "submit", "revision": "0", "targets_am": "no", "colleges": "3",
        "navigator.name": "Ana Ruiz", "navigator.email": "ana@example.org", "navigator.organization": "Board"})

    assert response.status_code == 303 and response.headers["Location"].endswith("/done")
    db.session.expire_all()
    stored = db.session.scalar(select(Response).where(Response.invitation_id == invitation_id))
    assert stored.status == "submitted" and stored.revision == 1  # stored once, whichever way it went
    assert len(calls) == (1 if stored_before_the_loss else 2)  # run again only when it was not stored


def test_a_lost_connection_answers_a_styled_503_not_a_500(app, client, monkeypatch):
    from wfsurvey.blueprints.respond import views

    def dead(*_args, **_kwargs):
        raise lost("SELECT invitations")

    monkeypatch.setattr(views, "invitation_for_token", dead)
    response = client.get(f"/r/{new_token()}")
    assert response.status_code == 503 and response.headers["Retry-After"] == "10"
    assert TRY_AGAIN in response.get_data(as_text=True) and "Content-Security-Policy" in response.headers

    monkeypatch.setattr("wfsurvey.blueprints.api.core.hash_token", dead)
    api = client.get("/api/v1/regions", headers={"Authorization": "Bearer x"})
    assert api.status_code == 503 and api.headers["Retry-After"] == "10"
    assert api.get_json()["error"]["code"] == "unavailable"
