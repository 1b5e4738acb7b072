"""The designation rule: which navigator counterpart each region's local boards named, as pure functions.

No Flask, no database: the service (wfsurvey.services.designations) loads the answers and the
overrides, calls `decide_all`, and records a DesignationChanged for each result that changed.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from wfsurvey.domain.questions import QUESTION_TYPES
from wfsurvey.domain.text import plural

#: Only local workforce boards nominate; colleges and others may answer but never count.
NOMINATING_ORG_TYPE = "lwib"
#: The contact question a template asks for the counterpart, when it has several.
PREFERRED_CONTACT_KEY = "navigator"

DESIGNATED, CONFLICT, UNFILLED = "designated", "conflict", "unfilled"


class BoardAnswer(NamedTuple):
    """One submitted response, as the rule sees it (a tuple: a big round makes 100,000 of them)."""

    #: Identifies the board: a board counts once however many of its people answered.
    organization_id: int
    #: The board's name, listed in the nominations.
    organization: str
    org_type: str
    #: Region codes the response counts for (the invitation's regions when issued).
    regions: Sequence[str]
    #: Answers by question key; the contact answer is {"name", "email", "organization"}.
    answers: Mapping[str, Any]


@dataclass(frozen=True)
class Override:
    """An admin's designation of a region, which wins over the rule until a later override."""

    nominee: Mapping[str, str]
    reason: str


@dataclass(frozen=True)
class Result:
    """The designation of one region: what DesignationChanged carries and the designations table holds."""

    region: str
    status: str
    final: bool
    nominee: dict[str, str] | None
    nominations: list[dict[str, Any]] = field(default_factory=list)
    explanation: str = ""
    overridden: bool = False

    def comparable(self) -> tuple:
        """What must differ for a new DesignationChanged (the decision time does not count)."""
        return (self.status, self.final, self.nominee, self.nominations, self.explanation, self.overridden)


def contact_question_key(questions: Iterable[Mapping[str, Any]]) -> str | None:
    """The key of the question naming the counterpart: "navigator" if it is one whose type nominates a person
    (a contact question), else the first such question."""
    keys = []
    for q in questions:
        question_type = QUESTION_TYPES.get(q.get("type"))
        if question_type is not None and question_type.nominates_person:
            keys.append(q["key"])
    if not keys:
        return None
    return PREFERRED_CONTACT_KEY if PREFERRED_CONTACT_KEY in keys else keys[0]


def _nomination(contact: Any) -> tuple[str, str, str] | None:
    """(email, name, organization) of a contact answer, trimmed, the email lower-cased; None without an email."""
    # Answers come from JSON, so plain dict and str checks suffice (and are much faster than ABCs).
    if not isinstance(contact, dict):
        return None
    email, name, organization = contact.get("email"), contact.get("name"), contact.get("organization")
    if not isinstance(email, str) or not (email := email.strip().lower()):
        return None
    return (email, name.strip() if isinstance(name, str) else "",
            organization.strip() if isinstance(organization, str) else "")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass
class RegionTally:
    """The boards of one region that answered, and the one nomination each board counts for."""

    answered: set[int] = field(default_factory=set)
    #: Board id -> ((email, name, organization), board name); a later answer of the same board replaces it.
    nominated: dict[int, tuple[tuple[str, str, str], str]] = field(default_factory=dict)


def tally(regions: Iterable[str], answers: Iterable[BoardAnswer], key: str) -> dict[str, RegionTally]:
    """Group the local boards' answers by region in one pass (answers in submission order, oldest first)."""
    tallies = {code: RegionTally() for code in regions}
    for answer in answers:
        if answer.org_type != NOMINATING_ORG_TYPE:
            continue
        nominee = _nomination(answer.answers.get(key))
        for code in answer.regions:
            t = tallies.get(code)
            if t is None:
                continue
            t.answered.add(answer.organization_id)
            # If several people of one board answered, the latest nomination speaks for the board.
            if nominee is not None:
                t.nominated[answer.organization_id] = (nominee, answer.organization)
    return tallies


def nominations_of(t: RegionTally) -> list[dict[str, Any]]:
    """[{"email", "name", "organization", "count", "boards"}], most nominated first, then by email."""
    boards: dict[str, list[str]] = defaultdict(list)
    spellings: dict[str, Counter] = defaultdict(Counter)
    for (email, name, organization), board in t.nominated.values():
        boards[email].append(board)
        spellings[email][(name, organization)] += 1
    out = []
    for email, named_by in boards.items():
        # The spelling most boards used (the first seen among equals).
        (name, organization), _ = spellings[email].most_common(1)[0]
        out.append({"email": email, "name": name, "organization": organization,
                    "count": len(named_by), "boards": sorted(named_by)})
    out.sort(key=lambda n: (-n["count"], n["email"]))
    return out


def decide(region: str, t: RegionTally, *, final: bool) -> Result:
    """Apply the rule to one region's tally."""
    nominations = nominations_of(t)
    if not nominations:
        if not t.answered:
            why = "No local board of this region answered" if final else "No local board of this region has answered yet"
        else:
            why = f"{plural(len(t.answered), 'local board')} answered but none named a navigator counterpart"
        return Result(region, UNFILLED, final, None, [], why)
    total = sum(n["count"] for n in nominations)
    top = nominations[0]
    nominee = {"name": top["name"], "email": top["email"], "organization": top["organization"]}
    if len(nominations) == 1:
        boards = "The only nominating board" if total == 1 else f"All {total} nominating boards"
        return Result(region, DESIGNATED, final, nominee, nominations, f"{boards} named {top['email']} (sole nominee)")
    if top["count"] * 2 > total:
        return Result(region, DESIGNATED, final, nominee, nominations,
                      f"{top['count']} of {total} nominating boards named {top['email']} (strict majority)")
    counts = {n["count"] for n in nominations}
    if len(counts) == 1:
        why = f"{plural(top['count'], 'board')} each named {_join([n['email'] for n in nominations])}: no strict majority"
    else:
        listed = ", ".join(f"{n['email']} ({n['count']})" for n in nominations)
        why = f"No nominee has a strict majority of the {total} nominating boards: {listed}"
    return Result(region, CONFLICT, final, None, nominations, why)


def overridden(computed: Result, override: Override) -> Result:
    """The admin's choice replaces the rule's; the boards' nominations stay visible beside it."""
    nominee = {part: override.nominee.get(part, "") for part in ("name", "email", "organization")}
    why = f"An administrator designated {nominee['email']}: \u201c{override.reason}\u201d"
    return Result(computed.region, DESIGNATED, computed.final, nominee, computed.nominations, why, overridden=True)


def decide_all(
    regions: Iterable[str],
    answers: Iterable[BoardAnswer],
    key: str,
    *,
    final: bool,
    overrides: Mapping[str, Override] | None = None,
) -> dict[str, Result]:
    """The designation of every region (in the order given), overrides applied."""
    overrides = overrides or {}
    results = {}
    for region, t in tally(regions, answers, key).items():
        result = decide(region, t, final=final)
        if region in overrides:
            result = overridden(result, overrides[region])
        results[region] = result
    return results
