"""`make run`'s process manager starts the web server and the scheduler, and stops both together."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from wfsurvey.devserver import available_commands

pytestmark = pytest.mark.slow

#: Stands in for the `wfsurvey` command: `--help`, `serve` (answers every GET with 200), `scheduler`.
FAKE_WFSURVEY = textwrap.dedent(
    """
    import http.server, os, signal, sys, time
    from pathlib import Path

    marks = Path(os.environ["FAKE_MARKS"])
    command = sys.argv[1]
    if command == "--help":
        print("Usage: wfsurvey [OPTIONS] COMMAND [ARGS]...\\n\\nOptions:\\n  --help  Show this message.\\n")
        print("Commands:\\n  init-db    Create the schema.\\n" + os.environ.get("FAKE_EXTRA_HELP", ""))
        sys.exit(0)

    def stopped(signum, frame):
        (marks / f"{command}.stopped").write_text("SIGTERM")
        sys.exit(0)

    signal.signal(signal.SIGTERM, stopped)
    (marks / f"{command}.pid").write_text(str(os.getpid()))
    if command == "serve":
        class Ok(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.end_headers()
            def log_message(self, *args):
                pass
        http.server.HTTPServer(("127.0.0.1", int(sys.argv[sys.argv.index("--port") + 1])), Ok).serve_forever()
    else:
        while True:
            time.sleep(0.1)
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def fake(tmp_path):
    script = tmp_path / "fake_wfsurvey.py"
    script.write_text(FAKE_WFSURVEY)
    marks = tmp_path / "marks"
    marks.mkdir()
    return [sys.executable, str(script)], marks


@pytest.fixture
def start_devserver(fake, tmp_path):
    command, marks = fake
    started: list[tuple[subprocess.Popen, threading.Thread]] = []

    def start(*, with_scheduler: bool) -> tuple[subprocess.Popen, int, list[str]]:
        port = free_port()
        env = {**os.environ, "FAKE_MARKS": str(marks),
               "FAKE_EXTRA_HELP": "  scheduler  Run jobs.\n" if with_scheduler else ""}
        code = f"import sys; from wfsurvey.devserver import main; sys.exit(main(['--port', '{port}'], {command!r}))"
        process = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=tmp_path,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        output: list[str] = []
        reader = threading.Thread(target=lambda: output.extend(process.stdout), daemon=True)
        reader.start()
        started.append((process, reader))
        return process, port, output

    yield start
    for process, reader in started:
        if process.poll() is None:
            process.kill()
        process.wait()
        reader.join(timeout=5)
        process.stdout.close()
        process.stderr.close()
    # A fake child the manager failed to stop: kill it, but only if that pid is still our script.
    for pid_file in marks.glob("*.pid"):
        try:
            if command[1].encode() in Path("/proc", pid_file.read_text(), "cmdline").read_bytes():
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
        except (FileNotFoundError, ProcessLookupError):
            pass  # already gone


def banner_shown(output: list[str]) -> bool:
    return any("Ctrl-C stops everything" in line for line in output)


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def test_scheduler_is_found_in_help_output(fake, monkeypatch):
    command, marks = fake
    monkeypatch.setenv("FAKE_MARKS", str(marks))
    monkeypatch.setenv("FAKE_EXTRA_HELP", "  scheduler  Run jobs.\n")
    assert available_commands(command) == {"init-db", "scheduler"}
    monkeypatch.setenv("FAKE_EXTRA_HELP", "")
    assert available_commands(command) == {"init-db"}


def test_starts_web_and_scheduler_and_stops_both_on_sigterm(start_devserver, fake):
    _, marks = fake
    process, port, output = start_devserver(with_scheduler=True)
    assert wait_for(lambda: banner_shown(output) and (marks / "scheduler.pid").exists())

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0, process.stderr.read()
    out = "".join(output)
    assert f"http://127.0.0.1:{port}/login" in out
    assert f"http://127.0.0.1:{port}/dev/mailbox" in out
    assert (marks / "serve.stopped").read_text() == "SIGTERM"
    assert (marks / "scheduler.stopped").read_text() == "SIGTERM"
    assert not answers(port)


def test_without_scheduler_command_only_the_web_server_runs(start_devserver, fake):
    _, marks = fake
    process, port, output = start_devserver(with_scheduler=False)
    assert wait_for(lambda: banner_shown(output))
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    out = "".join(output)
    assert not (marks / "scheduler.pid").exists()
    assert "no `wfsurvey scheduler` command" in out


def test_death_of_one_child_stops_the_other(start_devserver, fake):
    _, marks = fake
    process, port, output = start_devserver(with_scheduler=True)
    assert wait_for(lambda: banner_shown(output) and (marks / "scheduler.pid").exists())

    os.kill(int((marks / "scheduler.pid").read_text()), signal.SIGKILL)
    assert process.wait(timeout=30) == 1
    err = process.stderr.read()
    assert "scheduler exited" in err
    assert (marks / "serve.stopped").read_text() == "SIGTERM"
    assert not answers(port)
