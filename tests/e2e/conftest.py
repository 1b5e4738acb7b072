"""Browser tests: Playwright drives Debian's Chromium against the test's app, served on loopback by werkzeug.

Every test in this folder is marked `browser`. Without Chromium they are skipped locally, but fail
when CI=true: CI must run them. `make test` runs them in its SQLite run only (what a page shows and does is the
same on either database), so none of them may be marked postgres_only.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask, got_request_exception
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
#: Root in a closed network: without the networking flags Chromium keeps trying to reach the internet.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
LOOPBACK = "127.0.0.1"
#: Playwright's default timeouts are 30 s; a local page that takes 5 s is already a failure worth seeing.
ACTION_TIMEOUT_MS = 5_000
IN_CI = os.environ.get("CI") == "true"
E2E_DIR = Path(__file__).resolve().parent


def browser_unavailable() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright; never `playwright install`)"
    return None


def pytest_collection_modifyitems(config, items):
    # A conftest's collection hook sees every item of the run, not only this folder's.
    reason = browser_unavailable()
    for item in items:
        if not item.path.is_relative_to(E2E_DIR):
            continue
        item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("postgres_only"):
            raise pytest.UsageError(f"{item.nodeid}: a browser test cannot be postgres_only: `make test` runs the "
                                    "browser tests on SQLite only; test the database's part outside tests/e2e")
        if reason and not IN_CI:
            item.add_marker(pytest.mark.skip(reason=f"browser test: {reason}"))


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run (starting it costs about a second)."""
    reason = browser_unavailable()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true and the browser tests must run, but {reason}", pytrace=False)
        pytest.skip(f"browser test: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class LiveServer:
    """The test's app served over real HTTP; `errors` holds every exception a request raised."""

    url: str
    app: Flask
    errors: list[BaseException] = field(default_factory=list)


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    """Serve the test's app (its database) on a free loopback port from a daemon thread.

    Requests in the server thread push their own app context and use their own database
    connections; the test's context and session stay the test's, so a test calls
    `db.session.rollback()` before reading what the browser's requests wrote.
    """
    server = make_server(LOOPBACK, 0, app, threaded=True)
    live = LiveServer(url=f"http://{LOOPBACK}:{server.port}", app=app)
    # Emailed links must lead back to this server; sign-ins in a row must never hit the login limit.
    app.config.update(BASE_URL=live.url, RATELIMIT_ENABLED=False)

    def record(sender, exception, **extra):
        live.errors.append(exception)

    got_request_exception.connect(record, app)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        got_request_exception.disconnect(record, app)
    assert not live.errors, f"the server raised while the browser used it: {live.errors!r}"


@dataclass
class BrowserWatch:
    """What a page did that a test never wants: requests off loopback, dialogs, script errors, CSP refusals."""

    third_party: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.third_party == [], f"requests left {LOOPBACK}: {self.third_party}"
        assert self.dialogs == [], f"dialogs opened: {self.dialogs}"
        assert self.page_errors == [], f"uncaught script errors: {self.page_errors}"
        assert self.csp_violations == [], f"Content-Security-Policy refusals: {self.csp_violations}"


@pytest.fixture
def watch() -> BrowserWatch:
    return BrowserWatch()


@pytest.fixture
def new_page(browser, live_server, watch):
    """A callable: a page in a fresh browser context (own cookies, optional viewport, JavaScript on unless told) on the
    live server.

    Every request to a host other than 127.0.0.1 is aborted and counted, dialogs are dismissed and
    counted; the contexts close before the server stops, and the watch must end clean.
    """
    contexts = []

    def block_off_loopback(route):
        watch.third_party.append(route.request.url)
        route.abort()

    def on_dialog(dialog):
        watch.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            watch.csp_violations.append(message.text)

    def make(viewport: dict | None = None, javascript: bool = True):
        context = browser.new_context(base_url=live_server.url, viewport=viewport or {"width": 1280, "height": 900},
                                      accept_downloads=True, java_script_enabled=javascript)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        context.route(lambda url: urlsplit(url).hostname != LOOPBACK, block_off_loopback)
        page = context.new_page()
        page.on("dialog", on_dialog)
        page.on("pageerror", lambda exc: watch.page_errors.append(str(exc)))
        page.on("console", on_console)
        return page

    try:
        yield make
    finally:
        for context in contexts:
            context.close()
    watch.assert_clean()


@pytest.fixture
def page(new_page):
    """One page at desktop size."""
    return new_page()


# --- accessibility ------------------------------------------------------------------------------------

#: axe-core, vendored (tests/e2e/axe/README.md says where it comes from and how to update it).
AXE_SCRIPT = E2E_DIR / "axe" / "axe.min.js"
AXE_VERSION = "4.14.1"
#: The rules of WCAG 2.1 levels A and AA.
WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
#: Violations of these impacts fail a page; minor and moderate ones are reported by axe but not enforced.
FAILING_IMPACTS = ("serious", "critical")


def _violation_lines(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} [{violation['helpUrl']}]")
        for node in violation["nodes"][:5]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node.get('failureSummary', '').splitlines()[-1:]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    ...and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def axe_source() -> str:
    source = AXE_SCRIPT.read_text(encoding="utf-8")
    assert f"axe v{AXE_VERSION}" in source[:100], f"{AXE_SCRIPT} is not axe-core {AXE_VERSION}"
    return source


@pytest.fixture
def axe_check(axe_source):
    """A callable: `axe_check(page)` runs axe-core's WCAG 2.1 A and AA rules on the page as it is now and fails the
    test on any serious or critical violation, listing each with the elements at fault; it returns axe's results.

    axe is put into the page through Playwright (the DevTools protocol), which the page's Content-Security-Policy
    does not govern: it works in any context, with or without bypass_csp, and the page keeps its real policy while it
    is checked. `exclude` takes CSS selectors of parts to leave out (say, a third party's frame); frames are not
    entered (iframes=False): the app's pages have none of their own.
    """

    def check(page, *, exclude: tuple[str, ...] = (), what: str | None = None) -> dict:
        if not page.evaluate("typeof window.axe === 'object'"):
            page.evaluate(axe_source + "\n;undefined")
        context = {"include": [["html"]], "exclude": [[selector] for selector in exclude]} if exclude else None
        options = {"runOnly": {"type": "tag", "values": list(WCAG_21_AA)}, "resultTypes": ["violations"], "iframes": False}
        results = page.evaluate("([context, options]) => axe.run(context || document, options)", [context, options])
        failing = [v for v in results["violations"] if v["impact"] in FAILING_IMPACTS]
        assert not failing, (f"accessibility (WCAG 2.1 AA, axe-core {AXE_VERSION}) of {what or page.url}:\n"
                             + _violation_lines(failing))
        return results

    return check


# --- a program in progress ----------------------------------------------------------------------------

@pytest.fixture
def program_in_progress(app, live_server):
    """tests/program.py's program in the live server's database (its emailed links lead to the live server)."""
    from tests import program

    return program.build(app)
