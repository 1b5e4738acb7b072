"""The event log page: the audit trail, filtered and paginated, newest first, each payload shown as JSON."""
from __future__ import annotations

import datetime as dt
import json

from flask import current_app, render_template, request
from sqlalchemy import and_, or_, select

from wfsurvey.authz import staff_required
from wfsurvey.blueprints.staff import bp
from wfsurvey.domain.rules import parse_local
from wfsurvey.extensions import db
from wfsurvey.forms.events import EventFilterForm
from wfsurvey.models import EventRecord

PER_PAGE = 50


def _local_to_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """A datetime-local input is read in the configured time zone (DST-correct)."""
    return parse_local(moment, current_app.config["TIMEZONE"]) if moment else None


@bp.get("/events")
@staff_required
def events():
    filters = EventFilterForm(request.args)
    valid = filters.validate()
    query = select(EventRecord)
    if valid:
        if filters.round_id.data:
            round_id = filters.round_id.data
            # The round itself, and everything that names it (invitations, responses, mail, designations).
            query = query.where(or_(
                and_(EventRecord.aggregate_type == "round", EventRecord.aggregate_id == str(round_id)),
                EventRecord.payload["round_id"].as_integer() == round_id,
            ))
        if filters.aggregate_type.data:
            query = query.where(EventRecord.aggregate_type == filters.aggregate_type.data)
        if (filters.aggregate_id.data or "").strip():
            query = query.where(EventRecord.aggregate_id == filters.aggregate_id.data.strip())
        if filters.type.data:
            query = query.where(EventRecord.type == filters.type.data)
        if (filters.actor.data or "").strip():
            query = query.where(EventRecord.actor == filters.actor.data.strip())
        since, until = _local_to_utc(filters.since.data), _local_to_utc(filters.until.data)
        if since:
            query = query.where(EventRecord.occurred_at >= since)
        if until:
            query = query.where(EventRecord.occurred_at <= until)
    page_number = max(request.args.get("page", 1, type=int) or 1, 1)
    page = db.paginate(query.order_by(EventRecord.seq.desc()), page=page_number, per_page=PER_PAGE, error_out=False)
    payloads = {e.seq: json.dumps(e.payload, indent=2, ensure_ascii=False, sort_keys=True) for e in page.items}
    return render_template("staff/events.html", filters=filters, valid=valid, page=page, payloads=payloads)
