"""Stakeholders pages: regions, organizations and their contacts, the contacts list, and the CSV import."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from wfsurvey import settings
from wfsurvey.authz import staff_required
from wfsurvey.blueprints.outcomes import run, run_on_form, run_or_flash
from wfsurvey.blueprints.staff import bp
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.stakeholders import ORG_TYPES
from wfsurvey.extensions import db
from wfsurvey.forms import add_domain_errors
from wfsurvey.forms.stakeholders import (
    ORG_TYPE_LABELS,
    ContactFilterForm,
    ContactForm,
    ImportForm,
    OptInForm,
    OrganizationFilterForm,
    OrganizationForm,
    RegionForm,
)
from wfsurvey.models import Contact, Organization, Region, organization_regions
from wfsurvey.queries.pilots import pilot_regions
from wfsurvey.services.imports import ImportRejected

PER_PAGE = 50
#: The import page lists at most this many organizations to create beyond those with a warning.
MAX_NEW_SHOWN = 100
#: The import page lists at most this many problems (a wholly wrong file can have thousands).
MAX_ERRORS_SHOWN = 500


def _scheme() -> str:
    return settings.region_scheme()


def like_pattern(text: str) -> str:
    """`text` as a LIKE pattern matching it anywhere, its own % and _ taken literally (escape character \\)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _page_number() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


def _org_or_404(organization_id: int) -> Organization:
    org = db.session.get(Organization, organization_id)
    if org is None:
        abort(404)
    return org


# --- regions ------------------------------------------------------------------------------

@bp.route("/regions", methods=["GET", "POST"])
@staff_required
def regions():
    form = RegionForm(scheme=_scheme())
    if form.validate_on_submit():
        created = run_on_form(cmd.CreateRegion(name=form.name.data, code=form.code.data or "", scheme=_scheme()), form)
        if created.ok:
            flash(f"Region {created.value['name']} ({created.value['code']}) created.", "success")
            return redirect(url_for("staff.regions"))
    all_regions = db.session.scalars(select(Region).order_by(Region.scheme, Region.name)).all()
    counts: dict[int, dict[str, int]] = {}
    for region_id, org_type, count in db.session.execute(
        select(organization_regions.c.region_id, Organization.org_type, func.count())
        .join(Organization, Organization.id == organization_regions.c.organization_id)
        .group_by(organization_regions.c.region_id, Organization.org_type)
    ):
        counts.setdefault(region_id, {})[org_type] = count
    contacts = dict(db.session.execute(
        select(organization_regions.c.region_id, func.count(Contact.id))
        .join(Contact, Contact.organization_id == organization_regions.c.organization_id)
        .group_by(organization_regions.c.region_id)
    ).all())
    pilots = {p["region"]: p for p in pilot_regions(db.session)}
    return render_template("staff/regions.html", regions=all_regions, counts=counts, contacts=contacts,
                           org_types=ORG_TYPES, type_labels=ORG_TYPE_LABELS, form=form, scheme=_scheme(), pilots=pilots)


# --- organizations ------------------------------------------------------------------------

@bp.get("/organizations")
@staff_required
def organizations():
    filters = OrganizationFilterForm(request.args, scheme=_scheme())
    filters.validate()
    query = select(Organization)
    q = (filters.q.data or "").strip()
    if q:
        query = query.where(Organization.name.ilike(like_pattern(q), escape="\\"))
    if filters.org_type.data in ORG_TYPES:
        query = query.where(Organization.org_type == filters.org_type.data)
    if filters.region.data:
        query = query.where(Organization.regions.any((Region.code == filters.region.data) & (Region.scheme == _scheme())))
    query = query.options(selectinload(Organization.regions)).order_by(Organization.name, Organization.id)
    page = db.paginate(query, page=_page_number(), per_page=PER_PAGE, error_out=False)
    ids = [org.id for org in page.items]
    contact_counts = dict(db.session.execute(
        select(Contact.organization_id, func.count()).where(Contact.organization_id.in_(ids)).group_by(Contact.organization_id)
    ).all()) if ids else {}
    return render_template("staff/organizations.html", page=page, filters=filters, contact_counts=contact_counts,
                           type_labels=ORG_TYPE_LABELS)


