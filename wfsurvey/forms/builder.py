"""The survey builder's form: a template being built, as the page posts it whole on every button (so that it works
without JavaScript and nothing half-built is ever stored), the moves its buttons make, and the definition it stands
for, which the same checks as the API judge (wfsurvey.services.templates.check_definition).

Every entry of the question list and every option carries a short random id (`uid`) of its own, in hidden fields:
fields are named by it, so that moving an entry moves its fields, and a skip rule names its question by it, so that
renaming a key or a value breaks no rule. Keys, values and the short name follow their label while nobody edits them.
"""
from __future__ import annotations

import json
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from marshmallow import ValidationError

from wfsurvey.domain import skip_logic
from wfsurvey.domain.questions import QUESTION_TYPES
from wfsurvey.domain.stakeholders import ORG_TYPES
from wfsurvey.domain.text import text_problem, without_controls
from wfsurvey.schemas.templates import TEMPLATE_FIELDS, Names, Problem, QuestionSchema, cross_check, normalise_question

#: What the builder edits itself; anything else a stored question holds is kept as it was (`extra`).
EDITED = ("key", "type", "label", "help", "required", "options", "min", "max", "min_label", "max_label", "top",
          "indicator", "show_if", "baseline")
#: A number's indicator fields as the page names them (i<uid>-indicator_<name>).
INDICATOR_FIELDS = ("code", "unit", "direction", "aggregate", "target")
#: How a question is shown: always, after an answer to an earlier question, or to some organization types.
RULES = ("always", "answer", "org")
#: Words left out of a key made from a label ("How many apprentices do you place?" -> "many_apprentices_place").
STOP_WORDS = frozenset("a an and are as at be by can do does for from how in is it of on or the their there this to "
                       "was we were what when which who why will with you your".split())
_UID = re.compile(r"^[a-z0-9]{1,16}$")


def new_uid() -> str:
    return secrets.token_hex(4)


def _words(text: str) -> list[str]:
    # An apostrophe joins ("partner's" -> "partners"); accents are dropped.
    ascii_text = unicodedata.normalize("NFKD", re.sub(r"['’]", "", text)).encode("ascii", "ignore").decode("ascii")
    return re.findall(r"[a-z0-9]+", ascii_text.lower())


def make_key(label: str, taken: Iterable[str], *, stop_words: bool = True, default: str = "question") -> str:
    """A key from a label: its first few words in lower case joined by _, at most 40 characters, starting with a
    letter (else after `default`'s first letter and _: q_2026_plans), and unlike those `taken` (a number added:
    training_slots_2). static/builder.js makes the same as people type."""
    words = [w for w in _words(label) if not (stop_words and w in STOP_WORDS)] or _words(label)
    key = ""
    for word in words[:5]:
        if len(key) + len(word) + 1 > 40:
            break
        key = f"{key}_{word}" if key else word
    key = key[:40] or default
    if not key[0].isalpha():
        key = f"{default[0]}_{key}"[:40]
    return _unique(key, set(taken), "_")


def make_slug(title: str, taken: Iterable[str]) -> str:
    """A template's short name from its title: lower-case words joined by hyphens, at most 60 characters."""
    slug = ""
    for word in [w for w in _words(title) if w not in STOP_WORDS] or _words(title):
        if len(slug) + len(word) + 1 > 60:
            break
        slug = f"{slug}-{word}" if slug else word
    return _unique(slug or "survey", set(taken), "-")


def _unique(name: str, taken: set[str], joint: str) -> str:
    if name not in taken:
        return name
    n = 2
    while f"{name}{joint}{n}" in taken:
        n += 1
    return f"{name}{joint}{n}"


@dataclass
class DraftOption:
    uid: str
    label: str = ""
    value: str = ""
    #: The value as last made from the label: while the value is still that, it follows the label.
    value_auto: str = ""
    #: Picked alone ("None of these").
    exclusive: bool = False
    #: The value as the page last showed it: a rule naming that value follows when it changes.
    value_was: str = ""


