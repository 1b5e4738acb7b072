"""Question types: each in one module with its partial templates/respond/questions/<partial>.html, all listed here.

A type owns everything that depends on it: the definition it takes, skip logic, the respondent form, the
answer in words, the baseline figures and exports, its columns in the raw responses export (see QuestionType). Code
elsewhere asks the type of a question, `QUESTION_TYPES[q["type"]]`, once per question, and never branches on the type's
name. A section (a page break) is listed as a type too, one that nobody answers: `answerable()` leaves it out.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from wfsurvey.domain.questions.base import Choice, DefinitionError, InputPart, QuestionType, RawColumn
from wfsurvey.domain.questions.choice import SingleChoice
from wfsurvey.domain.questions.contact import Contact
from wfsurvey.domain.questions.multiple_choice import MultiChoice
from wfsurvey.domain.questions.number import Number
from wfsurvey.domain.questions.ranking import Ranking
from wfsurvey.domain.questions.scale import Scale
from wfsurvey.domain.questions.section import Section
from wfsurvey.domain.questions.text import LongText, Text
from wfsurvey.domain.questions.yes_no import YesNo

__all__ = ["QUESTION_TYPES", "Choice", "DefinitionError", "InputPart", "QuestionType", "RawColumn", "answerable",
           "register", "unregister"]

#: Every question type by its name, in the order error messages list them.
QUESTION_TYPES: dict[str, QuestionType] = {
    t.name: t for t in (SingleChoice(), MultiChoice(), Scale(), YesNo(), Number(), Ranking(), Text(), LongText(),
                        Contact(), Section())
}


def answerable(items: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The questions of a template's list, without its sections."""
    return [q for q in items if QUESTION_TYPES[q["type"]].answerable]


def register(question_type: QuestionType) -> QuestionType:
    """Add a type (for a type defined outside this package, e.g. in a test); a name is taken once."""
    if question_type.name in QUESTION_TYPES:
        raise ValueError(f"question type '{question_type.name}' is registered already")
    QUESTION_TYPES[question_type.name] = question_type
    return question_type


def unregister(name: str) -> None:
    """Remove a type that `register` added."""
    del QUESTION_TYPES[name]
