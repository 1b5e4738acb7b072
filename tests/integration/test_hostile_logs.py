"""Issue 14, item 6: a respondent's token never reaches a log, however the link is spelled (percent-encoded,
doubled slashes), in our records, the dev server's, or gunicorn's access and error logs."""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from tests import builders
from wfsurvey import logs
from wfsurvey.domain.tokens import hash_token, new_token
from wfsurvey.extensions import db
from wfsurvey.models import AccessToken, Invitation

pytestmark = pytest.mark.hostile

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 7, 17, 0, tzinfo=UTC)
TOKEN = "ZEiL1_C-VKFHF7WqVqCYMC_1_psUFmhz0uMVYqwPcW8"


def encoded(token: str) -> str:
    """Every character percent-encoded, as a hostile (or over-eager) client may send it."""
    return "".join(f"%{ord(c):02X}" for c in token)


def leaks(text: str, token: str) -> list[str]:
    """Spellings of the token (or a long piece of it) found in text."""
    pieces = [token, encoded(token), encoded(token).lower(), token[:12], token[-12:], encoded(token[:8])]
    return [p for p in pieces if p in text]


@pytest.mark.parametrize("path", [
    f"/r/{TOKEN}", f"/r/{encoded(TOKEN)}", f"/r/{encoded(TOKEN).lower()}", f"/r/{TOKEN[:10]}{encoded(TOKEN[10:])}",
    f"//r//{TOKEN}", f"/%72/{TOKEN}", f"/r%2F{TOKEN}", f"/R/{TOKEN}", f"/c/{TOKEN}", f"/r/{encoded(TOKEN)}/opt-out",
])
def test_every_spelling_of_a_link_is_redacted(path, caplog):
    logs.install()
    with caplog.at_level(logging.INFO):
        logging.getLogger("werkzeug").info('127.0.0.1 - - "GET %s HTTP/1.1" 200 -', path)
        logging.getLogger("gunicorn.access").info("%(r)s", {"r": f"GET {path}?x=1 HTTP/1.1"})
        # A child of a logger that had a filter before: filters on a logger never saw these.
        logging.getLogger("wfsurvey.blueprints.errors").warning("failed on %s", path)
        try:
            raise RuntimeError(f"cannot open {path}")
        except RuntimeError:
            logging.getLogger("some.library").exception("while serving")
    text = caplog.text  # with the traceback, as a handler formats it
    assert leaks(text, TOKEN) == []
    assert text.count("[token]") == 4
    assert "?x=1" in text and logs.redact("/staff/rounds/12?page=2") == "/staff/rounds/12?page=2"


def test_an_unformattable_record_is_left_for_logging_to_report(caplog):
    logs.install()
    with caplog.at_level(logging.INFO):
        record = logging.getLogger("wfsurvey").makeRecord("wfsurvey", logging.INFO, __file__, 1, "%s %s", ("one",), None)
    assert record.msg == "%s %s"


# --- a real gunicorn ----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not start")


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_gunicorn_logs_no_token_of_a_percent_encoded_link(app, database_url, tmp_path):
    builders.stakeholders(regions=("los-angeles",), boards=1, colleges=0)
    builders.template()
    builders.launched_round()
    token = new_token()
    invitation_id = db.session.scalar(select(Invitation.id))
    db.session.add(AccessToken(invitation_id=invitation_id, token_hash=hash_token(token), purpose="test", created_at=NOW))
    db.session.commit()

    config = tmp_path / "gunicorn-app.py"
    config.write_text(
        "import datetime\n"
        "SECRET_KEY = 'log-test-secret-key'\n"
        "RATELIMIT_STORAGE_URI = 'memory://'\n"
        f"FIXED_NOW = datetime.datetime(2026, 10, 7, 17, 0, tzinfo=datetime.timezone.utc)\n"
    )
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    port = free_port()
    env = {**os.environ, "WFSURVEY_CONFIG": str(config), "WFSURVEY_DATABASE_URL": database_url,
           "WFSURVEY_INSTANCE_PATH": str(tmp_path)}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(gunicorn), "-w", "1", "-b", f"127.0.0.1:{port}", "--access-logfile", str(access),
         "--error-logfile", str(errors), "--log-level", "debug", "wfsurvey:create_app()"],
        cwd=Path(__file__).resolve().parents[2], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, proc)
        base = f"http://127.0.0.1:{port}"
        assert get(f"{base}/r/{encoded(token)}") == 200  # the encoded link opens the form ...
        assert get(f"{base}/r/{token}") == 200
        assert get(f"{base}/r/{encoded(token)}/opt-out") == 200
        assert get(f"{base}/r/{encoded(token)}%2Fnothing") == 404
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    written = access.read_text() + errors.read_text()
    assert written.count("/r/[token]") >= 4, written  # ... and every request was logged, redacted
    assert leaks(written, token) == [], written
