"""Templates pages: every template and its versions, a version shown as respondents will see it,
uploading a new version as JSON, and comparing two versions question by question."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from wfsurvey.authz import staff_required
from wfsurvey.blueprints.downloads import download
from wfsurvey.blueprints.outcomes import run_on_form
from wfsurvey.blueprints.respond.display import form_view
from wfsurvey.blueprints.staff import bp
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.questions import QUESTION_TYPES
from wfsurvey.domain.stakeholders import ORG_TYPE_LABELS, ORG_TYPES
from wfsurvey.extensions import db
from wfsurvey.forms import add_domain_errors
from wfsurvey.forms.templates import TemplateUploadForm
from wfsurvey.models import Round, Template
from wfsurvey.queries.actors import describe_actors
from wfsurvey.queries.templates import find_template
from wfsurvey.schemas.templates import Names
from wfsurvey.services.templates import TemplateInvalid


def _version_or_404(slug: str, version: int) -> Template:
    template = db.session.scalar(select(Template).where(Template.slug == slug, Template.version == version))
    if template is None:
        abort(404)
    return template


def definition_of(template: Template) -> dict[str, Any]:
    """The POST /templates shape of a stored version (what an upload of the next version starts from)."""
    return {"slug": template.slug, "title": template.title, "description": template.description,
            "questions": template.questions}


@bp.get("/templates")
@staff_required
def templates():
    versions = db.session.scalars(select(Template).order_by(Template.slug, Template.version)).all()
    rounds = dict(db.session.execute(select(Round.template_id, func.count()).group_by(Round.template_id)).all())
    by_slug: dict[str, list[Template]] = {}
    for template in versions:
        by_slug.setdefault(template.slug, []).append(template)
    return render_template("staff/templates.html", by_slug=by_slug, rounds=rounds)


@bp.get("/templates/<slug>/v<int:version>")
@staff_required
def template_version(slug: str, version: int):
    template = _version_or_404(slug, version)
    org_type = request.args.get("org_type", "lwib")
    if org_type not in ORG_TYPES:
        org_type = "lwib"
    versions = db.session.scalars(select(Template.version).where(Template.slug == slug).order_by(Template.version)).all()
    # The previous version against this one (or this one against the next, for version 1).
    index = versions.index(template.version)
    compare_with = ((versions[index - 1], template.version) if index > 0
                    else (template.version, versions[1]) if len(versions) > 1 else None)
    used_by = db.session.scalars(select(Round).where(Round.template_id == template.id).order_by(Round.id)).all()
    return render_template(
        "staff/template.html", template=template, form=form_view(template.questions, org_type, {}, {}),
        org_type=org_type, org_types=ORG_TYPES, type_labels=ORG_TYPE_LABELS, versions=versions, used_by=used_by,
        compare_with=compare_with, created_by=describe_actors(db.session, [template.created_by])[template.created_by],
        definition=json.dumps(definition_of(template), indent=2, ensure_ascii=False),
    )


class UnreadableTemplate(ValueError):
    pass


def _uploaded_json(form: TemplateUploadForm) -> tuple[str, Any]:
    upload = form.json_file.data
    if upload and getattr(upload, "filename", ""):
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UnreadableTemplate("The file is not UTF-8 text.") from None
    else:
        text = form.json_text.data or ""
    try:
        return text, json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableTemplate(f"This is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from None


def _place_template_errors(form: TemplateUploadForm, exc: DomainError) -> None:
    # An invalid template names the question at fault in each problem: the JSON box is one field.
    if isinstance(exc, TemplateInvalid):
        form.form_errors.extend(problem.sentence for problem in exc.problems)
    else:
        add_domain_errors(form, exc)


@bp.route("/templates/upload", methods=["GET", "POST"])
@staff_required
def upload_template():
    """A version as JSON, for power users: checked as the API and the builder check it."""
    form = TemplateUploadForm()
    if request.method == "GET" and request.args.get("from"):
        # Start from a version of that template (its latest by default), as the API returns it.
        latest = find_template(db.session, request.args["from"], request.args.get("version", type=int))
        if latest is not None:
            form.json_text.data = json.dumps(definition_of(latest), indent=2, ensure_ascii=False)
    if form.validate_on_submit():
        try:
            text, definition = _uploaded_json(form)
        except UnreadableTemplate as exc:
            form.form_errors.append(str(exc))
        else:
            form.json_text.data = text  # kept in the box to fix and send again
            created = run_on_form(cmd.CreateTemplate(definition), form, place=_place_template_errors)
            if created.ok:
                template = created.value
                flash(f"Saved {template.slug} version {template.version}.", "success")
                return redirect(url_for("staff.template_version", slug=template.slug, version=template.version))
    return render_template("staff/template_upload.html", form=form, question_types=QUESTION_TYPES)


@bp.get("/templates/<slug>/v<int:version>.json")
@staff_required
def template_json(slug: str, version: int):
    """A version's definition as a file: what an upload or POST /api/v1/templates takes back."""
    template = _version_or_404(slug, version)
    body = json.dumps(definition_of(template), indent=2, ensure_ascii=False).encode("utf-8")
    return download(body, "application/json; charset=utf-8", f"{slug}-v{version}.json")


# --- comparing two versions ---------------------------------------------------------------