@dataclass
class DraftItem:
    """An entry of the question list being built: a question, or a section."""

    uid: str
    type: str
    label: str = ""
    key: str = ""
    #: The key as last made from the label (see DraftOption.value_auto).
    key_auto: str = ""
    help: str = ""
    required: bool = False
    options: list[DraftOption] = field(default_factory=list)
    min: str = ""
    max: str = ""
    min_label: str = ""
    max_label: str = ""
    #: A ranking's top N, as typed ("" for every option).
    top: str = ""
    #: A number tracked as an outcome indicator, and its fields as typed.
    indicator: bool = False
    indicator_code: str = ""
    indicator_unit: str = ""
    indicator_direction: str = "up"
    indicator_aggregate: str = "sum"
    indicator_target: str = ""
    #: One of RULES; with "answer", the entry (by uid) it depends on, the operator and the value.
    rule: str = "always"
    rule_question: str = ""
    rule_operator: str = ""
    rule_value: str = ""
    rule_org_types: list[str] = field(default_factory=list)
    #: "auto" (counted in the baseline table, for types that are) or "none".
    baseline: str = "auto"
    #: What a stored question holds that the builder does not edit, kept as it was.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> Any:
        return QUESTION_TYPES.get(self.type)

    @property
    def is_section(self) -> bool:
        return self.kind is not None and self.kind.starts_page

    def takes(self, name: str) -> bool:
        """Whether this entry's type takes a definition field (options, min, ...)."""
        return self.kind is not None and name in self.kind.definition_fields


