"""Rate limits counted in the views themselves, where only the view knows what to count (an unknown respondent
link, a failed sign-in): in Flask-Limiter's storage, under the deployment's key prefix, with a 429 that says
in plain words how long to wait.

Every key starts with RATELIMIT_KEY_PREFIX (by default "wfsurvey:" and a hash of the database URL, see
wfsurvey.settings.default_key_prefix), so two deployments that share one Redis never share a counter.
"""
from __future__ import annotations

import logging
import math
import time
from typing import ClassVar, NoReturn

from flask import current_app
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter
from werkzeug.exceptions import TooManyRequests

from wfsurvey.extensions import limiter

log = logging.getLogger(__name__)

class InlineExpiryMemoryStorage(MemoryStorage):
    """`memory://` (the default storage, and each process's fallback): limits' own, with its expired entries swept
    inline, at most once a second, instead of by a timer thread.

    limits' MemoryStorage starts a new timer thread on nearly every hit (its sweep runs 10 ms later and the
    thread ends), so each counted request paid a thread's start, a wait for it to run, and its sweep: a tenth
    of a respondent's submit in-process. Counting is unchanged: a key's expiry is checked when it is read, so
    the sweep only frees memory. Registered under the same scheme, it replaces the original for this app.
    """

    STORAGE_SCHEME: ClassVar[list[str]] = ["memory"]
    #: Seconds between two sweeps of expired entries.
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()  # the one the parent started
        self._next_sweep = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # the parent's private hook, called by every hit
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_SECONDS
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


#: Counts in this process when the shared storage fails (Redis down), as Flask-Limiter's own fallback does:
#: limits stay on, only less strict across processes.
_fallback: RateLimiter = FixedWindowRateLimiter(InlineExpiryMemoryStorage())


def active() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True)) and limiter.initialized


def _strategy() -> RateLimiter:
    return limiter.limiter  # Flask-Limiter's, or its in-memory fallback once it found the storage dead


def _key(scope: str, key: str) -> tuple[str, str, str]:
    return current_app.config["RATELIMIT_KEY_PREFIX"], scope, key


def hit(limit: str, scope: str, key: str) -> bool:
    """Count one against `key` in `scope`; False when that goes past the limit."""
    item = parse(limit)
    try:
        return _strategy().hit(item, *_key(scope, key))
    except Exception:
        log.warning("rate limit storage unreachable: counting %s in this process", scope, exc_info=True)
        return _fallback.hit(item, *_key(scope, key))


def within(limit: str, scope: str, key: str) -> bool:
    """Whether one more would still be allowed, counting nothing."""
    item = parse(limit)
    try:
        return _strategy().test(item, *_key(scope, key))
    except Exception:
        log.warning("rate limit storage unreachable: counting %s in this process", scope, exc_info=True)
        return _fallback.test(item, *_key(scope, key))


def seconds_to_wait(limit: str, scope: str, key: str) -> int:
    """Seconds until the limit lets one more through (at least 1)."""
    item = parse(limit)
    try:
        stats = _strategy().get_window_stats(item, *_key(scope, key))
    except Exception:
        stats = _fallback.get_window_stats(item, *_key(scope, key))
    return max(1, math.ceil(stats.reset_time - time.time()))


def wait_in_words(seconds: int) -> str:
    """"a minute", "5 minutes", "2 hours": how long to wait, as people say it (Retry-After has the exact time)."""
    minutes = max(1, round(seconds / 60))
    if minutes == 1:
        return "a minute"
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{round(minutes / 60)} hours"


def refuse(limit: str, scope: str, key: str, why: str) -> NoReturn:
    """Answer 429 with Retry-After and a page that says why and how long to wait."""
    seconds = seconds_to_wait(limit, scope, key)
    raise TooManyRequests(f"{why} Please wait {wait_in_words(seconds)}, then try again.", retry_after=seconds)
