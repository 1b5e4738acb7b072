"""Error pages in the site's style (JSON under /api), never a stack trace."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from wfsurvey.logs import redact

log = logging.getLogger(__name__)

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


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if isinstance(exc, InternalServerError):
            return _unexpected(exc)
        response = make_response(render_error(exc.code or 500, exc.description if exc.code not in (404, 405) else None))
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, redact(request.path))
        return render_error(500, "The error was logged. Please try again in a moment.")
