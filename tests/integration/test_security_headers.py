"""Security headers on every response, errors included; HSTS and secure cookies in production."""
import pytest

from tests.conftest import make_app

PAGES = [
    ("GET", "/healthz", 200),
    ("GET", "/login", 200),
    ("GET", "/no/such/page", 404),
    ("POST", "/healthz", 405),
    ("POST", "/login", 400),            # no CSRF token
    ("GET", "/r/not-a-real-token", 404),
    ("GET", "/api/v1/rounds", 401),
    ("GET", "/staff/", 302),
]


@pytest.mark.parametrize("method,path,status", PAGES)
def test_every_response_carries_the_security_headers(client, method, path, status):
    response = client.open(path, method=method)
    assert response.status_code == status
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # development serves plain http
    assert b"Traceback" not in response.data


def test_production_adds_hsts_and_secure_cookies(database_url, tmp_path):
    app = make_app(database_url, ENV="production", SECRET_KEY="x" * 64, SMTP_URL="smtp://127.0.0.1:2525",
                   INSTANCE_PATH=str(tmp_path), RATELIMIT_STORAGE_URI="memory://")
    with app.app_context():
        client = app.test_client()
        response = client.get("/login")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert app.config["SESSION_COOKIE_SECURE"] is True
        assert client.get("/no/such/page").headers["Strict-Transport-Security"]
        assert client.get("/dev/mailbox").status_code == 404  # no dev mailbox in production
        from wfsurvey.extensions import db

        db.engine.dispose()
