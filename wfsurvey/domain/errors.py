"""The one exception a command raises when it refuses a move; views, the API and the CLI report it."""
from __future__ import annotations


class DomainError(Exception):
    """An illegal move on an aggregate (launching a closed round, answering after close, ...).

    `code` says what kind of refusal it is (`conflict`, `invalid`, `not_found`, `closed`, ...): the
    API turns it into the status and the error code; `fields` names the inputs at fault.
    """

    code = "conflict"

    def __init__(self, message: str, *, code: str | None = None, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}
