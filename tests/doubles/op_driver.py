"""Play the end-user at the test OpenID Provider with ``requests``.

The driver starts from what the relying party produced (a GET authorization
URL or a POST form), follows the OP's redirects and pages, signs on, and
stops at the first step that leaves the OP -- the authorization response
aimed at the client, which it returns without calling the client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests

from tests.doubles.html_forms import Form, Page, parse_page

__all__ = ["AuthorizationResponse", "Form", "OpDriverError", "parse_page", "sign_off_at_op", "sign_on_at_op"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_STEPS = 25


class OpDriverError(AssertionError):
    """The OP did not behave as the driver expected (error page, bad login...)."""


@dataclass(frozen=True)
class AuthorizationResponse:
    """The OP's answer to the client: a redirect (GET) or an auto-posting form (POST)."""

    method: str  # "GET" or "POST"
    url: str  # the redirect_uri, with the query for GET
    data: dict[str, str] = field(default_factory=dict)  # form_post fields

    @property
    def params(self) -> dict[str, str]:
        """The response parameters (code, state, iss or error...), either mode."""
        if self.method == "POST":
            return dict(self.data)
        return dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))

    @property
    def redirect_uri(self) -> str:
        """``url`` without its query and fragment."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}{parts.path}"


def error_text(page: Page) -> str:
    """The OP's error message on ``page``: the sign-on page's ``#error`` or the error page's ``#op-error``."""
    return (page.texts.get("error", "") + page.texts.get("op-error", "")).strip()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _describe(response: requests.Response) -> str:
    page = parse_page(response.text) if "html" in response.headers.get("content-type", "") else None
    detail = (page and error_text(page)) or response.text[:500]
    return f"{response.request.method} {response.url} -> {response.status_code}: {detail}"


def sign_on_at_op(
    http: requests.Session,
    authorize_url: str | None = None,
    *,
    form: tuple[str, dict[str, str]] | None = None,
    username: str = "alice",
    password: str = "alice-pw",
    cancel: bool = False,
) -> AuthorizationResponse:
    """Sign on at the OP and return the authorization response for the client.

    Give either ``authorize_url`` (a GET request) or ``form`` = (action, fields)
    (a POST request). If the OP already has a session in ``http``'s cookies it
    may answer without the login page. ``cancel=True`` presses Cancel on the
    login page instead (the OP then answers ``error=access_denied``).
    Raises :class:`OpDriverError` when the OP shows an error page or rejects
    the credentials.
    """
    if (authorize_url is None) == (form is None):
        raise TypeError("give exactly one of authorize_url or form")
    if form is not None:
        action, fields = form
        op_origin = _origin(action)
        response = http.post(action, data=fields, allow_redirects=False)
    else:
        assert authorize_url is not None
        op_origin = _origin(authorize_url)
        response = http.get(authorize_url, allow_redirects=False)

    logged_in = False
    for _ in range(MAX_STEPS):
        if response.status_code in REDIRECT_STATUSES:
            location = urljoin(response.url, response.headers["Location"])
            if _origin(location) != op_origin:
                return AuthorizationResponse("GET", location)
            response = http.get(location, allow_redirects=False)
            continue

        if response.status_code != 200 or "html" not in response.headers.get("content-type", ""):
            raise OpDriverError(f"unexpected answer from the OP: {_describe(response)}")
        page = parse_page(response.text)
        login = next((f for f in page.forms if f.has_password), None)
        if login is not None:
            if logged_in:
                raise OpDriverError(f"the OP refused the sign-on of {username!r}: {error_text(page)}")
            if cancel:
                cancel_form = next(f for f in page.forms if f.id == "cancel-form")
                response = http.post(
                    urljoin(response.url, cancel_form.action),
                    data=cancel_form.fields,
                    allow_redirects=False,
                )
                continue
            fields = dict(login.fields)
            fields.update(username=username, password=password)
            response = http.post(urljoin(response.url, login.action), data=fields, allow_redirects=False)
            logged_in = True
            continue
        if len(page.forms) == 1 and page.forms[0].method == "POST":
            # an auto-submitting form: form_post response mode, or the OP's own
            auto = page.forms[0]
            action = urljoin(response.url, auto.action)
            if _origin(action) != op_origin:
                return AuthorizationResponse("POST", action, dict(auto.fields))
            response = http.post(action, data=auto.fields, allow_redirects=False)
            continue
        raise OpDriverError(f"unexpected page at the OP: {_describe(response)}")
    raise OpDriverError(f"too many steps at the OP (last: {response.url})")


def sign_off_at_op(
    http: requests.Session,
    url: str | None = None,
    *,
    form: tuple[str, dict[str, str]] | None = None,
) -> str:
    """Follow an end-session request (GET url or POST form) to its end.

    Returns the URL the OP finally sends the browser to: the
    post_logout_redirect_uri (with ``state``) if the request had one, else
    the OP's own "signed off" page.
    """
    if (url is None) == (form is None):
        raise TypeError("give exactly one of url or form")
    if form is not None:
        action, fields = form
        op_origin = _origin(action)
        response = http.post(action, data=fields, allow_redirects=False)
    else:
        assert url is not None
        op_origin = _origin(url)
        response = http.get(url, allow_redirects=False)

    for _ in range(MAX_STEPS):
        if response.status_code in REDIRECT_STATUSES:
            location = urljoin(response.url, response.headers["Location"])
            if _origin(location) != op_origin:
                return location
            response = http.get(location, allow_redirects=False)
            continue
        if response.status_code != 200 or "html" not in response.headers.get("content-type", ""):
            raise OpDriverError(f"unexpected answer from the OP: {_describe(response)}")
        page = parse_page(response.text)
        if not page.forms:
            return response.url  # the OP's own success page
        auto = page.forms[0]
        action = urljoin(response.url, auto.action)
        if _origin(action) != op_origin:
            return action
        response = http.post(action, data=auto.fields, allow_redirects=False)
    raise OpDriverError(f"too many steps at the OP (last: {response.url})")
