"""What the respondent templates show: questions with their values and errors, and answers read back."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wfsurvey.domain.answers import CONTACT_PARTS, visible_questions

CONTACT_LABELS = {"name": "Name", "email": "Email address", "organization": "Organisation"}


@dataclass
class Option:
    value: str
    label: str
    id: str
    checked: bool


@dataclass
class Part:
    """One input of a question: the only one for most types, one of three for a contact question."""

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
    options: list[Option] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    #: For skip logic in the browser: the question this one depends on and the value that shows it.
    show_if_question: str | None = None
    show_if_equals: str | None = None
    #: Shown when JavaScript is off: which answer makes this question apply.
    condition_note: str | None = None
    min: Any = None
    max: Any = None
    min_label: str = ""
    max_label: str = ""

    @property
    def is_group(self) -> bool:
        """Radios and checkboxes sit in a fieldset whose legend is the question."""
        return self.type in ("single_choice", "multi_choice", "scale", "yes_no", "contact")

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
        elif part is None and self.error and self.type != "contact":  # a contact's inputs name their own errors
            ids.append(self.error_id)
        return " ".join(ids)


@dataclass
class ErrorLink:
    text: str
    href: str


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _option_label(question: Mapping[str, Any], value: Any) -> str:
    if question["type"] == "yes_no":
        return {"yes": "Yes", "no": "No"}.get(str(value), str(value))
    for option in question.get("options") or []:
        if option["value"] == str(value):
            return option["label"]
    return _num(value)


def rendered_questions(questions: Sequence[Mapping[str, Any]], org_type: str) -> list[Mapping[str, Any]]:
    """Questions the form shows this organisation: those for other organisation types are left out,
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
        key, kind = q["key"], q["type"]
        base = f"q-{key}"
        view = QuestionView(
            number=number, key=key, type=kind, label=q["label"], help=q.get("help") or "",
            required=bool(q.get("required")), id=base, help_id=f"{base}-help",
        )
        given = list(values.get(key) or [])
        if kind in ("single_choice", "multi_choice", "yes_no"):
            options = q.get("options") or [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}]
            view.options = [Option(o["value"], o["label"], f"{base}-{i}", o["value"] in given) for i, o in enumerate(options)]
        elif kind == "scale":
            lo, hi = int(q.get("min", 1)), int(q.get("max", 5))
            view.min, view.max = lo, hi
            view.min_label, view.max_label = q.get("min_label") or "", q.get("max_label") or ""
            view.options = []
            for i, point in enumerate(range(lo, hi + 1)):
                label = str(point)
                if point == lo and view.min_label:
                    label += f" – {view.min_label}"
                elif point == hi and view.max_label:
                    label += f" – {view.max_label}"
                view.options.append(Option(str(point), label, f"{base}-{i}", str(point) in given))
        elif kind == "number":
            view.min, view.max = (_num(q["min"]) if "min" in q else None), (_num(q["max"]) if "max" in q else None)
        if kind == "contact":
            for part in CONTACT_PARTS:
                name = f"{key}.{part}"
                view.parts.append(Part(name, f"{base}-{part}", CONTACT_LABELS[part], (values.get(name) or [""])[0],
                                       errors.get(name), f"{base}-{part}-error"))
        else:
            # Choice groups point at their first option: that is where a link from the error summary lands.
            target = view.options[0].id if view.options else base
            view.parts.append(Part(key, target, q["label"], given[0] if given else "", errors.get(key), f"{base}-error"))
        rule = q.get("show_if") or {}
        if "question" in rule and rule["question"] in by_key:
            target_number, target = by_key[rule["question"]]
            view.show_if_question = rule["question"]
            view.show_if_equals = str(rule["equals"])
            view.condition_note = (
                f"Answer only if you answered “{_option_label(target, rule['equals'])}” "
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
                label = view.label if view.type != "contact" else f"{view.label} ({part.label.lower()})"
                joint = " " if label.endswith(("?", ".", ":")) else ": "
                links.append(ErrorLink(f"{label}{joint}{part.error}", f"#{part.id}"))
                seen.add(part.name)
    for name, message in errors.items():
        if name not in seen:  # a question this form does not show: still say so rather than swallow it
            links.append(ErrorLink(message, "#answers"))
    return links


def format_answer(question: Mapping[str, Any], value: Any) -> str:
    kind = question["type"]
    if kind in ("single_choice", "yes_no"):
        return _option_label(question, value)
    if kind == "multi_choice":
        return "; ".join(_option_label(question, v) for v in value)
    if kind == "scale":
        lo, hi = int(question.get("min", 1)), int(question.get("max", 5))
        text = f"{value} on a scale of {lo} to {hi}"
        ends = [f"{lo} = {question['min_label']}" if question.get("min_label") else "",
                f"{hi} = {question['max_label']}" if question.get("max_label") else ""]
        ends = [e for e in ends if e]
        return text + (f" ({', '.join(ends)})" if ends else "")
    if kind == "contact" and isinstance(value, Mapping):
        return "\n".join(str(value.get(part) or "") for part in CONTACT_PARTS if value.get(part))
    if kind == "number":
        return _num(value)
    return str(value)


def answer_rows(questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any], org_type: str) -> list[tuple[str, str]]:
    """(question label, answer text) for every question the respondent was shown, in order."""
    rows = []
    for q in visible_questions(questions, answers, org_type):
        value = answers.get(q["key"])
        rows.append((q["label"], "Not answered" if value is None else format_answer(q, value)))
    return rows
