"""A round's responses for staff: the list (filters, search in free text, drafts on request, pages by key), one
response question by question with its history, every answer to one text question, and the raw CSV and XLSX
exports. Reads come from wfsurvey.queries.responses; nothing here changes a row."""
from __future__ import annotations

import re

from flask import abort, render_template, request, url_for
from markupsafe import Markup, escape

from wfsurvey import clock
from wfsurvey.authz import staff_required
from wfsurvey.blueprints.downloads import responses_filename, stream
from wfsurvey.blueprints.staff import bp
from wfsurvey.domain.questions import QUESTION_TYPES
from wfsurvey.domain.stakeholders import ORG_TYPE_LABELS
from wfsurvey.extensions import db
from wfsurvey.forms.responses import AnswerFilterForm, ResponseFilterForm
from wfsurvey.models import Round
from wfsurvey.queries import NotFound, exports
from wfsurvey.queries.exports import RawExport, RawOptions
from wfsurvey.queries.responses import (
    BadCursor,
    Listing,
    ResponseFilters,
    list_responses,
    question_of,
    region_choices,
    response_detail,
)
from wfsurvey.queries.status import load_round

#: Responses per page of the list.
PER_PAGE = 50
#: What each status reads as.
STATUS_LABELS = {"submitted": "Submitted", "draft": "Draft"}
#: What a question's row says when it has no answer.
STATE_LABELS = {"unanswered": "Not answered", "not_asked": "Not asked: the skip logic hid this question"}


def _round(round_id: int) -> Round:
    try:
        return load_round(db.session, round_id)
    except NotFound:
        abort(404)


def _listing(round_id: int, filters: ResponseFilters) -> Listing:
    try:
        return list_responses(db.session, round_id, filters, after=request.args.get("after") or None, limit=PER_PAGE)
    except BadCursor:
        abort(400, description="This page link is not one the list made: start again from the first page.")


def _page_links(listing: Listing) -> dict[str, str | None]:
    """The first page and the next one, keeping the filters (the page number is only shown)."""
    args = {k: v for k, v in request.args.items() if k not in ("after", "page")}
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    return {
        "page": page,
        "first": _url(args) if request.args.get("after") else None,
        "next": _url({**args, "after": listing.next_after, "page": page + 1}) if listing.next_after else None,
    }


def _url(args: dict) -> str:
    return url_for(request.endpoint, **request.view_args, **args)


def _free_text_questions(round_: Round) -> list[dict]:
    return [q for q in round_.template.questions if QUESTION_TYPES[q["type"]].free_text]


@bp.get("/rounds/<int:round_id>/responses")
@staff_required
def round_responses(round_id: int):
    round_ = _round(round_id)
    regions = region_choices(db.session, round_)
    form = ResponseFilterForm(request.args, regions=regions)
    filters = form.filters()
    listing = _listing(round_id, filters)
    return render_template("staff/responses.html", round=round_, form=form, filters=filters, listing=listing,
                           links=_page_links(listing), regions=regions, type_labels=ORG_TYPE_LABELS,
                           status_labels=STATUS_LABELS, free_text=_free_text_questions(round_),
                           labels={q["key"]: q["label"] for q in round_.template.questions})


@bp.get("/rounds/<int:round_id>/responses/<int:response_id>")
@staff_required
def round_response(round_id: int, response_id: int):
    round_ = _round(round_id)
    try:
        detail = response_detail(db.session, round_id, response_id)
    except NotFound:
        abort(404)
    return render_template("staff/response.html", round=round_, response=detail, type_labels=ORG_TYPE_LABELS,
                           status_labels=STATUS_LABELS, state_labels=STATE_LABELS)


@bp.get("/rounds/<int:round_id>/questions/<key>/answers")
@staff_required
def question_answers(round_id: int, key: str):
    round_ = _round(round_id)
    try:
        question = question_of(round_, key)
    except NotFound:
        abort(404)
    if not QUESTION_TYPES[question["type"]].free_text:
        abort(404)
    regions = region_choices(db.session, round_)
    form = AnswerFilterForm(request.args, regions=regions)
    filters = form.filters(question=key)
    listing = _listing(round_id, filters)
    return render_template("staff/answers.html", round=round_, question=question, form=form, filters=filters,
                           listing=listing, links=_page_links(listing), type_labels=ORG_TYPE_LABELS,
                           status_labels=STATUS_LABELS, free_text=_free_text_questions(round_))


def raw_options(round_: Round) -> RawOptions:
    """What the export's query asks: ?include=drafts, ?headers=keys, ?values=codes, ?question=<a text question>."""
    question = request.args.get("question") or None
    if question is not None and round_.template.question(question) is None:
        abort(404)
    return RawOptions(include_drafts=request.args.get("include") == "drafts", keys=request.args.get("headers") == "keys",
                      codes=request.args.get("values") == "codes", question=question)


@bp.get("/rounds/<int:round_id>/responses.csv")
@staff_required
def round_responses_csv(round_id: int):
    options = raw_options(_round(round_id))
    return stream(lambda session: exports.responses_csv(RawExport(session, round_id, options)), exports.CSV_MEDIA_TYPE,
                  responses_filename(round_id, "csv", options.question))


@bp.get("/rounds/<int:round_id>/responses.xlsx")
@staff_required
def round_responses_xlsx(round_id: int):
    options = raw_options(_round(round_id))
    created = clock.now()
    return stream(lambda session: exports.responses_xlsx(RawExport(session, round_id, options), created), exports.XLSX_MEDIA_TYPE,
                  responses_filename(round_id, "xlsx", options.question))


@bp.app_template_filter("highlight")
def highlight(text: str | None, words: str | None) -> Markup:
    """The text, escaped, with each occurrence of `words` (any case) marked; pieces are escaped one by one, so a
    match never falls inside an escape."""
    text = text or ""
    if not words or not words.strip():
        return Markup(escape(text))
    pieces = re.split(f"({re.escape(words.strip())})", text, flags=re.IGNORECASE)
    # re.split with one group: matches sit at the odd indexes.
    return Markup("".join(f"<mark>{escape(p)}</mark>" if i % 2 else str(escape(p)) for i, p in enumerate(pieces)))
