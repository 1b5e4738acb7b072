"""Yes/no: two radios whose options are always yes and no."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wfsurvey.domain.questions.base import Choice, DefinitionError
from wfsurvey.domain.questions.shared import PickOne

YES_NO = ({"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"})
_LABELS = {o["value"]: o["label"] for o in YES_NO}


class YesNo(PickOne):
    name = "yes_no"
    label = "Yes/no"

    def check_definition(self, q: Mapping[str, Any]) -> None:
        # A stored yes/no question carries its normalized options (the API returns them): taken back as they are.
        if q.get("options") and [dict(o) for o in q["options"]] != [dict(o) for o in YES_NO]:
            raise DefinitionError("A yes/no question's answers are always Yes and No: remove its options.", "options")
        super().check_definition({k: v for k, v in q.items() if k != "options"})

    def normalize(self, q: dict[str, Any]) -> dict[str, Any]:
        q["options"] = [dict(o) for o in YES_NO]
        return q

    def option_values(self, q: Mapping[str, Any]) -> list[str]:
        return [o["value"] for o in YES_NO]

    def choices(self, q: Mapping[str, Any]) -> list[Choice]:
        return [Choice(o["value"], o["label"]) for o in q.get("options") or YES_NO]

    def value_label(self, q: Mapping[str, Any], value: Any) -> str:
        return _LABELS.get(str(value), str(value))
