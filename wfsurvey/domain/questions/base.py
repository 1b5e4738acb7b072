"""What a question type says about its questions: the definition it takes, the form it needs, its answer in words
and its baseline figures, with the defaults most types share (one text input, not counted in the baseline)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, NamedTuple

from wfsurvey.domain.text import without_controls

#: A form as the browser sent it: every value of each field name.
Form = Mapping[str, Sequence[str]]
#: An answer read from a form: the typed value (None when unanswered) and errors by field name.
Parsed = tuple[Any, dict[str, str]]
#: One cell an answer counts in, in the baseline projection: (question key, answer value, amount added to its total).
Cell = tuple[str, str, float]
#: One question's cells in one region, by answer value: (count, total).
Found = Mapping[str, tuple[int, float]]
#: One row of the long-form export of a summary: (value, count, share, mean).
AnswerRow = tuple[Any, Any, Any, Any]


class RawColumn(NamedTuple):
    """One column of the raw responses export, headed by a key ("occupations.cnc") or in words ("Occupations: CNC")."""

    key: str
    label: str
    #: How a spreadsheet should hold its cells: "text", "number" or "flag" (1 or empty).
    kind: str = "text"


#: The definition keys every question takes, whatever its type (the template schema checks them).
COMMON_FIELDS = ("key", "type", "label", "help", "required", "show_if", "baseline")


#: Definition keys only the types that declare them take (others refuse them, unlike the end labels every type accepts).
OWN_FIELDS = ("top", "indicator")


class DefinitionError(ValueError):
    """A question definition its type refuses; `field` names the key at fault, where the schema reports it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Choice(NamedTuple):
    """An answer the form offers: the value sent and the words shown."""

    value: str
    label: str
    #: Cannot be picked with any other (a multiple choice's "None of these").
    exclusive: bool = False


class InputPart(NamedTuple):
    """One input of a question's form: most types have one, named by the question key."""

    name: str
    label: str
    #: Ends the input's id (q-<key>-<suffix>) when a question has several inputs, each with its own label
    #: and error (a contact's three); "" for the only input of a question.
    suffix: str = ""


def plain_number(value: Any) -> str:
    """A number as people write it: 12 rather than 12.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def ratio(part: float, whole: float) -> float | None:
    """part / whole rounded to 4 places, or None when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None


def difference(now: float | None, then: float | None) -> float | None:
    """now − then rounded to 4 places, or None when either is missing."""
    return round(now - then, 4) if now is not None and then is not None else None


def first_value(form: Form, name: str, *, multiline: bool = False) -> str:
    """The field's first value, trimmed, without control characters (wfsurvey.domain.text): respondents cannot see
    them, so they are dropped rather than refused; a long text keeps its tabs and line breaks."""
    values = form.get(name) or []
    return without_controls(values[0], multiline=multiline).strip() if values else ""


