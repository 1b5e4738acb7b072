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


def compare_questions(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[QuestionChange]:
    """Questions added, removed or changed between two versions, matched by key, in the new version's order
    (a removed one just before the question that followed it); a question moved among the others is changed."""
    old_by_key = {q["key"]: (i, q) for i, q in enumerate(old, start=1)}
    new_by_key = {q["key"]: (i, q) for i, q in enumerate(new, start=1)}
    moved = _moved_keys(list(old_by_key), list(new_by_key))
    changes: list[tuple[float, QuestionChange]] = []
    for key, (position, question) in new_by_key.items():
        if key not in old_by_key:
            changes.append((position, QuestionChange(key, None, question, [])))
            continue
        old_position, before = old_by_key[key]
        fields = [
            FieldChange(name, _show(before.get(name)), _show(question.get(name)))
            for name in sorted(set(before) | set(question))
            if before.get(name) != question.get(name)
        ]
        if key in moved:
            fields.insert(0, FieldChange("position", str(old_position), str(position)))
        if fields:
            changes.append((position, QuestionChange(key, before, question, fields)))
    for key, (position, question) in old_by_key.items():
        if key not in new_by_key:
            changes.append((_removed_slot(old, new_by_key, position), QuestionChange(key, question, None, [])))
    return [change for _, change in sorted(changes, key=lambda item: item[0])]


def _removed_slot(old: list[dict[str, Any]], new_by_key: dict[str, tuple[int, Any]], position: int) -> float:
    """Where a removed question is listed: just before the next old question that the new version kept."""
    for later in old[position:]:
        if later["key"] in new_by_key:
            return new_by_key[later["key"]][0] - 0.5
    return len(new_by_key) + 0.5


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
