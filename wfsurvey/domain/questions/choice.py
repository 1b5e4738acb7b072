"""Single choice: one option of those the definition lists, as radios."""
from __future__ import annotations

from wfsurvey.domain.questions.shared import Options, PickOne


class SingleChoice(Options, PickOne):
    name = "single_choice"
    label = "Single choice"