@dataclass
class Draft:
    title: str = ""
    slug: str = ""
    #: The short name as last made from the title (see DraftOption.value_auto); "" once it is typed or given.
    slug_auto: str = ""
    description: str = ""
    items: list[DraftItem] = field(default_factory=list)
    #: The organization type the preview shows the form for.
    preview_org_type: str = "lwib"
    #: The template version the draft started from ("Edit as a new version"), if any.
    from_slug: str = ""
    from_version: int = 0

    def index(self, uid: str) -> int:
        return next((n for n, i in enumerate(self.items) if i.uid == uid), -1)

    # --- numbers and names, as the page and the messages show them --------------------------

    def numbers(self) -> dict[str, int]:
        """Each entry's number: questions and sections are counted apart ("Question 4", "Section 2")."""
        counts = {True: 0, False: 0}
        out = {}
        for item in self.items:
            counts[item.is_section] += 1
            out[item.uid] = counts[item.is_section]
        return out

    # --- filling in what follows a label ------------------------------------------------------

    def fill_in(self, taken_slugs: Iterable[str] = ()) -> None:
        """Make the keys, option values and short name that are still generated (or empty) from their labels."""
        if self.title.strip() and (not self.slug or self.slug == self.slug_auto):
            # A new template's short name is one no template has (a new version keeps its own).
            self.slug = self.slug_auto = make_slug(self.title, set(taken_slugs) - {self.from_slug})
        keys = [i.key for i in self.items if i.key and i.key != i.key_auto]
        renamed: dict[tuple[str, str], str] = {}
        for item in self.items:
            if item.label.strip() and (not item.key or item.key == item.key_auto):
                item.key = item.key_auto = make_key(item.label, keys)
            keys.append(item.key)
            values = [o.value for o in item.options if o.value and o.value != o.value_auto]
            for option in item.options:
                if option.label.strip() and (not option.value or option.value == option.value_auto):
                    option.value = option.value_auto = make_key(option.label, values, stop_words=False, default="option")
                values.append(option.value)
                if option.value_was and option.value_was != option.value:
                    renamed[(item.uid, option.value_was)] = option.value
                option.value_was = option.value
        for item in self.items:
            if item.rule == "answer" and (item.rule_question, item.rule_value) in renamed:
                item.rule_value = renamed[(item.rule_question, item.rule_value)]

    # --- what the buttons do --------------------------------------------------------------

    def apply(self, action: str, new_type: str = "") -> str | None:
        """Make the move a button names, and return the id of the field to put the focus on after it.

        The buttons: add (a question of `new_type`), add_section; up:<uid>, down:<uid>, duplicate:<uid>, delete:<uid>,
        refresh:<uid> (show the choices that fit a changed type or rule); add_option:<uid>, option_up:<uid>:<option>,
        option_down:<uid>:<option>, option_delete:<uid>:<option>. An id that is not in the draft does nothing.
        """
        verb, _, rest = action.partition(":")
        uid, _, option_uid = rest.partition(":")
        at = self.index(uid)
        item = self.items[at] if at >= 0 else None
        if verb == "add" and new_type in QUESTION_TYPES and not QUESTION_TYPES[new_type].starts_page:
            self.items.append(blank_item(new_type))
            return f"i{self.items[-1].uid}-label"
        if verb == "add_section":
            self.items.append(blank_item(next(n for n, t in QUESTION_TYPES.items() if t.starts_page)))
            return f"i{self.items[-1].uid}-label"
        if item is None:
            return None
        if verb in ("up", "down"):
            to = at - 1 if verb == "up" else at + 1
            if not 0 <= to < len(self.items):
                return f"i{uid}-heading"
            self.items[at], self.items[to] = self.items[to], self.items[at]
            # The same button keeps the focus (press it again to move on), unless the entry reached the end.
            stays = verb if 0 < to < len(self.items) - 1 else ("down" if verb == "up" else "up")
            return f"i{uid}-{stays}"
        if verb == "duplicate":
            copy = replace(item, uid=new_uid(), key="", key_auto="",
                           label=item.label, options=[replace(o, uid=new_uid()) for o in item.options],
                           rule_org_types=list(item.rule_org_types), extra=dict(item.extra))
            self.items.insert(at + 1, copy)
            return f"i{copy.uid}-label"
        if verb == "delete":
            del self.items[at]
            for other in self.items:  # a rule on the deleted question is left to choose again, not silently dropped
                if other.rule_question == uid:
                    other.rule_question, other.rule_value = "", ""
            following = self.items[at] if at < len(self.items) else self.items[-1] if self.items else None
            return f"i{following.uid}-heading" if following else "add-question"
        if verb == "refresh":
            return f"i{uid}-type" if option_uid == "type" else f"i{uid}-rule_question"
        if verb == "add_option":
            item.options.append(DraftOption(new_uid()))
            return f"i{uid}-o{item.options[-1].uid}-label"
        option_at = next((n for n, o in enumerate(item.options) if o.uid == option_uid), -1)
        if option_at < 0:
            return None
        if verb in ("option_up", "option_down"):
            to = option_at - 1 if verb == "option_up" else option_at + 1
            if 0 <= to < len(item.options):
                item.options[option_at], item.options[to] = item.options[to], item.options[option_at]
            else:
                to = option_at
            # The same button keeps the focus, unless the option reached the end where it is disabled.
            way = verb.removeprefix("option_")
            if (way == "up" and to == 0) or (way == "down" and to == len(item.options) - 1):
                way = "down" if way == "up" else "up"
            return f"i{uid}-o{option_uid}-{way}"
        if verb == "option_delete":
            del item.options[option_at]
            return f"i{uid}-add_option"
        return None

    # --- the definition --------------------------------------------------------------------

    def definition(self) -> dict[str, Any]:
        """The template this draft stands for, in the shape POST /api/v1/templates takes."""
        keys = {item.uid: item.key for item in self.items}
        return {"slug": self.slug, "title": self.title, "description": self.description,
                "questions": [_item_definition(item, keys) for item in self.items]}


