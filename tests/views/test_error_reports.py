"""Nothing secret in Django's error report: an unexpected exception inside each view, raised after a password,
a one-time code, an authorization code, a token or the client's secret is in hand, is rendered the way
``AdminEmailHandler(include_html=True)`` and error trackers see it (``ExceptionReporter``, HTML and text),
and none of those values may appear in it. Every sign-on goes over real HTTP to the PingOne stand-in."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from django.contrib.auth.signals import user_logged_out
from django.core.signals import got_request_exception
from django.test import Client
from django.views.debug import ExceptionReporter

from django_pingone_authorize.conf import get_alias
from django_pingone_authorize.provider import flows_api, token_endpoint
from django_pingone_authorize.sessions.token_store import get_tokens
from django_pingone_authorize.sign_on import redeem  # where the ID token is checked
from django_pingone_authorize.signals import sign_on_succeeded
from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import AuthorizationResponse, sign_on
from tests.end_to_end.test_pingone_standin import LONG_SECRET, rsa_pem_and_jwk

pytestmark = pytest.mark.django_db

CALLBACK = "http://127.0.0.1:8000/pingone/callback/"
PASSWORD = "Pw-unique-7c1e9a"
NEW_PASSWORD = "New-pw-unique-4b2d8f"
OTP = "otp-unique-5e3a1c"


class Planted(RuntimeError):
    """The exception the tests raise inside a view."""


class Reports:
    """Every error report rendered while the context is open: HTML and text, as for a page and for an email."""

    def __init__(self) -> None:
        self.rendered: list[str] = []

    def receive(self, sender: Any, request: Any = None, **kwargs: Any) -> None:
        exc_info = sys.exc_info()
        assert exc_info[0] is Planted, exc_info
        for is_email in (False, True):
            reporter = ExceptionReporter(request, *exc_info, is_email=is_email)
            self.rendered += [reporter.get_traceback_html(), reporter.get_traceback_text()]

    def assert_clean(self, *secrets: str) -> None:
        assert self.rendered, "no error was reported"
        for secret in secrets:
            for fragment in fragments(secret):
                for report in self.rendered:
                    assert fragment not in report, f"{fragment[:12]}… is in the error report"


def fragments(secret: str) -> list[str]:
    """Pieces of ``secret`` that must not appear: the value itself, and for long values pieces a report
    could show when it wraps or trims (a JWT's header is the same in every token, so it is left out)."""
    if secret.startswith("-----BEGIN"):
        return [line for line in secret.splitlines() if line and not line.startswith("-----")]
    parts = secret.split(".")
    if len(parts) == 3 and len(secret) > 60:
        return [parts[1][:40], parts[1][-40:], parts[2][:40]]
    return [secret]


@contextmanager
def reports() -> Iterator[Reports]:
    collected = Reports()
    got_request_exception.connect(collected.receive)
    try:
        yield collected
    finally:
        got_request_exception.disconnect(collected.receive)


def raise_after(real: Callable[..., Any]) -> Callable[..., Any]:
    """``real`` (a real outbound call), then an unexpected error, as if the next line had a bug."""

    def call(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise Planted("planted")

    return call


@pytest.fixture
def browser() -> Client:
    return Client(raise_request_exception=False)


def come_back(client: Client, answer: AuthorizationResponse) -> Any:
    if answer.method == "GET":
        return client.get("/pingone/callback/", answer.params)
    return client.post("/pingone/callback/", answer.data)


def test_alias_repr_hides_the_secret_and_the_private_key(settings: Any) -> None:
    pem, _ = rsa_pem_and_jwk("k")
    settings.PINGONE_AUTHORIZE = {"default": {"CLIENT_ID": "c", "CLIENT_SECRET": LONG_SECRET, "PRIVATE_KEY": pem}}
    text = repr(get_alias())
    assert "CLIENT_ID='c'" in text
    assert LONG_SECRET not in text and not any(line in text for line in fragments(pem))


@pytest.mark.parametrize("auth_method", ["client_secret_post", "client_secret_basic", "private_key_jwt"])
def test_login_with_a_request_object_and_par(
    browser: Client, settings: Any, pingone_standin: PingOneStandIn, monkeypatch: Any, auth_method: str
) -> None:
    pem, public_jwk = rsa_pem_and_jwk("ro-key")
    pingone_standin.add_client(
        "strict",
        LONG_SECRET,
        token_endpoint_auth_method=auth_method,
        public_jwk=public_jwk,
        par_required=True,
        request_object_required=True,
    )
    algorithm = "RS256" if auth_method == "private_key_jwt" else "HS256"
    settings.PINGONE_AUTHORIZE = {
        "default": pingone_standin.settings(
            "strict",
            CLIENT_SECRET=LONG_SECRET,
            REDIRECT_URI=CALLBACK,
            USE_PAR=True,
            REQUEST_OBJECT_ALGORITHM=algorithm,
            TOKEN_ENDPOINT_AUTH_METHOD=auth_method,
            PRIVATE_KEY=pem,
            PRIVATE_KEY_ID="ro-key",
        )
    }
    monkeypatch.setattr(token_endpoint, "request_json", raise_after(token_endpoint.request_json))  # the PAR call
    with reports() as seen:
        assert browser.post("/pingone/login/").status_code == 500
    seen.assert_clean(LONG_SECRET, pem)


@pytest.mark.parametrize("mode", [None, "form_post"])
def test_callback_after_the_code_exchange(
    browser: Client, settings: Any, pingone_standin: PingOneStandIn, mode: str | None
) -> None:
    settings.PINGONE_AUTHORIZE = {
        "default": pingone_standin.settings(
            REDIRECT_URI=CALLBACK,
            RESPONSE_MODE=mode,
            STORE_TOKENS=True,
            SCOPE="openid profile email offline_access",
        )
    }
    browser.get("/home/")
    start = browser.post("/pingone/login/")
    answer = sign_on(requests.Session(), start["Location"])
    code = answer.params["code"] if answer.method == "GET" else answer.data["code"]

    tokens: dict[str, str] = {}

    def fail(sender: Any, request: Any, **kwargs: Any) -> None:
        tokens.update(get_tokens(request.session))  # in hand: stored in the session, not yet saved
        raise Planted("planted")

    sign_on_succeeded.connect(fail)
    try:
        with reports() as seen:
            assert come_back(browser, answer).status_code == 500
    finally:
        sign_on_succeeded.disconnect(fail)
    assert tokens["refresh_token"] and tokens["access_token"]
    client_secret = settings.PINGONE_AUTHORIZE["default"]["CLIENT_SECRET"]
    seen.assert_clean(code, tokens["id_token"], tokens["access_token"], tokens["refresh_token"], client_secret)


def test_callback_while_the_id_token_is_checked(
    browser: Client, settings: Any, pingone_standin: PingOneStandIn, monkeypatch: Any
) -> None:
    """An unexpected error below the callback's own frames (here: in the ID token's validation, which holds
    the ID token and the access token) shows none of them either."""
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(REDIRECT_URI=CALLBACK)}
    real = redeem.validate_id_token
    in_hand: list[str] = []

    def validate(config: Any, metadata: Any, id_token: str, **kwargs: Any) -> Any:
        in_hand.extend([id_token, kwargs["access_token"]])
        real(config, metadata, id_token, **kwargs)
        raise Planted("planted")

    monkeypatch.setattr(redeem, "validate_id_token", validate)
    browser.get("/home/")
    answer = sign_on(requests.Session(), browser.post("/pingone/login/")["Location"])
    with reports() as seen:
        assert come_back(browser, answer).status_code == 500
    seen.assert_clean(answer.params["code"], *in_hand)


@pytest.fixture
def embedded_users(pingone_standin: PingOneStandIn, settings: Any) -> PingOneStandIn:
    pingone_standin.add_user("ann", PASSWORD, sub="ann-sub")
    pingone_standin.add_user("carl", PASSWORD, sub="carl-sub", must_change_password=True)
    pingone_standin.add_user("olga", PASSWORD, sub="olga-sub", otp=OTP)
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK)}
    return pingone_standin


