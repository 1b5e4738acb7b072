"""What `make run` does after installing: init-db, demo, then web + scheduler; /healthz answers within 60 s."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


@pytest.mark.slow
def test_init_db_demo_and_devserver_serve_healthz_with_45_boards(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("WFSURVEY_")}
    env.update(WFSURVEY_INSTANCE_PATH=str(tmp_path), WFSURVEY_RATELIMIT_STORAGE_URI="memory://",
               WFSURVEY_BASE_URL=f"http://127.0.0.1:{port}")
    started = time.monotonic()
    for args in (["init-db"], ["demo"]):
        done = subprocess.run([str(BIN / "wfsurvey"), *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    server = subprocess.Popen([sys.executable, "-m", "wfsurvey.devserver", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        body = None
        while time.monotonic() - started < 60:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    body = json.load(response)
                    break
            except OSError:
                time.sleep(0.5)
        assert body == {"status": "ok", "database": "ok"}, "no /healthz 200 within 60 s"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode()
    assert "127.0.0.1:%d" % port in output
    import contextlib
    import sqlite3

    with contextlib.closing(sqlite3.connect(tmp_path / "wfsurvey.sqlite")) as conn:
        assert conn.execute("SELECT count(*) FROM organizations WHERE org_type = 'lwib'").fetchone()[0] == 45
        assert conn.execute("SELECT count(*) FROM regions WHERE scheme = 'cc-macro'").fetchone()[0] == 8
