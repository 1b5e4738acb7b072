"""What the scheduled jobs did: the last run of each job and the recent runs, for staff to check."""
from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from wfsurvey.authz import staff_required
from wfsurvey.blueprints.staff import bp
from wfsurvey.extensions import db
from wfsurvey.jobs import JOBS
from wfsurvey.jobs.runs import duration, last_runs
from wfsurvey.models import JobRun


@bp.get("/jobs")
@staff_required
def jobs():
    latest = last_runs(db.session)
    names = list(JOBS) + sorted(set(latest) - set(JOBS))
    recent = db.session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(100)).all()
    return render_template("staff/jobs.html", names=names, latest=latest, recent=recent, duration=duration)