@bp.route("/organizations/new", methods=["GET", "POST"])
@staff_required
def new_organization():
    form = OrganizationForm(scheme=_scheme())
    if form.validate_on_submit():
        created = run_on_form(cmd.CreateOrganization(name=form.name.data, org_type=form.org_type.data,
                                                     regions=tuple(form.regions.data or ()), scheme=_scheme()), form)
        if created.ok:
            flash("Organization created.", "success")
            return redirect(url_for("staff.organization", organization_id=created.value))
    return render_template("staff/organization_form.html", form=form, org=None)


@bp.get("/organizations/<int:organization_id>")
@staff_required
def organization(organization_id: int):
    org = db.session.scalars(
        select(Organization).where(Organization.id == organization_id)
        .options(selectinload(Organization.regions), selectinload(Organization.contacts))
    ).first()
    if org is None:
        abort(404)
    return render_template("staff/organization.html", org=org, type_labels=ORG_TYPE_LABELS)


@bp.route("/organizations/<int:organization_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_organization(organization_id: int):
    org = _org_or_404(organization_id)
    form = OrganizationForm(obj=org, scheme=_scheme(), organization_id=org.id)
    if request.method == "GET":
        form.regions.data = [r.code for r in org.regions if r.scheme == _scheme()]
    if form.validate_on_submit():
        saved = run_on_form(cmd.UpdateOrganization(organization_id=org.id, name=form.name.data,
                                                   org_type=form.org_type.data, regions=tuple(form.regions.data or ()),
                                                   scheme=_scheme()), form)
        if saved.ok:
            flash("Organization saved.", "success")
            return redirect(url_for("staff.organization", organization_id=org.id))
    return render_template("staff/organization_form.html", form=form, org=org)


# --- contacts -----------------------------------------------------------------------------

@bp.get("/contacts")
@staff_required
def contacts():
    filters = ContactFilterForm(request.args, scheme=_scheme())
    filters.validate()
    query = select(Contact).join(Organization, Organization.id == Contact.organization_id)
    q = (filters.q.data or "").strip()
    if q:
        pattern = like_pattern(q)
        query = query.where(or_(Contact.name.ilike(pattern, escape="\\"), Contact.email.ilike(pattern, escape="\\")))
    if filters.org_type.data in ORG_TYPES:
        query = query.where(Organization.org_type == filters.org_type.data)
    if filters.region.data:
        query = query.where(Organization.regions.any((Region.code == filters.region.data) & (Region.scheme == _scheme())))
    if filters.status.data == "opted_out":
        query = query.where(Contact.opted_out_at.is_not(None))
    elif filters.status.data == "receiving":
        query = query.where(Contact.opted_out_at.is_(None))
    query = query.options(selectinload(Contact.organization)).order_by(Contact.name, Contact.id)
    page = db.paginate(query, page=_page_number(), per_page=PER_PAGE, error_out=False)
    return render_template("staff/contacts.html", page=page, filters=filters, type_labels=ORG_TYPE_LABELS)


@bp.route("/organizations/<int:organization_id>/contacts/new", methods=["GET", "POST"])
@staff_required
def new_contact(organization_id: int):
    org = _org_or_404(organization_id)
    form = ContactForm()
    if form.validate_on_submit():
        added = run_on_form(cmd.CreateContact(organization_id=org.id, name=form.name.data, email=form.email.data,
                                              title=form.title.data or ""), form)
        if added.ok:
            flash("Contact added.", "success")
            return redirect(url_for("staff.organization", organization_id=org.id))
    return render_template("staff/contact_form.html", form=form, org=org, contact=None)


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_contact(contact_id: int):
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        abort(404)
    form = ContactForm(obj=contact, contact_id=contact.id)
    if form.validate_on_submit():
        saved = run_on_form(cmd.UpdateContact(contact_id=contact.id, name=form.name.data, email=form.email.data,
                                              title=form.title.data or ""), form)
        if saved.ok:
            flash("Contact saved.", "success")
            return redirect(url_for("staff.organization", organization_id=contact.organization_id))
    return render_template("staff/contact_form.html", form=form, org=contact.organization, contact=contact,
                           opt_in=OptInForm(formdata=None))


@bp.post("/contacts/<int:contact_id>/opt-out")
@staff_required
def opt_out_contact(contact_id: int):
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        abort(404)
    if run_or_flash(cmd.MarkContactOptedOut(contact_id=contact.id)).ok:
        flash(f"{contact.name} is marked as opted out: they get no more survey mail.", "success")
    return redirect(url_for("staff.organization", organization_id=contact.organization_id))


@bp.post("/contacts/<int:contact_id>/opt-in")
@staff_required
def opt_in_contact(contact_id: int):
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        abort(404)
    opt_in = OptInForm()
    if opt_in.validate_on_submit():
        if run_on_form(cmd.MarkContactOptedIn(contact_id=contact.id, reason=opt_in.reason.data), opt_in).ok:
            flash(f"{contact.name} receives survey mail again, from the next invitation on.", "success")
            return redirect(url_for("staff.organization", organization_id=contact.organization_id))
    form = ContactForm(obj=contact, contact_id=contact.id)
    return render_template("staff/contact_form.html", form=form, org=contact.organization, contact=contact,
                           opt_in=opt_in), 422


# --- CSV import ---------------------------------------------------------------------------

class UnreadableFile(ValueError):
    pass


def _uploaded_text(form: ImportForm) -> tuple[str, str]:
    """The CSV as text and where it came from; a file wins over the text box."""
    upload = form.csv_file.data
    if upload and getattr(upload, "filename", ""):
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UnreadableFile("The file is not UTF-8 text. In your spreadsheet choose “Save as… CSV UTF-8” "
                                 "and upload it again.") from None
        return text, f"web:{upload.filename}"
    return form.csv_text.data or "", "web:pasted"


def _use_existing() -> tuple[tuple[str, int], ...]:
    """The preview's choices: each use_existing-* field is "<existing id>:<name in the file>" ("" to create it)."""
    chosen = []
    for key, value in request.form.items(multi=True):
        org_id, _, name = value.partition(":")
        if key.startswith("use_existing-") and org_id.isdigit() and name.strip() and len(org_id) < 10:
            chosen.append((name, int(org_id)))
    return tuple(chosen)


@bp.route("/contacts/import", methods=["GET", "POST"])
@staff_required
def import_contacts():
    form = ImportForm()
    result = rejected = None
    dry_run = request.form.get("action") != "import"
    if form.validate_on_submit():
        try:
            text, source = _uploaded_text(form)
        except UnreadableFile as exc:
            form.csv_file.errors = [*form.csv_file.errors, str(exc)]
        else:
            # Whatever happens, the CSV stays in the text box: it can be fixed here and sent again.
            form.csv_text.data = text
            outcome = run(cmd.ImportContacts(csv_text=text, source=source[:80], dry_run=dry_run,
                                             use_existing=_use_existing()))
            result = outcome.value
            # A rejected file is shown row by row; any other refusal beside the form.
            if isinstance(outcome.error, ImportRejected):
                rejected = outcome.error
            elif outcome.error is not None:
                add_domain_errors(form, outcome.error)
    return render_template("staff/import.html", form=form, result=result, rejected=rejected,
                           max_errors=MAX_ERRORS_SHOWN, max_new=MAX_NEW_SHOWN, type_labels=ORG_TYPE_LABELS)
