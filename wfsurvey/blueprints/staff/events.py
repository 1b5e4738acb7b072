"""The event log page: the audit trail, filtered and paginated, newest first, each event in words (what happened, to
whom, who did it), its payload as JSON under "details" for power users."""
from __future__ import annotations

import datetime as dt

from flask import current_app, render_template, request
from sqlalchemy import and_, or_, select
from wtforms import SelectChoice

from wfsurvey.authz import staff_required
from wfsurvey.blueprints.staff import bp
from wfsurvey.domain.rules import parse_local
from wfsurvey.extensions import db
from wfsurvey.forms.events import ACTOR_GROUPS, EventFilterForm
from wfsurvey.models import EventRecord, Round, User
from wfsurvey.queries.actors import NAMED_ACTORS, describe_actors, user_words
from wfsurvey.queries.event_log import describe_events

PER_PAGE = 50


def _local_to_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """A datetime-local input is read in the configured time zone (DST-correct)."""
    return parse_local(moment, current_app.config["TIMEZONE"]) if moment else None


def _choices(filters: EventFilterForm) -> None:
    """The rounds and the people to filter by, in words; an actor given in the address (a "who" link of a row)
    is offered too, so that it stays selected."""
    rounds = db.session.execute(select(Round.id, Round.title).order_by(Round.id.desc())).all()
    filters.round_id.choices = [SelectChoice("", "Any round"), *(SelectChoice(r.id, r.title) for r in rounds)]
    users = db.session.execute(select(User.id, User.name, User.email, User.role).order_by(User.name, User.email)).all()
    choices = [SelectChoice("", "Anyone"), *(SelectChoice(f"user:{u.id}", user_words(u.name, u.email, u.role)) for u in users),
               *(SelectChoice(value, label) for value, (label, _) in ACTOR_GROUPS.items()),
               *(SelectChoice(value, label) for value, label in NAMED_ACTORS.items())]
    given = request.args.get("actor", "")
    if given and given not in {c.value for c in choices} and len(given) <= 80:
        choices.append(SelectChoice(given, describe_actors(db.session, [given])[given]))
    filters.actor.choices = choices


@bp.get("/events")
@staff_required
def events():
    filters = EventFilterForm(request.args)
    _choices(filters)
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
        if filters.actor.data in ACTOR_GROUPS:
            query = query.where(EventRecord.actor.startswith(ACTOR_GROUPS[filters.actor.data][1], autoescape=True))
        elif filters.actor.data:
            query = query.where(EventRecord.actor == filters.actor.data)
        since, until = _local_to_utc(filters.since.data), _local_to_utc(filters.until.data)
        if since:
            query = query.where(EventRecord.occurred_at >= since)
        if until:
            query = query.where(EventRecord.occurred_at <= until)
    page_number = max(request.args.get("page", 1, type=int) or 1, 1)
    page = db.paginate(query.order_by(EventRecord.seq.desc()), page=page_number, per_page=PER_PAGE, error_out=False)
    return render_template("staff/events.html", filters=filters, valid=valid, page=page,
                           lines=describe_events(db.session, page.items))
