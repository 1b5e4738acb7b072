"""`make run`'s process manager: the web server and, once it exists, the scheduler, side by side.

Jobs never run inside the web process, so development runs both as children and stops
both together on Ctrl-C or SIGTERM, or as soon as either of them dies.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

#: How long a child gets to stop after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 10
#: How long to wait for /healthz before printing the banner anyway.
STARTUP_WAIT_SECONDS = 30


def wfsurvey_command() -> list[str]:
    """The `wfsurvey` console script of this interpreter (its venv), else one run through it."""
    beside = Path(sys.executable).with_name("wfsurvey")
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which("wfsurvey")
    if found:
        return [found]
    return [sys.executable, "-c", "from wfsurvey.cli import main; main()"]


def available_commands(wfsurvey: list[str]) -> set[str]:
    """Names listed under "Commands:" by `wfsurvey --help`."""
    result = subprocess.run([*wfsurvey, "--help"], capture_output=True, text=True, check=True)
    names: set[str] = set()
    in_commands = False
    for line in result.stdout.splitlines():
        if line.strip() == "Commands:":
            in_commands = True
        elif in_commands and line.startswith("  ") and line.strip():
            names.add(line.split()[0])
        elif in_commands and line.strip() and not line.startswith(" "):
            in_commands = False
    return names


def wait_until_healthy(url: str, web: subprocess.Popen, timeout: float, stopping: threading.Event) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and web.poll() is None and not stopping.is_set():
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except urllib.error.HTTPError as error:
            return error.code == 200
        except OSError:
            stopping.wait(0.3)
    return False


def banner(base_url: str, healthy: bool, scheduler: bool) -> str:
    lines = [
        "",
        "=" * 64,
        f"  wfsurvey is running at {base_url}" + ("" if healthy else "  (not answering /healthz yet)"),
        f"  log in:       {base_url}/login  (staff and admin credentials: printed by `wfsurvey demo` above)",
        f"  dev mailbox:  {base_url}/dev/mailbox  (every email the app sends lands here; sign in first)",
        f"  health:       {base_url}/healthz",
        "  scheduler:    " + ("running (`wfsurvey scheduler`)" if scheduler else "not started: this version has no `wfsurvey scheduler` command"),
        "  Ctrl-C stops everything.",
        "=" * 64,
        "",
    ]
    return "\n".join(lines)


def stop(children: dict[str, subprocess.Popen]) -> None:
    """SIGTERM every child still running, then kill whichever has not stopped in time."""
    for process in children.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for name, process in children.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"devserver: {name} did not stop within {STOP_GRACE_SECONDS} s; killing it", file=sys.stderr)
            process.kill()
            process.wait()


def main(argv: list[str] | None = None, wfsurvey: list[str] | None = None) -> int:
    """Run until Ctrl-C, SIGTERM or a child's death; `wfsurvey` replaces the command (tests)."""
    parser = argparse.ArgumentParser(prog="python -m wfsurvey.devserver", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default=5000, type=int)
    args = parser.parse_args(argv)

    wfsurvey = wfsurvey or wfsurvey_command()
    try:
        with_scheduler = "scheduler" in available_commands(wfsurvey)
    except subprocess.CalledProcessError as error:
        print(f"devserver: `wfsurvey --help` failed, nothing started:\n{error.stderr}", file=sys.stderr)
        return 1
    base_url = f"http://{args.host}:{args.port}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    stopping = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    # Own process groups: a terminal's Ctrl-C reaches only this manager, which then stops
    # the children in order instead of each dying half-way through its own shutdown.
    children: dict[str, subprocess.Popen] = {}
    exit_code = 0
    try:
        children["web server"] = subprocess.Popen(
            [*wfsurvey, "serve", "--host", args.host, "--port", str(args.port)], env=env, process_group=0
        )
        if with_scheduler:
            children["scheduler"] = subprocess.Popen([*wfsurvey, "scheduler"], env=env, process_group=0)

        healthy = wait_until_healthy(f"{base_url}/healthz", children["web server"], STARTUP_WAIT_SECONDS, stopping)
        if not stopping.is_set() and children["web server"].poll() is None:
            print(banner(base_url, healthy, with_scheduler), flush=True)

        while not stopping.wait(0.5):
            dead = [(name, p.returncode) for name, p in children.items() if p.poll() is not None]
            if dead:
                for name, code in dead:
                    print(f"devserver: the {name} exited with status {code}; stopping the rest", file=sys.stderr)
                exit_code = 1
                break
    finally:
        stop(children)
    if stopping.is_set():
        print("devserver: stopped", file=sys.stderr)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
