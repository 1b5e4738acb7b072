"""Contact: a person's name, email address and organization in three inputs; the answer nominates a person
(the designation of a navigator counterpart reads it)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wfsurvey.domain.questions.base import Form, InputPart, Parsed, QuestionType, RawColumn, first_value
from wfsurvey.domain.stakeholders import EmailNotValidError, normalize_email

#: The parts of an answer, each a form field named <key>.<part>.
CONTACT_PARTS = ("name", "email", "organization")
CONTACT_LABELS = {"name": "Name", "email": "Email address", "organization": "Organization"}


class Contact(QuestionType):
    name = "contact"
    label = "Contact person"
    partial = "contact"
    is_group = True
    nominates_person = True

    def input_parts(self, q: Mapping[str, Any]) -> list[InputPart]:
        return [InputPart(f"{q['key']}.{part}", CONTACT_LABELS[part], part) for part in CONTACT_PARTS]

    def field_names(self, q: Mapping[str, Any]) -> list[str]:
        return [f"{q['key']}.{part}" for part in CONTACT_PARTS]

    def parse(self, q: Mapping[str, Any], form: Form) -> Parsed:
        key = q["key"]
        parts = {part: first_value(form, f"{key}.{part}") for part in CONTACT_PARTS}
        if not any(parts.values()):
            return None, {}
        errors = {}
        if not parts["name"]:
            errors[f"{key}.name"] = "Enter the person's name."
        if not parts["email"]:
            errors[f"{key}.email"] = "Enter the person's email address."
        else:
            try:
                parts["email"] = normalize_email(parts["email"])
            except EmailNotValidError as exc:
                errors[f"{key}.email"] = f"Enter a valid email address ({exc})."
        for part in CONTACT_PARTS:
            if len(parts[part]) > 300:
                errors[f"{key}.{part}"] = "Keep this under 300 characters."
        return (None if errors else parts), errors

    def required_error(self, q: Mapping[str, Any]) -> tuple[str, str]:
        return f"{q['key']}.name", "Enter the person's name and email address."

    def to_form(self, q: Mapping[str, Any], value: Any) -> dict[str, list[str]]:
        if isinstance(value, Mapping):
            return {f"{q['key']}.{part}": [str(value.get(part, ""))] for part in CONTACT_PARTS}
        return super().to_form(q, value)

    def answer_text(self, q: Mapping[str, Any], value: Any) -> str:
        if isinstance(value, Mapping):
            return "\n".join(str(value.get(part) or "") for part in CONTACT_PARTS if value.get(part))
        return str(value)

    def answer_words(self, q: Mapping[str, Any], value: Any) -> str:
        """"Nina North <nina@riverside.example>, Riverside Board"."""
        if not isinstance(value, Mapping):
            return str(value)
        person = " ".join(p for p in (value.get("name") or "", f"<{value['email']}>" if value.get("email") else "") if p)
        return ", ".join(p for p in (person, value.get("organization") or "") if p)

    def raw_columns(self, q: Mapping[str, Any]) -> list[RawColumn]:
        return [RawColumn(f"{q['key']}.{part}", f"{q['label']}: {CONTACT_LABELS[part]}") for part in CONTACT_PARTS]

    def raw_cells(self, q: Mapping[str, Any], value: Any, *, codes: bool = False) -> list[Any]:
        if not isinstance(value, Mapping):
            return [None] * len(CONTACT_PARTS)
        return [value.get(part) or None for part in CONTACT_PARTS]
