"""What every test's app compiles anew, compiled once per test process: the suite makes an app per test (about 1,800
in a `make test`), and each app compiled its ~150 routes' URL builders and every template it rendered again.

- URL builders: werkzeug compiles two Python functions per route when the route is added to an app's URL map
  (`Rule._compile_builder`, about 25 ms of CPU an app). A builder is a function of its rule's parsed parts only
  (it takes the rule as its first argument and calls that rule's own converters), so an equal rule gets the function
  compiled for the first one. Rules with defaults are compiled as usual (their defaults are folded into the code).
  tests/unit/test_compile_cache.py checks that a shared builder is the code werkzeug compiles.
- Templates: `share_template_bytecode(app)` gives the app's Jinja environment a bytecode cache shared by the process
  (Jinja's own BytecodeCache; each entry is keyed by the template's name and checked against its source's checksum,
  so an edited template is compiled again).

Only what compiling produces is shared; every app still has its own URL map, environment and template cache.
"""
from __future__ import annotations

from typing import Any

from jinja2 import BytecodeCache
from werkzeug.routing.rules import Rule

_compile_builder = Rule._compile_builder
_builders: dict[tuple[Any, ...], Any] = {}


def _shared_compile_builder(self: Rule, append_unknown: bool = True):
    if self.defaults:
        return _compile_builder(self, append_unknown)
    key = (tuple(self._trace), append_unknown)
    builder = _builders.get(key)
    if builder is None:
        builder = _builders[key] = _compile_builder(self, append_unknown)
    return builder


def share_url_builders() -> None:
    Rule._compile_builder = _shared_compile_builder  # type: ignore[method-assign]


def compile_builder_anew(rule: Rule, append_unknown: bool = True):
    """The builder werkzeug itself compiles for the rule."""
    return _compile_builder(rule, append_unknown)


class _ProcessBytecodeCache(BytecodeCache):
    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self.stored.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self.stored[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_BYTECODE = _ProcessBytecodeCache()


def share_template_bytecode(app) -> None:
    app.jinja_env.bytecode_cache = TEMPLATE_BYTECODE
