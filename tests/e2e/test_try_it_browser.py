"""The README's "Try it in five minutes", followed step by step in Chromium against what `make run` starts: the
Makefile's `run` recipe (init-db, demo, then the devserver with the web server and the real `wfsurvey scheduler`
process) on a fresh database. Nothing here runs a job itself: the scheduler delivers the invitations.

The steps are read from the README: the test refuses to run when they differ from the steps it knows how to follow,
so changing the README means changing this test.
"""
from __future__ import annotations

import os
import re
import runpy
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ACTION_TIMEOUT_MS, LOOPBACK
from wfsurvey.paths import CONFIG_DIR

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Try it in five minutes"
#: The address the README's steps use (make run's default HOST and PORT).
README_BASE = "http://127.0.0.1:5000"
#: The scheduler's interval in this test (SCHEDULER_INTERVAL_SECONDS, given through a WFSURVEY_CONFIG file): the
#: invitations go out at its next tick after the launch, so a short interval saves waiting out the default's minute.
#: The default itself is checked to keep the README's "within a minute".
TEST_INTERVAL_SECONDS = 2
#: How long the mailbox may take to list every invitation, with slack for a busy machine.
DELIVERY_WAIT_SECONDS = 100
NOMINEE = {"name": "Grace Ramirez", "email": "grace.ramirez@example.org",
           "organization": "Riverside County Workforce Development Board"}


def readme_steps() -> list[str]:
    """The numbered steps of the README's section, each joined onto one line."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert SECTION in text, f"README.md has no section {SECTION!r}"
    body = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    steps: list[str] = []
    for line in body.splitlines():
        numbered = re.match(r"^(\d+)\. (.*)$", line)
        if numbered:
            assert int(numbered[1]) == len(steps) + 1, f"README step numbers out of order at {line!r}"
            steps.append(numbered[2].strip())
        elif steps and line.startswith("   ") and line.strip():
            steps[-1] += " " + line.strip()
    return steps


def make_run_recipe(port: int) -> list[str]:
    """The shell lines of the Makefile's `run` target, as make would run them (after `venv`), for this port."""
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    start = lines.index(next(line for line in lines if line.startswith("run:")))
    recipe = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        command = line.strip().lstrip("@")
        for name, value in (("$(BIN)", str(Path(sys.executable).parent)), ("$(HOST)", LOOPBACK), ("$(PORT)", str(port))):
            command = command.replace(name, value)
        recipe.append(command)
    assert recipe and "devserver" in recipe[-1], recipe
    return recipe


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


class Walk:
    """What the steps share: the server's address, the demo's output, the browser page, the round."""

    def __init__(self, base: str, demo_output: str, page) -> None:
        self.base, self.demo_output, self.page = base, demo_output, page
        self.round_url = ""
        self.invitations = 0

    def url(self, step: str) -> str:
        """The address a step names, on the server this test started."""
        found = re.search(r"http://127\.0\.0\.1:5000(/[\w/-]*)?", step)
        assert found, f"no address in step {step!r}"
        return self.base + (found[1] or "/")

    def password(self, email: str) -> str:
        found = re.search(rf"created {re.escape(email)}\s+password: (\S+)", self.demo_output)
        assert found, f"`wfsurvey demo` printed no password for {email}:\n{self.demo_output}"
        return found[1]


STEPS: list[tuple[str, Callable[[Walk, str], None]]] = []


def step(text: str):
    def register(follow: Callable[[Walk, str], None]):
        STEPS.append((text, follow))
        return follow
    return register


@step("Open http://127.0.0.1:5000/ and sign in as `staff@example.org` with the password `wfsurvey demo` printed.")
def sign_in(walk: Walk, text: str) -> None:
    page = walk.page
    page.goto(walk.url(text))
    expect(page).to_have_url(re.compile(r"/login"))  # `/` sends someone signed out to the sign-in page
    page.get_by_label("Email address").fill("staff@example.org")
    page.get_by_label("Password").fill(walk.password("staff@example.org"))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


