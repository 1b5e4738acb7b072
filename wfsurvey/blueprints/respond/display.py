"""What the respondent templates show: the form's pages (one at a time when the template has sections, or all at once),
questions with their values and errors, the error summary, and answers read back."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wfsurvey.domain import pages as layout
from wfsurvey.domain import skip_logic
from wfsurvey.domain.answers import visible_questions
from wfsurvey.domain.questions import QUESTION_TYPES
from wfsurvey.schemas.templates import quote


@dataclass
class Option:
    value: str
    label: str
    id: str
    checked: bool
    #: Picked alone or not at all ("None of these"): respond.js unticks the others, the server refuses both.
    exclusive: bool = False


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
    #: For skip logic in the browser: the question on the same page this one depends on, how its answer is compared
    #: (skip_logic.OPERATORS) and with what.
    show_if_question: str | None = None
    show_if_operator: str | None = None
    show_if_value: str | None = None
    #: Shown when JavaScript is off: which answer makes this question apply.
    condition_note: str | None = None
    #: The organization's answer to the previous period of a series, in words, with what it is ("Your answer for the
    #: quarter ending March 31, 2027: 12"); None when there is none.
    reference: str | None = None

    @property
    def error(self) -> str | None:
        return next((p.error for p in self.parts if p.error), None)

    @property
    def error_id(self) -> str:
        return self.parts[0].error_id

    @property
    def show_if_attribute(self) -> str:
        """The data attribute that carries the rule's value: data-show-if-equals, -not-equals or -includes."""
        return "data-show-if-" + (self.show_if_operator or "equals").replace("_", "-")

    def described_by(self, part: Part | None = None) -> str:
        ids = [self.help_id] if self.help else []
        if part is not None and part.error:
            ids.append(part.error_id)
        elif part is None and self.error and not self.separate_parts:  # separate inputs name their own errors
            ids.append(self.error_id)
        return " ".join(ids)


@dataclass
class PageView:
    """One page of the form: a section (or the questions before the first one, or a whole template without sections)."""

    #: The page's number in the template (what the form posts back and ?section= names).
    number: int
    #: Its place among the pages this respondent has (a page whose every question is hidden is skipped), and how many.
    position: int
    count: int
    title: str
    help: str
    questions: list[QuestionView]


@dataclass
class FormView:
    """What a form shows: every page at once (a template without sections, an edit after submitting, a preview) or one."""

    pages: list[PageView]
    #: Whether the template has sections (so each page has a heading).
    sectioned: bool
    #: Showing one page of several, with Back and Next.
    paged: bool
    #: The number the first question shown carries (respond.js numbers the visible questions from it).
    first_number: int = 1
    #: Numbers of the pages before and after the one shown, among this respondent's (None: none).
    previous_page: int | None = None
    next_page: int | None = None

    @property
    def page(self) -> PageView:
        return self.pages[0]

    @property
    def questions(self) -> list[QuestionView]:
        return [q for p in self.pages for q in p.questions]


