"""Templates: validate a definition and store it as the next version of its slug."""
from __future__ import annotations

from typing import Any

from marshmallow import ValidationError
from sqlalchemy import func, select

from wfsurvey.domain import commands as cmd
from wfsurvey.domain import events as ev
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.text import first_problem
from wfsurvey.models import Template
from wfsurvey.schemas.templates import TemplateSchema, cross_check, describe_errors, nested_messages, normalise_question
from wfsurvey.services.unit_of_work import AbstractUnitOfWork


class TemplateInvalid(DomainError):
    code = "invalid"


def validate_definition(definition: Any) -> dict[str, Any]:
    """The cleaned definition, or TemplateInvalid naming the question and the problem."""
    if not isinstance(definition, dict):
        raise TemplateInvalid("a template is a JSON object with slug, title and questions")
    found = first_problem(definition)
    if found is not None:
        # Before the schema: its messages would quote the text back, control characters and all.
        messages = nested_messages(*found)
        raise TemplateInvalid(f"template invalid: {describe_errors(definition, messages)}", fields=messages)
    try:
        data = TemplateSchema().load(definition)
    except ValidationError as exc:
        raise TemplateInvalid(f"template invalid: {describe_errors(definition, exc.messages)}", fields=exc.messages) from exc
    problems = cross_check(data["questions"])
    if problems:
        messages = {"questions": {str(i): p for i, p in problems.items()}}
        raise TemplateInvalid(f"template invalid: {describe_errors(definition, messages)}", fields=messages)
    data["questions"] = [normalise_question(q) for q in data["questions"]]
    return data


def create_template(command: cmd.CreateTemplate, uow: AbstractUnitOfWork) -> Template:
    data = validate_definition(command.definition)
    session = uow.session
    latest = session.scalar(select(func.max(Template.version)).where(Template.slug == data["slug"])) or 0
    template = Template(
        slug=data["slug"], version=latest + 1, title=data["title"], description=data["description"],
        questions=data["questions"], created_at=uow.now, created_by=uow.actor,
    )
    session.add(template)
    session.flush()
    template.record(ev.TemplateCreated(template_id=template.id, slug=template.slug, version=template.version, title=template.title))
    return template

