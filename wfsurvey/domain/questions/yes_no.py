"""Yes/no: two radios whose options are always yes and no."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wfsurvey.domain.questions.base import Choice
from wfsurvey.domain.questions.shared import PickOne

YES_NO = ({"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"})
_LABELS = {o["value"]: o["label"] for o in YES_NO}


class YesNo(PickOne):
    name = "yes_no"
    label = "Yes/no"

    def normalize(self, q: dict[str, Any]) -> dict[str, Any]:
        q["options"] = [dict(o) for o in YES_NO]
        return q

    def option_values(self, q: Mapping[str, Any]) -> list[str]:
        return [o["value"] for o in YES_NO]

    def choices(self, q: Mapping[str, Any]) -> list[Choice]:
        return [Choice(o["value"], o["label"]) for o in q.get("options") or YES_NO]

    def value_label(self, q: Mapping[str, Any], value: Any) -> str:
        return _LABELS.get(str(value), str(value))
