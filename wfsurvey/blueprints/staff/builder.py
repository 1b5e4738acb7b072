"""The survey builder: a template made, or changed as a new version, in the browser, and saved as the next version.

Every button posts the whole builder form (wfsurvey.forms.builder) and the page comes back with the change made, the
preview drawn again and the focus where the change was: it works without JavaScript, and nothing half-built is ever
stored. static/builder.js does the same without reloading the page. Saving runs CreateTemplate, whose checks are the
API's, so the builder refuses what the API refuses, with the same messages, each shown beside its field.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from wfsurvey.authz import staff_required
from wfsurvey.blueprints.outcomes import run
from wfsurvey.blueprints.respond.display import form_view
from wfsurvey.blueprints.staff import bp
from wfsurvey.blueprints.staff.templates_views import definition_of
from wfsurvey.domain import commands as cmd
from wfsurvey.domain import skip_logic
from wfsurvey.domain.questions import QUESTION_TYPES
from wfsurvey.domain.stakeholders import ORG_TYPE_LABELS, ORG_TYPES
from wfsurvey.extensions import db
from wfsurvey.domain.text import text_problem
from wfsurvey.forms.builder import (Draft, draft_problems, field_id, from_definition, from_form, is_typed_field,
                                    previewable, take_out_controls, targets)
from wfsurvey.models import Template
from wfsurvey.queries.templates import find_template
from wfsurvey.schemas.templates import Problem
from wfsurvey.security import checks_own_text
from wfsurvey.services.templates import TemplateInvalid


@dataclass
class SummaryLine:
    """A line of the error summary: the problem in a sentence that names its question, and the input it is about."""

    text: str
    href: str


def _slugs() -> list[str]:
    return list(db.session.scalars(select(Template.slug).distinct()))


def _page(draft: Draft, *, problems: list[Problem] | None = None, focus: str | None = None, status: int = 200):
    problems = problems or []
    summary = [SummaryLine(p.sentence, f"#{field_id(draft, p.index, p.field)}") for p in problems]
    definition = draft.definition()
    shown, left_out = previewable(definition)
    existing = find_template(db.session, draft.slug) if draft.slug else None
    return render_template(
        "staff/template_builder.html", draft=draft, numbers=draft.numbers(),
        targets=targets(draft),
        question_types={name: t for name, t in QUESTION_TYPES.items() if not t.starts_page},
        section_type=next((t for t in QUESTION_TYPES.values() if t.starts_page), None),
        all_types=QUESTION_TYPES, operators=skip_logic.OPERATORS, org_types=ORG_TYPES, org_type_labels=ORG_TYPE_LABELS,
        errors=draft_problems(draft, problems), summary=summary, focus=focus, existing=existing,
        preview=form_view(shown, draft.preview_org_type, {}, {}), left_out=left_out,
    ), status


@bp.get("/templates/new")
@staff_required
def new_template():
    """An empty builder, or ("Edit as a new version") one filled with a template version, the latest by default."""
    source = request.args.get("from")
    if not source:
        return _page(Draft())
    template = find_template(db.session, source, request.args.get("version", type=int))
    if template is None:
        abort(404)
    return _page(from_definition(definition_of(template), version=template.version))


@bp.post("/templates/new")
@checks_own_text
@staff_required
def build_template():
    for key, value in request.form.items(multi=True):
        problem = text_problem(value)
        if problem and not is_typed_field(key):  # not typed by anyone: the page's own fields, altered
            abort(400, description=f"The field “{key}”: {problem}.")
    draft = from_form(request.form)
    typed = take_out_controls(draft)
    slugs = _slugs()
    draft.fill_in(slugs)
    if typed:  # nothing done, nothing saved: the page again, with what was typed and where the character was
        return _page(draft, problems=typed, focus="builder-errors", status=422)
    action = request.form.get("action") or "preview"
    if action != "save":
        focus = "preview" if action == "preview" else draft.apply(action, request.form.get("new_type", ""))
        draft.fill_in(slugs)  # a copy gets a key of its own
        return _page(draft, focus=focus)
    created = run(cmd.CreateTemplate(draft.definition()))
    if created.ok:
        template = created.value
        flash(f"Saved “{template.title}” as version {template.version}.", "success")
        return redirect(url_for("staff.template_version", slug=template.slug, version=template.version))
    error = created.error
    problems = error.problems if isinstance(error, TemplateInvalid) else [Problem(None, "", error.message, "The template")]
    return _page(draft, problems=problems, focus="builder-errors", status=422)
