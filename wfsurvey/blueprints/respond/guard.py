"""Rate limits of respondent links. Links that open nothing are counted per client address, and past
RESPOND_NOT_FOUND_RATE_LIMIT that address gets 429 for them; links that work are counted per link with
RESPOND_LINK_RATE_LIMIT, a generous allowance of their own. So someone guessing tokens from an office's
shared address, or a mail scanner opening dead links, never locks out the real respondents behind it.

Both are decided after the lookup the view does anyway: a valid link costs no SQL here, only a counter.
Tokens carry 256 bits, so the limit on unknown links is about load, not about what a guesser could find.
"""
from __future__ import annotations

from typing import NoReturn

from flask import abort, current_app
from flask_limiter.util import get_remote_address

from wfsurvey import ratelimits

UNKNOWN_SCOPE = "respond-unknown"
LINK_SCOPE = "respond-link"


def refuse_unknown() -> NoReturn:
    """A link that opens nothing (unknown, revoked, or of a cancelled round): 404, or 429 past the address's limit."""
    if ratelimits.active():
        limit, address = current_app.config["RESPOND_NOT_FOUND_RATE_LIMIT"], get_remote_address()
        if not ratelimits.hit(limit, UNKNOWN_SCOPE, address):
            ratelimits.refuse(limit, UNKNOWN_SCOPE, address,
                              "Too many links that do not work were opened from your network in a short time.")
    abort(404)


def admit(invitation_id: int, *, kind: str = "") -> None:
    """A link that works: counted against its own allowance, whatever address it comes from. `kind` keeps the links
    of convenings ("c", /c/) apart from the survey links of the same number."""
    if ratelimits.active():
        limit, key = current_app.config["RESPOND_LINK_RATE_LIMIT"], f"{kind}{invitation_id}"
        if not ratelimits.hit(limit, LINK_SCOPE, key):
            ratelimits.refuse(limit, LINK_SCOPE, key,
                              "This link was opened very many times in a short time. Your saved answers are safe.")
