"""What the respondent templates show: questions with their values and errors, and answers read back."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wfsurvey.domain.answers import visible_questions
from wfsurvey.domain.questions import QUESTION_TYPES


@dataclass
class Option:
    value: str
    label: str
    id: str
    checked: bool


@dataclass
class Part:
    """One input of a question: the only one for most types, one of several (a contact's three) for others."""

    name: str
    id: str
    label: str
    value: str
    error: str | None
    error_id: str


@dataclass
class QuestionView:
    number: int
    key: str
    type: str
    label: str
    help: str
    required: bool
    id: str
    help_id: str
    #: templates/respond/questions/<partial>.html renders the inputs.
    partial: str
    #: The inputs sit in a fieldset whose legend is the question (radios, checkboxes, a contact's inputs).
    is_group: bool
    group_class: str = ""
    options: list[Option] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    #: Each input has its own label and names its own error (a contact's three), rather than the question's.
    separate_parts: bool = False
    #: What else the type's partial needs (limits, a scale's end labels).
    data: dict[str, Any] = field(default_factory=dict)
    #: For skip logic in the browser: the question this one depends on and the value that shows it.
    show_if_question: str | None = None
    show_if_equals: str | None = None
    #: Shown when JavaScript is off: which answer makes this question apply.
    condition_note: str | None = None

    @property
    def error(self) -> str | None:
        return next((p.error for p in self.parts if p.error), None)

    @property
    def error_id(self) -> str:
        return self.parts[0].error_id

    def described_by(self, part: Part | None = None) -> str:
        ids = [self.help_id] if self.help else []
        if part is not None and part.error:
            ids.append(part.error_id)
        elif part is None and self.error and not self.separate_parts:  # separate inputs name their own errors
            ids.append(self.error_id)
        return " ".join(ids)


@dataclass
class ErrorLink:
    text: str
    href: str


def rendered_questions(questions: Sequence[Mapping[str, Any]], org_type: str) -> list[Mapping[str, Any]]:
    """Questions the form shows this organization: those for other organization types are left out,
    and so is any question that depends on one left out (it could never apply)."""
    shown: list[Mapping[str, Any]] = []
    keys: set[str] = set()
    for q in questions:
        rule = q.get("show_if") or {}
        if "org_type" in rule and org_type not in rule["org_type"]:
            continue
        if "question" in rule and rule["question"] not in keys:
            continue
        shown.append(q)
        keys.add(q["key"])
    return shown


def question_views(
    questions: Sequence[Mapping[str, Any]],
    org_type: str,
    values: Mapping[str, Sequence[str]],
    errors: Mapping[str, str],
) -> list[QuestionView]:
    """One view per question the form shows, carrying the values to show and the errors to report."""
    views: list[QuestionView] = []
    by_key: dict[str, tuple[int, Mapping[str, Any]]] = {}
    for number, q in enumerate(rendered_questions(questions, org_type), start=1):
        key, question_type = q["key"], QUESTION_TYPES[q["type"]]
        base = f"q-{key}"
        given = list(values.get(key) or [])
        options = [Option(c.value, c.label, f"{base}-{i}", c.value in given) for i, c in enumerate(question_type.choices(q))]
        inputs = question_type.input_parts(q)
        view = QuestionView(
            number=number, key=key, type=q["type"], label=q["label"], help=q.get("help") or "",
            required=bool(q.get("required")), id=base, help_id=f"{base}-help", partial=question_type.partial,
            is_group=question_type.is_group, group_class=question_type.group_class, options=options,
            separate_parts=any(spec.suffix for spec in inputs), data=question_type.view_data(q),
        )
        for spec in inputs:
            # One of several inputs has its own id; a question's only input is the question itself or, in a
            # choice group, its first option: that is where a link from the error summary lands.
            input_id = f"{base}-{spec.suffix}" if spec.suffix else options[0].id if options else base
            error_id = f"{base}-{spec.suffix}-error" if spec.suffix else f"{base}-error"
            view.parts.append(Part(spec.name, input_id, spec.label, (values.get(spec.name) or [""])[0],
                                   errors.get(spec.name), error_id))
        rule = q.get("show_if") or {}
        if "question" in rule and rule["question"] in by_key:
            target_number, target = by_key[rule["question"]]
            view.show_if_question = rule["question"]
            view.show_if_equals = str(rule["equals"])
            view.condition_note = (
                f"Answer only if you answered “{QUESTION_TYPES[target['type']].value_label(target, rule['equals'])}” "
                f"to question {target_number} (“{target['label']}”)."
            )
        by_key[key] = (number, q)
        views.append(view)
    return views


def error_links(views: Sequence[QuestionView], errors: Mapping[str, str]) -> list[ErrorLink]:
    """The error summary: each problem named with its question, linked to the field, in form order."""
    links: list[ErrorLink] = []
    seen: set[str] = set()
    for view in views:
        for part in view.parts:
            if part.error:
                label = f"{view.label} ({part.label.lower()})" if view.separate_parts else view.label
                joint = " " if label.endswith(("?", ".", ":")) else ": "
                links.append(ErrorLink(f"{label}{joint}{part.error}", f"#{part.id}"))
                seen.add(part.name)
    for name, message in errors.items():
        if name not in seen:  # a question this form does not show: still say so rather than swallow it
            links.append(ErrorLink(message, "#answers"))
    return links


def format_answer(question: Mapping[str, Any], value: Any) -> str:
    return QUESTION_TYPES[question["type"]].answer_text(question, value)


def answer_rows(questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any], org_type: str) -> list[tuple[str, str]]:
    """(question label, answer text) for every question the respondent was shown, in order."""
    rows = []
    for q in visible_questions(questions, answers, org_type):
        value = answers.get(q["key"])
        rows.append((q["label"], "Not answered" if value is None else format_answer(q, value)))
    return rows
