"""Issue 14, item 8: option values (and the skip rules that name them) are stored without surrounding whitespace, so
that every option can be chosen: the form sends a choice's value trimmed."""
from __future__ import annotations

import datetime as dt

import pytest

from wfsurvey.domain import commands as cmd
from wfsurvey.domain.answers import clean_answers
from wfsurvey.domain.errors import DomainError
from wfsurvey.services import handle

pytestmark = pytest.mark.hostile

NOW = dt.datetime(2026, 10, 6, 17, 0, tzinfo=dt.timezone.utc)


def definition(**over):
    return {
        "slug": "spaced", "title": "Spaced options",
        "questions": [
            {"key": "role", "type": "single_choice", "label": "Your role", "required": True,
             "options": [{"value": " director ", "label": " Director\u00a0"}, {"value": "\u00a0staff", "label": "Staff"}]},
            {"key": "sectors", "type": "multi_choice", "label": "Sectors",
             "options": [{"value": "am ", "label": "Advanced manufacturing"}, {"value": " health", "label": "Health"}]},
            {"key": "why", "type": "text", "label": "Why?", "show_if": {"question": "role", "equals": " director"}},
        ],
        **over,
    }


def test_option_values_are_trimmed_when_saved_and_can_then_be_chosen(app):
    template = handle(cmd.CreateTemplate(definition()), actor="test", now=NOW)
    role, sectors, why = template.questions
    assert [o["value"] for o in role["options"]] == ["director", "staff"]
    assert role["options"][0]["label"] == "Director"
    assert [o["value"] for o in sectors["options"]] == ["am", "health"]
    assert why["show_if"] == {"question": "role", "equals": "director"}
    # The form as a browser sends it (the respondent form trims single values; checkboxes send the value as is).
    answers, errors = clean_answers(template.questions, {"role": ["director"], "sectors": ["am", "health"],
                                                         "why": ["We lead it."]}, "lwib", complete=True)
    assert errors == {}
    assert answers == {"role": "director", "sectors": ["am", "health"], "why": "We lead it."}


def test_values_that_only_differ_by_spaces_are_duplicates(app):
    spaced = definition()
    spaced["questions"][0]["options"] = [{"value": "yes", "label": "Yes"}, {"value": " yes", "label": "Also yes"}]
    with pytest.raises(DomainError, match="Two options have the value “yes”"):
        handle(cmd.CreateTemplate(spaced), actor="test", now=NOW)
    blank = definition()
    blank["questions"][0]["options"][1]["value"] = "   "
    with pytest.raises(DomainError, match="value"):
        handle(cmd.CreateTemplate(blank), actor="test", now=NOW)
