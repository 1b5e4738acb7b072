"""Security rules every response follows, and how a route says who may call it (tokens: wfsurvey.domain.tokens)."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, jsonify, request

from wfsurvey.domain.text import text_problem

F = TypeVar("F", bound=Callable)

def public(view: F) -> F:
    """Mark a view as open to anyone on purpose (the route-authorization test accepts it)."""
    view.wfsurvey_access = "public"  # type: ignore[attr-defined]
    return view


def mark_access(view: F, access: str) -> F:
    view.wfsurvey_access = access  # type: ignore[attr-defined]
    return view


def checks_own_text(view: F) -> F:
    """Mark a view that checks the text of its form itself (the survey builder: it shows the page again with what was
    typed and the problem beside its field, rather than a bare 400). Field names and query strings are still checked
    at the door."""
    view.wfsurvey_checks_text = True  # type: ignore[attr-defined]
    return view


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _headers(response: Response) -> Response:
    nonce = g.get("csp_nonce")
    script = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; script-src {script}; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Only the dev mailbox's HTML part (framed by its own page) sets SAMEORIGIN; every other response is DENY.
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


#: Form fields that carry a whole file's text: checked where the file is read, naming row and column (a CSV) or the
#: JSON path (a template), as the API does.
FILE_TEXT_FIELDS = frozenset({"csv_text", "json_text"})


def _refuse_unstorable_text() -> None:
    """Text no database should keep (wfsurvey.domain.text) in a page's query string or form is refused at the door,
    naming the field, rather than failing deep inside (PostgreSQL cannot store NUL at all).

    Not under /api/, whose routes answer 422 naming the parameter, nor /r/ and /c/, where respondents' answers drop
    such characters rather than refuse them (they cannot see them).
    """
    if request.path.startswith(("/api/", "/r/", "/c/")):
        return
    view = current_app.view_functions.get(request.endpoint or "")
    own = getattr(view, "wfsurvey_checks_text", False)
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if text_problem(key):
                abort(400, description=f"A field name: {text_problem(key)}.")
            skip = key in FILE_TEXT_FIELDS or (own and values is request.form)
            problem = None if skip else text_problem(value)
            if problem:
                abort(400, description=f"The field “{key}”: {problem}.")


#: Methods that change something; a browser sends Origin with each of them.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_key(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of an origin or URL, default ports spelled out; None when it is not one."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    return scheme, parts.hostname.lower(), port if port is not None else _DEFAULT_PORTS.get(scheme)


def _same_site_origins() -> set[tuple[str, str, int | None]]:
    """The origins this site answers as: the request's own (after any trusted proxy) and BASE_URL's."""
    origins = {_origin_key(request.host_url), _origin_key(current_app.config.get("BASE_URL") or "")}
    origins.discard(None)
    return origins  # type: ignore[return-value]


def _refuse_cross_site_writes():
    """A state-changing request whose Origin names another site is refused, whatever it carries (a session, a
    CSRF token, a Bearer token): a page elsewhere must never act through a visitor's browser.

    No Origin (scripts, older clients) and `Origin: null` pass: browsers send `null` on our own form
    posts, because every page says Referrer-Policy: no-referrer; CSRF tokens and SameSite cookies guard those.
    """
    if request.method not in WRITE_METHODS:
        return None
    origin = request.headers.get("Origin")
    if origin is None or origin.strip() in ("", "null"):
        return None
    if _origin_key(origin) in _same_site_origins():
        return None
    message = "This request came from another website and was refused."
    if request.path.startswith("/api/"):
        response = jsonify({"error": {"code": "forbidden", "message": "cross-site requests are refused (Origin names "
                                      "another site)", "fields": {}}})
        response.status_code = 403
        return response
    abort(403, description=message)


def register_security(app: Flask) -> None:
    app.before_request(_refuse_cross_site_writes)
    app.before_request(_refuse_unstorable_text)
    app.after_request(_headers)
    if app.config.get("ENV") == "production":
        @app.after_request
        def _hsts(response: Response) -> Response:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
            return response
    app.jinja_env.globals["csp_nonce"] = csp_nonce
