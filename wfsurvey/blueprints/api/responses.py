"""API routes for a round's responses: the list (filters, search in free text, pages by cursor), one response with its
history, and the raw export as CSV or XLSX, streamed."""
from __future__ import annotations

from typing import Any

from flask import url_for

from wfsurvey import clock
from wfsurvey.blueprints.api.core import ID, ApiError, dump, endpoint, load_query
from wfsurvey.blueprints.downloads import responses_filename, stream
from wfsurvey.domain.stakeholders import slugify
from wfsurvey.extensions import db
from wfsurvey.queries import exports
from wfsurvey.queries.exports import RawExport, RawOptions
from wfsurvey.queries.responses import BadCursor, ResponseFilters, list_responses, response_detail
from wfsurvey.queries.status import load_round
from wfsurvey.schemas.responses import ExportQuerySchema, ResponseDetailSchema, ResponseListSchema, ResponseQuerySchema

JSON = "application/json"
TAG = "responses"
FILE = {"type": "string", "format": "binary"}
EXPORT_DESCRIPTION = (
    "One row per submitted response (`include=drafts` adds drafts): response id, organization, organization type, "
    "region, contact name and email, status, submitted and last edited times in the round's time zone, then one "
    "column per question headed by its label (`headers=keys`: its key), a multiple choice as one column per option "
    "(1 or empty), choice answers in words (`values=codes`: as stored). Text that a spreadsheet would read as a "
    "formula starts with a quote. Streamed: any size takes the same memory."
)


def _item(item: dict[str, Any]) -> dict[str, Any]:
    """A listed or detailed response in the API's shape (organization with its slug and first region)."""
    organization = item["organization"]
    return {
        **item,
        "organization": {"id": organization["id"], "slug": slugify(organization["name"]), "name": organization["name"],
                         "type": organization["type"], "region": (organization["regions"] or [None])[0],
                         "regions": organization["regions"]},
    }


@endpoint(f"/rounds/<{ID}:round_id>/responses", summary="A round's responses, a page at a time", tag=TAG,
          query=ResponseQuerySchema,
          responses={200: ("Responses, last edited first; `next` links the following page", JSON, ResponseListSchema)},
          description="Follow `next` until it is null: each page starts after the last one's (last edit, id), so any "
                      "page costs what the first does. `q` searches the free-text answers of every response the other "
                      "filters keep.")
def round_responses(round_id: int):
    args = load_query(ResponseQuerySchema)
    filters = ResponseFilters(status=args["status"], region=args.get("region") or None, org_type=args.get("org_type"),
                              q=(args.get("q") or "").strip() or None, oldest_first=args["order"] == "oldest")
    try:
        listing = list_responses(db.session, round_id, filters, after=args.get("after"), limit=args["limit"])
    except BadCursor as exc:
        raise ApiError(422, "invalid", str(exc), {"after": [str(exc)]}) from None
    following = None
    if listing.next_after is not None:
        kept = {k: v for k, v in args.items() if k not in ("after", "limit") and v not in (None, "")}
        following = url_for("api.round_responses", round_id=round_id, **kept, after=listing.next_after, limit=listing.limit)
    return dump(ResponseListSchema, {"items": [_item(i) for i in listing.items], "total": listing.total,
                                     "limit": listing.limit, "next": following})


@endpoint(f"/rounds/<{ID}:round_id>/responses/<{ID}:response_id>", summary="One response with its history", tag=TAG,
          responses={200: ("The response, its answers, what was not asked, and every save, submission and change",
                           JSON, ResponseDetailSchema)})
def round_response(round_id: int, response_id: int):
    return dump(ResponseDetailSchema, _item(response_detail(db.session, round_id, response_id)))


def _options(round_id: int) -> RawOptions:
    args = load_query(ExportQuerySchema)
    round_ = load_round(db.session, round_id)
    question = args.get("question") or None
    if question is not None and round_.template.question(question) is None:
        raise ApiError(404, "not_found", f"round {round_id} asks no question '{question}'")
    return RawOptions(include_drafts=args.get("include") == "drafts", keys=args.get("headers") == "keys",
                      codes=args.get("values") == "codes", question=question)


@endpoint(f"/rounds/<{ID}:round_id>/responses.csv", summary="A round's raw responses as CSV", tag=TAG,
          query=ExportQuerySchema, description=EXPORT_DESCRIPTION,
          responses={200: ("UTF-8 CSV with a byte-order mark", "text/csv", {"type": "string"})})
def round_responses_csv(round_id: int):
    options = _options(round_id)
    return stream(lambda session: exports.responses_csv(RawExport(session, round_id, options)), exports.CSV_MEDIA_TYPE,
                  responses_filename(round_id, "csv", options.question))


@endpoint(f"/rounds/<{ID}:round_id>/responses.xlsx", summary="A round's raw responses as an XLSX workbook", tag=TAG,
          query=ExportQuerySchema, description=EXPORT_DESCRIPTION,
          responses={200: ("One sheet, Responses: header frozen, times as date cells", exports.XLSX_MEDIA_TYPE, FILE)})
def round_responses_xlsx(round_id: int):
    options = _options(round_id)
    created = clock.now()
    return stream(lambda session: exports.responses_xlsx(RawExport(session, round_id, options), created),
                  exports.XLSX_MEDIA_TYPE, responses_filename(round_id, "xlsx", options.question))