def blank_item(kind: str) -> DraftItem:
    """A new entry of a type: a choice with two empty options, a scale with the ends its type fills in."""
    item = DraftItem(new_uid(), kind)
    if item.takes("options"):
        item.options = [DraftOption(new_uid()), DraftOption(new_uid())]
    defaults = QUESTION_TYPES[kind].normalize({"key": "", "type": kind, "label": ""})
    for name in ("min", "max"):
        if item.takes(name) and name in defaults:
            setattr(item, name, _number(defaults[name]))
    return item


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _item_definition(item: DraftItem, keys: Mapping[str, str]) -> dict[str, Any]:
    d: dict[str, Any] = {**item.extra, "key": item.key, "type": item.type, "label": item.label.strip()}
    if item.help.strip():
        d["help"] = item.help.strip()
    if item.required:
        d["required"] = True
    if item.takes("options"):
        d["options"] = [{"value": o.value, "label": o.label.strip(), **({"exclusive": True} if o.exclusive else {})}
                        for o in item.options]
    for name in ("min", "max"):
        if item.takes(name) and getattr(item, name).strip():
            d[name] = getattr(item, name).strip()
    for name in ("min_label", "max_label"):
        if item.takes(name) and getattr(item, name).strip():
            d[name] = getattr(item, name).strip()
    if item.takes("indicator") and item.indicator:
        d["indicator"] = {"code": item.indicator_code.strip(), "unit": item.indicator_unit.strip(),
                          "direction": item.indicator_direction, "aggregate": item.indicator_aggregate}
        target = item.indicator_target.strip().replace(",", "")
        if target:
            try:
                d["indicator"]["target"] = float(target)
            except ValueError:
                d["indicator"]["target"] = target  # the schema says it is not a number, beside the field
    if item.takes("top") and item.top.strip():
        top = item.top.strip()
        d["top"] = int(top) if top.isdigit() else top  # not a whole number: the schema says so, beside the field
    if item.baseline == "none" and not item.is_section:
        d["baseline"] = "none"
    if item.rule == "answer":
        op = item.rule_operator if item.rule_operator in skip_logic.OPERATORS else "equals"
        d["show_if"] = {"question": keys.get(item.rule_question, ""), op: item.rule_value.strip()}
    elif item.rule == "org":
        d["show_if"] = {"org_type": [t for t in ORG_TYPES if t in item.rule_org_types]}
    return d


# --- from a stored template, and from the posted form ---------------------------------------

def from_definition(definition: Mapping[str, Any], *, version: int = 0) -> Draft:
    """A draft that starts from a template's definition ("Edit as a new version", or a JSON upload to fix)."""
    draft = Draft(title=str(definition.get("title") or ""), slug=str(definition.get("slug") or ""),
                  description=str(definition.get("description") or ""),
                  from_slug=str(definition.get("slug") or "") if version else "", from_version=version)
    # A type no longer registered cannot be edited here (the JSON upload still shows it, refused).
    entries = [q for q in definition.get("questions") or [] if isinstance(q, Mapping) and q.get("type") in QUESTION_TYPES]
    uids = [new_uid() for _ in entries]
    by_key: dict[str, str] = {}
    for uid, q in zip(uids, entries):
        by_key.setdefault(str(q.get("key") or ""), uid)
    for uid, q in zip(uids, entries):
        item = DraftItem(uid, str(q.get("type") or ""), label=str(q.get("label") or ""),
                         key=str(q.get("key") or ""), help=str(q.get("help") or ""), required=bool(q.get("required")),
                         baseline="none" if q.get("baseline") == "none" else "auto")
        if item.takes("options"):
            item.options = [DraftOption(new_uid(), str(o.get("label") or ""), str(o.get("value") or ""),
                                        exclusive=bool(o.get("exclusive")), value_was=str(o.get("value") or ""))
                            for o in q.get("options") or [] if isinstance(o, Mapping)]
        for name in ("min", "max"):
            if item.takes(name) and name in q:
                setattr(item, name, _number(q[name]))
        for name in ("min_label", "max_label"):
            if item.takes(name):
                setattr(item, name, str(q.get(name) or ""))
        if item.takes("top") and q.get("top") is not None:
            item.top = _number(q["top"])
        indicator = q.get("indicator")
        if item.takes("indicator") and isinstance(indicator, Mapping):
            item.indicator = True
            for name in INDICATOR_FIELDS:
                value = indicator.get(name)
                if value is not None:
                    setattr(item, f"indicator_{name}", _number(value) if name == "target" else str(value))
        rule = q.get("show_if") or {}
        if isinstance(rule, Mapping) and "org_type" in rule:
            item.rule, item.rule_org_types = "org", [str(t) for t in rule["org_type"] or []]
        elif isinstance(rule, Mapping) and skip_logic.operator_of(rule):
            op = skip_logic.operator_of(rule)
            item.rule, item.rule_operator, item.rule_value = "answer", op, _number(rule[op])
            item.rule_question = by_key.get(str(rule["question"]), "")
        # A yes/no question stores its two options, and every question its normalized fields: none is kept twice.
        defined = QUESTION_TYPES[item.type].definition_fields if item.type in QUESTION_TYPES else ()
        item.extra = {k: v for k, v in q.items() if k not in EDITED and k not in defined}
        draft.items.append(item)
    return draft


