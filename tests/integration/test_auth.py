"""Staff sign-in: sessions (new at login, ended server-side at logout, idle and absolute timeouts),
disabled users, CSRF, rate limits, and not telling whether an email has an account."""
from __future__ import annotations

import pytest

from tests.conftest import TESTING, make_app
from tests.factories import DEFAULT_PASSWORD
from tests.web import csrf_token, login, page_token, post_form, signed_in  # noqa: F401  (signed_in is a fixture)
from wfsurvey.blueprints.auth import BAD_LOGIN
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import User
from wfsurvey.services import handle


def _user(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def test_login_page_has_a_csrf_token_and_the_security_headers(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert csrf_token(response.data)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_sign_in_starts_a_new_session_and_records_the_time(app, client, make_user):
    user = make_user(email="ana@example.org")
    token = page_token(client, "/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    response = client.post("/login", data={"email": " ANA@example.org ", "password": DEFAULT_PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    with client.session_transaction() as session:
        assert "planted" not in session  # nothing from before sign-in survives
        assert session["_user_id"] == f"{user.id}:{_user(user.id).session_nonce}"
        assert session["login_at"] == session["seen_at"]
    # The session's cookie (a sign-in also sets the device cookie, wfsurvey.blueprints.auth.devices).
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert _user(user.id).last_login_at is not None
    home = client.get("/staff/")
    assert home.status_code == 200 and b"ana@example.org" in home.data


@pytest.mark.parametrize("case", ["wrong password", "unknown email", "disabled account"])
def test_a_failed_sign_in_says_the_same_whatever_the_reason(client, make_user, case):
    user = make_user(email="ben@example.org")
    if case == "disabled account":
        handle(cmd.SetUserActive(user_id=user.id, active=False), actor="test")
    email = "nobody@example.org" if case == "unknown email" else "ben@example.org"
    password = "wrong-password-123" if case == "wrong password" else DEFAULT_PASSWORD
    response = login(client, email, password)
    assert response.status_code == 200
    assert BAD_LOGIN in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_unknown_email_costs_the_same_password_check_as_a_wrong_password(client, make_user, monkeypatch):
    """Timing is too noisy to measure on a shared machine; what makes the times equal is that both run
    exactly one scrypt verification (a dummy hash for the unknown email). Count them."""
    from wfsurvey.services import users

    make_user(email="cara@example.org")
    checked = []
    real_check = users.check_password_hash
    monkeypatch.setattr(users, "check_password_hash", lambda stored, given: checked.append(stored.split("$")[0]) or real_check(stored, given))
    for email in ("cara@example.org", "nobody@example.org"):
        checked.clear()
        assert BAD_LOGIN in login(client, email, "not-the-password-1").get_data(as_text=True)
        assert checked == [TESTING["PASSWORD_HASH_METHOD"]], email  # config/testing.py's


def test_a_post_without_csrf_token_is_refused_with_the_styled_400(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Bad request" in text and "Reload the page" in text
    assert "Content-Security-Policy" in response.headers
    assert client.get("/staff/").status_code == 302  # not signed in


def test_logout_ends_the_session_on_the_server_so_a_replayed_cookie_fails(signed_in):
    client, user = signed_in()
    nonce = _user(user.id).session_nonce
    old_cookie = client.get_cookie("session").value
    response = post_form(client, "/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert _user(user.id).session_nonce != nonce
    client.set_cookie("session", old_cookie)  # the stolen or kept cookie
    replay = client.get("/staff/")
    assert replay.status_code == 302 and replay.headers["Location"].startswith("/login")


def test_logout_is_post_only(signed_in):
    client, _user_ = signed_in()
    assert client.get("/logout").status_code == 405
    assert client.get("/staff/").status_code == 200


def test_idle_session_ends_after_the_idle_timeout(app, signed_in):
    client, _ = signed_in()
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    with client.session_transaction() as session:
        session["seen_at"] -= idle - 120
        session["login_at"] -= idle - 120
        before = session["seen_at"]
    assert client.get("/staff/").status_code == 200  # still inside the window: the visit counts
    with client.session_transaction() as session:
        assert session["seen_at"] > before
        session["seen_at"] -= idle + 1
    response = client.get("/staff/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "inactivity" in client.get("/login").get_data(as_text=True)
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_session_ends_at_the_absolute_limit_even_when_active(app, signed_in):
    client, _ = signed_in()
    with client.session_transaction() as session:
        session["login_at"] -= app.config["SESSION_MAX_HOURS"] * 3600 + 1
    response = client.get("/staff/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_disabled_user_loses_access_at_the_next_request(signed_in, make_user):
    client, user = signed_in()
    assert client.get("/staff/").status_code == 200
    make_user(role="admin")  # someone else remains admin
    handle(cmd.SetUserActive(user_id=user.id, active=False), actor="test")
    response = client.get("/staff/organizations")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    # Enabling the account again does not bring the old session back.
    handle(cmd.SetUserActive(user_id=user.id, active=True), actor="test")
    assert client.get("/staff/").status_code == 302


def test_next_only_leads_to_a_page_of_this_site(client, make_user):
    user = make_user()
    anonymous = client.get("/staff/organizations?q=x")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login?next=")
    response = login(client, user.email, next="/staff/organizations?q=x")
    assert response.headers["Location"] == "/staff/organizations?q=x"
    post_form(client, "/logout")
    for hostile in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = login(client, user.email, next=hostile)
        assert response.headers["Location"] == "/staff/", hostile
        post_form(client, "/logout")


def test_signed_in_user_visiting_login_goes_home(signed_in):
    client, _ = signed_in()
    response = client.get("/login")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"


def test_change_password_applies_the_policy_and_keeps_this_session(signed_in):
    client, user = signed_in()
    token = page_token(client, "/account/password")
    weak = client.post("/account/password", data={"current_password": DEFAULT_PASSWORD, "new_password": "password123!",
                                                   "confirm": "password123!", "csrf_token": token})
    assert weak.status_code == 200 and "most common passwords" in weak.get_data(as_text=True)
    wrong = client.post("/account/password", data={"current_password": "not-it-at-all", "new_password": "a fresh long phrase 9",
                                                    "confirm": "a fresh long phrase 9", "csrf_token": token})
    assert "not your current password" in wrong.get_data(as_text=True)
    done = client.post("/account/password", data={"current_password": DEFAULT_PASSWORD, "new_password": "a fresh long phrase 9",
                                                   "confirm": "a fresh long phrase 9", "csrf_token": token})
    assert done.status_code == 302
    assert client.get("/staff/").status_code == 200  # this session goes on
    other = client.application.test_client()
    assert BAD_LOGIN in login(other, user.email, DEFAULT_PASSWORD).get_data(as_text=True)
    assert login(other, user.email, "a fresh long phrase 9").status_code == 302


@pytest.fixture
def limited(database_url, tmp_path):
    """An app with rate limits on (memory storage) and low sign-in limits, with one user."""
    app = make_app(database_url, INSTANCE_PATH=str(tmp_path), RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                   LOGIN_RATE_LIMIT_PER_IP="5 per minute", LOGIN_RATE_LIMIT_PER_ACCOUNT="3 per hour")
    ctx = app.app_context()
    ctx.push()
    handle(cmd.CreateUser(email="dee@example.org", password=DEFAULT_PASSWORD, role="staff"), actor="test")
    yield app
    db.session.remove()
    db.engine.dispose()
    ctx.pop()


def _client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_failed_sign_ins_are_rate_limited_per_account(limited):
    # Each attempt from another address: the per-account limit, not the per-address one, stops them.
    statuses = []
    for n in range(5):
        client = _client_at(limited, f"10.0.0.{n + 1}")
        statuses.append(login(client, "dee@example.org", "wrong-password-123").status_code)
    assert statuses == [200, 200, 200, 429, 429]
    blocked = login(_client_at(limited, "10.0.0.9"), "dee@example.org")
    assert blocked.status_code == 429 and "Too many requests" in blocked.get_data(as_text=True)
    assert "Content-Security-Policy" in blocked.headers


def test_sign_ins_are_rate_limited_per_address(limited):
    client = _client_at(limited, "10.0.1.1")
    statuses = [login(client, f"someone{n}@example.org", "wrong-password-123").status_code for n in range(6)]
    assert statuses == [200] * 5 + [429]
    # Another address is not affected, and the sign-in page itself (GET) is never limited.
    other = _client_at(limited, "10.0.1.2")
    assert login(other, "dee@example.org").status_code == 302
    assert client.get("/login").status_code == 200


def test_behind_a_trusted_proxy_limits_count_the_forwarded_client(database_url, tmp_path):
    app = make_app(database_url, INSTANCE_PATH=str(tmp_path), RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                   LOGIN_RATE_LIMIT_PER_IP="2 per minute", TRUSTED_PROXIES=1)
    with app.app_context():
        # Every request comes from the proxy's address; X-Forwarded-For names the client.
        proxy = _client_at(app, "10.9.9.9")
        proxy.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.1"
        first = [login(proxy, "nobody@example.org", "wrong-password-123").status_code for _ in range(3)]
        proxy.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.2"
        other = login(proxy, "nobody@example.org", "wrong-password-123").status_code
        db.session.remove()
        db.engine.dispose()
    assert first == [200, 200, 429] and other == 200


def test_without_a_trusted_proxy_x_forwarded_for_cannot_dodge_the_limit(database_url, tmp_path):
    app = make_app(database_url, INSTANCE_PATH=str(tmp_path), RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                   LOGIN_RATE_LIMIT_PER_IP="2 per minute")
    with app.app_context():
        client = _client_at(app, "10.9.9.8")
        statuses = []
        for n in range(3):
            client.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.{n}"
            statuses.append(login(client, "nobody@example.org", "wrong-password-123").status_code)
        db.session.remove()
        db.engine.dispose()
    assert statuses == [200, 200, 429]
