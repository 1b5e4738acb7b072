"""File downloads (CSV, XLSX) from the staff pages and the API: one response, whole or streamed, with the content
type, a safe attachment filename, and no caching (the files carry names and answers)."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import quote

from flask import Response
from sqlalchemy.orm import Session

from wfsurvey.extensions import db

#: Characters kept as they are in the plain filename; anything else becomes "_".
_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()-]")
#: RFC 5987 attr-chars besides letters and digits, kept unescaped in filename*.
_ATTR_CHARS = "!#$&+-.^_`|~"


def baseline_filename(round_id: int, extension: str) -> str:
    """The name a round's baseline table is saved under, the same from the staff page and the API."""
    return f"round-{round_id}-baseline.{extension}"


def indicators_filename(series_id: int, extension: str) -> str:
    """The name a series' indicators over time are saved under, the same from the staff page and the API."""
    return f"series-{series_id}-indicators.{extension}"


def content_disposition(filename: str) -> str:
    """`attachment; filename="..."`, plus an RFC 5987 `filename*` when the name is not plain ASCII.

    The plain name is an ASCII stand-in (accents dropped, quotes, slashes and control characters
    replaced) that every client reads safely; clients that know filename* show the name as given.
    """
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    fallback = " ".join(_UNSAFE.sub("_", ascii_name).split()).strip(" .") or "download"
    header = f'attachment; filename="{fallback}"'
    if fallback != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe=_ATTR_CHARS)}"
    return header


def download(body: bytes, media_type: str, filename: str) -> Response:
    """A file to save: `media_type` (with "; charset=utf-8" when it names one), never kept by a browser or proxy."""
    response = Response(body, mimetype=media_type.split(";")[0])
    if "charset" in media_type:
        response.charset = "utf-8"
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "no-store"
    return response


def responses_filename(round_id: int, extension: str, question: str | None = None) -> str:
    """The name a round's raw responses (or one question's answers) are saved under, from the staff page and the API."""
    return f"round-{round_id}-{'answers-' + question if question else 'responses'}.{extension}"


def stream(make_pieces: Callable[[Session], Iterable[bytes]], media_type: str, filename: str) -> Response:
    """A file to save, sent as `make_pieces(session)` makes its pieces (a round's 100,000 responses are never held at
    once).

    The pieces are made after the view has returned, on a database session of their own that the file's end (or
    the client's leaving) closes: it depends on no Flask context, which a server may have torn down by then.
    """
    engine = db.engine

    def pieces() -> Iterator[bytes]:
        with Session(engine) as session:
            yield from make_pieces(session)

    response = Response(pieces(), mimetype=media_type.split(";")[0])
    if "charset" in media_type:
        response.charset = "utf-8"
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "no-store"
    # Proxies such as nginx would otherwise hold the whole file before passing it on.
    response.headers["X-Accel-Buffering"] = "no"
    return response
