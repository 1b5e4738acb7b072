"""Round series pages: the series with each period's round, and its outcome indicators over time per region (a line
chart per indicator drawn on the server as SVG, with the figures in a table beside it) and their CSV/XLSX downloads."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from wfsurvey import settings
from wfsurvey.authz import staff_required
from wfsurvey.blueprints.downloads import download, indicators_filename
from wfsurvey.blueprints.outcomes import run_on_form
from wfsurvey.blueprints.staff import bp
from wfsurvey.clock import now
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.rules import format_local
from wfsurvey.domain.series import date_words, period_end, period_words, window
from wfsurvey.domain.stakeholders import ORG_TYPE_LABELS
from wfsurvey.extensions import db
from wfsurvey.forms.series import SeriesForm
from wfsurvey.queries import NotFound, exports
from wfsurvey.queries.indicators import indicator_rows, indicator_series, series_regions
from wfsurvey.queries.pilots import pilot_regions
from wfsurvey.queries.series import series_detail, series_list
from wfsurvey.queries.status import region_names
from wfsurvey.queries.templates import find_template


@bp.app_template_filter("long_date")
def long_date(day: dt.date | str) -> str:
    """"March 31, 2027" for a date or an ISO date string."""
    try:
        return date_words(day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)))
    except ValueError:
        return str(day)


@bp.app_template_filter("local_words")
def local_words(moment: str, tz_name: str) -> str:
    """"Wednesday, March 17, 2027 at 9:00 AM PDT" for an ISO time as the queries give it."""
    return format_local(dt.datetime.fromisoformat(moment), tz_name)


#: The next periods the series page lists, after those already opened (a year of quarters).
UPCOMING_PERIODS = 4
#: The chart's drawing area, in SVG units (it scales with the page).
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 260, 56, 16, 16, 48


def _nice_top(value: float) -> float:
    """A round number at or above `value` for the top of the axis (1, 2, 5 × a power of ten)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def line_chart(item: dict[str, Any]) -> dict[str, Any]:
    """Where to draw an indicator's periods, its baseline and its target: x by period, y from 0 to a round top."""
    points = item["points"]
    values = [p["value"] for p in points if p["value"] is not None]
    references = [v for v in (item["baseline"], item["target"]) if v is not None]
    top = _nice_top(max(values + references + [0.0]))
    span_x = WIDTH - LEFT - RIGHT
    span_y = HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return round(LEFT + (span_x * (i + 0.5) / max(len(points), 1)), 1)

    def y(v: float) -> float:
        return round(TOP + span_y * (1 - v / top), 1)

    drawn = [{"x": x(i), "y": y(p["value"]), "value": p["value"], "label": p["period_words"]}
             for i, p in enumerate(points) if p["value"] is not None]
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "top": TOP, "bottom": HEIGHT - BOTTOM,
        "line": " ".join(f"{d['x']},{d['y']}" for d in drawn), "dots": drawn,
        "ticks": [{"y": y(top * f), "label": f"{top * f:g}"} for f in (0, 0.25, 0.5, 0.75, 1)],
        "periods": [{"x": x(i), "label": p["period_end"]} for i, p in enumerate(points)],
        "baseline": y(item["baseline"]) if item["baseline"] is not None else None,
        "target": y(item["target"]) if item["target"] is not None else None,
    }


@bp.get("/series")
@staff_required
def series_index():
    return render_template("staff/series_list.html", series=series_list(db.session))


def _place_refusal(form: SeriesForm, exc: DomainError) -> None:
    """A refused CreateSeries (the service's checks: the template, the cadence) beside the page's fields."""
    if exc.fields:
        form.place({name: [str(m) for m in said] if isinstance(said, list) else [str(said)]
                    for name, said in exc.fields.items()})
    else:
        form.form_errors.append(exc.message)


#: How many periods "Preview the dates" shows.
PREVIEW_PERIODS = 4


