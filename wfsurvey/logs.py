"""Logging that never records a respondent's token: whatever follows /r/ or /c/ in a path is redacted in every
log record the process makes (ours, the dev server's, gunicorn's), percent-encoded or not."""
from __future__ import annotations

import logging
import re

#: A path separator, plain or percent-encoded; several in a row count as one (servers merge them).
_SEP = r"(?:/|%2f)+"
#: The link prefixes: r (respondent links) and c (kept for later links), plain or percent-encoded.
_LINK = r"(?:r|c|%72|%52|%63|%43)"
#: The token: everything up to the next separator, query or fragment (plain or encoded), space or quote.
_TOKEN = r"(?:(?!%2f|%3f|%23)[^/?#\s\"'<>])+"
_TOKEN_PATH = re.compile(rf"({_SEP}{_LINK}{_SEP}){_TOKEN}", re.IGNORECASE)
REDACTED = "[token]"


def redact(text: str) -> str:
    return _TOKEN_PATH.sub(lambda m: m.group(1) + REDACTED, text)


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # arguments that do not fit the format: logging reports that itself when it emits
        return
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if record.exc_info and not record.exc_text:
        # Formatted here, once, so that no handler formats the raw text again (Formatter reuses exc_text).
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def install() -> None:
    """Redact every record as it is made, whichever logger makes it and wherever it goes (idempotent).

    A record factory rather than a logger filter: a filter on a logger never sees the records of its
    children (`wfsurvey.blueprints.errors` passes `wfsurvey`'s filters by), nor those of loggers that
    gunicorn or a library set up later.
    """
    current = logging.getLogRecordFactory()
    if getattr(current, "wfsurvey_redacts", False):
        return

    def make_record(*args, **kwargs) -> logging.LogRecord:
        record = current(*args, **kwargs)
        _redact_record(record)
        return record

    make_record.wfsurvey_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_record)