@dataclass
class ErrorLink:
    """A line of the error summary: the question by its number and a short label, and what is wrong."""

    message: str
    #: The id of the input the link lands on.
    anchor: str
    #: The question's number (respond.js keeps it in step with the skip logic) and key, and its label cut short.
    number: int | None = None
    key: str = ""
    short_label: str = ""
    #: Which of a question's several inputs is at fault ("email address"), if it has several.
    part: str = ""
    #: The page the question is on when it is not the page shown (the link leads there).
    page: int | None = None

    @property
    def where(self) -> str:
        """The question as the summary names it: "Question 7, “Which credentials…”"."""
        if not self.short_label:
            return ""
        part = f" ({self.part})" if self.part else ""
        if self.number is None:
            return f"In section {self.page}, “{self.short_label}”{part}"
        return f"Question {self.number}, “{self.short_label}”{part}"

    @property
    def text(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message

    @property
    def href(self) -> str:
        return f"#{self.anchor}"


def _condition_note(rule: Mapping[str, Any], target: Mapping[str, Any], number: int) -> str:
    op = skip_logic.operator_of(rule)
    words = QUESTION_TYPES[target["type"]].value_label(target, skip_logic.value_of(rule))
    question = f"question {number} (“{target['label']}”)"
    if op == "not_equals":
        return f"Answer only if you answered {question} with something other than “{words}”."
    if op == "includes":
        return f"Answer only if you chose “{words}” in {question}."
    return f"Answer only if you answered “{words}” to {question}."


def _view(q: Mapping[str, Any], number: int, values: Mapping[str, Sequence[str]], errors: Mapping[str, str]) -> QuestionView:
    key, question_type = q["key"], QUESTION_TYPES[q["type"]]
    base = f"q-{key}"
    given = list(values.get(key) or [])
    options = [Option(c.value, c.label, f"{base}-{i}", c.value in given, c.exclusive)
               for i, c in enumerate(question_type.choices(q))]
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
    return view


def form_view(
    items: Sequence[Mapping[str, Any]],
    org_type: str,
    values: Mapping[str, Sequence[str]],
    errors: Mapping[str, str],
    *,
    page: int | None = None,
    saved: Mapping[str, Any] | None = None,
    reference: Mapping[str, Any] | None = None,
    reference_label: str = "",
) -> FormView:
    """The form of a template's question list for one organization type, showing `values` and `errors`.

    With `page` (a template with sections), only that page, its questions settled by the `saved` answers where they
    depend on an earlier page; a page with nothing left to show gives way to the next one that has something (or the
    last). Without, every page at once, the browser settling every rule. Numbers run on across pages.
    """
    pages_ = layout.pages(items)
    sectioned = layout.has_sections(items)
    paged = page is not None and sectioned
    states = layout.plan(pages_, saved or {}, org_type, page if paged else None)
    open_pages = layout.open_pages(pages_, states) or pages_[:1]
    if paged:
        shown = next((p for p in open_pages if p.number >= (page or 1)), open_pages[-1])
        at = open_pages.index(shown)
        before = [q for p in open_pages[:at] for q in p.questions if states[q["key"]] == layout.SHOWN]
        chosen, first_number = [shown], len(before) + 1
    else:
        chosen, first_number, at = open_pages, 1, 0
    numbered: dict[str, tuple[int, Mapping[str, Any]]] = {}
    number = first_number
    views = []
    for p in chosen:
        page_views = []
        for q in p.questions:
            if states[q["key"]] == layout.HIDDEN:
                continue
            view = _view(q, number, values, errors)
            if reference and reference.get(q["key"]) not in (None, "", []):
                view.reference = f"{reference_label}: {format_answer(q, reference[q['key']])}"
            rule = q.get("show_if") or {}
            if states[q["key"]] == layout.MAYBE and rule.get("question") in numbered:
                target_number, target = numbered[rule["question"]]
                view.show_if_question = rule["question"]
                view.show_if_operator = skip_logic.operator_of(rule)
                view.show_if_value = str(skip_logic.value_of(rule))
                view.condition_note = _condition_note(rule, target, target_number)
            numbered[q["key"]] = (number, q)
            number += 1
            page_views.append(view)
        position = at + 1 if paged else open_pages.index(p) + 1
        views.append(PageView(p.number, position, len(open_pages), p.title, p.help, page_views))
    return FormView(
        views, sectioned, paged, first_number,
        previous_page=open_pages[at - 1].number if paged and at > 0 else None,
        next_page=open_pages[at + 1].number if paged and at + 1 < len(open_pages) else None,
    )


def error_links(form: FormView, errors: Mapping[str, str], items: Sequence[Mapping[str, Any]] = ()) -> list[ErrorLink]:
    """The error summary: each problem named with its question's number and a short label, linked to the input, in form
    order; a problem on another page (`items` tells which) links to that page."""
    links: list[ErrorLink] = []
    seen: set[str] = set()
    for view in form.questions:
        for part in view.parts:
            if part.error:
                links.append(ErrorLink(part.error, part.id, view.number, view.key, quote(view.label),
                                       part.label.lower() if view.separate_parts else ""))
                seen.add(part.name)
    elsewhere = _fields_elsewhere(items, form)
    for name, message in errors.items():
        if name in seen:
            continue
        if name in elsewhere:
            page_number, view, part = elsewhere[name]
            links.append(ErrorLink(message, part.id, None, view.key, quote(view.label),
                                   part.label.lower() if view.separate_parts else "", page_number))
        else:  # a question this form does not show: still say so rather than swallow it
            links.append(ErrorLink(message, "answers"))
    return links


def _fields_elsewhere(items: Sequence[Mapping[str, Any]], form: FormView) -> dict[str, tuple[int, QuestionView, Part]]:
    """Field name -> (page number, question, input) for the questions of the pages not shown."""
    shown = {p.number for p in form.pages}
    out = {}
    for p in layout.pages(items):
        if p.number in shown:
            continue
        for q in p.questions:
            view = _view(q, 0, {}, {})
            for part in view.parts:
                out[part.name] = (p.number, view, part)
    return out


def format_answer(question: Mapping[str, Any], value: Any) -> str:
    return QUESTION_TYPES[question["type"]].answer_text(question, value)


def answer_rows(questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any], org_type: str) -> list[tuple[str, str]]:
    """(question label, answer text) for every question the respondent was shown, in order."""
    rows = []
    for q in visible_questions(questions, answers, org_type):
        value = answers.get(q["key"])
        rows.append((q["label"], "Not answered" if value is None else format_answer(q, value)))
    return rows
