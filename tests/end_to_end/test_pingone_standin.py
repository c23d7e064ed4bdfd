"""Whole redirect sign-ons against the PingOne stand-in over real HTTP, and the steady-state promise:
exactly one outbound HTTP call (the token request) per sign-on once discovery and JWKS are cached."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from django_pingone_authorize.sessions.token_store import get_tokens
from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import AuthorizationResponse, parse_autosubmit_form, sign_on

pytestmark = pytest.mark.django_db

CALLBACK = "http://127.0.0.1:8000/pingone/callback/"
LONG_SECRET = "stand-in-secret-" + "x" * 48


def configure(settings: Any, standin: PingOneStandIn, client_id: str = "demo-client", **options: Any) -> None:
    settings.PINGONE_AUTHORIZE = {"default": standin.settings(client_id, REDIRECT_URI=CALLBACK, **options)}


def press_login(client: Client, **data: str) -> tuple[str | None, tuple[str, dict[str, str]] | None]:
    response = client.post("/pingone/login/", data)
    if response.status_code == 302:
        return response["Location"], None
    assert response.status_code == 200, response.content
    return None, parse_autosubmit_form(response.content.decode())


def come_back(client: Client, answer: AuthorizationResponse) -> Any:
    if answer.method == "GET":
        return client.get("/pingone/callback/", answer.params)
    return client.post("/pingone/callback/", answer.data)


def full_sign_on(client: Client, **data: str) -> Any:
    url, form = press_login(client, **data)
    return come_back(client, sign_on(requests.Session(), url, form=form))


def who(client: Client) -> str:
    return client.get("/home/").content.decode().removeprefix("home: ")


def rsa_pem_and_jwk(kid: str) -> tuple[str, dict[str, Any]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return pem, {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


@pytest.mark.parametrize(
    ("method", "mode"), [("GET", None), ("POST", None), ("GET", "form_post"), ("POST", "form_post")]
)
def test_get_and_post_with_query_and_form_post(
    client: Client, settings: Any, pingone_standin: PingOneStandIn, method: str, mode: str | None
) -> None:
    configure(settings, pingone_standin, METHOD=method, RESPONSE_MODE=mode)
    response = full_sign_on(client, next="/home/?x=1")
    assert response.status_code == 302, response.content
    assert response["Location"] == "/home/?x=1"
    assert who(client) == "demo"


@pytest.mark.parametrize(
    "auth_method", ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"]
)
def test_every_token_endpoint_auth_method(
    client: Client, settings: Any, pingone_standin: PingOneStandIn, auth_method: str
) -> None:
    options: dict[str, Any] = {}
    public_jwk = None
    if auth_method == "private_key_jwt":
        pem, public_jwk = rsa_pem_and_jwk("app-key-1")
        options = {"PRIVATE_KEY": pem, "PRIVATE_KEY_ID": "app-key-1"}
    secret = None if auth_method in ("none", "private_key_jwt") else LONG_SECRET
    pingone_standin.add_client("app", secret, token_endpoint_auth_method=auth_method, public_jwk=public_jwk)
    configure(settings, pingone_standin, "app", **options)
    assert full_sign_on(client).status_code == 302
    assert who(client) == "demo"


def test_request_object_and_par(client: Client, settings: Any, pingone_standin: PingOneStandIn) -> None:
    pem, public_jwk = rsa_pem_and_jwk("ro-key")
    pingone_standin.add_client(
        "strict", LONG_SECRET, public_jwk=public_jwk, par_required=True, request_object_required=True
    )
    configure(
        settings,
        pingone_standin,
        "strict",
        USE_PAR=True,
        REQUEST_OBJECT_ALGORITHM="RS256",
        PRIVATE_KEY=pem,
        PRIVATE_KEY_ID="ro-key",
    )
    url, _ = press_login(client)
    assert url is not None and set(parse_qs(urlsplit(url).query)) == {"client_id", "request_uri"}
    assert come_back(client, sign_on(requests.Session(), url)).status_code == 302
    assert who(client) == "demo"


def test_hs256_request_object(client: Client, settings: Any, pingone_standin: PingOneStandIn) -> None:
    pingone_standin.add_client("hs", LONG_SECRET, request_object_required=True)
    configure(settings, pingone_standin, "hs", REQUEST_OBJECT_ALGORITHM="HS256", PROMPT="login")
    assert full_sign_on(client).status_code == 302
    assert who(client) == "demo"


def test_password_change_and_one_time_code_on_the_hosted_pages(
    client: Client, settings: Any, pingone_standin: PingOneStandIn
) -> None:
    configure(settings, pingone_standin)
    url, _ = press_login(client)
    answer = sign_on(requests.Session(), url, username="change", password="change", new_password="Brand-New-9")
    assert come_back(client, answer).status_code == 302
    other = Client()
    url, _ = press_login(other)
    assert (
        come_back(other, sign_on(requests.Session(), url, username="otp", password="otp", otp="123456")).status_code
        == 302
    )
    assert who(client) == "change" and who(other) == "otp"


def test_userinfo_and_stored_tokens(client: Client, settings: Any, pingone_standin: PingOneStandIn) -> None:
    configure(settings, pingone_standin, USERINFO=True, STORE_TOKENS=True, SCOPE="openid profile email offline_access")
    assert full_sign_on(client).status_code == 302
    stored = get_tokens(client.session)  # encrypted in the session (token_store)
    assert set(stored) >= {"alias", "id_token", "access_token", "refresh_token", "access_token_expires_at"}
    assert set(client.session["_pingone_tokens"]).isdisjoint({"id_token", "access_token", "refresh_token"})


def test_steady_state_is_one_outbound_call_per_sign_on(
    client: Client, settings: Any, pingone_standin: PingOneStandIn
) -> None:
    configure(settings, pingone_standin)
    assert full_sign_on(client).status_code == 302  # cold: discovery and JWKS fetched once
    for _ in range(3):
        browser = Client()
        url, _ = press_login(browser)
        answer = sign_on(requests.Session(), url)  # the user at PingOne: not the app's calls
        pingone_standin.reset_requests_seen()
        assert come_back(browser, answer).status_code == 302
        assert pingone_standin.requests_seen == [("POST", pingone_standin.paths.token_endpoint)]
    # Starting a sign-on makes no outbound call at all.
    pingone_standin.reset_requests_seen()
    press_login(Client())
    assert pingone_standin.requests_seen == []


def test_key_rotation_fetches_the_jwks_once_more(
    client: Client, settings: Any, pingone_standin: PingOneStandIn, monkeypatch: Any
) -> None:
    from django_pingone_authorize.provider import signing_keys as jwks

    monkeypatch.setattr(jwks, "REFETCH_INTERVAL", 0.0)
    configure(settings, pingone_standin)
    assert full_sign_on(client).status_code == 302
    pingone_standin.rotate_keys()
    browser = Client()
    url, _ = press_login(browser)
    answer = sign_on(requests.Session(), url)
    pingone_standin.reset_requests_seen()
    assert come_back(browser, answer).status_code == 302
    paths = [path for _, path in pingone_standin.requests_seen]
    assert paths == [pingone_standin.paths.token_endpoint, pingone_standin.paths.jwks_uri]


def test_logout_signs_off_at_pingone(client: Client, settings: Any, pingone_standin: PingOneStandIn) -> None:
    configure(settings, pingone_standin, POST_LOGOUT_REDIRECT_URI="http://127.0.0.1:8000/")
    http = requests.Session()
    url, _ = press_login(client)
    assert come_back(client, sign_on(http, url)).status_code == 302
    response = client.post("/pingone/logout/")
    assert response.status_code == 302
    assert response["Location"].startswith(pingone_standin.end_session_endpoint + "?")
    back = http.get(response["Location"], allow_redirects=False)
    assert back.status_code == 302
    assert back.headers["Location"] == "http://127.0.0.1:8000/"  # no state: nothing would check it
    assert who(client) == "anonymous"
