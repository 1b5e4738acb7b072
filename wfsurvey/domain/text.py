"""What text the system keeps: no NUL or other C0 control characters (tab and line breaks only where a text allows
them), no bidirectional overrides, nothing that is not Unicode. One rule for the CSV imports, template uploads, the
API's request checks and the respondent form, so web and API refuse (or, for respondents, drop) the same.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

#: Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they make text read in
#: another order than it is stored, in a page, a spreadsheet or a log ("Trojan Source").
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
#: Tab, line feed and carriage return: allowed where a text may span lines (a long answer, a template's help,
#: a CSV cell, whose whitespace is collapsed anyway).
LINE_BREAKS = "\t\n\r"

_REFUSED_ANYWHERE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{BIDI_CONTROLS}]")
_REFUSED_IN_ONE_LINE = re.compile(f"[\x00-\x1f{BIDI_CONTROLS}]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _pattern(multiline: bool) -> re.Pattern[str]:
    return _REFUSED_ANYWHERE if multiline else _REFUSED_IN_ONE_LINE


def describe(char: str) -> str:
    """A refused character as people can look it up: "NUL (U+0000)", "U+202E"."""
    return "NUL (U+0000)" if char == "\x00" else f"U+{ord(char):04X}"


def text_problem(value: str, *, multiline: bool = True) -> str | None:
    """Why `value` cannot be stored, in words, or None. With multiline=False, tab and line breaks are refused too."""
    if _SURROGATE.search(value):
        return "text must be valid Unicode"
    found = _pattern(multiline).search(value)
    if found is None:
        return None
    char = found.group()
    if char in BIDI_CONTROLS:
        return f"text must not contain the invisible direction control {describe(char)}"
    if char == "\x00":
        return "text must not contain NUL characters"
    return f"text must not contain the control character {describe(char)}"


def problems_in(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(JSON path, problem) for each text in `data` (keys included) that cannot be stored; the path is "a.0.b"."""
    if isinstance(data, str):
        problem = text_problem(data)
        if problem:
            yield path, problem
    elif isinstance(data, dict):
        for key, item in data.items():
            inner = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and (problem := text_problem(key)):
                yield path or "_schema", f"a key: {problem}"
            yield from problems_in(item, inner)
    elif isinstance(data, (list, tuple)):
        for index, item in enumerate(data):
            yield from problems_in(item, f"{path}.{index}" if path else str(index))


def first_problem(data: Any) -> tuple[str, str] | None:
    """The first (JSON path, problem) of problems_in, or None when every text in `data` can be stored."""
    return next(problems_in(data), None)


def without_controls(value: str, *, multiline: bool = False) -> str:
    """`value` with what text_problem refuses taken out: a tab or line break left in one line becomes a space.

    For what respondents type or paste, who cannot see these characters and should not be told about them.
    """
    if not multiline:
        value = re.sub(f"[{LINE_BREAKS}]", " ", value)
    return _SURROGATE.sub("", _pattern(multiline).sub("", value))


def plural(n: int, one: str, many: str | None = None) -> str:
    """"1 seat", "2 seats", "1,000 people": the count in digits, grouped by thousands, and the word that goes with it."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"
