"""A round's outcome pages: navigator-counterpart designations (with the admin override) and the baseline table
with its pilot-area ranking and CSV/XLSX downloads. Figures come from wfsurvey.queries (fixed statement counts)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from wfsurvey.authz import admin_required, staff_required
from wfsurvey.blueprints.downloads import baseline_filename, download
from wfsurvey.blueprints.outcomes import run
from wfsurvey.blueprints.staff import bp
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.consensus import MIN_RANKINGS_FOR_W
from wfsurvey.domain.questions import QUESTION_TYPES
from wfsurvey.domain.stakeholders import ORG_TYPE_LABELS
from wfsurvey.extensions import db
from wfsurvey.forms import add_domain_errors
from wfsurvey.forms.rounds import OverrideForm
from wfsurvey.queries import NotFound, exports
from wfsurvey.queries.baseline import baseline_table
from wfsurvey.queries.consensus import ranking_questions, round_consensus
from wfsurvey.queries.designations import counterpart_summary, round_designations
from wfsurvey.queries.responses import submitted_by_organization
from wfsurvey.queries.status import load_round

#: Designation statuses as the page words them.
STATUS_LABELS = {"designated": "Designated", "conflict": "Conflict", "unfilled": "Unfilled"}


def _override_form(region: str, nominations: list[dict], **kwargs) -> OverrideForm:
    # One form per region on the page: the prefix keeps their field ids apart.
    return OverrideForm(prefix=f"override-{region}", nominations=nominations, **kwargs)


def render_designations(round_id: int, *, failed: tuple[str, OverrideForm] | None = None):
    try:
        round_ = load_round(db.session, round_id)
        designations = round_designations(db.session, round_id)
    except NotFound:
        abort(404)
    forms = {}
    for item in designations:
        forms[item["region"]] = (failed[1] if failed and failed[0] == item["region"]
                                 else _override_form(item["region"], item["nominations"], formdata=None))
    boards = {board for item in designations for n in item["nominations"] for board in n.get("boards") or []}
    return render_template("staff/designations.html", round=round_, designations=designations,
                           summary=counterpart_summary(designations), forms=forms, status_labels=STATUS_LABELS,
                           can_override=round_.state not in ("draft", "cancelled"),
                           board_responses=submitted_by_organization(db.session, round_id, sorted(boards)))


@bp.get("/rounds/<int:round_id>/designations")
@staff_required
def round_designations_page(round_id: int):
    return render_designations(round_id)


@bp.post("/rounds/<int:round_id>/designations/<region>/override")
@admin_required
def override_designation(round_id: int, region: str):
    try:
        designations = round_designations(db.session, round_id)
    except NotFound:
        abort(404)
    nominations = next((d["nominations"] for d in designations if d["region"] == region), [])
    form = _override_form(region, nominations)
    if form.validate_on_submit():
        name, email, organization = form.chosen()
        outcome = run(cmd.OverrideDesignation(round_id=round_id, region=region, name=name, email=email,
                                              organization=organization, reason=form.reason.data))
        if outcome.error is not None:
            # No such round or region: the page itself does not exist.
            if outcome.error.code == "not_found" and not outcome.error.fields:
                abort(404)
            add_domain_errors(form, outcome.error)
        else:
            region_name = next((d["name"] for d in designations if d["region"] == region), region)
            flash(f"The navigator counterpart of {region_name} is now {name.strip()} (override recorded).", "success")
            return redirect(url_for("staff.round_designations_page", round_id=round_id, _anchor=f"region-{region}"))
    return render_designations(round_id, failed=(region, form))


# --- baseline table -----------------------------------------------------------------------

def _table(round_id: int) -> dict:
    try:
        return baseline_table(db.session, round_id)
    except NotFound:
        abort(404)


@bp.get("/rounds/<int:round_id>/baseline")
@staff_required
def round_baseline(round_id: int):
    table = _table(round_id)
    return render_template("staff/baseline.html", table=table, round=table["round"], type_labels=ORG_TYPE_LABELS,
                           status_labels=STATUS_LABELS, question_types=QUESTION_TYPES)


@bp.get("/rounds/<int:round_id>/baseline.csv")
@staff_required
def round_baseline_csv(round_id: int):
    return download(exports.baseline_csv(_table(round_id)), exports.CSV_MEDIA_TYPE, baseline_filename(round_id, "csv"))


@bp.get("/rounds/<int:round_id>/baseline.xlsx")
@staff_required
def round_baseline_xlsx(round_id: int):
    return download(exports.baseline_xlsx(_table(round_id)), exports.XLSX_MEDIA_TYPE,
                    baseline_filename(round_id, "xlsx"))


# --- consensus on a ranking question ------------------------------------------------------

@bp.get("/rounds/<int:round_id>/consensus")
@staff_required
def round_consensus_page(round_id: int):
    try:
        round_ = load_round(db.session, round_id)
    except NotFound:
        abort(404)
    questions = ranking_questions(round_.template.questions)
    key = request.args.get("question") or (questions[0]["key"] if questions else "")
    consensus = None
    if questions:
        try:
            consensus = round_consensus(db.session, round_id, key)
        except NotFound:
            abort(404)
    return render_template("staff/consensus.html", round=round_, questions=questions, consensus=consensus,
                           min_rankings=MIN_RANKINGS_FOR_W)
