"""What every API schema shares: ids and text within what the database holds, times as text, the JSON error,
paging (query and result).

Input limits here are the API's first gate: ids and page numbers stay inside what every database
column holds, and text never carries NUL characters, so bad input is a 4xx, never a server error.
"""
from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from wfsurvey.queries import DEFAULT_PER_PAGE, MAX_PER_PAGE

#: Largest id a path or a filter may name (a 32-bit integer column).
MAX_ID = 2**31 - 1
MAX_PAGE = 1_000_000
MAX_SEQ = 2**63 - 1
NO_NUL = validate.Regexp(r"^[^\x00]*$", error="must not contain NUL characters")


def Id(**kwargs: Any) -> fields.Integer:  # noqa: N802  (reads like a field class)
    return fields.Integer(validate=validate.Range(1, MAX_ID), strict=False, **kwargs)


def Text(max_length: int = 200, **kwargs: Any) -> fields.String:  # noqa: N802
    return fields.String(validate=[validate.Length(max=max_length), NO_NUL], **kwargs)


def IsoTime(metadata: dict[str, Any] | None = None, **kwargs: Any) -> fields.String:  # noqa: N802
    """A time as text: ISO 8601, with its UTC offset."""
    return fields.String(metadata={"format": "date-time", **(metadata or {})}, **kwargs)


def LocalTime(**kwargs: Any) -> fields.String:  # noqa: N802
    """A time given by a client: ISO 8601 with an offset, or naive and local to the request's time zone."""
    return fields.String(validate=[validate.Length(1, 64), NO_NUL], metadata={
        "description": "ISO 8601 with an offset, or naive (local to `timezone`)", "example": "2026-10-05T09:00:00-07:00"}, **kwargs)


# --- errors ------------------------------------------------------------------------------------

class ErrorDetailSchema(Schema):
    code = fields.String(metadata={"description": "bad_request, unauthorized, forbidden, not_found, conflict, invalid, ..."})
    message = fields.String()
    # Named "problems" here because a schema's own `fields` attribute is taken; it reads and writes "fields".
    problems = fields.Dict(data_key="fields", attribute="fields",
                           metadata={"description": "Problems by input field; a rejected import lists rows: [{row, column, message}]"})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema)


# --- paging --------------------------------------------------------------------------------------

class PageQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=DEFAULT_PER_PAGE, validate=validate.Range(1, MAX_PER_PAGE))


def page_schema(name: str, item: type[Schema]) -> type[Schema]:
    """A page of `item`: {"items", "page", "per_page", "total"}, under its own name in the OpenAPI document."""
    return type(name, (Schema,), {
        "items": fields.List(fields.Nested(item)),
        "page": fields.Integer(),
        "per_page": fields.Integer(),
        "total": fields.Integer(),
    })


def NextLink() -> fields.String:  # noqa: N802  (reads like a field class)
    return fields.String(allow_none=True, metadata={
        "description": "Path and query of the next page (GET it with the same token), or null after the last page"})
