"""GET /healthz reports whether the database answers."""
from wfsurvey import create_app


def test_healthz_ok_with_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_healthz_503_when_database_unreachable(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_unknown_page_is_styled_404_without_trace(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Not found" in response.data
    assert b"Traceback" not in response.data
