"""A native app through an external identity provider: the system browser signs on (a redirect sign-on at the
stand-in's hosted page, through the provider), the app's own redirect takes a one-time code, and the app redeems
it with its PKCE verifier for an app-client session. Every refusal is tested."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.test import Client

from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import sign_on
from tests.headless.conftest import HeadlessClient, Seen, validated

pytestmark = pytest.mark.django_db

APP_URI = "com.example.app:/pingone"


@pytest.fixture(autouse=True)
def app_redirect(settings: Any, standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE_HEADLESS = {"APP_REDIRECT_URIS": [APP_URI]}


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def browser_sign_on(browser: Client, start_url: str, standin: PingOneStandIn, provider: str) -> Any:
    """The system browser: the app's start URL, the site's redirect sign-on, PingOne (the provider), and back."""
    started = browser.get(start_url)
    assert started.status_code == 302 and started["Location"].startswith("/pingone/login/default/?hosted=1")
    to_pingone = browser.get(started["Location"])
    assert to_pingone.status_code == 302 and to_pingone["Location"].startswith(standin.auth_path)
    with requests.Session() as http:
        back = sign_on(http, to_pingone["Location"], provider=provider)
    landed = browser.get(back.url)
    assert landed.status_code == 302 and landed["Location"].startswith("/pingone/headless/app/handoff/?ticket=")
    return browser.get(landed["Location"])


def code_of(response: Any) -> str:
    assert response.status_code == 302 and response["Location"].startswith(APP_URI + "?code=")
    return parse_qs(urlsplit(response["Location"]).query)["code"][0]


def test_an_app_signs_on_through_an_external_provider(app: HeadlessClient, standin: PingOneStandIn) -> None:
    step = app.start()
    (provider,) = step.body["providers"]
    assert provider["url"] == "/pingone/headless/app/browser/default/"  # the site's own, never PingOne's flow link
    verifier, challenge = pkce()
    start_url = provider["url"] + "?" + urlencode({"redirect_uri": APP_URI, "code_challenge": challenge})
    code = code_of(browser_sign_on(Client(), start_url, standin, provider["name"]))
    redeemed = app.call("POST", "handoff/", {"code": code, "code_verifier": verifier})
    assert redeemed.status == 200 and redeemed.body["signed_on"] is True and redeemed.body["session_token"]
    assert app.session().body["user"] == redeemed.body["user"]
    again = app.call("POST", "handoff/", {"code": code, "code_verifier": verifier})
    assert again.status == 400 and again.body["error"] == "handoff_refused"  # once


def test_a_wrong_verifier_spends_the_code(app: HeadlessClient, standin: PingOneStandIn) -> None:
    verifier, challenge = pkce()
    start_url = "/pingone/headless/app/browser/default/?" + urlencode(
        {"redirect_uri": APP_URI, "code_challenge": challenge}
    )
    code = code_of(browser_sign_on(Client(), start_url, standin, next(iter(standin.providers.values())).name))
    wrong = app.call("POST", "handoff/", {"code": code, "code_verifier": pkce()[0]})
    assert wrong.status == 400 and wrong.body["error"] == "handoff_refused"
    late = app.call("POST", "handoff/", {"code": code, "code_verifier": verifier})
    assert late.status == 400
    for body in ({"code": "made-up", "code_verifier": verifier}, {"code": code}, {"code": 1, "code_verifier": 2}):
        assert app.call("POST", "handoff/", body).status == 400


@pytest.mark.parametrize(
    "query",
    [
        {"redirect_uri": "com.evil.app:/steal", "code_challenge": "a" * 43},
        {"redirect_uri": APP_URI + "/other", "code_challenge": "a" * 43},
        {"redirect_uri": APP_URI, "code_challenge": "short"},
        {"redirect_uri": APP_URI, "code_challenge": "a" * 43, "code_challenge_method": "plain"},
        {"code_challenge": "a" * 43},
    ],
)
def test_the_start_refuses_what_is_not_the_apps(query: dict[str, str], seen: Seen) -> None:
    response = Client().get("/pingone/headless/app/browser/default/?" + urlencode(query))
    body = validated(seen, "GET", "/pingone/headless/app/browser/default/", response)
    assert response.status_code == 400 and body["error"] in ("bad_redirect_uri", "bad_code_challenge")


def test_the_handoff_needs_a_signed_on_browser_and_a_ticket_of_ours(seen: Seen) -> None:
    started = Client().get(
        "/pingone/headless/app/browser/default/?" + urlencode({"redirect_uri": APP_URI, "code_challenge": "a" * 43})
    )
    handoff = parse_qs(urlsplit(started["Location"]).query)["next"][0]
    anonymous = Client().get(handoff)
    assert anonymous.status_code == 401
    assert validated(seen, "GET", "/pingone/headless/app/handoff/", anonymous)["error"] == "not_signed_on"
    forged = Client().get("/pingone/headless/app/handoff/?ticket=eyJ4Ijoi.forged")
    assert forged.status_code == 400
    assert validated(seen, "GET", "/pingone/headless/app/handoff/", forged)["error"] == "bad_ticket"
    assert (
        Client()
        .get("/pingone/headless/app/browser/nope/?" + urlencode({"redirect_uri": APP_URI, "code_challenge": "a" * 43}))
        .status_code
        == 404
    )


def test_no_redirect_uri_registered_no_handoff(settings: Any, seen: Seen) -> None:
    settings.PINGONE_AUTHORIZE_HEADLESS = {}
    response = Client().get(
        "/pingone/headless/app/browser/default/?" + urlencode({"redirect_uri": APP_URI, "code_challenge": "a" * 43})
    )
    assert response.status_code == 400
    assert validated(seen, "GET", "/pingone/headless/app/browser/default/", response)["error"] == "bad_redirect_uri"
