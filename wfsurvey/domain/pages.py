"""The pages of a respondent form: a template's sections split its question list into pages shown one at a time,
and which questions of a page a respondent can be shown, given the answers saved on earlier pages.

A template without sections is one page. Questions before the first section make a page without a title.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wfsurvey.domain import skip_logic
from wfsurvey.domain.questions import QUESTION_TYPES

#: What the server knows of a question on a page: it is shown, hidden, or up to answers on the page itself.
SHOWN, HIDDEN, MAYBE = "shown", "hidden", "maybe"


@dataclass
class Page:
    #: 1, 2, ...: the page's place in the template, whoever answers.
    number: int
    #: The section entry that starts the page; None for the questions before the first section.
    section: Mapping[str, Any] | None
    questions: list[Mapping[str, Any]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.section["label"] if self.section else ""

    @property
    def help(self) -> str:
        return (self.section.get("help") or "") if self.section else ""

    @property
    def keys(self) -> set[str]:
        return {q["key"] for q in self.questions}


def pages(items: Sequence[Mapping[str, Any]]) -> list[Page]:
    """The pages of a template's question list, in order; never empty."""
    out: list[Page] = []
    for item in items:
        if QUESTION_TYPES[item["type"]].starts_page:
            out.append(Page(len(out) + 1, item))
        elif not QUESTION_TYPES[item["type"]].answerable:
            continue
        else:
            if not out:
                out.append(Page(1, None))
            out[-1].questions.append(item)
    # An empty leading page is never made; a section without questions only exists in a template not yet validated.
    return out or [Page(1, None)]


def has_sections(items: Sequence[Mapping[str, Any]]) -> bool:
    return any(QUESTION_TYPES[item["type"]].starts_page for item in items)


def page_of(pages_: Sequence[Page], key: str) -> Page | None:
    return next((p for p in pages_ if key in p.keys), None)


def plan(
    pages_: Sequence[Page], saved: Mapping[str, Any], org_type: str, current: int | None,
) -> dict[str, str]:
    """SHOWN, HIDDEN or MAYBE for every question, seen from page `current` (a page number; None: every page at once).

    A question on an earlier page than its rule's target is settled by the saved answers (the respondent cannot change
    them from here); one whose target is on the current page or later is MAYBE: the answer on the page decides, in the
    browser. A rule on organization types is settled at once. Targets come before their questions, so one pass does.
    """
    state: dict[str, str] = {}
    page_number = {q["key"]: p.number for p in pages_ for q in p.questions}
    for page in pages_:
        for q in page.questions:
            rule = q.get("show_if") or {}
            if not rule:
                state[q["key"]] = SHOWN
            elif "org_type" in rule:
                state[q["key"]] = SHOWN if org_type in rule["org_type"] else HIDDEN
            else:
                target = rule.get("question")
                target_state = state.get(target, HIDDEN)
                settled = current is not None and page_number.get(target, 0) < current
                if target_state == HIDDEN:
                    state[q["key"]] = HIDDEN
                elif target_state == SHOWN and settled:
                    state[q["key"]] = SHOWN if skip_logic.holds(rule, saved.get(target)) else HIDDEN
                else:
                    state[q["key"]] = MAYBE
    return state


def open_pages(pages_: Sequence[Page], states: Mapping[str, str]) -> list[Page]:
    """The pages with a question the respondent may be shown (a page whose every question is hidden is skipped)."""
    return [p for p in pages_ if any(states.get(q["key"]) != HIDDEN for q in p.questions)]


def resume_page(pages_: Sequence[Page], saved: Mapping[str, Any], org_type: str) -> int:
    """Where a saved draft is taken up again: the first page with a required question shown but not answered yet;
    with none, the last page holding a saved answer (the respondent had got that far); else the first page."""
    last_answered = pages_[0].number
    states = plan(pages_, saved, org_type, pages_[-1].number + 1)  # every rule settled by the saved answers
    for page in pages_:
        if any(states[q["key"]] == SHOWN and q.get("required") and saved.get(q["key"]) is None for q in page.questions):
            return page.number
        if any(states[q["key"]] != HIDDEN and saved.get(q["key"]) is not None for q in page.questions):
            last_answered = page.number
    return last_answered