class QuestionType:
    """A kind of question. One instance per type, listed in QUESTION_TYPES; methods take the question's definition.

    A subclass names itself and its partial, declares the definition fields it takes, and overrides what
    differs from these defaults; wfsurvey.domain.questions.shared holds what several types share.
    """

    #: The `type` of a question definition.
    name: ClassVar[str]
    #: What people call it, e.g. "Single choice" (a survey builder lists types by it).
    label: ClassVar[str]
    #: Definition keys this type takes beyond COMMON_FIELDS, each also a field of the template schema.
    definition_fields: ClassVar[tuple[str, ...]] = ()
    #: templates/respond/questions/<partial>.html renders the inputs of the respondent form.
    partial: ClassVar[str]
    #: Several inputs in a fieldset whose legend is the question (radios, checkboxes, a contact's
    #: three inputs), rather than one input with its label.
    is_group: ClassVar[bool] = False
    #: The class of that fieldset, for styling.
    group_class: ClassVar[str] = ""
    #: Whether the respondent answers it; False for a layout entry in the question list (a section).
    answerable: ClassVar[bool] = True
    #: Whether the entry starts a page of the respondent form (a section): see wfsurvey.domain.pages.
    starts_page: ClassVar[bool] = False
    #: Whether another question's show_if may depend on this one's answer.
    show_if_target: ClassVar[bool] = False
    #: The operators such a show_if may use (wfsurvey.domain.skip_logic.OPERATORS): "is" and "is not" for one
    #: value, "includes" for several.
    show_if_operators: ClassVar[tuple[str, ...]] = ("equals", "not_equals")
    #: Whether answers feed the baseline table.
    counted: ClassVar[bool] = False
    #: templates/staff/baseline/<summary_partial>.html shows a counted type's figures on the staff baseline page.
    summary_partial: ClassVar[str] = ""
    #: Whether an answer names a person (a nominee in a designation).
    nominates_person: ClassVar[bool] = False
    #: Whether an answer keeps tabs and line breaks (a long text); elsewhere they become spaces.
    multiline: ClassVar[bool] = False
    #: Whether answers are free text that staff read one by one and search in (text, long text).
    free_text: ClassVar[bool] = False
    #: Whether answers order the options (a ranking): its summary holds a consensus order and agreement per region.
    orders_options: ClassVar[bool] = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    # --- the definition ------------------------------------------------------------------------

    def check_definition(self, q: Mapping[str, Any]) -> None:
        """Raise DefinitionError for what this type refuses; the shape common to every question is checked already.

        Options, min and max are refused where the type does not take them. Scale end labels have always
        been accepted, and ignored, on every type: stored templates carry them, so they stay accepted.
        """
        if "options" not in self.definition_fields and q.get("options"):
            raise DefinitionError(f"A {self.label.lower()} question has no options; remove them.", "options")
        for name in OWN_FIELDS:
            if name not in self.definition_fields and q.get(name) is not None:
                raise DefinitionError(f"A {self.label.lower()} question has no “{name}”; remove it.", name)
        if "min" not in self.definition_fields and ("min" in q or "max" in q):
            raise DefinitionError(f"A {self.label.lower()} question has no smallest or largest value; remove min and max.",
                                  "min" if "min" in q else "max")

    def normalize(self, q: dict[str, Any]) -> dict[str, Any]:
        """Fill in what renderers need, so that stored questions are complete and uniform (`q` is a copy to change)."""
        return q

    # --- skip logic ----------------------------------------------------------------------------

    def show_if_values(self, q: Mapping[str, Any]) -> list[str] | None:
        """The values a show_if on this question may name, or None when any value may be named."""
        return None

    def show_if_value(self, q: Mapping[str, Any], value: Any) -> Any:
        """The value a show_if on this question names, as stored (a scale's point as a number, a choice's value as
        text); ValueError, in words for staff, when it is not an answer this question can have."""
        values = self.show_if_values(q)
        if values is not None and str(value) not in values:
            words = [f"“{self.value_label(q, v)}”" for v in values]
            choices = ", ".join(words[:-1]) + f" or {words[-1]}" if len(words) > 1 else "".join(words)
            raise ValueError(f"“{value}” is not one of its answers: choose {choices}.")
        return str(value)

    # --- the respondent form -------------------------------------------------------------------

    def input_parts(self, q: Mapping[str, Any]) -> list[InputPart]:
        return [InputPart(q["key"], q["label"])]

    def field_names(self, q: Mapping[str, Any]) -> list[str]:
        """The form field names the question uses."""
        return [q["key"]]

    def choices(self, q: Mapping[str, Any]) -> list[Choice]:
        """The answers the form offers to pick from (radios or checkboxes), in order."""
        return []

    def view_data(self, q: Mapping[str, Any]) -> dict[str, Any]:
        """What the partial needs beyond the question's label, help, parts and choices (limits, end labels)."""
        return {}

    def parse(self, q: Mapping[str, Any], form: Form) -> Parsed:
        raw = first_value(form, q["key"], multiline=self.multiline)
        if raw == "":
            return None, {}
        return self.parse_text(q, raw)

    def parse_text(self, q: Mapping[str, Any], raw: str) -> Parsed:
        """The answer typed in the question's only input, stripped and not empty."""
        raise NotImplementedError

    def required_error(self, q: Mapping[str, Any]) -> tuple[str, str]:
        """(field name, message) when a required question is left unanswered at submit."""
        return self.field_names(q)[0], "This question needs an answer."

    def to_form(self, q: Mapping[str, Any], value: Any) -> dict[str, list[str]]:
        """The form values that show a stored answer again."""
        if isinstance(value, list):
            return {q["key"]: [str(v) for v in value]}
        return {q["key"]: [str(value)]}

    # --- the answer in words -------------------------------------------------------------------

    def value_label(self, q: Mapping[str, Any], value: Any) -> str:
        """The words for one value of this question, e.g. in "Answer only if you answered “Yes” ..."."""
        return plain_number(value)

    def answer_text(self, q: Mapping[str, Any], value: Any) -> str:
        """A stored answer read back to the respondent."""
        return str(value)

    def answer_words(self, q: Mapping[str, Any], value: Any) -> str:
        """A stored answer as staff read it on a response's page; the respondent's wording unless a type says it shorter."""
        return self.answer_text(q, value)

    # --- the raw responses export -------------------------------------------------------------

    def raw_columns(self, q: Mapping[str, Any]) -> list[RawColumn]:
        """The question's columns in the raw export: one, headed by its key and its label, for most types."""
        return [RawColumn(q["key"], q["label"])]

    def raw_cells(self, q: Mapping[str, Any], value: Any, *, codes: bool = False) -> list[Any]:
        """One cell per raw column: the answer in words, or as stored with `codes` (None when unanswered or not asked).

        Numbers stay numbers, so that a spreadsheet can add them up.
        """
        if value is None:
            return [None]
        if codes or isinstance(value, (int, float)):
            return [value]
        return [self.answer_text(q, value)]

    # --- the baseline table (counted types only) -----------------------------------------------

    def baseline_cells(self, key: str, value: Any) -> list[Cell]:
        """The cells an answer (neither None nor empty) counts in."""
        raise NotImplementedError(f"{self.name} answers are not counted")

    def question_cells(self, q: Mapping[str, Any], value: Any) -> list[Cell]:
        """The cells an answer counts in, for a type that needs its question to say (a ranking's unranked options);
        most types need only the key."""
        return self.baseline_cells(q["key"], value)

    def summarize(self, q: Mapping[str, Any], found: Found, responses: int) -> dict[str, Any]:
        """A region's figures for the question, from its cells and the number of responses."""
        raise NotImplementedError(f"{self.name} answers are not counted")

    def change(self, now: Mapping[str, Any], then: Mapping[str, Any]) -> dict[str, Any]:
        """A summary minus the baseline round's summary of the same region."""
        raise NotImplementedError(f"{self.name} answers are not counted")

    def readiness(self, q: Mapping[str, Any], summary: Mapping[str, Any]) -> float | None:
        """The figure (0–1) this question adds to a region's readiness for the pilot, or None."""
        return None

    def readiness_basis(self, q: Mapping[str, Any], summary: Mapping[str, Any]) -> str:
        """What the readiness figure was made from, in words ("mean 3.50 on 1 to 5")."""
        return ""

    def export_columns(self, key: str, shape: Mapping[str, Any]) -> list[str]:
        """Column names in the baseline export; `shape` is the whole round's summary, which lists every value."""
        raise NotImplementedError(f"{self.name} answers are not counted")

    def export_cells(self, summary: Mapping[str, Any], shape: Mapping[str, Any]) -> list[Any]:
        raise NotImplementedError(f"{self.name} answers are not counted")

    def change_columns(self, key: str, shape: Mapping[str, Any]) -> list[str]:
        raise NotImplementedError(f"{self.name} answers are not counted")

    def change_cells(self, change: Mapping[str, Any], shape: Mapping[str, Any]) -> list[Any]:
        raise NotImplementedError(f"{self.name} answers are not counted")

    def answer_rows(self, summary: Mapping[str, Any]) -> list[AnswerRow]:
        """The summary in long form, one row per answer value."""
        raise NotImplementedError(f"{self.name} answers are not counted")