def from_form(form: Mapping[str, Any]) -> Draft:
    """The draft a builder page posted (`form` is a werkzeug MultiDict: getlist for repeated fields)."""
    def one(name: str) -> str:
        return str(form.get(name) or "")

    draft = Draft(title=one("title"), slug=one("slug").strip(), slug_auto=one("slug_auto"),
                  description=one("description"),
                  preview_org_type=one("preview_org_type") if one("preview_org_type") in ORG_TYPES else "lwib",
                  from_slug=one("from_slug"), from_version=int(one("from_version")) if one("from_version").isdigit() else 0)
    seen: set[str] = set()
    for uid in form.getlist("item"):
        if not _UID.match(uid) or uid in seen:
            continue
        seen.add(uid)
        p = f"i{uid}-"
        kind = one(p + "type")
        if kind not in QUESTION_TYPES:
            continue
        item = DraftItem(uid, kind, label=one(p + "label"), key=one(p + "key").strip(), key_auto=one(p + "key_auto"),
                         help=one(p + "help"), required=one(p + "required") == "1",
                         min=one(p + "min"), max=one(p + "max"), min_label=one(p + "min_label"),
                         max_label=one(p + "max_label"), top=one(p + "top"),
                         indicator=one(p + "indicator") == "1",
                         **{f"indicator_{name}": one(f"{p}indicator_{name}") for name in INDICATOR_FIELDS
                            if one(f"{p}indicator_{name}")},
                         rule=one(p + "rule") if one(p + "rule") in RULES else "always",
                         rule_question=one(p + "rule_question"), rule_operator=one(p + "rule_operator"),
                         rule_value=one(p + "rule_value"),
                         rule_org_types=[t for t in form.getlist(p + "rule_org") if t in ORG_TYPES])
        if one(p + "counted_shown") == "1":
            item.baseline = "auto" if one(p + "counted") == "1" else "none"
        else:
            item.baseline = "none" if one(p + "baseline") == "none" else "auto"
        try:
            extra = json.loads(one(p + "extra") or "{}")
        except ValueError:
            extra = {}
        item.extra = {k: v for k, v in extra.items() if k not in EDITED} if isinstance(extra, dict) else {}
        option_seen: set[str] = set()
        for option_uid in form.getlist(p + "option"):
            if not _UID.match(option_uid) or option_uid in option_seen:
                continue
            option_seen.add(option_uid)
            o = f"{p}o{option_uid}-"
            item.options.append(DraftOption(option_uid, one(o + "label"), one(o + "value").strip(), one(o + "value_auto"),
                                            one(o + "exclusive") == "1", one(o + "value_was")))
        draft.items.append(item)
    return draft


# --- control characters in what was typed ----------------------------------------------------

#: The template's fields staff type into, and each entry's, and each option's (by the Problem's field path).
TYPED_TEMPLATE_FIELDS = ("title", "slug", "description")
TYPED_ITEM_FIELDS = {"label": "label", "key": "key", "help": "help", "min": "min", "max": "max",
                     "min_label": "min_label", "max_label": "max_label", "top": "top",
                     **{f"indicator_{name}": f"indicator.{name}" for name in INDICATOR_FIELDS},
                     "rule_value": "show_if.equals"}
TYPED_OPTION_FIELDS = ("label", "value")
_TYPED_NAME = re.compile(rf"(?:{'|'.join(TYPED_TEMPLATE_FIELDS)})|i[a-z0-9]{{1,16}}-(?:{'|'.join(TYPED_ITEM_FIELDS)})"
                         rf"|i[a-z0-9]{{1,16}}-o[a-z0-9]{{1,16}}-(?:{'|'.join(TYPED_OPTION_FIELDS)})")


