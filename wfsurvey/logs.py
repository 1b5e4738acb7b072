"""Logging that never records a respondent's token: /r/<token> paths are redacted in every log line."""
from __future__ import annotations

import logging
import re

_TOKEN_PATH = re.compile(r"/r/[A-Za-z0-9_\-]{8,}")
#: Loggers that write request paths: the dev server, gunicorn, and ours.
PATH_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "wfsurvey")


def redact(text: str) -> str:
    return _TOKEN_PATH.sub("/r/[token]", text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install() -> None:
    """Attach the filter once to the loggers that see paths (idempotent)."""
    for name in PATH_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
