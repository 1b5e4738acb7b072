"""Completion dashboards: one round in full (totals, by region, by organization type, blocked regions, and its
non-respondents a page at a time), and every open round at a glance. Figures come from wfsurvey.queries.status (a
fixed number of statements)."""
from __future__ import annotations

from flask import abort, render_template, request

from wfsurvey.authz import staff_required
from wfsurvey.blueprints.staff import bp
from wfsurvey.domain.stakeholders import ORG_TYPE_LABELS
from wfsurvey.extensions import db
from wfsurvey.queries import NotFound
from wfsurvey.queries.rounds import round_list
from wfsurvey.queries.status import round_status
from wfsurvey.schemas.common import MAX_PAGE

#: Rounds the overview shows at most (each costs a few statements; more open rounds than this is unusual).
OVERVIEW_LIMIT = 50
#: The counters in the order the dashboard lists them, with their labels.
COUNTER_LABELS = {
    "invited": "Invited", "sent": "Sent", "started": "Started", "submitted": "Submitted",
    "bounced": "Bounced", "opted_out": "Opted out", "forwarded": "Forwarded",
}


def label_rows(status: dict) -> dict:
    """Give every counts row the label its table shows: the region's name, the organization type's wording."""
    for row in status["by_region"]:
        row["label"] = row["name"]
    for row in status["by_org_type"]:
        row["label"] = ORG_TYPE_LABELS.get(row["org_type"], row["org_type"])
    return status


@bp.get("/dashboard")
@staff_required
def dashboard():
    """Every open round at a glance: totals, submission rate by region, blocked regions."""
    open_rounds = round_list(db.session, state="open", per_page=OVERVIEW_LIMIT)
    scheduled = round_list(db.session, state="scheduled", per_page=OVERVIEW_LIMIT)
    statuses = [label_rows(round_status(db.session, r.id, per_page=0)) for r in open_rounds.items]
    return render_template("staff/dashboard_overview.html", statuses=statuses, scheduled=scheduled.items,
                           open_total=open_rounds.total, counter_labels=COUNTER_LABELS)


@bp.get("/rounds/<int:round_id>/dashboard")
@staff_required
def round_dashboard(round_id: int):
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    try:
        status = round_status(db.session, round_id, page=page)
    except NotFound:
        abort(404)
    label_rows(status)
    # Every region a non-respondent counts in is a region of the round, so its name is among by_region's.
    names = {row["region"]: row["name"] for row in status["by_region"]}
    return render_template("staff/dashboard.html", status=status, round=status["round"], counter_labels=COUNTER_LABELS,
                           type_labels=ORG_TYPE_LABELS, region_names=names)

