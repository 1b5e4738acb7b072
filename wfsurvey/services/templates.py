"""Templates: validate a definition and store it as the next version of its slug."""
from __future__ import annotations

import dataclasses
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import func, select

from wfsurvey.domain import commands as cmd
from wfsurvey.domain import events as ev
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.text import first_problem, without_controls
from wfsurvey.models import Template
from wfsurvey.schemas.templates import (
    Problem,
    QuestionSchema,
    TemplateSchema,
    as_fields,
    cross_check,
    describe,
    nested_messages,
    normalise_question,
    normalise_rules,
    problems_of,
)
from wfsurvey.services.unit_of_work import AbstractUnitOfWork


class TemplateInvalid(DomainError):
    """A definition refused: every problem found, each pointing at its question (`problems`), also as `fields`."""

    code = "invalid"

    def __init__(self, problems: list[Problem]):
        super().__init__(describe(problems), fields=as_fields(problems))
        self.problems = problems


def check_definition(definition: Any) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The cleaned definition and no problem, or None and every problem found: the shape of the template and of each
    question, and the rules across questions (judged on the questions whose own shape is right)."""
    if not isinstance(definition, dict):
        return None, [Problem(None, "", "A template is a JSON object with slug, title and questions.", "The template")]
    found = first_problem(definition)
    if found is not None:
        # Before the schema, whose messages would quote the text back; the question's label, quoted to say where,
        # without them.
        path, problem = found
        sentence = f"{problem[0].upper()}{problem[1:]}."  # as every other problem is said
        return None, [dataclasses.replace(p, where=without_controls(p.where))
                      for p in problems_of(definition, nested_messages(path, sentence))]
    messages: dict[str, Any] = {}
    data = None
    try:
        data = TemplateSchema().load(definition)
    except ValidationError as exc:
        messages = exc.messages
    items = definition.get("questions")
    if isinstance(items, list):
        if data is not None:
            loaded: list[dict[str, Any] | None] = data["questions"]
        else:
            loaded = [_loaded(item) for item in items]
        for i, problems in cross_check(items, loaded).items():
            for name, texts in problems.items():
                _add(messages, i, name, texts)
    if messages:
        return None, problems_of(definition, messages)
    assert data is not None
    data["questions"] = normalise_rules([normalise_question(q) for q in data["questions"]])
    return data, []


def _add(messages: dict[str, Any], index: int, name: str, texts: list[str]) -> None:
    """Add cross_check's messages about an entry to marshmallow's, whatever shape those took there."""
    questions = messages.setdefault("questions", {})
    if not isinstance(questions, dict):  # the list itself is refused (empty, too long): that says enough
        return
    entry = questions.setdefault(index, {})
    if not isinstance(entry, dict):
        entry = questions[index] = {"_schema": list(entry) if isinstance(entry, list) else [str(entry)]}
    slot = entry.setdefault(name, [])
    if isinstance(slot, dict):
        slot = slot.setdefault("_schema", [])
    slot.extend(texts)


def _loaded(item: Any) -> dict[str, Any] | None:
    try:
        return QuestionSchema().load(item)
    except ValidationError:
        return None


def validate_definition(definition: Any) -> dict[str, Any]:
    """The cleaned definition, or TemplateInvalid with every problem found."""
    data, problems = check_definition(definition)
    if data is None:
        raise TemplateInvalid(problems)
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