def is_typed_field(name: str) -> bool:
    """Whether a posted field is one staff type into (the others are the page's own hidden fields and choices)."""
    return _TYPED_NAME.fullmatch(name) is not None


def take_out_controls(draft: Draft) -> list[Problem]:
    """Take the characters no text may keep (wfsurvey.domain.text: control characters, direction overrides) out of
    what was typed, and say where each was: a pasted character nobody can see must not cost the rest of the form."""
    found: list[tuple[int | None, str, str]] = []

    def clean(owner: Any, name: str, index: int | None, path: str) -> None:
        value = getattr(owner, name)
        problem = text_problem(value)
        if problem:
            setattr(owner, name, without_controls(value, multiline=True))
            found.append((index, path, problem))

    for name in TYPED_TEMPLATE_FIELDS:
        clean(draft, name, None, name)
    for index, item in enumerate(draft.items):
        for name, path in TYPED_ITEM_FIELDS.items():
            clean(item, name, index, path)
        for n, option in enumerate(item.options):
            for name in TYPED_OPTION_FIELDS:
                clean(option, name, index, f"options.{n}.{name}")
    names = Names(draft.definition()["questions"])
    problems = []
    for index, path, problem in found:
        if index is None:
            where = TEMPLATE_FIELDS[path]
        else:
            where = names(index)
            if path.startswith("options."):
                where += f", option {int(path.split('.')[1]) + 1}"
        message = (f"{problem[0].upper()}{problem[1:]}, which cannot be seen: it is taken out here. Check the text, "
                   "then save again.")
        problems.append(Problem(index, path, message, where))
    return problems


# --- what the page offers for a skip rule ----------------------------------------------------

@dataclass(frozen=True)
class Target:
    """An earlier question a rule may depend on, with the operators and values that fit it."""

    uid: str
    number: int
    label: str
    operators: tuple[str, ...]
    #: (value, words) to choose from; None when any value may be typed (a number).
    values: list[tuple[str, str]] | None


def targets(draft: Draft) -> dict[str, list[Target]]:
    """For each entry (by uid), the questions before it that a rule may depend on (their type can be a target)."""
    out: dict[str, list[Target]] = {}
    before: list[Target] = []
    numbers = draft.numbers()
    for item in draft.items:
        out[item.uid] = list(before)
        kind = item.kind
        if kind is None or not kind.show_if_target:
            continue
        q = _safe_for_values(item, _item_definition(item, {}))
        try:
            values = kind.show_if_values(q)
            words = None if values is None else [(v, kind.value_label(q, v)) for v in values]
        except (TypeError, ValueError, KeyError):
            words = []
        before.append(Target(item.uid, numbers[item.uid], item.label, kind.show_if_operators, words))
    return out


def _safe_for_values(item: DraftItem, q: dict[str, Any]) -> dict[str, Any]:
    """The entry as its type reads its values: a scale's ends as whole numbers (the default where they are not)."""
    q = dict(q)
    for name, default in (("min", 1), ("max", 5)):
        if name in q:
            try:
                q[name] = int(float(q[name]))
            except ValueError:
                q[name] = default
    q["options"] = [o for o in q.get("options") or [] if o.get("value")]
    return q


