"""What the scheduled jobs did: the last run of each job, and a day of runs hour by hour (the runs that did
something, in words, and the idle ones counted per hour), for staff to check."""
from __future__ import annotations

import datetime as dt

from flask import current_app, render_template, request

from wfsurvey.authz import staff_required
from wfsurvey.blueprints.staff import bp
from wfsurvey.clock import wall_now
from wfsurvey.domain.rules import to_local
from wfsurvey.extensions import db
from wfsurvey.jobs import JOBS
from wfsurvey.jobs.runs import duration, keep, last_runs
from wfsurvey.queries.job_runs import describe_counts, hour_span, job_title, runs_of_day


def _day(today: dt.date) -> dt.date:
    """The day asked for (?day=YYYY-MM-DD), never after today; today when none or a wrong one is given."""
    try:
        day = dt.date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        return today
    return min(day, today)


@bp.get("/jobs")
@staff_required
def jobs():
    tz_name = current_app.config["TIMEZONE"]
    today = to_local(wall_now(), tz_name).date()
    day = _day(today)
    latest = last_runs(db.session)
    names = list(JOBS) + sorted(set(latest) - set(JOBS))
    return render_template(
        "staff/jobs.html", names=names, latest=latest, duration=duration, runs=runs_of_day(db.session, day, tz_name),
        day=day, day_before=day - dt.timedelta(days=1), day_after=day + dt.timedelta(days=1), today=today, earliest=today - keep(), tz_name=tz_name, job_title=job_title,
        describe=describe_counts, hour_span=hour_span,
    )
