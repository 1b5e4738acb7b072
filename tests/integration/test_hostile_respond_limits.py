"""Issue 14, item 1: a valid respondent link is never refused because of unknown links from the same address.
Unknown links are counted per address, working links per link; a 429 says in words when to try again and
carries Retry-After; and two deployments sharing one Redis never share a counter."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import socket
import subprocess
import time

import pytest
from sqlalchemy import event, select

from tests import builders
from tests.conftest import make_app
from tests.web import csrf_token
from wfsurvey.domain.tokens import hash_token, new_token
from wfsurvey.extensions import db
from wfsurvey.models import AccessToken, Invitation, Response
from wfsurvey.settings import default_key_prefix

pytestmark = pytest.mark.hostile

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 7, 17, 0, tzinfo=UTC)
OFFICE = "198.51.100.7"


def links(n: int) -> list[str]:
    """n working links to n invitations of an open round, as the mailer would make them."""
    builders.stakeholders(regions=("los-angeles",), boards=n, colleges=0)
    builders.template()
    builders.launched_round()
    urls = []
    for invitation_id in db.session.scalars(select(Invitation.id).order_by(Invitation.id)):
        token = new_token()
        db.session.add(AccessToken(invitation_id=invitation_id, token_hash=hash_token(token), purpose="test",
                                   created_at=NOW))
        urls.append(f"/r/{token}")
    db.session.commit()
    return urls


@pytest.fixture
def limited(database_url, tmp_path):
    """An app with rate limits on, counted in memory; the shared limiter is left disabled afterwards."""
    def start(**settings):
        app = make_app(database_url, **{"INSTANCE_PATH": str(tmp_path), "RATELIMIT_ENABLED": True,
                                        "RATELIMIT_STORAGE_URI": "memory://", "FIXED_NOW": NOW, **settings})
        contexts.append(app.app_context())
        contexts[-1].push()
        return app

    contexts: list = []
    yield start
    for ctx in reversed(contexts):
        db.session.remove()
        db.engine.dispose()
        ctx.pop()
    make_app(database_url, INSTANCE_PATH=str(tmp_path))  # the limiter is one object shared by every app


def client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_unknown_links_from_an_address_never_refuse_a_valid_link_from_it(limited):
    app = limited()
    [url] = links(1)
    office = client_at(app, OFFICE)
    statuses = [office.get(f"/r/{new_token()}").status_code for _ in range(25)]
    assert statuses == [404] * 20 + [429] * 5

    # The real respondent in the same office opens the form, saves a draft and submits.
    page = office.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    form = {"csrf_token": csrf_token(html), "revision": re.search(r'name="revision" value="(\d+)"', html).group(1),
            "action": "submit", "targets_am": "no", "colleges": "4", "navigator.name": "Ana Ruiz",
            "navigator.email": "ana@example.org", "navigator.organization": "LA Board"}
    assert office.post(url, data=form).status_code == 303
    assert office.get(f"{url}/done").status_code == 200
    assert db.session.scalar(select(Response.status)) == "submitted"

    # Guessing from that address is still refused, in words and with Retry-After; other addresses are not.
    refused = office.get(f"/r/{new_token()}")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    text = refused.get_data(as_text=True)
    assert "Please wait a minute, then try again." in text and "Content-Security-Policy" in refused.headers
    assert client_at(app, "203.0.113.5").get(f"/r/{new_token()}").status_code == 404
    assert office.post(f"/r/{new_token()}/opt-out", data={"List-Unsubscribe": "One-Click"}).status_code == 429


def test_each_valid_link_has_its_own_allowance(limited):
    app = limited(RESPOND_LINK_RATE_LIMIT="5 per minute")
    first, second = links(2)
    office = client_at(app, OFFICE)
    assert [office.get(first).status_code for _ in range(6)] == [200] * 5 + [429]
    refused = office.get(first)
    assert "Retry-After" in refused.headers and "Your saved answers are safe" in refused.get_data(as_text=True)
    # A colleague's link from the same address, and the same link from elsewhere, are other counters.
    assert office.get(second).status_code == 200
    assert client_at(app, "203.0.113.9").get(second).status_code == 200


def test_a_valid_link_costs_no_sql_for_its_limit(limited, database_url, tmp_path):
    app = limited()
    [url] = links(1)
    statements: list[str] = []

    def count(*_args):
        statements.append(_args[2])

    def run(client) -> int:
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    run(client_at(app, OFFICE))  # the first request of a process loads what later ones find cached
    with_limits = run(client_at(app, OFFICE))
    app.config["RATELIMIT_ENABLED"] = False
    assert run(client_at(app, OFFICE)) == with_limits


# --- the key prefix ------------------------------------------------------------------------------

def test_the_default_key_prefix_names_the_database_without_its_password():
    one = default_key_prefix("postgresql+psycopg://app:secret-one@db.internal/wfsurvey")
    assert one.startswith("wfsurvey:") and "secret" not in one
    assert one == default_key_prefix("postgresql+psycopg://app:another-password@db.internal/wfsurvey")
    assert one != default_key_prefix("postgresql+psycopg://app:secret-one@db.internal/wfsurvey_staging")


@pytest.fixture
def redis_url(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise AssertionError("redis-server did not start")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def test_two_deployments_sharing_one_redis_count_apart(limited, database_url, redis_url, tmp_path):
    first = limited(RATELIMIT_STORAGE_URI=redis_url)
    statuses = [client_at(first, OFFICE).get(f"/r/{new_token()}").status_code for _ in range(21)]
    assert statuses == [404] * 20 + [429]
    db.session.remove()

    # Another deployment (another database) on the same Redis: the same address starts from zero there.
    if database_url.startswith("sqlite:///"):
        staging = tmp_path / "staging.sqlite"
        shutil.copyfile(database_url.removeprefix("sqlite:///"), staging)
        other_url = f"sqlite:///{staging}"
    else:
        other_url = database_url + "?application_name=staging"
    second = limited(RATELIMIT_STORAGE_URI=redis_url, DATABASE_URL=other_url)
    assert second.config["RATELIMIT_KEY_PREFIX"] != first.config["RATELIMIT_KEY_PREFIX"]
    assert client_at(second, OFFICE).get(f"/r/{new_token()}").status_code == 404


def test_memory_counting_starts_no_thread_and_still_forgets_a_window_that_passed(limited, monkeypatch):
    """memory:// is wfsurvey.ratelimits.InlineExpiryMemoryStorage: limits' counting, without a timer thread per hit."""
    import threading
    import time as time_module

    from limits import parse
    from limits.strategies import FixedWindowRateLimiter

    from wfsurvey.extensions import limiter
    from wfsurvey.ratelimits import InlineExpiryMemoryStorage

    app = limited(RESPOND_LINK_RATE_LIMIT="5 per minute")
    assert isinstance(limiter.limiter.storage, InlineExpiryMemoryStorage)
    [url] = links(1)
    office = client_at(app, OFFICE)
    office.get(url)
    threads = threading.active_count()
    assert [office.get(url).status_code for _ in range(5)] == [200] * 4 + [429]
    assert threading.active_count() == threads
    # A window that has passed is forgotten: the key's expiry is read at each hit, the sweep only frees memory.
    storage = InlineExpiryMemoryStorage()
    strategy = FixedWindowRateLimiter(storage)
    item = parse("2 per second")
    assert [strategy.hit(item, "k") for _ in range(3)] == [True, True, False]
    later = time_module.time() + 5
    monkeypatch.setattr(time_module, "time", lambda: later)
    monkeypatch.setattr(time_module, "monotonic", lambda: later)
    assert strategy.hit(item, "k")
    assert "k" not in storage.expirations or storage.expirations["k"] > later - 1


