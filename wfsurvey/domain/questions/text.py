"""Text and long text: free text in one line (up to 1,000 characters) or a box (up to 10,000); not tabulated."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wfsurvey.domain.questions.base import Parsed, QuestionType


class Text(QuestionType):
    name = "text"
    label = "Short text"
    partial = "text"
    free_text = True
    #: The most characters an answer may have.
    max_length = 1000

    def view_data(self, q: Mapping[str, Any]) -> dict[str, Any]:
        return {"max_length": self.max_length}

    def parse_text(self, q: Mapping[str, Any], raw: str) -> Parsed:
        if len(raw) > self.max_length:
            return None, {q["key"]: f"Keep this under {self.max_length} characters."}
        return raw, {}


class LongText(Text):
    name = "long_text"
    label = "Long text"
    partial = "long_text"
    max_length = 10000
    multiline = True
