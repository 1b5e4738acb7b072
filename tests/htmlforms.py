"""A form posted as a browser without JavaScript posts it: every control of the form read from the page's HTML (text,
hidden, checked boxes and radios, the selected option, text areas, and controls elsewhere that name the form with
form=), plus the button pressed. Tests of pages that keep their state in the form (the survey builder) use it, so that
what the page renders is what the next request reads."""
from __future__ import annotations

import html
from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict


class _Controls(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.pairs: list[tuple[str, str]] = []
        self.buttons: list[dict[str, str]] = []
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None

    def _ours(self, attrs: dict) -> bool:
        return (self.inside and "form" not in attrs) or attrs.get("form") == self.form_id

    def handle_starttag(self, tag, attrs_list):
        attrs = {k: (v if v is not None else "") for k, v in attrs_list}
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
            return
        if tag == "input" and self._ours(attrs) and "name" in attrs and "disabled" not in attrs:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.pairs.append((attrs["name"], attrs.get("value", "on")))
            elif kind not in ("submit", "button", "reset", "file", "image"):
                self.pairs.append((attrs["name"], attrs.get("value", "")))
        elif tag == "button" and self._ours(attrs):
            self.buttons.append(attrs)
        elif tag == "select" and self._ours(attrs) and "disabled" not in attrs:
            self._select = {"name": attrs.get("name"), "options": [], "selected": None}
        elif tag == "option" and self._select is not None:
            self._option = {"value": attrs.get("value"), "text": "", "selected": "selected" in attrs}
        elif tag == "textarea" and self._ours(attrs) and "disabled" not in attrs:
            self._textarea = {"name": attrs.get("name"), "text": ""}

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "option" and self._option is not None and self._select is not None:
            option = self._option
            value = option["value"] if option["value"] is not None else option["text"].strip()
            self._select["options"].append(value)
            if option["selected"]:
                self._select["selected"] = value
            self._option = None
        elif tag == "select" and self._select is not None:
            chosen = self._select["selected"]
            if chosen is None and self._select["options"]:
                chosen = self._select["options"][0]
            if self._select["name"] and chosen is not None:
                self.pairs.append((self._select["name"], chosen))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea["text"]
            # A browser drops one newline right after <textarea>.
            self.pairs.append((self._textarea["name"], text[1:] if text.startswith("\n") else text))
            self._textarea = None


class Form:
    """The controls of one form of a page, to change and post."""

    def __init__(self, page: str | bytes, form_id: str) -> None:
        text = page.decode() if isinstance(page, bytes) else page
        parser = _Controls(form_id)
        parser.feed(text)
        assert parser.pairs or parser.buttons, f"no form #{form_id} on the page"
        self.pairs = parser.pairs
        self.buttons = parser.buttons

    def get(self, name: str) -> str | None:
        return next((v for n, v in self.pairs if n == name), None)

    def getlist(self, name: str) -> list[str]:
        return [v for n, v in self.pairs if n == name]

    def set(self, name: str, value: str) -> Form:
        """Type into a text box or pick from a select (the field must be on the page)."""
        assert any(n == name for n, _ in self.pairs), f"no field {name}"
        self.pairs = [(n, value if n == name else v) for n, v in self.pairs]
        return self

    def check(self, name: str, value: str = "1", on: bool = True) -> Form:
        """Tick (or untick) a checkbox."""
        self.pairs = [(n, v) for n, v in self.pairs if not (n == name and v == value)]
        if on:
            self.pairs.append((name, value))
        return self

    def choose(self, name: str, value: str) -> Form:
        """Pick a radio: the others of its name are unpicked."""
        self.pairs = [(n, v) for n, v in self.pairs if n != name] + [(name, value)]
        return self

    def button(self, label_or_value: str) -> dict[str, str]:
        for b in self.buttons:
            if b.get("value") == label_or_value:
                return b
        raise AssertionError(f"no button {label_or_value!r}: {[b.get('value') for b in self.buttons]}")

    def data(self, action: str) -> MultiDict:
        button = self.button(action)
        assert "disabled" not in button, f"button {action!r} is disabled"
        return MultiDict([*self.pairs, (button["name"], html.unescape(button["value"]))])

    def post(self, client, url: str, action: str):
        return client.post(url, data=self.data(action))