def dates_preview(form: SeriesForm) -> list[dict[str, Any]] | None:
    """The first periods' windows, in words, as the form's values would make them; None while those values are
    refused (their errors are beside the fields)."""
    needed = (form.cadence, form.first_period_end, form.timezone, form.open_days_before, form.close_days_after)
    day = form.first_period_end.data
    if any(f.errors for f in needed) or day is None:
        return None
    if not 2000 <= day.year <= 2200:  # the schema's rule, said before Create says it
        form.first_period_end.errors = [*form.first_period_end.errors, "a date between 2000 and 2200"]
        return None
    tz, at = form.timezone.data, now()
    rows = []
    for k in range(PREVIEW_PERIODS):
        opens, closes = window(day, form.cadence.data, k, tz, form.open_days_before.data, form.close_days_after.data)
        rows.append({"period_words": period_words(form.cadence.data, period_end(day, form.cadence.data, k)),
                     "opens": format_local(opens, tz), "closes": format_local(closes, tz), "over": closes <= at})
    return rows


@bp.route("/series/new", methods=["GET", "POST"])
@staff_required
def new_series():
    """Staff create a round series: the same command, checked by the same schema, as POST /api/v1/series. "Preview
    the dates" shows the first periods' windows and creates nothing."""
    pilots = [p["name"] for p in pilot_regions(db.session) if p["status"] == "confirmed"]
    form = SeriesForm(scheme=settings.region_scheme(), pilot_names=pilots)
    preview = None
    if form.is_submitted() and request.form.get("action") == "preview":
        form.validate()
        if not form.csrf_token.errors:  # an expired page: the error summary says so, nothing is previewed
            preview = dates_preview(form)
    elif form.validate_on_submit():
        command = form.command()
        if command is not None:
            created = run_on_form(command, form, place=_place_refusal)
            if created.ok:
                flash(f"The series “{created.value.title}” is created. Its rounds are made and launched when each "
                      "period's window opens.", "success")
                return redirect(url_for("staff.series_page", series_id=created.value.id))
    return render_template("staff/series_new.html", form=form, has_pilots=bool(pilots), preview=preview,
                           has_templates=bool(form.template.choices), has_regions=bool(form.regions.choices))


@bp.get("/series/<int:series_id>")
@staff_required
def series_page(series_id: int):
    try:
        detail = series_detail(db.session, series_id, now(), UPCOMING_PERIODS)
    except NotFound:
        abort(404)
    template = find_template(db.session, detail["template"], None)
    audience = detail["audience"] or {}
    pilots = [p["name"] for p in pilot_regions(db.session) if p["status"] == "confirmed"]
    return render_template("staff/series.html", series=detail, template_title=template.title if template else None,
                           region_names=region_names(db.session, list(audience.get("regions") or [])),
                           pilot_names=pilots, type_labels=ORG_TYPE_LABELS)


def _region(series_id: int) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    regions = series_regions(db.session, series_id)
    code = request.args.get("region", "")
    chosen = next((r for r in regions if r["region"] == code), None)
    if code and chosen is None:
        abort(404)
    return regions, chosen


@bp.get("/series/<int:series_id>/indicators")
@staff_required
def series_indicators(series_id: int):
    try:
        detail = series_detail(db.session, series_id, now())
    except NotFound:
        abort(404)
    regions, chosen = _region(series_id)
    if chosen is None and not request.args.get("region") and regions and regions[0]["pilot"]:
        chosen = regions[0]  # a pilot region first: that is what the page is for
    items = indicator_series(db.session, series_id, chosen["region"] if chosen else None)
    return render_template("staff/series_indicators.html", series=detail, regions=regions, chosen=chosen,
                           items=[{**item, "chart": line_chart(item)} for item in items])


@bp.get("/series/<int:series_id>/indicators.csv")
@staff_required
def series_indicators_csv(series_id: int):
    try:
        rows = indicator_rows(db.session, series_id, series_regions(db.session, series_id))
    except NotFound:
        abort(404)
    return download(exports.indicators_csv(rows), exports.CSV_MEDIA_TYPE, indicators_filename(series_id, "csv"))


@bp.get("/series/<int:series_id>/indicators.xlsx")
@staff_required
def series_indicators_xlsx(series_id: int):
    try:
        detail = series_detail(db.session, series_id, now())
        rows = indicator_rows(db.session, series_id, series_regions(db.session, series_id))
    except NotFound:
        abort(404)
    return download(exports.indicators_xlsx(rows, detail["title"]), exports.XLSX_MEDIA_TYPE,
                    indicators_filename(series_id, "xlsx"))
