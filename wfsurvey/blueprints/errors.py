"""Error pages in the site's style (JSON under /api), never a stack trace."""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import time

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound

from wfsurvey import dblimits
from wfsurvey.extensions import db, limiter
from wfsurvey.logs import redact
from wfsurvey.ratelimits import wait_in_words

log = logging.getLogger(__name__)

#: What a 503 says when the database cannot answer, and when to try again (Retry-After, seconds).
UNAVAILABLE_MESSAGE = ("The service is briefly unavailable: its database did not answer in time. Please try again "
                       "shortly.")
RETRY_AFTER_SECONDS = 10

TITLES = {
    400: "Bad request", 403: "Not allowed", 404: "Not found", 405: "Method not allowed",
    409: "Conflict", 410: "Gone", 413: "Too large", 422: "Cannot process", 429: "Too many requests",
    500: "Something went wrong", 503: "Unavailable",
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def render_error(status: int, message: str | None = None):
    title = TITLES.get(status, "Error")
    if _wants_json():
        return jsonify({"error": {"code": title.lower().replace(" ", "_"), "message": message or title, "fields": {}}}), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _too_many(exc: HTTPException) -> tuple[str | None, int | None]:
    """The message and Retry-After seconds of a 429: it always says when to come back, in words too."""
    if isinstance(exc, RateLimitExceeded):  # a decorator's limit (sign-in per address)
        current = limiter.current_limit
        seconds = max(1, math.ceil(current.reset_at - time.time())) if current is not None else 60
        return (f"Too many attempts came from your network in a short time. Please wait {wait_in_words(seconds)}, "
                "then try again."), seconds
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, dt.datetime):
        retry_after = max(1, math.ceil((retry_after - dt.datetime.now(dt.timezone.utc)).total_seconds()))
    return exc.description, retry_after


def _too_large() -> str:
    """What a 413 says: the limit in megabytes (MAX_CONTENT_LENGTH), and what to do about it."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return (f"The request is larger than the {limit / (1024 * 1024):g} MB this service accepts. Split the file "
            "into smaller ones and send them one after the other.")


def _unavailable(exc: Exception):
    """The database is out of reach, too slow, or its connection died: 503 "try again shortly", never a 500."""
    orig = getattr(exc, "orig", None) or exc
    summary = f"{type(orig).__name__}: {str(orig).strip().splitlines()[0] if str(orig).strip() else ''}"
    if dblimits.connection_lost(exc) or getattr(orig, "sqlstate", None) == "57014":  # 57014: statement timeout
        log.warning("database unavailable on %s %s: %s", request.method, redact(request.path), summary)
    else:  # locked, or something unexpected: worth its traceback
        log.exception("database error on %s %s", request.method, redact(request.path))
    with contextlib.suppress(Exception):
        db.session.rollback()
    response = make_response(render_error(503, UNAVAILABLE_MESSAGE))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _names_nothing(allowed: list[str]) -> bool:
    """A 405 whose path no route of another method accepts either: werkzeug says "method not allowed" when a rule of
    another method has the same shape (PATCH /rounds/0 beside GET /rounds/<id>), though the path's value fits neither
    (ids start at 1). That is a 404."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in allowed:
        if method in ("HEAD", "OPTIONS"):
            continue
        try:
            adapter.match(method=method)
        except NotFound:
            continue
        except HTTPException:
            return False
        return False
    return True


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if isinstance(exc, InternalServerError):
            return _unexpected(exc)
        if exc.code == 405 and _names_nothing(exc.valid_methods or []):
            exc = NotFound()
        message, retry_after = exc.description if exc.code not in (404, 405) else None, None
        if exc.code == 429:
            message, retry_after = _too_many(exc)
        if exc.code == 413:
            message = _too_large()
        response = make_response(render_error(exc.code or 500, message))
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        if retry_after is not None:
            response.headers["Retry-After"] = str(int(retry_after))
        return response

    for kind in dblimits.UNAVAILABLE:
        app.register_error_handler(kind, _unavailable)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, redact(request.path))
        return render_error(500, "The error was logged. Please try again in a moment.")
