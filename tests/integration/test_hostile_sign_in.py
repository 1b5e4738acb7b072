"""Issue 14, item 2: strangers cannot lock an account. Failed sign-ins from browsers that never signed in to an
account lock out only such browsers; the owner signs in from a device that signed in before (OWASP's device
cookies). The per-address limit still holds for everyone."""
from __future__ import annotations

import pytest

from tests.conftest import make_app
from tests.factories import DEFAULT_PASSWORD
from tests.web import login
from wfsurvey.blueprints.auth.devices import COOKIE_PREFIX
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.services import handle

pytestmark = pytest.mark.hostile

OWNER = "dee@example.org"
WRONG = "wrong-password-123"


@pytest.fixture
def limited(database_url, tmp_path):
    """An app with rate limits on and the default sign-in limits, and the account the attackers aim at."""
    def start(**settings):
        app = make_app(database_url, **{"INSTANCE_PATH": str(tmp_path), "RATELIMIT_ENABLED": True,
                                        "RATELIMIT_STORAGE_URI": "memory://", **settings})
        ctx = app.app_context()
        ctx.push()
        contexts.append(ctx)
        handle(cmd.CreateUser(email=OWNER, password=DEFAULT_PASSWORD, role="staff"), actor="test")
        handle(cmd.CreateUser(email="mallory@example.org", password=DEFAULT_PASSWORD, role="staff"), actor="test")
        return app

    contexts: list = []
    yield start
    for ctx in reversed(contexts):
        db.session.remove()
        db.engine.dispose()
        ctx.pop()
    make_app(database_url, INSTANCE_PATH=str(tmp_path))  # the limiter is one object shared by every app


def browser(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_out(client) -> None:
    from tests.web import page_token

    assert client.post("/logout", data={"csrf_token": page_token(client, "/staff/")}).status_code == 302


def device_cookie(response) -> tuple[str, str]:
    """The name and value of the device cookie a successful sign-in set."""
    header = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE_PREFIX))
    name, _, value = header.split(";", 1)[0].partition("=")
    return name, value


def test_thirty_failures_from_three_addresses_do_not_lock_the_owner_out_of_their_device(limited):
    app = limited()
    laptop = browser(app, "192.0.2.10")
    assert login(laptop, OWNER).status_code == 302  # the owner has signed in from this laptop before
    sign_out(laptop)

    statuses = []
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        attacker = browser(app, address)
        statuses += [login(attacker, OWNER, WRONG).status_code for _ in range(10)]
    assert statuses == [200] * 20 + [429] * 10  # 20 an hour from browsers that never signed in to the account

    assert login(laptop, OWNER).status_code == 302
    assert laptop.get("/staff/").status_code == 200

    # A browser that never signed in to the account is refused even with the right password, and told why.
    new_phone = browser(app, "192.0.2.11")
    refused = login(new_phone, OWNER)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 3600
    text = refused.get_data(as_text=True)
    assert "sign in from a computer you have signed in on before" in text and "then try again" in text
    assert new_phone.get("/staff/").status_code == 302
    # Other accounts are untouched.
    assert login(browser(app, "203.0.113.9"), "mallory@example.org").status_code == 302


def test_a_device_with_too_many_failures_of_its_own_counts_as_untrusted(limited):
    app = limited(LOGIN_RATE_LIMIT_PER_DEVICE="3 per hour", LOGIN_RATE_LIMIT_PER_ACCOUNT="4 per hour")
    laptop = browser(app, "192.0.2.10")
    assert login(laptop, OWNER).status_code == 302
    sign_out(laptop)
    # Its own three failures use the device's allowance, not the account's ...
    assert [login(laptop, OWNER, WRONG).status_code for _ in range(3)] == [200] * 3
    assert login(browser(app, "203.0.113.1"), OWNER).status_code == 302
    # ... past it, the laptop draws on the untrusted allowance with everyone else, and shares its lock.
    assert [login(browser(app, "203.0.113.2"), OWNER, WRONG).status_code for _ in range(4)] == [200] * 4
    assert login(laptop, OWNER).status_code == 429


def test_a_forged_or_borrowed_device_cookie_earns_no_trust(limited):
    app = limited(LOGIN_RATE_LIMIT_PER_ACCOUNT="2 per hour")
    mallory = browser(app, "203.0.113.7")
    signed_in = login(mallory, "mallory@example.org")
    assert signed_in.status_code == 302
    sign_out(mallory)
    _, own = device_cookie(signed_in)
    owner_signed_in = login(browser(app, "192.0.2.10"), OWNER)
    assert owner_signed_in.status_code == 302
    name, victims = device_cookie(owner_signed_in)

    # Mallory's own cookie under the name of the owner's, then the owner's cookie altered: neither is trusted.
    mallory.set_cookie(name, own, path="/login")
    assert [login(mallory, OWNER, WRONG).status_code for _ in range(3)] == [200, 200, 429]
    mallory.set_cookie(name, victims[:-2] + ("xx" if not victims.endswith("xx") else "yy"), path="/login")
    assert login(mallory, OWNER).status_code == 429
    # The owner's real cookie is trusted, wherever it comes from (that is what it is for).
    mallory.set_cookie(name, victims, path="/login")
    assert login(mallory, OWNER).status_code == 302


def test_the_device_cookie_is_signed_http_only_strict_and_sent_only_to_sign_in(limited):
    app = limited(SESSION_COOKIE_SECURE=True)
    laptop = browser(app, "192.0.2.10")
    response = login(laptop, OWNER)
    header = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE_PREFIX))
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/login" in header and "Secure" in header
    assert OWNER not in header  # the value is signed data, and the name a hash: no address in clear


def test_the_per_address_limit_still_holds_for_the_owner_too(limited):
    app = limited(LOGIN_RATE_LIMIT_PER_IP="3 per minute")
    laptop = browser(app, "192.0.2.10")
    assert login(laptop, OWNER).status_code == 302
    sign_out(laptop)
    assert [login(laptop, OWNER, WRONG).status_code for _ in range(2)] == [200, 200]
    limited_out = login(laptop, OWNER)
    assert limited_out.status_code == 429 and "Retry-After" in limited_out.headers
    assert "Please wait a minute, then try again." in limited_out.get_data(as_text=True)
