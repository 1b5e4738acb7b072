"""Rendering survey emails from templates/emails/<kind>.txt and <kind>.html, and formatting times for them.

Convention: the subject is the `{% block subject %}` of `<kind>.txt`; both parts extend a base
layout (`_base.txt`, `_base.html`) that never outputs that block, so the subject is not repeated
in the body. The text part is rendered with autoescaping off, the HTML part with it on, and both
refuse an undefined variable, so a missing context value is an error rather than an empty gap.
"""
from __future__ import annotations

import email.utils
import functools
import re
from dataclasses import dataclass

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import escape

from wfsurvey.domain.rules import format_local  # noqa: F401  (re-exported: times in emails)
from wfsurvey.paths import TEMPLATES_DIR

#: What every kind's templates may use; the callers pass exactly these.
COMMON_CONTEXT = (
    "contact_name", "organization_name", "round_title", "template_title",
    "closes_local", "opens_local", "link", "opt_out_link", "sender_name",
    # MAIL_REPLY_TO, or "" when replies reach nobody: only then may an email ask to be replied to.
    "reply_to",
)
#: Each kind of email and the context it needs beyond COMMON_CONTEXT.
KINDS: dict[str, tuple[str, ...]] = {
    "invitation": (),
    "reminder": (),
    "cancelled": ("reason",),
    "forwarded": ("forwarded_by", "forwarded_by_email"),
    # To each admin when a round closes with regions in conflict or unfilled (no respondent link: opt_out_link is "").
    "designation_alert": ("conflicts", "unfilled", "designated", "regions"),
}
#: What every convening email may use (instead of COMMON_CONTEXT): the meeting, the person, their link.
CONVENING_CONTEXT = (
    "contact_name", "organization_name", "convening_title", "purpose", "when_local", "location", "online_url",
    "link", "opt_out_link", "sender_name", "reply_to",
)
#: Each kind of convening email and the context it needs beyond CONVENING_CONTEXT.
CONVENING_KINDS: dict[str, tuple[str, ...]] = {
    "convening_invitation": (),
    # Everyone invited hears of a new time (their calendar entry moves) or of a cancellation.
    "convening_moved": ("old_when_local", "reason"),
    "convening_cancelled": ("reason",),
    # To those who said yes or maybe (answer_words says which), and once to those who have not answered.
    "convening_reminder": ("answer",),
    # A seat freed up: the first on the waitlist has it.
    "convening_promoted": (),
}
#: The outbox's subject column holds this many characters.
SUBJECT_MAX = 300


class EmailTemplateError(ValueError):
    """An email cannot be rendered: an unknown kind or a missing context value."""


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@functools.cache
def _environments() -> tuple[Environment, Environment]:
    """(text, html) environments over the templates folder, made once.

    Their own, not the web app's: an email needs nothing of a request, and mail is rendered by
    commands and jobs alike. Each keeps its own cache, so that a template compiled with one
    autoescape setting is never served to the other.
    """
    loader = FileSystemLoader(str(TEMPLATES_DIR))
    text_env = Environment(loader=loader, autoescape=False, undefined=StrictUndefined, trim_blocks=True,
                           lstrip_blocks=True, keep_trailing_newline=True, cache_size=50)
    html_env = Environment(loader=loader, autoescape=True, undefined=StrictUndefined, cache_size=50)
    return text_env, html_env


def needed_context(kind: str) -> tuple[str, ...]:
    """The context values an email of `kind` needs; EmailTemplateError for an unknown kind."""
    if kind in KINDS:
        return COMMON_CONTEXT + KINDS[kind]
    if kind in CONVENING_KINDS:
        return CONVENING_CONTEXT + CONVENING_KINDS[kind]
    known = ", ".join(sorted([*KINDS, *CONVENING_KINDS]))
    raise EmailTemplateError(f"unknown email kind {kind!r}; known: {known}")


def render_email(kind: str, **context: object) -> RenderedEmail:
    """Render the subject, text part and HTML part of one email of `kind`."""
    missing = [name for name in needed_context(kind) if name not in context]
    if missing:
        raise EmailTemplateError(f"email {kind!r} needs context value(s): {', '.join(missing)}")
    text_env, html_env = _environments()

    text_template = text_env.get_template(f"emails/{kind}.txt")
    if "subject" not in text_template.blocks:
        raise EmailTemplateError(f"templates/emails/{kind}.txt has no {{% block subject %}}")
    subject_parts = text_template.blocks["subject"](text_template.new_context(dict(context)))
    subject = " ".join("".join(subject_parts).split())  # one line: a header cannot hold a newline
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1].rstrip() + "…"
    text = _tidy_text(text_template.render(context))
    html = html_env.get_template(f"emails/{kind}.html").render(context)
    return RenderedEmail(subject=subject, text=text, html=html)


