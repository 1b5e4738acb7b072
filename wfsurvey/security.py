"""Security rules every response follows, and how a route says who may call it (tokens: wfsurvey.domain.tokens)."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, Response, abort, g, request

F = TypeVar("F", bound=Callable)

def public(view: F) -> F:
    """Mark a view as open to anyone on purpose (the route-authorization test accepts it)."""
    view.wfsurvey_access = "public"  # type: ignore[attr-defined]
    return view


def mark_access(view: F, access: str) -> F:
    view.wfsurvey_access = access  # type: ignore[attr-defined]
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


def _refuse_nul_characters() -> None:
    """PostgreSQL cannot store NUL in text; refuse it at the door rather than fail deep inside."""
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400, description="Text may not contain NUL characters.")


def register_security(app: Flask) -> None:
    app.before_request(_refuse_nul_characters)
    app.after_request(_headers)
    if app.config.get("ENV") == "production":
        @app.after_request
        def _hsts(response: Response) -> Response:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
            return response
    app.jinja_env.globals["csp_nonce"] = csp_nonce