def _convening_link() -> str:
    """A working /c/ link to an invitation of a convening whose invitations went out (to the people links() made)."""
    from wfsurvey.domain import commands as cmd
    from wfsurvey.models import ConveningInvitation
    from wfsurvey.services import handle

    convening = handle(cmd.CreateConvening(
        title="LA convening", regions=("los-angeles",), location="LA Trade Tech",
        starts_at=NOW + dt.timedelta(days=10), ends_at=NOW + dt.timedelta(days=10, hours=2)), actor="test", now=NOW)
    handle(cmd.SendConveningInvitations(convening.id), actor="test", now=NOW)
    token = new_token()
    db.session.add(AccessToken(convening_invitation_id=db.session.scalar(select(ConveningInvitation.id)),
                               token_hash=hash_token(token), purpose="test", created_at=NOW))
    db.session.commit()
    return f"/c/{token}"


def test_convening_links_answer_unknown_tokens_as_survey_links_do_under_the_same_limits(limited):
    """Issue 16: /c/ follows /r/'s rules: an unknown token's 404 is the same page, a survey token opens no convening
    (nor a convening token a survey), unknown links count against the address's one allowance, working ones not."""
    app = limited()
    [survey] = links(1)
    url = _convening_link()
    elsewhere = client_at(app, "203.0.113.20")
    unknown_c, unknown_r = elsewhere.get(f"/c/{new_token()}"), elsewhere.get(f"/r/{new_token()}")
    assert unknown_c.status_code == unknown_r.status_code == 404 and unknown_c.data == unknown_r.data
    assert elsewhere.get(survey.replace("/r/", "/c/")).status_code == 404
    assert elsewhere.get(url.replace("/c/", "/r/")).status_code == 404

    office = client_at(app, OFFICE)
    statuses = [office.get(f"/c/{new_token()}" if n % 2 else f"/r/{new_token()}").status_code for n in range(25)]
    assert statuses == [404] * 20 + [429] * 5
    # The invitee in that office still answers.
    page = office.get(url)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    answered = office.post(url, data={"csrf_token": csrf_token(page.data), "action": "rsvp", "answer": "maybe"})
    assert answered.status_code == 303
    assert office.post(url, data={"csrf_token": csrf_token(page.data), "action": "save"}).status_code == 400