#: Context values that differ between the recipients of one batch (BatchRenderer fills them in without Jinja).
PERSONAL_CONTEXT = ("contact_name", "organization_name", "link", "opt_out_link")
_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use characters: never in real text, untouched by HTML escaping
_UNTIDY = re.compile(r"[\n\r\t]")
#: What HTML escaping changes; a value without any is put in as it is (most names, every link's token).
_HTML_SPECIAL = re.compile(r"[&<>\"']")


class _Part:
    """One rendered part (subject, text or HTML) split once at its placeholders, so that filling it is one join."""

    __slots__ = ("pieces", "names")

    def __init__(self, marked: str, names: list[str]):
        # Only the marks as placed split the part: one a template transformed (|upper, say) stays
        # literal, so that the skeleton's check against render_email fails and Jinja is used instead.
        mark = re.compile(_OPEN + "(" + "|".join(map(re.escape, names)) + ")" + _CLOSE)
        #: Literal text at even indexes, placeholder names at odd ones (re.split with one group).
        self.pieces = mark.split(marked) if names else [marked]
        self.names = self.pieces[1::2]

    def fill(self, values: dict[str, str]) -> str:
        pieces = self.pieces.copy()
        pieces[1::2] = [values[name] for name in self.names]
        return "".join(pieces)


#: (subject, text as rendered, text tidied, HTML), each with placeholders.
_Skeleton = tuple[_Part, _Part, _Part, _Part]


class BatchRenderer:
    """Renders one kind of email for many recipients (a launch queues 100,000): Jinja runs once per batch.

    The templates are rendered with a placeholder for each personal value (PERSONAL_CONTEXT), and
    each recipient's values are put in their place (HTML-escaped in the HTML part), then the subject
    and text are tidied exactly as render_email does. This holds while templates only print personal
    values or test them for truth; a separate skeleton is kept per combination of empty and non-empty
    values, and each skeleton is checked once against render_email: if they differ, that combination
    falls back to render_email for every recipient.
    """

    def __init__(self, kind: str, **shared: object):
        self.kind = kind
        self.shared = shared
        #: (personal keys, which are non-empty) -> the skeleton, or None: use render_email.
        self._skeletons: dict[tuple, _Skeleton | None] = {}

    def render(self, **personal: object) -> RenderedEmail:
        if not all(isinstance(v, str) and _OPEN not in v for v in personal.values()):
            return render_email(self.kind, **{**self.shared, **personal})
        key = tuple((name, bool(value)) for name, value in personal.items())
        if key not in self._skeletons:
            self._skeletons[key] = self._skeleton(personal)
        skeleton = self._skeletons[key]
        if skeleton is None:
            return render_email(self.kind, **{**self.shared, **personal})
        return self._fill(skeleton, personal)  # type: ignore[arg-type]

    def _skeleton(self, personal: dict[str, object]) -> _Skeleton | None:
        context = {**self.shared, **personal}
        names = [name for name, value in personal.items() if value]
        marked = {**context, **{name: _OPEN + name + _CLOSE for name in names}}
        text_env, html_env = _environments()
        render_email(self.kind, **marked)  # validates the kind, the context and the subject block
        text_template = text_env.get_template(f"emails/{self.kind}.txt")
        subject = "".join(text_template.blocks["subject"](text_template.new_context(dict(marked))))
        text = text_template.render(marked)
        html = html_env.get_template(f"emails/{self.kind}.html").render(marked)
        skeleton = (_Part(subject, names), _Part(text, names), _Part(_tidy_text(text), names), _Part(html, names))
        return skeleton if self._fill(skeleton, personal) == render_email(self.kind, **context) else None  # type: ignore[arg-type]

    @staticmethod
    def _fill(skeleton: _Skeleton, personal: dict[str, str]) -> RenderedEmail:
        subject, raw_text, tidy_text, html = skeleton
        values = {name: value for name, value in personal.items() if value}
        # A value without line breaks, tabs or outer spaces cannot change what tidying does, so the
        # skeleton tidied once serves; any other value is put in first and the text tidied after.
        clean = all(v == v.strip() and not _UNTIDY.search(v) for v in values.values())
        text = tidy_text.fill(values) if clean else _tidy_text(raw_text.fill(values))
        line = " ".join(subject.fill(values).split())
        if len(line) > SUBJECT_MAX:
            line = line[: SUBJECT_MAX - 1].rstrip() + "…"
        escaped = {name: str(escape(value)) if _HTML_SPECIAL.search(value) else value for name, value in values.items()}
        return RenderedEmail(subject=line, text=text, html=html.fill(escaped))


def _tidy_text(text: str) -> str:
    # Optional blocks leave runs of blank lines behind; mail readers show them all.
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def sender_name(mail_from: str) -> str:
    """The display name of MAIL_FROM ("State Workforce Association <s@x.org>" -> the name), else the address."""
    name, addr = email.utils.parseaddr(mail_from)
    return name or addr or mail_from
