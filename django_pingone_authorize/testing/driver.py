"""Play the user at the PingOne stand-in without a browser, with a ``requests.Session``.

``sign_on`` starts from an authorize request (a URL to GET, or the auto-submitting form an app rendered),
answers the stand-in's pages (password, password change, one-time passcode, external provider) and stops
at the response going back to the client, which it returns without sending::

    with requests.Session() as http:
        back = sign_on(http, standin.authorize_url(redirect_uri=..., code_challenge=..., ...))
    django_client.get(back.url)            # or django_client.post(back.url, back.data) for form_post
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Literal
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests

_INPUT_TYPES_SKIPPED = frozenset({"submit", "button", "image", "reset", "file"})


class SignOnError(Exception):
    """The sign-on did not get back to the client: a wrong password, an error page, a step not handled."""


@dataclass(frozen=True)
class AuthorizationResponse:
    """The authorization response the stand-in sends the browser back to the client with."""

    method: Literal["GET", "POST"]
    url: str
    data: dict[str, str] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, str]:
        """The response parameters (``code``, ``state``, ``iss`` or ``error``...), whatever the mode."""
        if self.method == "POST":
            return dict(self.data)
        parts = urlsplit(self.url)
        return dict(parse_qsl(parts.fragment or parts.query, keep_blank_values=True))


@dataclass
class _Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class _Link:
    href: str
    provider_id: str | None
    text: str = ""


class _PageParser(HTMLParser):
    """Forms (with their named input values), links and the text of elements with an ``id``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[_Form] = []
        self.links: list[_Link] = []
        self.texts: dict[str, str] = {}
        self._open_form: _Form | None = None
        self._open_link: _Link | None = None
        self._open_ids: list[tuple[str, str]] = []  # (tag, id) of elements whose text is being gathered

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if "id" in attributes and tag not in ("input", "form"):
            self._open_ids.append((tag, attributes["id"]))
            self.texts.setdefault(attributes["id"], "")
        if tag == "form":
            self._open_form = _Form(attributes.get("action", ""), attributes.get("method", "get").upper())
            self.forms.append(self._open_form)
        elif tag in ("input", "textarea", "select") and self._open_form is not None:
            name = attributes.get("name")
            if name and attributes.get("type", "text").lower() not in _INPUT_TYPES_SKIPPED:
                self._open_form.fields[name] = attributes.get("value", "")
        elif tag == "a" and "href" in attributes:
            self._open_link = _Link(attributes["href"], attributes.get("data-provider-id"))
            self.links.append(self._open_link)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open_form = None
        elif tag == "a":
            self._open_link = None
        if self._open_ids and self._open_ids[-1][0] == tag:
            self._open_ids.pop()

    def handle_data(self, data: str) -> None:
        for _, element_id in self._open_ids:
            self.texts[element_id] += data
        if self._open_link is not None:
            self._open_link.text += data


def _parse(html: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return parser


def parse_autosubmit_form(html: str) -> tuple[str, dict[str, str]]:
    """The action and fields of the first form in ``html`` (such as a form_post or POST-authorize page)."""
    forms = _parse(html).forms
    if not forms:
        raise ValueError("the page has no form")
    return forms[0].action, dict(forms[0].fields)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def sign_on(
    http: requests.Session,
    authorize_url: str | None = None,
    *,
    form: tuple[str, dict[str, str]] | None = None,
    username: str = "demo",
    password: str = "demo",  # noqa: S107 -- the demo user's, documented
    otp: str | None = None,
    new_password: str | None = None,
    provider: str | None = None,
    cancel: bool = False,
    max_steps: int = 12,
) -> AuthorizationResponse:
    """Sign on at the stand-in and return the response it sends back to the client, unsent.

    Give ``authorize_url`` (GET) or ``form`` = (action URL, fields) (POST); either must be the stand-in's
    URL, since everything on another origin is taken for the client. ``otp`` answers a passcode step,
    ``new_password`` a password change; ``provider`` (an external provider's id or name) signs on there
    instead of with the password; ``cancel`` presses Cancel on the first page. Raises ``SignOnError`` on a
    wrong password, an error page, or a step it has no answer for.
    """
    if (authorize_url is None) == (form is None):
        raise TypeError("give exactly one of authorize_url and form")
    if authorize_url is not None:
        standin = _origin(authorize_url)
        response = http.get(authorize_url, allow_redirects=False)
    else:
        assert form is not None
        standin = _origin(form[0])
        response = http.post(form[0], data=form[1], allow_redirects=False)

    for _ in range(max_steps):
        if response.is_redirect:
            location = urljoin(response.url, response.headers["Location"])
            if _origin(location) != standin:
                return AuthorizationResponse("GET", location)
            response = http.get(location, allow_redirects=False)
            continue
        content_type = response.headers.get("Content-Type", "")
        if not content_type.startswith("text/html"):
            raise SignOnError(f"the stand-in answered {response.status_code} {content_type}: {response.text[:300]}")
        page = _parse(response.text)
        if response.status_code >= 400:
            message = page.texts.get("message", "").strip() or response.text[:300]
            raise SignOnError(f"the stand-in answered {response.status_code}: {message}")
        for candidate in page.forms:
            action = urljoin(response.url, candidate.action)
            if _origin(action) != standin:
                return AuthorizationResponse("POST", action, dict(candidate.fields))
        error = page.texts.get("error", "").strip()
        if error:
            raise SignOnError(error)
        next_request = _answer(page, username, password, otp, new_password, provider, cancel)
        if isinstance(next_request, _Link):
            response = http.get(urljoin(response.url, next_request.href), allow_redirects=False)
        else:
            target = urljoin(response.url, next_request.action)
            if next_request.method == "POST":
                response = http.post(target, data=next_request.fields, allow_redirects=False)
            else:
                response = http.get(target, params=next_request.fields, allow_redirects=False)
        cancel = False  # a cancel is answered once; the next page is the way back to the client
    raise SignOnError(f"no way back to the client after {max_steps} steps")


def _answer(
    page: _PageParser,
    username: str,
    password: str,
    otp: str | None,
    new_password: str | None,
    provider: str | None,
    cancel: bool,
) -> _Form | _Link:
    """What to send in answer to a stand-in page."""
    steps = {candidate.fields.get("action"): candidate for candidate in page.forms}
    if cancel:
        for name in ("cancel", "external.cancel"):
            if name in steps:
                return steps[name]
        raise SignOnError("the page has no Cancel button")
    if "usernamePassword.check" in steps:
        if provider is not None:
            for link in page.links:
                if link.provider_id is not None and provider in (
                    link.provider_id,
                    link.text.removeprefix("Sign on with "),
                ):
                    return link
            raise SignOnError(f"the sign-on page offers no external provider {provider!r}")
        return _filled(steps["usernamePassword.check"], username=username, password=password)
    if "password.reset" in steps:
        if new_password is None:
            raise SignOnError(f"{username} must change the password: pass new_password=")
        return _filled(steps["password.reset"], currentPassword=password, newPassword=new_password)
    if "otp.check" in steps:
        if otp is None:
            raise SignOnError(f"{username} must give a one-time passcode: pass otp=")
        return _filled(steps["otp.check"], otp=otp)
    if "external.continue" in steps:
        return steps["external.continue"]
    status = page.texts.get("status", "").strip() or "a page the driver does not know"
    raise SignOnError(f"the sign-on stopped: {status}")


def _filled(form: _Form, **values: str) -> _Form:
    return _Form(form.action, form.method, {**form.fields, **values})
