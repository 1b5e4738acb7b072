"""Staff pages of convenings: the list, the create wizard, a convening's page (answers, moves, outcome notes), the
check-in list for phones, and engagement (an organization's and a region's timeline, a region's summary with its
CSV and XLSX downloads)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms import SelectChoice

from wfsurvey import clock
from wfsurvey.authz import staff_required
from wfsurvey.blueprints.downloads import download
from wfsurvey.blueprints.outcomes import run_on_form, run_or_flash
from wfsurvey.blueprints.staff import bp
from wfsurvey.blueprints.staff.rounds import scheme
from wfsurvey.domain import commands as cmd
from wfsurvey.domain import convenings as rules
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.rules import format_local, parse_local
from wfsurvey.domain.stakeholders import ORG_TYPE_LABELS, slugify
from wfsurvey.domain.text import plural
from wfsurvey.extensions import db
from wfsurvey.forms import ActionForm, add_domain_errors
from wfsurvey.forms.convenings import (
    DEFINITION_FIELDS,
    CapacityForm,
    ConveningForm,
    OutcomeNoteForm,
    RescheduleForm,
    WalkInForm,
)
from wfsurvey.forms.stakeholders import region_choices
from wfsurvey.models import Convening, ConveningInvitation, Organization
from wfsurvey.queries import NotFound, exports
from wfsurvey.queries import convenings as queries
from wfsurvey.queries import engagement as engaged
from wfsurvey.queries.status import region_names

NEW_ORGANIZATION = ""


def _convening(convening_id: int) -> Convening:
    try:
        return queries.load_convening(db.session, convening_id)
    except NotFound:
        abort(404)


def _when(convening: Convening) -> str:
    return rules.when_words(convening.starts_at, convening.ends_at, convening.timezone)


@bp.get("/convenings")
@staff_required
def convenings():
    items = queries.convenings(db.session)
    names = region_names(db.session, sorted({code for c in items for code in c.regions or []}))
    return render_template("staff/convenings.html", convenings=items, when=_when, region_names=names)


@bp.route("/convenings/new", methods=["GET", "POST"])
@staff_required
def new_convening():
    form = ConveningForm(scheme=scheme())
    if form.validate_on_submit():
        created = run_on_form(form.command(), form, place=lambda f, exc: _place(f, exc))
        if created.ok:
            flash("Draft convening created. Check it, then send the invitations.", "success")
            return redirect(url_for("staff.convening", convening_id=created.value.id))
    return render_template("staff/convening_new.html", form=form, has_regions=bool(form.regions.choices))


def _place(form: ConveningForm, exc: DomainError) -> None:
    """A refused CreateConvening's errors beside the wizard's fields (the round wizard's placing, with our names)."""
    flat = {}
    for key, value in (exc.fields or {}).items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    placed = {DEFINITION_FIELDS[name]: messages for name, messages in flat.items() if name in DEFINITION_FIELDS}
    add_domain_errors(form, DomainError(exc.message, code=exc.code, fields=placed))
    for name, messages in flat.items():
        if name not in DEFINITION_FIELDS:
            form.form_errors.append(f"{name}: {' '.join(map(str, messages))}")



def _render(convening: Convening, *, reschedule_form: RescheduleForm | None = None,
            note_form: OutcomeNoteForm | None = None, capacity_form: CapacityForm | None = None, status: int = 200):
    rows = queries.rsvps(db.session, convening.id)
    totals = queries.totals(rows)
    reschedule_form = reschedule_form or RescheduleForm(formdata=None)
    capacity_form = capacity_form or CapacityForm(formdata=None, data={"capacity": convening.capacity})
    note_form = note_form or _note_form(convening, rows, formdata=None)
    notes = queries.outcome_notes(db.session, convening.id)
    organizations = dict(db.session.execute(select(Organization.id, Organization.name).where(
        Organization.id.in_({i for n in notes for i in n.organization_ids or []}))).all())
    return render_template(
        "staff/convening.html", convening=convening, when=_when(convening), rows=rows, totals=totals,
        standing_words=rules.STANDING_WORDS, region_names=region_names(db.session, list(convening.regions or [])),
        reschedule_form=reschedule_form, note_form=note_form, capacity_form=capacity_form, notes=notes, organizations=organizations,
        action_form=ActionForm(), local=lambda m: format_local(m, convening.timezone), now=clock.now(),
        type_labels=ORG_TYPE_LABELS), status


def _note_form(convening: Convening, rows: list[queries.RsvpRow], **kwargs) -> OutcomeNoteForm:
    form = OutcomeNoteForm(**kwargs)
    form.regions.choices = region_choices(scheme())
    seen: dict[int, str] = {}
    for row in rows:
        seen.setdefault(row.organization_id, row.organization)
    form.organizations.choices = [SelectChoice(i, name) for i, name in sorted(seen.items(), key=lambda p: p[1].lower())]
    if kwargs.get("formdata", True) is None:
        form.regions.data = list(convening.regions or [])
    return form


@bp.get("/convenings/<int:convening_id>")
@staff_required
def convening(convening_id: int):
    return _render(_convening(convening_id))


@bp.post("/convenings/<int:convening_id>/send")
@staff_required
def send_convening_invitations(convening_id: int):
    if ActionForm().validate_on_submit():
        sent = run_or_flash(cmd.SendConveningInvitations(convening_id), wording="Not sent: {message}.")
        if sent.ok:
            flash("Invitations are on their way, each with a personal link and a calendar entry.", "success")
    return redirect(url_for("staff.convening", convening_id=convening_id), 303)


@bp.post("/convenings/<int:convening_id>/reschedule")
@staff_required
def reschedule_convening(convening_id: int):
    convening = _convening(convening_id)
    form = RescheduleForm()
    if form.validate_on_submit():
        starts_at = parse_local(form.starts_at.data, convening.timezone)
        ends_at = parse_local(form.ends_at.data, convening.timezone)
        moved = run_on_form(cmd.RescheduleConvening(convening_id, starts_at, ends_at, (form.reason.data or "").strip()), form)
        if moved.ok:
            told = " Everyone invited is told, and their calendars move it." if convening.state == "scheduled" else ""
            flash(f"Moved to {_when(moved.value)}.{told}", "success")
            return redirect(url_for("staff.convening", convening_id=convening_id), 303)
    return _render(convening, reschedule_form=form, status=422)


@bp.post("/convenings/<int:convening_id>/capacity")
@staff_required
def set_convening_capacity(convening_id: int):
    convening = _convening(convening_id)
    form = CapacityForm()
    if form.validate_on_submit():
        changed = run_on_form(cmd.SetConveningCapacity(convening_id, form.capacity.data), form)
        if changed.ok:
            capacity = changed.value.convening.capacity
            seats = plural(capacity, "seat") if capacity else "no limit on seats"
            promoted = len(changed.value.promoted)
            moved = (f" {plural(promoted, 'person', 'people')} from the waitlist now "
                     f"{'has a seat and is' if promoted == 1 else 'have a seat and are'} emailed.") if promoted else ""
            flash(f"It now has {seats}.{moved}", "success")
            return redirect(url_for("staff.convening", convening_id=convening_id, _anchor="seats"), 303)
    return _render(convening, capacity_form=form, status=422)


@bp.post("/convenings/<int:convening_id>/cancel")
@staff_required
def cancel_convening(convening_id: int):
    if ActionForm().validate_on_submit():
        reason = (request.form.get("reason") or "").strip()[:1000]
        cancelled = run_or_flash(cmd.CancelConvening(convening_id, reason), wording="Not cancelled: {message}.")
        if cancelled.ok:
            flash("Cancelled. Everyone invited is told, and their calendars drop it.", "success")
    return redirect(url_for("staff.convening", convening_id=convening_id), 303)


@bp.post("/convenings/<int:convening_id>/held")
@staff_required
def mark_convening_held(convening_id: int):
    if ActionForm().validate_on_submit():
        if run_or_flash(cmd.MarkConveningHeld(convening_id), wording="Not done: {message}.").ok:
            flash("Marked as held.", "success")
    return redirect(url_for("staff.convening", convening_id=convening_id), 303)


@bp.post("/convenings/<int:convening_id>/notes")
@staff_required
def add_outcome_note(convening_id: int):
    convening = _convening(convening_id)
    form = _note_form(convening, queries.rsvps(db.session, convening_id))
    if form.validate_on_submit():
        noted = run_on_form(cmd.RecordOutcomeNote(form.text.data, convening_id, tuple(form.regions.data or ()),
                                                  tuple(form.organizations.data or ())), form)
        if noted.ok:
            flash("Outcome noted.", "success")
            return redirect(url_for("staff.convening", convening_id=convening_id, _anchor="outcomes"), 303)
    return _render(convening, note_form=form, status=422)


# --- the check-in list ---------------------------------------------------------------------------------

def _walk_in_form(**kwargs) -> WalkInForm:
    form = WalkInForm(**kwargs)
    form.organization_id.choices = [SelectChoice(NEW_ORGANIZATION, "Another organization")] + [
        SelectChoice(str(i), name) for i, name in db.session.execute(
            select(Organization.id, Organization.name).order_by(Organization.name))]
    return form


@bp.get("/convenings/<int:convening_id>/check-in")
@staff_required
def check_in(convening_id: int, walk_in_form: WalkInForm | None = None, status: int = 200):
    convening = _convening(convening_id)
    search = (request.args.get("q") or "").strip()[:100]
    rows = queries.rsvps(db.session, convening.id, search=search)
    everyone = queries.totals(queries.rsvps(db.session, convening.id))
    return render_template("staff/convening_check_in.html", convening=convening, when=_when(convening), rows=rows,
                           search=search, totals=everyone, standing_words=rules.STANDING_WORDS,
                           walk_in_form=walk_in_form or _walk_in_form(formdata=None), action_form=ActionForm()), status


@bp.post("/convenings/<int:convening_id>/check-in/<int:invitation_id>")
@staff_required
def tick_attendance(convening_id: int, invitation_id: int):
    invitation = db.session.get(ConveningInvitation, invitation_id)
    if invitation is None or invitation.convening_id != convening_id:
        abort(404)
    attended = request.form.get("attended") == "1"
    name = invitation.contact.name
    if ActionForm().validate_on_submit():
        if run_or_flash(cmd.RecordAttendance(invitation_id, attended), wording="Not recorded: {message}.").ok:
            flash(f"{name} checked in." if attended else f"{name} is no longer marked as here.", "success")
    return redirect(url_for("staff.check_in", convening_id=convening_id, q=request.form.get("q") or None,
                            _anchor=f"person-{invitation_id}"), 303)


@bp.post("/convenings/<int:convening_id>/walk-in")
@staff_required
def add_walk_in(convening_id: int):
    _convening(convening_id)
    form = _walk_in_form()
    if form.validate_on_submit():
        chosen = form.organization_id.data or NEW_ORGANIZATION
        added = run_on_form(cmd.AddWalkIn(convening_id, form.name.data, form.email.data,
                                          organization_id=int(chosen) if chosen.isdigit() else None,
                                          organization_name=form.organization_name.data or "",
                                          org_type=form.org_type.data), form,
                            aliases={"organization": "organization_name", "walk-in": "name"})
        if added.ok:
            flash(f"{form.name.data.strip()} added and checked in.", "success")
            return redirect(url_for("staff.check_in", convening_id=convening_id), 303)
    return check_in(convening_id, walk_in_form=form, status=422)


# --- engagement -----------------------------------------------------------------------------------------

@bp.get("/organizations/<int:organization_id>/timeline")
@staff_required
def organization_timeline(organization_id: int):
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        abort(404)
    lines = engaged.organization_timeline(db.session, organization)
    return render_template("staff/timeline.html", heading=organization.name, lines=lines,
                           back=(url_for("staff.organization", organization_id=organization.id), organization.name),
                           about="every invitation, response, answer to a convening, attendance, designation and outcome note")


def _region(code: str):
    try:
        return engaged.region_by_code(db.session, code, scheme())
    except NotFound:
        abort(404)


@bp.get("/regions/<code>/timeline")
@staff_required
def region_timeline(code: str):
    region = _region(code)
    lines = engaged.region_timeline(db.session, region)
    return render_template("staff/timeline.html", heading=region.name, lines=lines,
                           back=(url_for("staff.region_engagement", code=region.code), f"{region.name}: engagement"),
                           about="its organizations' invitations, responses, answers to convenings and attendance, "
                                 "its designations, convenings and outcome notes")


@bp.get("/regions/<code>/engagement")
@staff_required
def region_engagement(code: str):
    region = _region(code)
    summary = engaged.engagement(db.session, region, clock.now())
    return render_template("staff/engagement.html", summary=summary, type_labels=ORG_TYPE_LABELS)


def _engagement_file(code: str, extension: str):
    region = _region(code)
    rows = engaged.engagement_rows(engaged.engagement(db.session, region, clock.now()))
    filename = f"{slugify(region.code)}-engagement.{extension}"
    if extension == "csv":
        return download(exports.rows_csv(rows), exports.CSV_MEDIA_TYPE, filename)
    return download(exports.rows_xlsx(rows, sheet="Engagement", title=f"{region.name}: engagement"),
                    exports.XLSX_MEDIA_TYPE, filename)


@bp.get("/regions/<code>/engagement.csv")
@staff_required
def region_engagement_csv(code: str):
    return _engagement_file(code, "csv")


@bp.get("/regions/<code>/engagement.xlsx")
@staff_required
def region_engagement_xlsx(code: str):
    return _engagement_file(code, "xlsx")
