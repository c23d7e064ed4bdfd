"""Starting a sign-on (``pingone:login``): the authorize request PingOne gets, for GET and POST."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from django_pingone_authorize.sign_on import pending
from django_pingone_authorize.sign_on.pending import SESSION_KEY
from tests.doubles.html_forms import parse_page

ENV = "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"
ISSUER = f"https://auth.pingone.com/{ENV}/as"
BASE = {
    "ENV_ID": ENV,
    "CLIENT_ID": "app-1",
    "CLIENT_SECRET": "secret-1-that-is-at-least-32-bytes-long",
    "DISCOVERY": False,
}

pytestmark = pytest.mark.django_db


@pytest.fixture
def configure(settings: Any) -> Any:
    def apply(**options: Any) -> None:
        settings.PINGONE_AUTHORIZE = {"default": {**BASE, **options}, "other": {**BASE, "CLIENT_ID": "app-2"}}

    apply()
    return apply


def query(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{ISSUER}/authorize"
    parsed = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    assert all(len(v) == 1 for v in parsed.values())
    return {k: v[0] for k, v in parsed.items()}


def test_get_redirects_with_every_required_parameter(client: Client, configure: Any) -> None:
    response = client.get("/pingone/login/")
    assert response.status_code == 302
    params = query(response["Location"])
    assert params["response_type"] == "code"
    assert params["client_id"] == "app-1"
    assert params["redirect_uri"] == "http://testserver/pingone/callback/"
    assert params["scope"] == "openid profile email"
    assert params["code_challenge_method"] == "S256"
    assert "response_mode" not in params and "prompt" not in params
    # >= 128 bits each: 32 random bytes, base64url.
    assert len(params["state"]) >= 43 and len(params["nonce"]) >= 43
    assert params["state"] != params["nonce"]
    # The session keeps what the callback needs, keyed by state; the verifier matches the challenge.
    entry = client.session[SESSION_KEY][params["state"]]
    assert entry["nonce"] == params["nonce"]
    assert entry["alias"] == "default"
    assert 43 <= len(entry["code_verifier"]) <= 128
    digest = hashlib.sha256(entry["code_verifier"].encode()).digest()
    assert params["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert response["Cache-Control"].startswith("max-age=0")  # never_cache


def test_each_sign_on_draws_fresh_values(client: Client, configure: Any) -> None:
    first = query(client.get("/pingone/login/")["Location"])
    second = query(client.get("/pingone/login/")["Location"])
    for name in ("state", "nonce", "code_challenge"):
        assert first[name] != second[name]
    assert set(client.session[SESSION_KEY]) == {first["state"], second["state"]}  # two tabs, two entries


def test_alias_in_url_selects_the_application(client: Client, configure: Any) -> None:
    params = query(client.get("/pingone/login/other/")["Location"])
    assert params["client_id"] == "app-2"
    assert client.session[SESSION_KEY][params["state"]]["alias"] == "other"
    assert client.get("/pingone/login/nope/").status_code == 404


def test_get_can_be_switched_off(client: Client, configure: Any) -> None:
    configure(ALLOW_GET_LOGIN=False)
    response = client.get("/pingone/login/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize("site_checks", [True, False], ids=["site-csrf-middleware", "no-csrf-middleware"])
def test_post_requires_csrf(settings: Any, configure: Any, site_checks: bool) -> None:
    # Checked by the site's CsrfViewMiddleware when it has one, by the view's own csrf_protect when it has none.
    csrf_middleware = "django.middleware.csrf.CsrfViewMiddleware"
    assert csrf_middleware in settings.MIDDLEWARE
    if not site_checks:
        settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != csrf_middleware]
    browser = Client(enforce_csrf_checks=True)
    assert browser.post("/pingone/login/").status_code == 403
    secret = "k" * 32
    browser.cookies["csrftoken"] = secret
    assert browser.post("/pingone/login/", {"csrfmiddlewaretoken": "w" * 32}).status_code == 403
    started = browser.post("/pingone/login/", {"csrfmiddlewaretoken": secret})
    assert started.status_code == 302
    assert started["Location"].startswith("https://")
    assert len(browser.session[SESSION_KEY]) == 1


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/home/?a=1", "/home/?a=1"),
        ("http://testserver/home/", "http://testserver/home/"),
        ("https://evil.example/", None),
        ("//evil.example/", None),
        ("/\\evil.example/", None),
        ("javascript:alert(1)", None),
        ("http:///evil.example", None),
        ("/\t/evil.example/", None),  # browsers drop the tab: "//evil.example/"
        ("/\n/evil.example/", None),
        (" //evil.example/", None),
    ],
)
def test_next_is_kept_only_when_safe(client: Client, configure: Any, given: str, kept: str | None) -> None:
    params = query(client.get("/pingone/login/", {"next": given})["Location"])
    assert client.session[SESSION_KEY][params["state"]].get("next_url") == kept  # not stored when None


def test_fixed_and_per_request_parameters(client: Client, configure: Any) -> None:
    configure(ACR_VALUES="Single_Factor", MAX_AGE=3600, RESPONSE_MODE="form_post")
    params = query(client.get("/pingone/login/", {"prompt": "login", "login_hint": "ann@example.com"})["Location"])
    assert params["acr_values"] == "Single_Factor"
    assert params["max_age"] == "3600"
    assert params["response_mode"] == "form_post"
    assert params["prompt"] == "login"
    assert params["login_hint"] == "ann@example.com"


def test_per_request_parameters_outside_the_allow_list_are_ignored(client: Client, configure: Any) -> None:
    configure(REQUEST_PARAMS=("prompt",))
    url = client.get("/pingone/login/", {"login_hint": "x", "redirect_uri": "https://evil/", "scope": "openid admin"})
    params = query(url["Location"])
    assert "login_hint" not in params
    assert params["redirect_uri"] == "http://testserver/pingone/callback/"
    assert params["scope"] == "openid profile email"


@pytest.mark.parametrize(
    ("name", "value"),
    [("prompt", "bogus"), ("prompt", "none login"), ("max_age", "-1"), ("max_age", "1e9"), ("acr_values", "<x>")],
)
def test_malformed_per_request_parameters_are_a_400(client: Client, configure: Any, name: str, value: str) -> None:
    response = client.get("/pingone/login/", {name: value})
    assert response.status_code == 400
    assert b"bad_request_parameter" in response.content
    assert SESSION_KEY not in client.session


def test_redirect_uri_can_be_fixed(client: Client, configure: Any) -> None:
    configure(REDIRECT_URI="https://site.example/sso/back/")
    params = query(client.get("/pingone/login/")["Location"])
    assert params["redirect_uri"] == "https://site.example/sso/back/"
    assert client.session[SESSION_KEY][params["state"]]["redirect_uri"] == "https://site.example/sso/back/"


def test_post_method_renders_a_self_submitting_form_without_inline_script(client: Client, configure: Any) -> None:
    configure(METHOD="POST")
    response = client.post("/pingone/login/")
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "no-referrer"
    page = parse_page(response.content)
    (form,) = page.forms
    assert form.attrs["method"] == "post"
    assert form.action == f"{ISSUER}/authorize"
    assert "data-pingone-autosubmit" in form.attrs
    assert form.fields["client_id"] == "app-1"
    assert form.fields["code_challenge_method"] == "S256"
    assert form.fields["state"] in client.session[SESSION_KEY]
    assert len(page.buttons) == 1  # works with script off
    # Only an external script from our own origin: fine under script-src 'self' without a nonce.
    assert page.scripts == [{"src": "/pingone/autosubmit.js", "defer": None}]
    assert not re.search(r"<script[^>]*>[^<]+</script>", response.content.decode())
    script = client.get("/pingone/autosubmit.js")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("text/javascript")
    assert b"data-pingone-autosubmit" in script.content


def test_pending_sign_ons_are_capped_and_expire(client: Client, configure: Any, monkeypatch: Any) -> None:
    configure(PENDING_MAX=3, PENDING_TTL=100)
    states = [query(client.get("/pingone/login/")["Location"])["state"] for _ in range(5)]
    assert list(client.session[SESSION_KEY]) == states[2:]  # the oldest two were dropped
    later = pending._now() + 101
    monkeypatch.setattr(pending, "_now", lambda: later)
    newest = query(client.get("/pingone/login/")["Location"])["state"]
    assert list(client.session[SESSION_KEY]) == [newest]


def test_signed_request_object_hs256(client: Client, configure: Any) -> None:
    configure(REQUEST_OBJECT_ALGORITHM="HS256", PROMPT="login")
    params = query(client.get("/pingone/login/")["Location"])
    assert set(params) == {"client_id", "response_type", "scope", "request"}
    claims = jwt.decode(
        params["request"],
        "secret-1-that-is-at-least-32-bytes-long",
        algorithms=["HS256"],
        audience=ISSUER,
        issuer="app-1",
    )
    assert claims["prompt"] == "login"
    assert claims["redirect_uri"] == "http://testserver/pingone/callback/"
    assert claims["state"] in client.session[SESSION_KEY]
    assert claims["code_challenge_method"] == "S256"


def test_signed_request_object_rs256(client: Client, configure: Any) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    configure(REQUEST_OBJECT_ALGORITHM="RS256", PRIVATE_KEY=pem, PRIVATE_KEY_ID="k1")
    params = query(client.get("/pingone/login/")["Location"])
    assert jwt.get_unverified_header(params["request"])["kid"] == "k1"
    claims = jwt.decode(params["request"], key.public_key(), algorithms=["RS256"], audience=ISSUER)
    assert claims["iss"] == "app-1"
    assert claims["nonce"] == client.session[SESSION_KEY][claims["state"]]["nonce"]
