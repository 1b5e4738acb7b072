"""API routes for round series: create one (the scheduler then makes each period's round), and read one with its
rounds by period."""
from __future__ import annotations

from wfsurvey.blueprints.api.core import ID, dump, endpoint, json_body, load_query, run
from wfsurvey.clock import now
from wfsurvey.extensions import db
from wfsurvey.queries.indicators import indicator_series
from wfsurvey.queries.series import series_detail
from wfsurvey.schemas.common import ErrorSchema
from wfsurvey.schemas.series import (
    IndicatorQuerySchema,
    IndicatorOverTimeSchema,
    SeriesCreatedSchema,
    SeriesCreateSchema,
    SeriesSchema,
)

JSON = "application/json"
TAG = "series"


@endpoint("/series", "POST", summary="Create a round series", tag=TAG, body=SeriesCreateSchema,
          responses={201: ("The new series", JSON, SeriesCreatedSchema)},
          description="Period k ends on first_period_end plus k cadences; its round opens open_days_before days "
                      "earlier at 09:00 and closes close_days_after days later at 17:00, local time in `timezone`. "
                      "The scheduler creates and launches each period's round when its window opens.")
def create_series():
    series = run(SeriesCreateSchema().load(json_body()))
    return dump(SeriesCreatedSchema, {"id": series.id}, 201)


@endpoint(f"/series/<{ID}:series_id>", summary="A round series with its rounds by period", tag=TAG,
          responses={200: ("The series, its cadence in words, and each period with its round", JSON, SeriesSchema)})
def get_series(series_id: int):
    return dump(SeriesSchema, series_detail(db.session, series_id, now()))


@endpoint("/indicators", summary="Outcome indicators of a series over time", tag=TAG, query=IndicatorQuerySchema,
          responses={200: ("One entry per indicator of the series' template: each period's value and n, the baseline, "
                           "the target", JSON, IndicatorOverTimeSchema(many=True)),
                     404: ("No such series", JSON, ErrorSchema)},
          description="404 when there is no such series.")
def list_indicators():
    args = load_query(IndicatorQuerySchema)
    return dump(IndicatorOverTimeSchema(many=True), indicator_series(db.session, args["series"], args.get("region") or None))
