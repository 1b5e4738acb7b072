"""Issue 14, item 8: staff passwords hashed with scrypt at N=2^17 and older hashes upgraded at sign-in,
state-changing requests from another site refused, and the dev mailbox behind a staff sign-in."""
from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash, generate_password_hash

from tests.conftest import make_app
from tests.factories import DEFAULT_PASSWORD
from tests.web import csrf_token, login, page_token, signed_in  # noqa: F401  (signed_in is a fixture)
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.models import User
from wfsurvey.services import handle

pytestmark = pytest.mark.hostile

ASVS_SCRYPT = "scrypt:131072:8:1"


# --- password hashes ------------------------------------------------------------------------------

@pytest.fixture
def default_hashing(database_url, tmp_path):
    """An app with the default password hashing (the test config lowers it to keep the suite quick)."""
    app = make_app(database_url, INSTANCE_PATH=str(tmp_path), PASSWORD_HASH_METHOD=None)
    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.remove()
    db.engine.dispose()
    ctx.pop()


def test_new_passwords_are_hashed_with_scrypt_at_n_2_17(default_hashing):
    user_id = handle(cmd.CreateUser(email="ada@example.org", password=DEFAULT_PASSWORD, role="staff"), actor="test")
    stored = db.session.get(User, user_id).password_hash
    assert stored.split("$")[0] == ASVS_SCRYPT
    assert check_password_hash(stored, DEFAULT_PASSWORD)


def test_an_older_hash_is_upgraded_at_the_next_successful_sign_in(default_hashing):
    user_id = handle(cmd.CreateUser(email="old@example.org", password=DEFAULT_PASSWORD, role="staff"), actor="test")
    user = db.session.get(User, user_id)
    user.password_hash = generate_password_hash(DEFAULT_PASSWORD, method="scrypt:32768:8:1")  # the former default
    db.session.commit()
    client = default_hashing.test_client()

    assert login(client, "old@example.org", "not-the-password-1").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user_id).password_hash.startswith("scrypt:32768:8:1$")  # a failure upgrades nothing

    assert login(client, "old@example.org").status_code == 302
    db.session.expire_all()
    upgraded = db.session.get(User, user_id).password_hash
    assert upgraded.split("$")[0] == ASVS_SCRYPT and check_password_hash(upgraded, DEFAULT_PASSWORD)
    assert login(default_hashing.test_client(), "old@example.org").status_code == 302  # and it still signs in


# --- cross-site requests --------------------------------------------------------------------------

def test_a_form_post_from_another_site_is_refused_even_with_session_and_csrf_token(signed_in):
    client, user = signed_in()
    token = page_token(client, "/staff/")
    data = {"csrf_token": token}

    refused = client.post("/logout", data=data, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert "another website" in refused.get_data(as_text=True)
    assert "Content-Security-Policy" in refused.headers
    assert client.get("/staff/").status_code == 200  # still signed in: the sign-out never ran

    # The same request from this site, or with the `null` origin browsers send under no-referrer, goes through.
    assert client.post("/logout", data=data, headers={"Origin": "http://localhost"}).status_code == 302
    other, _ = signed_in()
    assert other.post("/logout", data={"csrf_token": page_token(other, "/staff/")},
                      headers={"Origin": "null"}).status_code == 302


def test_the_sign_in_form_refuses_another_site(client, make_user):
    user = make_user()
    token = page_token(client, "/login")
    response = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": token},
                           headers={"Origin": "http://localhost.evil.example"})
    assert response.status_code == 403
    assert client.get("/staff/").status_code == 302


def test_the_api_refuses_another_site_even_with_a_bearer_token(client, make_user):
    user = make_user(role="staff")
    token = handle(cmd.CreateApiToken(user_email=user.email, name="script"), actor="test")
    headers = {"Authorization": f"Bearer {token}"}

    refused = client.post("/api/v1/regions", json={"code": "north", "name": "North"},
                          headers={**headers, "Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "forbidden"
    assert not any(r["code"] == "north" for r in regions(client, headers))

    # A script sends no Origin; a page of this very site sends its own.
    assert client.post("/api/v1/regions", json={"code": "north", "name": "North"}, headers=headers).status_code == 201
    assert client.post("/api/v1/regions", json={"code": "south", "name": "South"},
                       headers={**headers, "Origin": "http://localhost:80"}).status_code == 201


def regions(client, headers) -> list[dict]:
    body = client.get("/api/v1/regions", headers=headers).get_json()
    return body["items"] if isinstance(body, dict) else body


def test_reading_is_never_refused_for_its_origin(client):
    assert client.get("/login", headers={"Origin": "https://evil.example"}).status_code == 200


# --- the dev mailbox ------------------------------------------------------------------------------

def test_the_dev_mailbox_needs_a_staff_sign_in(app, client, signed_in):
    assert app.config["ENV"] != "production"  # the blueprint is registered: development
    for path in ("/dev/mailbox", "/dev/mailbox/1", "/dev/mailbox/1/html", "/dev/mailbox/1/attachments/1"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    staff, _ = signed_in()
    assert staff.get("/dev/mailbox").status_code == 200