def form_fields(draft: Draft) -> list[tuple[str, str]]:
    """The draft as the page posts it: (name, value) pairs, repeated names in order. A test posts a draft this way,
    and the page's fields are named the same (templates/staff/template_builder.html)."""
    pairs = [("title", draft.title), ("slug", draft.slug), ("slug_auto", draft.slug_auto),
             ("description", draft.description), ("preview_org_type", draft.preview_org_type),
             ("from_slug", draft.from_slug), ("from_version", str(draft.from_version or ""))]
    for item in draft.items:
        p = f"i{item.uid}-"
        pairs += [("item", item.uid), (p + "type", item.type), (p + "label", item.label), (p + "key", item.key),
                  (p + "key_auto", item.key_auto), (p + "help", item.help), (p + "min", item.min),
                  (p + "max", item.max), (p + "min_label", item.min_label), (p + "max_label", item.max_label), (p + "top", item.top),
                  *((f"{p}indicator_{name}", getattr(item, f"indicator_{name}")) for name in INDICATOR_FIELDS),
                  (p + "rule", item.rule), (p + "rule_question", item.rule_question),
                  (p + "rule_operator", item.rule_operator), (p + "rule_value", item.rule_value),
                  (p + "baseline", item.baseline), (p + "extra", json.dumps(item.extra))]
        if item.required:
            pairs.append((p + "required", "1"))
        if item.indicator:
            pairs.append((p + "indicator", "1"))
        pairs += [(p + "rule_org", t) for t in item.rule_org_types]
        for option in item.options:
            o = f"{p}o{option.uid}-"
            pairs += [(p + "option", option.uid), (o + "label", option.label), (o + "value", option.value),
                      (o + "value_auto", option.value_auto), (o + "value_was", option.value_was)]
            if option.exclusive:
                pairs.append((o + "exclusive", "1"))
    return pairs


def field_id(draft: Draft, index: int | None, path: str) -> str:
    """The id of the input a problem is about (see wfsurvey.schemas.templates.Problem): where its message goes."""
    if index is None:
        return {"slug": "slug", "title": "title", "description": "description"}.get(path.split(".")[0], "items")
    if not 0 <= index < len(draft.items):
        return "items"
    item = draft.items[index]
    p = f"i{item.uid}-"
    parts = path.split(".") if path else []
    if not parts:
        return p + "heading"
    if parts[0] == "options":
        if len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) < len(item.options):
            option = item.options[int(parts[1])]
            return f"{p}o{option.uid}-{'value' if parts[2] == 'value' else 'label'}"
        return p + "options"
    if parts[0] == "show_if":
        if len(parts) > 1 and parts[1] == "question":
            return p + "rule_question"
        if len(parts) > 1 and parts[1] in skip_logic.OPERATORS:
            return p + "rule_value"
        return p + ("rule_org" if item.rule == "org" else "rule")
    if parts[0] == "indicator":
        return p + (f"indicator_{parts[1]}" if len(parts) > 1 and parts[1] in INDICATOR_FIELDS else "indicator")
    if parts[0] in ("label", "key", "help", "type", "min", "max", "min_label", "max_label", "top"):
        return p + parts[0]
    return p + "heading"


def draft_problems(draft: Draft, problems: Sequence[Any]) -> dict[str, list[str]]:
    """The messages of a check's problems by the id of the input each is about."""
    out: dict[str, list[str]] = {}
    for problem in problems:
        out.setdefault(field_id(draft, problem.index, problem.field), []).append(problem.message)
    return out


# --- the preview -----------------------------------------------------------------------------

def previewable(definition: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The entries of a draft's definition that can be shown as respondents would see them, and the names of those left
    out until their problems are fixed (a question without wording, a choice with one option): the preview shows what
    it can while the template is being built. A rule that does not fit yet is shown as no rule."""
    items = list(definition.get("questions") or [])
    names = Names(items)
    shown: list[dict[str, Any]] = []
    left_out: list[str] = []
    keys: set[str] = set()
    loaded: list[dict[str, Any] | None] = []
    for i, item in enumerate(items):
        try:
            q = QuestionSchema().load(item)
        except ValidationError:
            q = None
        if q is not None and q["key"] in keys:
            q = None
        loaded.append(q)
        if q is None:
            left_out.append(names(i))
        else:
            keys.add(q["key"])
    problems = cross_check(items, loaded)
    kept: set[str] = set()
    for i, q in enumerate(loaded):
        if q is None:
            continue
        target = (q.get("show_if") or {}).get("question")
        if "show_if" in problems.get(i, {}) or (target is not None and target not in kept):
            q.pop("show_if", None)
        shown.append(normalise_question(q))
        kept.add(q["key"])
    return shown, left_out
