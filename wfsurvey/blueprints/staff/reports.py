"""A round's outcome pages: navigator-counterpart designations (with the admin override) and the baseline table
with its pilot-area ranking and CSV/XLSX downloads. Figures come from wfsurvey.queries (fixed statement counts)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from flask_login import current_user

from wfsurvey.authz import admin_required, staff_required
from wfsurvey.blueprints.downloads import baseline_filename, download
from wfsurvey.blueprints.outcomes import run, run_on_form, run_or_flash
from wfsurvey.blueprints.staff import bp
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.consensus import MIN_RANKINGS_FOR_W
from wfsurvey.domain.questions import QUESTION_TYPES
from wfsurvey.domain.stakeholders import ORG_TYPE_LABELS
from wfsurvey.extensions import db
from wfsurvey.forms import ActionForm, add_domain_errors
from wfsurvey.forms.pilots import DropPilotForm, PilotForm
from wfsurvey.forms.rounds import OverrideForm
from wfsurvey.queries import NotFound, exports
from wfsurvey.queries.baseline import baseline_table
from wfsurvey.queries.consensus import ranking_questions, round_consensus
from wfsurvey.queries.designations import counterpart_summary, round_designations
from wfsurvey.queries.pilots import pilot_regions, pilot_summary
from wfsurvey.queries.responses import submitted_by_organization
from wfsurvey.queries.status import load_round, region_names

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


def _pilot_form(table: dict, pilots: list[dict], **kwargs) -> PilotForm:
    """The form offers the round's regions that are not pilot regions yet."""
    taken = {p["region"] for p in pilots}
    return PilotForm(prefix="pilot", regions=[(r["region"], r["name"]) for r in table["rows"] if r["region"] not in taken],
                     **kwargs)


def render_baseline(round_id: int, *, pilot_form: PilotForm | None = None, status: int = 200):
    table = _table(round_id)
    pilots = pilot_regions(db.session)
    form = pilot_form or _pilot_form(table, pilots, formdata=None)
    return render_template("staff/baseline.html", table=table, round=table["round"], type_labels=ORG_TYPE_LABELS,
                           status_labels=STATUS_LABELS, question_types=QUESTION_TYPES, pilots=pilots,
                           pilot_summary=pilot_summary(pilots), pilot_form=form,
                           drop_forms={p["region"]: DropPilotForm(prefix=f"drop-{p['region']}", formdata=None)
                                       for p in pilots},
                           is_admin=current_user.role == "admin",
                           pilot_codes={p["region"]: p["status"] for p in pilots}), status


@bp.get("/rounds/<int:round_id>/baseline")
@staff_required
def round_baseline(round_id: int):
    return render_baseline(round_id)


# --- pilot regions, chosen from the baseline page ------------------------------------------

def _back(round_id: int):
    return redirect(url_for("staff.round_baseline", round_id=round_id, _anchor="pilots"))


@bp.post("/rounds/<int:round_id>/pilots")
@staff_required
def select_pilot(round_id: int):
    table = _table(round_id)
    form = _pilot_form(table, pilot_regions(db.session))
    if form.validate_on_submit():
        by_admin = current_user.role == "admin"
        outcome = run_on_form(cmd.SelectPilotRegion(region=form.region.data, round_id=round_id,
                                                    reason=form.reason.data, by_admin=by_admin), form)
        if outcome.error is None:
            name = dict(form.region.choices).get(form.region.data, form.region.data)
            flash(f"{name} is {'a pilot region' if by_admin else 'proposed as a pilot region; an admin confirms it'}.",
                  "success")
            return _back(round_id)
    return render_baseline(round_id, pilot_form=form, status=422)


@bp.post("/rounds/<int:round_id>/pilots/<region>/confirm")
@admin_required
def confirm_pilot(round_id: int, region: str):
    if ActionForm().validate_on_submit():
        outcome = run_or_flash(cmd.SelectPilotRegion(region=region, round_id=round_id, reason="", by_admin=True),
                               wording="Not confirmed: {message}.")
        if outcome.error is None:
            flash(f"{_region_name(region)} is confirmed as a pilot region.", "success")
    return _back(round_id)


@bp.post("/rounds/<int:round_id>/pilots/<region>/drop")
@staff_required
def drop_pilot(round_id: int, region: str):
    form = DropPilotForm(prefix=f"drop-{region}")
    if form.validate_on_submit():
        outcome = run_or_flash(cmd.DropPilotRegion(region=region, reason=form.reason.data or "",
                                                   by_admin=current_user.role == "admin"),
                               wording="Not dropped: {message}.")
        if outcome.error is None:
            flash(f"{_region_name(region)} is no longer a pilot region.", "success")
    else:
        flash("Not dropped: " + "; ".join(e for errors in form.errors.values() for e in errors), "error")
    return _back(round_id)


def _region_name(code: str) -> str:
    return region_names(db.session, [code]).get(code, code)


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