@dataclass
class FieldChange:
    field: str
    old: str
    new: str


@dataclass
class QuestionChange:
    key: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    fields: list[FieldChange]
    #: The entry as the builder names it, in the new version (the old one for a removed entry):
    #: "Question 3, “Which credentials…”" or "Section 2, “Training”".
    name: str = ""

    @property
    def kind(self) -> str:
        return "added" if self.old is None else "removed" if self.new is None else "changed"


def _show(value: Any) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _moved_keys(old_keys: list[str], new_keys: list[str]) -> set[str]:
    """Keys of both lists outside their longest common subsequence: the questions that really moved
    (removing or adding a question moves nothing else)."""
    common = set(old_keys) & set(new_keys)
    a, b = [k for k in old_keys if k in common], [k for k in new_keys if k in common]
    lengths = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            lengths[i][j] = lengths[i + 1][j + 1] + 1 if a[i] == b[j] else max(lengths[i + 1][j], lengths[i][j + 1])
    kept, i, j = set(), 0, 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            kept.add(a[i])
            i, j = i + 1, j + 1
        elif lengths[i + 1][j] >= lengths[i][j + 1]:
            i += 1
        else:
            j += 1
    return common - kept


@dataclass
class _Place:
    """Where an entry sits in a version: its index in the list, its name and number among its kind (questions and
    sections are numbered apart, as the builder numbers them), and the section it falls in."""

    index: int
    entry: dict[str, Any]
    name: str
    is_question: bool
    number: int
    #: The key of the section the question falls in; None before the first section (and for a section).
    section: str | None

    @property
    def place(self) -> str:
        """Its kind and number: "Question 3" or "Section 2"."""
        return f"{'Question' if self.is_question else 'Section'} {self.number}"


def _places(items: list[dict[str, Any]]) -> dict[str, _Place]:
    names = Names(items)
    places: dict[str, _Place] = {}
    section: str | None = None
    for index, entry in enumerate(items):
        is_question, number = names.numbers[index]
        if not is_question:
            section = entry["key"]
        places[entry["key"]] = _Place(index, entry, names(index), is_question, number, section if is_question else None)
    return places


def _section_name(places: dict[str, _Place], key: str | None) -> str:
    return places[key].name if key in places else "none (before the first section)"


def compare_questions(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[QuestionChange]:
    """Questions and sections added, removed or changed between two versions, matched by key, in the new version's
    order (a removed one just before the entry that followed it). An entry moved among the others of its kind is
    changed in position (its number as the builder numbers it: sections are not counted among questions), and a
    question that falls in another section is changed in section."""
    before, after = _places(old), _places(new)
    moved = set()
    for is_question in (True, False):
        moved |= _moved_keys([k for k, p in before.items() if p.is_question is is_question],
                             [k for k, p in after.items() if p.is_question is is_question])
    changes: list[tuple[float, QuestionChange]] = []
    for key, now in after.items():
        if key not in before:
            changes.append((now.index, QuestionChange(key, None, now.entry, [], now.name)))
            continue
        then = before[key]
        fields = [
            FieldChange(name, _show(then.entry.get(name)), _show(now.entry.get(name)))
            for name in sorted(set(then.entry) | set(now.entry))
            if then.entry.get(name) != now.entry.get(name)
        ]
        if key in moved:
            fields.insert(0, FieldChange("position", then.place, now.place))
        if now.is_question and then.is_question and then.section != now.section:
            # Named as each version names it: a section may be renamed or renumbered too.
            fields.insert(1 if key in moved else 0, FieldChange("section", _section_name(before, then.section),
                                                                _section_name(after, now.section)))
        if fields:
            changes.append((now.index, QuestionChange(key, then.entry, now.entry, fields, now.name)))
    for key, then in before.items():
        if key not in after:
            changes.append((_removed_slot(old, after, then.index), QuestionChange(key, then.entry, None, [], then.name)))
    return [change for _, change in sorted(changes, key=lambda item: item[0])]


def _removed_slot(old: list[dict[str, Any]], after: dict[str, _Place], index: int) -> float:
    """Where a removed entry is listed: just before the next old entry that the new version kept."""
    for later in old[index + 1:]:
        if later["key"] in after:
            return after[later["key"]].index - 0.5
    return len(after) - 0.5


@bp.get("/templates/<slug>/compare")
@staff_required
def compare_templates(slug: str):
    versions = db.session.scalars(select(Template).where(Template.slug == slug).order_by(Template.version)).all()
    if not versions:
        abort(404)
    by_version = {t.version: t for t in versions}
    a = request.args.get("a", type=int) or (versions[-2].version if len(versions) > 1 else versions[0].version)
    b = request.args.get("b", type=int) or versions[-1].version
    if a not in by_version or b not in by_version:
        abort(404)
    old, new = by_version[a], by_version[b]
    headline = [FieldChange(name, getattr(old, name), getattr(new, name))
                for name in ("title", "description") if getattr(old, name) != getattr(new, name)]
    return render_template("staff/template_compare.html", slug=slug, versions=versions, old=old, new=new,
                           headline=headline, changes=compare_questions(old.questions, new.questions),
                           json_dump=lambda q: json.dumps(q, indent=2, ensure_ascii=False))