@step("On the staff home, open the round “Advanced Manufacturing baseline” and press **Launch round 1**: it opens at once.")
def launch(walk: Walk, text: str) -> None:
    page = walk.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Survey rounds")
    page.get_by_role("link", name="Advanced Manufacturing baseline", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Advanced Manufacturing baseline")
    expect(page.locator(".next-steps")).to_contain_text("When you launch it, it opens at once")
    walk.round_url = page.url
    page.get_by_role("button", name="Launch round 1", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("the round is open and the invitations are on their way")
    expect(page.locator("h1 .badge").first).to_have_text("open")
    walk.invitations = int(page.locator("dt:text-is('Invitations') + dd").inner_text())
    assert walk.invitations > 50  # the three target regions' boards and colleges


@step("Within a minute the scheduler emails the invitations: open the dev mailbox at http://127.0.0.1:5000/dev/mailbox, "
      "which lists one invitation per board and college.")
def mailbox(walk: Walk, text: str) -> None:
    page = walk.page
    invitations = page.get_by_role("row").filter(has_text="Advanced Manufacturing baseline: survey for")
    deadline = time.monotonic() + DELIVERY_WAIT_SECONDS
    while True:
        page.goto(walk.url(text))
        if invitations.count() == walk.invitations or time.monotonic() > deadline:
            break
        page.wait_for_timeout(1000)
    expect(invitations).to_have_count(walk.invitations)


@step("Open the invitation to Riverside County Workforce Development Board and follow its link. Answer every required "
      "question, name a navigator counterpart, and press **Submit**.")
def answer(walk: Walk, text: str) -> None:
    page = walk.page
    page.get_by_role("link", name="Advanced Manufacturing baseline: survey for Riverside County Workforce Development Board").click()
    link = page.locator("pre.mail-text a").filter(has_text=re.compile(rf"^{re.escape(walk.base)}/r/[\w-]+$"))
    expect(link).to_have_count(1)
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Regional collaboration on Advanced Manufacturing")
    # Every required question, found on the page rather than known in advance.
    required = page.locator(".question:has(.req)")
    keys = [key for key in required.evaluate_all("els => els.map(e => e.dataset.key)") if key]
    assert keys, "the form marks no question as required"
    for key in keys:
        question = page.locator(f'.question[data-key="{key}"]')
        if key == "navigator":
            question.get_by_label("Name").fill(NOMINEE["name"])
            question.get_by_label("Email address").fill(NOMINEE["email"])
            question.get_by_label("Organization").fill(NOMINEE["organization"])
        else:
            question.get_by_role("radio").first.check()
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_role("heading", name="Thank you: your answers are submitted")).to_be_visible()


@step("Back on the round's page, open **Completion**: 1 response is submitted. **Designations** names that counterpart "
      "for Inland Empire/Desert, and the **Baseline table** counts the answer in Inland Empire/Desert.")
def results(walk: Walk, text: str) -> None:
    page = walk.page
    page.goto(walk.round_url)
    nav = page.get_by_role("navigation", name="This round")
    nav.get_by_role("link", name="Completion").click()
    expect(page.locator("ul.cards li").filter(has_text="Submitted").locator(".n")).to_have_text("1")
    expect(page.get_by_text(f"1 of {walk.invitations} invitations submitted")).to_be_visible()
    nav.get_by_role("link", name="Designations").click()
    region = page.locator("#region-inland-empire-desert")
    expect(region).to_contain_text(NOMINEE["name"])
    expect(region.locator(".status-designated")).to_have_text("Designated")
    nav.get_by_role("link", name="Baseline table").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Inland Empire/Desert", exact=True)).first
    expect(row).to_contain_text(re.compile(r"\(1 of \d+\)"))  # responded 1 of the region's invited
    others = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Los Angeles", exact=True)).first
    expect(others).to_contain_text(re.compile(r"\(0 of \d+\)"))


def test_the_readme_steps_work_from_make_run(browser, tmp_path):
    written = readme_steps()
    assert written == [text for text, _ in STEPS], (
        "README.md's “Try it in five minutes” changed: make this test follow the new steps.\n"
        f"README: {written}\ntest:   {[text for text, _ in STEPS]}")

    # Step 3's "within a minute" is the default interval's promise; this run ticks sooner, to wait less.
    default_interval = runpy.run_path(str(CONFIG_DIR / "default.py"))["SCHEDULER_INTERVAL_SECONDS"]
    assert default_interval <= 60, f"README step 3 says within a minute, but the scheduler runs every {default_interval} s"
    config = tmp_path / "try_it_config.py"
    config.write_text(f"SCHEDULER_INTERVAL_SECONDS = {TEST_INTERVAL_SECONDS}\n")

    port = free_port()
    base = f"http://{LOOPBACK}:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WFSURVEY_")}
    # A fresh instance folder (the SQLite file make run makes), links in emails to this port, rate limits in memory,
    # and the scheduler's short interval.
    env.update(WFSURVEY_INSTANCE_PATH=str(tmp_path), WFSURVEY_BASE_URL=base, WFSURVEY_RATELIMIT_STORAGE_URI="memory://",
               WFSURVEY_CONFIG=str(config))
    *setup, serve = make_run_recipe(port)
    output = ""
    for command in setup:
        done = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{command}:\n{done.stdout}{done.stderr}"
        output += done.stdout
    server = subprocess.Popen(shlex.split(serve), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True)
    context = None
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "make run's server never answered /healthz"
            time.sleep(0.5)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        walk = Walk(base, output, context.new_page())
        for text, follow in STEPS:
            follow(walk, text)
    finally:
        if context is not None:
            context.close()
        os.killpg(server.pid, signal.SIGTERM)
        served = server.communicate(timeout=60)[0].decode(errors="replace")
    assert "scheduler" in served and "jobs run" not in " ".join(setup + [serve])
    assert f"running the jobs every {TEST_INTERVAL_SECONDS:g} s" in served, served[-3000:]