@pytest.mark.parametrize(
    ("username", "action", "fields"),
    [
        ("ann", "usernamePassword.check", {"username": "ann", "password": PASSWORD}),
        ("carl", "password.reset", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        ("olga", "otp.check", {"otp": OTP}),
    ],
)
def test_embedded_step(
    browser: Client,
    embedded_users: PingOneStandIn,
    settings: Any,
    monkeypatch: Any,
    username: str,
    action: str,
    fields: dict[str, str],
) -> None:
    url = browser.post("/pingone/login/")["Location"]
    if action != "usernamePassword.check":  # the password first, then the step under test
        step = browser.post(url, {"action": "usernamePassword.check", "username": username, "password": PASSWORD})
        assert step.status_code == 302 and step["Location"] == url
    monkeypatch.setattr(flows_api, "request_json", raise_after(flows_api.request_json))
    with reports() as seen:
        assert browser.post(url, {"action": action, **fields}).status_code == 500
    seen.assert_clean(PASSWORD, NEW_PASSWORD, OTP, settings.PINGONE_AUTHORIZE["default"]["CLIENT_SECRET"])


def test_logout_with_the_id_token(browser: Client, settings: Any, pingone_standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(REDIRECT_URI=CALLBACK, RESPONSE_MODE="form_post")}
    browser.get("/home/")
    answer = sign_on(requests.Session(), browser.post("/pingone/login/")["Location"])
    assert come_back(browser, answer).status_code == 302
    id_token = get_tokens(browser.session)["id_token"]

    def fail(sender: Any, **kwargs: Any) -> None:
        raise Planted("planted")

    user_logged_out.connect(fail)
    try:
        with reports() as seen:
            assert browser.post("/pingone/logout/").status_code == 500
    finally:
        user_logged_out.disconnect(fail)
    seen.assert_clean(id_token)
