"""Section: a page break with a title and an introduction, for long forms. It sits in the question list so that it
moves like a question, but nobody answers it: the respondent form shows one section at a time (domain/pages.py)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wfsurvey.domain.questions.base import DefinitionError, Form, InputPart, Parsed, QuestionType

#: What a stored section keeps; `required` and `baseline`, which the common shape fills in, mean nothing here.
SECTION_FIELDS = ("key", "type", "label", "help")


class Section(QuestionType):
    name = "section"
    label = "Section"
    #: templates/respond/questions/section.html is the heading of the page it starts.
    partial = "section"
    answerable = False
    starts_page = True

    def check_definition(self, q: Mapping[str, Any]) -> None:
        super().check_definition(q)
        if q.get("required"):
            raise DefinitionError("A section is not a question: it cannot be required.", "required")
        if q.get("show_if"):
            raise DefinitionError("A section cannot have skip logic: give each of its questions its own rule.", "show_if")

    def normalize(self, q: dict[str, Any]) -> dict[str, Any]:
        return {k: q[k] for k in SECTION_FIELDS if k in q}

    def input_parts(self, q: Mapping[str, Any]) -> list[InputPart]:
        return []

    def field_names(self, q: Mapping[str, Any]) -> list[str]:
        return []

    def parse(self, q: Mapping[str, Any], form: Form) -> Parsed:
        return None, {}
