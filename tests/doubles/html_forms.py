"""The one HTML parser of the test suite: the forms of a page (to press a button as a browser would), its
links, scripts and the text of elements with an ``id``.

``parse_page(html)`` gives a ``Page``; ``page.form("pingone-sign-on")`` finds a form by its ``id`` (or one of
its classes). The stand-in's own driver (``django_pingone_authorize.testing.driver``) keeps its private
parser: the package does not import from ``tests``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    """A ``<form>``: its attributes as written, and its named ``<input>`` fields in document order."""

    attrs: dict[str, str | None]
    fields: dict[str, str] = field(default_factory=dict)  # name -> value ("" when the input has none)
    input_types: dict[str, str] = field(default_factory=dict)  # name -> type, lower case ("text" by default)
    buttons: list[dict[str, str | None]] = field(default_factory=list)  # each <button>'s attributes

    @property
    def action(self) -> str:
        return self.attrs.get("action") or ""

    @property
    def method(self) -> str:
        """``GET`` or ``POST`` (upper case; ``GET`` when the form says nothing)."""
        return (self.attrs.get("method") or "get").upper()

    @property
    def id(self) -> str | None:
        return self.attrs.get("id")

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    @property
    def has_password(self) -> bool:
        return "password" in self.input_types.values()


@dataclass
class Link:
    attrs: dict[str, str | None]
    text: str = ""

    @property
    def href(self) -> str:
        return self.attrs.get("href") or ""


@dataclass
class Page:
    forms: list[Form] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)  # <a> elements with an href
    scripts: list[dict[str, str | None]] = field(default_factory=list)  # each <script>'s attributes
    buttons: list[dict[str, str | None]] = field(default_factory=list)  # every <button>, in a form or not
    texts: dict[str, str] = field(default_factory=dict)  # element id -> its text (not for <input>/<form>)

    def form(self, name: str) -> Form:
        """The one form whose ``id`` is ``name``, or else the one with ``name`` among its classes."""
        by_id = [form for form in self.forms if form.id == name]
        matches = by_id or [form for form in self.forms if name in form.classes]
        if len(matches) != 1:
            raise LookupError(f"{len(matches)} forms named {name!r} among {[f.id or f.classes for f in self.forms]}")
        return matches[0]

    def has_form(self, name: str) -> bool:
        return any(form.id == name or name in form.classes for form in self.forms)

    def forms_to(self, action: str) -> list[Form]:
        return [form for form in self.forms if form.action == action]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._form: Form | None = None
        self._link: Link | None = None
        self._open_ids: list[tuple[str, str]] = []  # (tag, id) of elements whose text is being gathered

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        element_id = attributes.get("id")
        if element_id and tag not in ("input", "form"):
            self._open_ids.append((tag, element_id))
            self.page.texts.setdefault(element_id, "")
        if tag == "form":
            self._form = Form(attributes)
            self.page.forms.append(self._form)
        elif tag == "input" and self._form is not None and attributes.get("name"):
            name = str(attributes["name"])
            self._form.fields[name] = attributes.get("value") or ""
            self._form.input_types[name] = (attributes.get("type") or "text").lower()
        elif tag == "button":
            self.page.buttons.append(attributes)
            if self._form is not None:
                self._form.buttons.append(attributes)
        elif tag == "script":
            self.page.scripts.append(attributes)
        elif tag == "a" and attributes.get("href") is not None:
            self._link = Link(attributes)
            self.page.links.append(self._link)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "a":
            self._link = None
        if self._open_ids and self._open_ids[-1][0] == tag:
            self._open_ids.pop()

    def handle_data(self, data: str) -> None:
        for _, element_id in self._open_ids:
            self.page.texts[element_id] += data
        if self._link is not None:
            self._link.text += data


def parse_page(html: str | bytes) -> Page:
    parser = _Parser()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    parser.close()
    return parser.page
