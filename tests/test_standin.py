"""The PingOne stand-in itself, over real HTTP on loopback (no Django involved)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_pingone_authorize.layout import PingOneLayout
from django_pingone_authorize.testing import DEFAULT_ENV_ID, PingOneStandIn
from django_pingone_authorize.testing.driver import SignOnError, parse_autosubmit_form, sign_on
from django_pingone_authorize.testing.jose import b64url_encode, rsa_public_jwk, s256

REDIRECT_URI = "http://127.0.0.1:8000/pingone/callback/"
USERNAME_PASSWORD = "application/vnd.pingidentity.usernamePassword.check+json"
LONG_SECRET = "x" * 64  # long enough for HS512 without PyJWT's short-key warning


# -- Helpers -------------------------------------------------------------------------------------------


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Pkce:
    def __init__(self) -> None:
        self.verifier = secrets.token_urlsafe(48)
        self.challenge = s256(self.verifier)


def authorize_params(pkce: Pkce, **overrides: str) -> dict[str, str]:
    return {
        "redirect_uri": REDIRECT_URI,
        "state": "state-1",
        "nonce": "nonce-1",
        "scope": "openid profile email",
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        **overrides,
    }


def exchange(
    pingone_standin: PingOneStandIn,
    code: str,
    pkce: Pkce,
    *,
    auth: tuple[str, str] | None = ("demo-client", "demo-secret"),
    **data: str,
) -> requests.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    form["code_verifier"] = pkce.verifier
    form.update(data)
    return requests.post(pingone_standin.token_endpoint, data=form, auth=auth, timeout=5)


def decode_id_token(pingone_standin: PingOneStandIn, token: str, audience: str = "demo-client") -> dict[str, Any]:
    jwks = requests.get(pingone_standin.jwks_uri, timeout=5).json()
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(jwt.PyJWK(jwk) for jwk in jwks["keys"] if jwk["kid"] == kid)
    claims: dict[str, Any] = jwt.decode(token, key.key, algorithms=["RS256"], audience=audience, issuer=pingone_standin.issuer)
    return claims


def code_for(pingone_standin: PingOneStandIn, http: requests.Session, pkce: Pkce, client_id: str = "demo-client") -> str:
    back = sign_on(http, pingone_standin.authorize_url(client_id, **authorize_params(pkce)))
    return back.params["code"]


def hs_jwt(claims: dict[str, Any], secret: str, alg: str = "HS256") -> str:
    header = b64url_encode(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = b64url_encode(json.dumps(claims).encode())
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), digest).digest()
    return f"{header}.{payload}.{b64url_encode(signature)}"


def assertion_claims(pingone_standin: PingOneStandIn, client_id: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": pingone_standin.token_endpoint,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    }
    claims.update(overrides)
    return claims


def pi_flow_start(pingone_standin: PingOneStandIn, http: requests.Session, pkce: Pkce, **overrides: str) -> dict[str, Any]:
    response = http.get(
        pingone_standin.authorize_url(**authorize_params(pkce, response_mode="pi.flow", **overrides)),
        allow_redirects=False,
    )
    assert response.status_code == 200, response.text
    flow: dict[str, Any] = response.json()
    return flow


def flow_action(http: requests.Session, flow: dict[str, Any], link: str, action: str, body: Any) -> requests.Response:
    return http.post(
        flow["_links"][link]["href"],
        data=json.dumps(body),
        headers={"Content-Type": f"application/vnd.pingidentity.{action}+json"},
    )


# -- Discovery and keys --------------------------------------------------------------------------------


def test_discovery_document(pingone_standin: PingOneStandIn) -> None:
    response = requests.get(pingone_standin.discovery_url, timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert "no-store" in response.headers["Cache-Control"]
    doc = response.json()
    issuer = f"{pingone_standin.auth_path}/{pingone_standin.env_id}/as"
    assert doc["issuer"] == pingone_standin.issuer == issuer
    assert doc["authorization_endpoint"] == f"{issuer}/authorize"
    assert doc["token_endpoint"] == f"{issuer}/token"
    assert doc["userinfo_endpoint"] == f"{issuer}/userinfo"
    assert doc["jwks_uri"] == f"{issuer}/jwks"
    assert doc["end_session_endpoint"] == f"{issuer}/signoff"
    assert doc["pushed_authorization_request_endpoint"] == f"{issuer}/par"
    assert {"query", "form_post", "pi.flow"} <= set(doc["response_modes_supported"])
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "client_secret_jwt",
        "private_key_jwt",
        "none",
    }
    assert doc["code_challenge_methods_supported"] == ["plain", "S256"]
    assert "RS256" in doc["request_object_signing_alg_values_supported"]
    assert "HS256" in doc["request_object_signing_alg_values_supported"]
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "email" in doc["claims_supported"]


def test_pingones_layout_spelled_out() -> None:
    """PINGONE.md's URLs, spelled out once: the stand-in, the test doubles and the app read them from
    ``PingOneLayout``, so this is where the layout itself is checked."""
    env = "8c3b5a4e-1f2d-4b6a-9c7e-0d1e2f3a4b5c"
    layout = PingOneLayout("https://auth.pingone.eu/", env)
    issuer = f"https://auth.pingone.eu/{env}/as"
    assert layout.environment == f"https://auth.pingone.eu/{env}"
    assert layout.issuer == issuer
    assert layout.discovery_url == f"{issuer}/.well-known/openid-configuration"
    assert layout.authorization_endpoint == f"{issuer}/authorize"
    assert layout.token_endpoint == f"{issuer}/token"
    assert layout.jwks_uri == f"{issuer}/jwks"
    assert layout.userinfo_endpoint == f"{issuer}/userinfo"
    assert layout.end_session_endpoint == f"{issuer}/signoff"
    assert layout.idp_signoff_endpoint == f"{issuer}/idpSignoff"
    assert layout.pushed_authorization_request_endpoint == f"{issuer}/par"
    assert layout.introspection_endpoint == f"{issuer}/introspect"
    assert layout.revocation_endpoint == f"{issuer}/revoke"
    assert layout.resume_endpoint == f"{issuer}/resume"
    assert layout.resume_url("f-1") == f"{issuer}/resume?flowId=f-1"
    assert layout.flows_base == f"https://auth.pingone.eu/{env}/flows"
    assert layout.flow_url("f-1") == f"https://auth.pingone.eu/{env}/flows/f-1"
    custom = PingOneLayout("https://login.example.com")  # a custom domain: no environment ID in the path
    assert custom.issuer == "https://login.example.com/as"
    assert custom.flow_url("f-1") == "https://login.example.com/flows/f-1"
    paths = PingOneLayout("", env)  # no host: the paths a server routes on
    assert paths.token_endpoint == f"/{env}/as/token"
    assert paths.flow_url("f-1") == f"/{env}/flows/f-1"


def test_jwks_and_key_rotation(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    first = requests.get(pingone_standin.jwks_uri, timeout=5).json()["keys"]
    assert [key["kid"] for key in first] == [pingone_standin.signing_kid]
    assert first[0]["kty"] == "RSA" and first[0]["alg"] == "RS256" and "d" not in first[0]
    pkce = Pkce()
    old_token = exchange(pingone_standin, code_for(pingone_standin, http, pkce), pkce).json()["id_token"]
    assert jwt.get_unverified_header(old_token)["kid"] == first[0]["kid"]

    pingone_standin.rotate_keys()
    second = requests.get(pingone_standin.jwks_uri, timeout=5).json()["keys"]
    assert [key["kid"] for key in second] == [pingone_standin.signing_kid] != [first[0]["kid"]]
    pkce = Pkce()
    new_token = exchange(pingone_standin, code_for(pingone_standin, http, pkce), pkce).json()["id_token"]
    assert jwt.get_unverified_header(new_token)["kid"] == second[0]["kid"]
    decode_id_token(pingone_standin, new_token)

    pingone_standin.reset()
    assert pingone_standin.signing_kid == first[0]["kid"]


# -- Authorization code flow through the hosted pages --------------------------------------------------


def test_get_authorize_sign_on_and_token(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pkce = Pkce()
    first = http.get(pingone_standin.authorize_url(**authorize_params(pkce)), allow_redirects=False)
    assert first.status_code == 302
    assert first.headers["Location"].startswith(f"{pingone_standin.sign_on_action_url}?flowId=")
    cookie = next(c for c in http.cookies if c.name == "ST")
    assert cookie.path == f"/{pingone_standin.env_id}"

    back = sign_on(http, pingone_standin.authorize_url(**authorize_params(pkce, login_hint="demo")))
    assert back.method == "GET"
    assert back.url.startswith(REDIRECT_URI + "?")
    assert back.params["state"] == "state-1"
    assert back.params["iss"] == pingone_standin.issuer

    response = exchange(pingone_standin, back.params["code"], pkce)
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert "refresh_token" not in body
    claims = decode_id_token(pingone_standin, body["id_token"])
    assert claims["sub"] == "5f0c2d8e-7a41-4b9c-8e3d-2a6b1c9f0e47"
    assert claims["nonce"] == "nonce-1"
    assert claims["email"] == "demo@example.com" and claims["email_verified"] is True
    assert claims["given_name"] == "Demo" and claims["preferred_username"] == "demo"
    assert abs(claims["auth_time"] - time.time()) < 60
    digest = hashlib.sha256(body["access_token"].encode()).digest()
    assert claims["at_hash"] == b64url_encode(digest[:16])


def test_post_authorize(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pkce = Pkce()
    fields = {"response_type": "code", "client_id": "demo-client", **authorize_params(pkce)}
    back = sign_on(http, form=(pingone_standin.authorization_endpoint, fields))
    assert back.params["state"] == "state-1"
    assert exchange(pingone_standin, back.params["code"], pkce).status_code == 200


def test_sign_on_page_prefills_login_hint(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pkce = Pkce()
    page = http.get(pingone_standin.authorize_url(**authorize_params(pkce, login_hint="someone&<>")))
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert 'value="someone&amp;&lt;&gt;"' in page.text
    assert "Cancel" in page.text and "Stand-in IdP" in page.text


def test_scopes_choose_the_claims(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pingone_standin.add_user("scoped", "pw", claims={"email": "s@example.com", "name": "S", "groups": ["staff"]})
    pkce = Pkce()
    back = sign_on(
        http, pingone_standin.authorize_url(**authorize_params(pkce, scope="openid email")), username="scoped", password="pw"
    )
    claims = decode_id_token(pingone_standin, exchange(pingone_standin, back.params["code"], pkce).json()["id_token"])
    assert claims["email"] == "s@example.com"
    assert "name" not in claims
    assert claims["groups"] == ["staff"]  # custom attributes go out whatever the scope


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"client_id": "nobody"}, "client_id is not an application here"),
        ({"client_id": ""}, "client_id is missing"),
        ({"redirect_uri": "https://evil.example/cb"}, "Redirect URI mismatch"),
        ({"redirect_uri": "http://127.0.0.1:8000/cb#fragment"}, "Redirect URI mismatch"),
        ({"redirect_uri": ""}, "Redirect URI mismatch"),
    ],
)
def test_bad_client_or_redirect_uri_is_a_page_not_a_redirect(
    pingone_standin: PingOneStandIn, params: dict[str, str], message: str
) -> None:
    query = {"response_type": "code", "client_id": "demo-client", **authorize_params(Pkce()), **params}
    response = requests.get(pingone_standin.authorization_endpoint, params=query, allow_redirects=False, timeout=5)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    assert message in response.text


def test_registered_redirect_uris_are_matched_exactly(pingone_standin: PingOneStandIn) -> None:
    pingone_standin.add_client("strict", "secret", redirect_uris=["https://app.example/cb"])
    pkce = Pkce()
    ok = requests.get(
        pingone_standin.authorize_url("strict", **authorize_params(pkce, redirect_uri="https://app.example/cb")),
        allow_redirects=False,
        timeout=5,
    )
    assert ok.status_code == 302 and "/signon/" in ok.headers["Location"]
    loopback = requests.get(pingone_standin.authorize_url("strict", **authorize_params(pkce)), timeout=5)
    assert loopback.status_code == 400


def redirect_error(pingone_standin: PingOneStandIn, client_id: str = "demo-client", **params: str) -> dict[str, str]:
    response = requests.get(pingone_standin.authorize_url(client_id, **params), allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "profile email"}, "invalid_scope"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"max_age": "soon"}, "invalid_request"),
        ({"response_mode": "web_message"}, "invalid_request"),
        ({"prompt": "none"}, "login_required"),
    ],
)
def test_bad_request_errors_go_back_on_the_redirect(
    pingone_standin: PingOneStandIn, overrides: dict[str, str], error: str
) -> None:
    params = redirect_error(pingone_standin, **authorize_params(Pkce(), **overrides))
    assert params["error"] == error
    assert params["error_description"]
    assert params["state"] == "state-1"
    assert params["iss"] == pingone_standin.issuer


def test_pkce_required(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    params = authorize_params(Pkce())
    del params["code_challenge"], params["code_challenge_method"]
    assert redirect_error(pingone_standin, "demo-public", **params)["error"] == "invalid_request"

    pingone_standin.add_client("optional", "secret", pkce="OPTIONAL")
    back = sign_on(http, pingone_standin.authorize_url("optional", **params))
    response = requests.post(
        pingone_standin.token_endpoint,
        data={"grant_type": "authorization_code", "code": back.params["code"], "redirect_uri": REDIRECT_URI},
        auth=("optional", "secret"),
        timeout=5,
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("data", "description"),
    [
        ({"code_verifier": "w" * 43}, "does not match"),
        ({"code_verifier": "bad"}, "43 to 128"),
        ({"redirect_uri": "http://127.0.0.1:8000/other"}, "redirect_uri differs"),
        ({"grant_type": "authorization_code", "extra": "ignored", "redirect_uri": REDIRECT_URI + "x"}, "differs"),
    ],
)
def test_token_request_checks(
    pingone_standin: PingOneStandIn, http: requests.Session, data: dict[str, str], description: str
) -> None:
    pkce = Pkce()
    response = exchange(pingone_standin, code_for(pingone_standin, http, pkce), pkce, **data)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_grant"
    assert description in response.json()["error_description"]


def test_code_is_single_use_and_replay_revokes_tokens(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pkce = Pkce()
    code = code_for(pingone_standin, http, pkce)
    first = exchange(pingone_standin, code, pkce)
    assert first.status_code == 200
    access_token = first.json()["access_token"]
    assert requests.get(pingone_standin.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"}).ok
    replay = exchange(pingone_standin, code, pkce)
    assert replay.status_code == 400
    assert replay.json() == {
        "error": "invalid_grant",
        "error_description": "The authorization code has already been used.",
    }
    userinfo = requests.get(pingone_standin.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"})
    assert userinfo.status_code == 401


def test_code_expires(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pkce = Pkce()
    code = code_for(pingone_standin, http, pkce)
    pingone_standin.clock = lambda: time.time() + 61
    response = exchange(pingone_standin, code, pkce)
    assert response.json() == {"error": "invalid_grant", "error_description": "The authorization code has expired."}


def test_code_belongs_to_its_client(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pingone_standin.add_client("other", "other-secret")
    pkce = Pkce()
    response = exchange(pingone_standin, code_for(pingone_standin, http, pkce), pkce, auth=("other", "other-secret"))
    assert response.json()["error"] == "invalid_grant"
    assert exchange(pingone_standin, "not-a-code", pkce).json()["error"] == "invalid_grant"


def test_refresh_token(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pkce = Pkce()
    back = sign_on(http, pingone_standin.authorize_url(**authorize_params(pkce, scope="openid profile offline_access")))
    body = exchange(pingone_standin, back.params["code"], pkce).json()
    refresh = requests.post(
        pingone_standin.token_endpoint,
        data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
        auth=("demo-client", "demo-secret"),
        timeout=5,
    )
    assert refresh.status_code == 200, refresh.text
    assert refresh.json()["refresh_token"] != body["refresh_token"]
    assert (
        decode_id_token(pingone_standin, refresh.json()["id_token"])["sub"] == decode_id_token(pingone_standin, body["id_token"])["sub"]
    )
    again = requests.post(
        pingone_standin.token_endpoint,
        data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
        auth=("demo-client", "demo-secret"),
        timeout=5,
    )
    assert again.json()["error"] == "invalid_grant"


def test_session_prompt_and_max_age(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pkce = Pkce()
    assert redirect_error(pingone_standin, **authorize_params(pkce, prompt="none"))["error"] == "login_required"
    sign_on(http, pingone_standin.authorize_url(**authorize_params(pkce)))

    # Signed on: straight back with a code, without any page.
    silent = http.get(pingone_standin.authorize_url(**authorize_params(pkce, prompt="none")), allow_redirects=False)
    assert silent.status_code == 302 and silent.headers["Location"].startswith(REDIRECT_URI + "?code=")
    again = http.get(pingone_standin.authorize_url(**authorize_params(pkce)), allow_redirects=False)
    assert again.headers["Location"].startswith(REDIRECT_URI)

    for forcing in ({"prompt": "login"}, {"max_age": "0"}):
        pingone_standin.clock = lambda: time.time() + 2
        forced = http.get(pingone_standin.authorize_url(**authorize_params(pkce, **forcing)), allow_redirects=False)
        assert "/signon/" in forced.headers["Location"], forcing


def test_acr_values_and_amr(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pkce = Pkce()
    back = sign_on(http, pingone_standin.authorize_url(**authorize_params(pkce, acr_values="Strong_Policy Other")))
    claims = decode_id_token(pingone_standin, exchange(pingone_standin, back.params["code"], pkce).json()["id_token"])
    assert claims["acr"] == "Strong_Policy"
    assert claims["amr"] == ["pwd"]


def test_cancel_sends_access_denied(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    back = sign_on(http, pingone_standin.authorize_url(**authorize_params(Pkce())), cancel=True)
    assert back.params["error"] == "access_denied"
    assert back.params["state"] == "state-1"
    assert back.params["iss"] == pingone_standin.issuer


def test_wrong_password_on_the_page(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    with pytest.raises(SignOnError, match="username or password is incorrect"):
        sign_on(http, pingone_standin.authorize_url(**authorize_params(Pkce())), password="wrong")


def test_must_change_password_and_otp_pages(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    url = pingone_standin.authorize_url(**authorize_params(Pkce()))
    with pytest.raises(SignOnError, match="new_password"):
        sign_on(http, url, username="change", password="change")
    back = sign_on(http, url, username="change", password="change", new_password="changed")
    assert "code" in back.params

    with requests.Session() as other:
        with pytest.raises(SignOnError, match="one-time passcode is incorrect"):
            sign_on(other, url, username="otp", password="otp", otp="000000")
    with requests.Session() as other:
        pkce = Pkce()
        back = sign_on(
            other, pingone_standin.authorize_url(**authorize_params(pkce)), username="otp", password="otp", otp="123456"
        )
        claims = decode_id_token(pingone_standin, exchange(pingone_standin, back.params["code"], pkce).json()["id_token"])
        assert claims["amr"] == ["pwd", "otp"]
        assert claims["acr"] == "Multi_Factor"


def test_unsupported_status_on_the_page(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    with pytest.raises(SignOnError, match="DEVICE_SELECTION_REQUIRED"):
        sign_on(http, pingone_standin.authorize_url(**authorize_params(Pkce())), username="device", password="device")


def test_external_provider_on_the_page(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pkce = Pkce()
    back = sign_on(http, pingone_standin.authorize_url(**authorize_params(pkce)), provider="Stand-in IdP")
    claims = decode_id_token(pingone_standin, exchange(pingone_standin, back.params["code"], pkce).json()["id_token"])
    assert claims["sub"] == "5f0c2d8e-7a41-4b9c-8e3d-2a6b1c9f0e47"
    assert claims["amr"] == ["fed"]


def test_sign_on_page_needs_the_session_cookie(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    first = http.get(pingone_standin.authorize_url(**authorize_params(Pkce())), allow_redirects=False)
    page = requests.get(first.headers["Location"], timeout=5)
    assert page.status_code == 403
    assert "cookie" in page.text


# -- form_post -----------------------------------------------------------------------------------------


def test_form_post(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pkce = Pkce()
    url = pingone_standin.authorize_url(**authorize_params(pkce, response_mode="form_post"))
    back = sign_on(http, url)
    assert back.method == "POST"
    assert back.url == REDIRECT_URI
    assert set(back.data) == {"code", "state", "iss"}
    assert exchange(pingone_standin, back.data["code"], pkce).status_code == 200

    # Signed on now: the authorize answer is the auto-submitting page itself.
    page = http.get(url, allow_redirects=False)
    assert page.status_code == 200
    assert "<script>" in page.text and '<button type="submit">' in page.text and "<noscript>" in page.text
    action, fields = parse_autosubmit_form(page.text)
    assert action == REDIRECT_URI
    assert fields["state"] == "state-1" and fields["iss"] == pingone_standin.issuer


def test_parse_autosubmit_form() -> None:
    html = (
        '<html><body><form method="post" action="https://rp.example/cb?a=1&amp;b=2">'
        '<input type="hidden" name="error" value="access_denied">'
        '<input type="hidden" name="state" value="&quot;x&quot;">'
        '<button type="submit">Continue</button></form></body></html>'
    )
    assert parse_autosubmit_form(html) == ("https://rp.example/cb?a=1&b=2", {"error": "access_denied", "state": '"x"'})
    with pytest.raises(ValueError, match="no form"):
        parse_autosubmit_form("<p>nothing</p>")


# -- Client authentication -----------------------------------------------------------------------------


def basic_header(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def token_request_for(
    pingone_standin: PingOneStandIn, http: requests.Session, client_id: str, method: str, rsa_key: rsa.RSAPrivateKey
) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, form) of a token request for a fresh code, authenticated by ``method``."""
    pkce = Pkce()
    code = code_for(pingone_standin, http, pkce, client_id)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    form["code_verifier"] = pkce.verifier
    headers: dict[str, str] = {}
    if method == "client_secret_basic":
        headers = basic_header(client_id, "s3cret: with+odd/chars%")
    elif method == "client_secret_post":
        form.update(client_id=client_id, client_secret=LONG_SECRET)
    elif method.startswith("client_secret_jwt"):
        alg = method.split(":")[1]
        form["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        form["client_assertion"] = hs_jwt(assertion_claims(pingone_standin, client_id), LONG_SECRET, alg)
    elif method.startswith("private_key_jwt"):
        alg = method.split(":")[1]
        form["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        claims = assertion_claims(pingone_standin, client_id, aud=pingone_standin.issuer)
        form["client_assertion"] = jwt.encode(claims, rsa_key, algorithm=alg)
    else:
        form["client_id"] = client_id
    return headers, form


@pytest.mark.parametrize(
    "method",
    [
        "client_secret_basic",
        "client_secret_post",
        "client_secret_jwt:HS256",
        "client_secret_jwt:HS512",
        "private_key_jwt:RS256",
        "private_key_jwt:RS384",
        "none",
    ],
)
def test_client_authentication_methods(
    pingone_standin: PingOneStandIn, http: requests.Session, rsa_key: rsa.RSAPrivateKey, method: str
) -> None:
    registered = method.split(":")[0]
    client_id = "svc:app id"  # needs form-encoding inside Basic credentials
    secret = {"client_secret_basic": "s3cret: with+odd/chars%", "none": None}.get(registered, LONG_SECRET)
    pingone_standin.add_client(
        client_id,
        secret,
        token_endpoint_auth_method=registered,
        public_jwk=rsa_public_jwk(rsa_key.public_key()),
    )
    headers, form = token_request_for(pingone_standin, http, client_id, method, rsa_key)
    response = requests.post(pingone_standin.token_endpoint, data=form, headers=headers, timeout=5)
    assert response.status_code == 200, response.text
    decode_id_token(pingone_standin, response.json()["id_token"], audience=client_id)


def test_client_must_use_its_own_method(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pkce = Pkce()
    code = code_for(pingone_standin, http, pkce)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    response = requests.post(
        pingone_standin.token_endpoint, data={**form, "client_id": "demo-client", "client_secret": "demo-secret"}, timeout=5
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "client_secret_basic" in response.json()["error_description"]


def test_wrong_secret(pingone_standin: PingOneStandIn) -> None:
    response = requests.post(
        pingone_standin.token_endpoint, data={"grant_type": "authorization_code", "code": "x"}, auth=("demo-client", "nope")
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_public_client_cannot_be_posed_as_without_its_method(pingone_standin: PingOneStandIn) -> None:
    response = requests.post(
        pingone_standin.token_endpoint, data={"grant_type": "authorization_code", "client_id": "demo-client"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": "https://elsewhere.example/token"}, "aud"),
        ({"exp": int(time.time()) + 7200}, "more than an hour"),
        ({"exp": int(time.time()) - 600}, "expired"),
        ({"sub": "someone-else"}, "sub"),
        ({"jti": None}, "jti"),
    ],
)
def test_client_assertion_claims(pingone_standin: PingOneStandIn, overrides: dict[str, Any], reason: str) -> None:
    pingone_standin.add_client("jwt-client", LONG_SECRET, token_endpoint_auth_method="client_secret_jwt")
    claims = {k: v for k, v in assertion_claims(pingone_standin, "jwt-client", **overrides).items() if v is not None}
    response = requests.post(
        pingone_standin.par_endpoint,
        data={
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": hs_jwt(claims, LONG_SECRET),
            **{"response_type": "code", **authorize_params(Pkce())},
        },
        timeout=5,
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
    assert reason in response.json()["error_description"]


def test_client_assertion_replay(pingone_standin: PingOneStandIn) -> None:
    pingone_standin.add_client("jwt-client", LONG_SECRET, token_endpoint_auth_method="client_secret_jwt")
    form = {
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": hs_jwt(assertion_claims(pingone_standin, "jwt-client", aud=pingone_standin.issuer), LONG_SECRET),
        "response_type": "code",
        **authorize_params(Pkce()),
    }
    assert requests.post(pingone_standin.par_endpoint, data=form, timeout=5).status_code == 201
    replay = requests.post(pingone_standin.par_endpoint, data=form, timeout=5)
    assert replay.status_code == 401
    assert "used before" in replay.json()["error_description"]
    forged = dict(form, client_assertion=hs_jwt(assertion_claims(pingone_standin, "jwt-client"), "not-the-secret"))
    assert requests.post(pingone_standin.par_endpoint, data=forged, timeout=5).status_code == 401


# -- Request objects and PAR ---------------------------------------------------------------------------


def test_request_object_hs256(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pingone_standin.add_client("ro-client", LONG_SECRET, request_object_required=True)
    pkce = Pkce()
    claims = {"iss": "ro-client", "aud": pingone_standin.issuer, "exp": int(time.time()) + 60}
    claims.update(authorize_params(pkce, state="from-object"))
    claims["max_age"] = 300  # numbers in a request object stand for their text
    token = hs_jwt(claims, LONG_SECRET)
    url = pingone_standin.authorize_url("ro-client", request=token, state="from-query", redirect_uri=REDIRECT_URI)
    back = sign_on(http, url)
    assert back.params["state"] == "from-object"
    response = exchange(pingone_standin, back.params["code"], pkce, auth=("ro-client", LONG_SECRET))
    assert response.status_code == 200

    # Required but missing, or badly signed: an error on the (registered) redirect URI.
    assert redirect_error(pingone_standin, "ro-client", **authorize_params(pkce))["error"] == "invalid_request"
    forged = hs_jwt(claims, "not-the-secret")
    error = redirect_error(pingone_standin, "ro-client", request=forged, **authorize_params(pkce))
    assert error["error"] == "invalid_request_object"
    wrong_aud = hs_jwt({**claims, "aud": "https://other.example"}, LONG_SECRET)
    assert redirect_error(pingone_standin, "ro-client", request=wrong_aud, **authorize_params(pkce))["error"] == (
        "invalid_request_object"
    )


def test_request_object_rs256(pingone_standin: PingOneStandIn, http: requests.Session, rsa_key: rsa.RSAPrivateKey) -> None:
    pingone_standin.add_client("rs-client", "secret", public_jwk=rsa_public_jwk(rsa_key.public_key()))
    pkce = Pkce()
    claims = {"iss": "rs-client", "aud": [pingone_standin.issuer], **authorize_params(pkce, nonce="object-nonce")}
    token = jwt.encode(claims, rsa_key, algorithm="RS256")
    back = sign_on(http, pingone_standin.authorize_url("rs-client", request=token))
    id_token = exchange(pingone_standin, back.params["code"], pkce, auth=("rs-client", "secret")).json()["id_token"]
    assert decode_id_token(pingone_standin, id_token, "rs-client")["nonce"] == "object-nonce"

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, other_key, algorithm="RS256")
    assert redirect_error(pingone_standin, "rs-client", request=forged, **authorize_params(pkce))["error"] == (
        "invalid_request_object"
    )


def test_par(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pingone_standin.add_client("par-client", "secret", par_required=True)
    pkce = Pkce()
    pushed = requests.post(
        pingone_standin.par_endpoint,
        data={"response_type": "code", "client_id": "par-client", **authorize_params(pkce, state="pushed")},
        auth=("par-client", "secret"),
        timeout=5,
    )
    assert pushed.status_code == 201, pushed.text
    request_uri = pushed.json()["request_uri"]
    assert request_uri.startswith("urn:pingone:")
    assert pushed.json()["expires_in"] == 60

    url = f"{pingone_standin.authorization_endpoint}?client_id=par-client&request_uri={quote_plus(request_uri)}"
    back = sign_on(http, url)
    assert back.params["state"] == "pushed"
    assert exchange(pingone_standin, back.params["code"], pkce, auth=("par-client", "secret")).status_code == 200

    reused = requests.get(url, allow_redirects=False, timeout=5)
    assert reused.status_code == 400 and "invalid_request_uri" in reused.text
    assert redirect_error(pingone_standin, "par-client", **authorize_params(pkce))["error"] == "invalid_request"


def test_par_expires_and_validates(pingone_standin: PingOneStandIn) -> None:
    pushed = requests.post(
        pingone_standin.par_endpoint,
        data={"response_type": "code", **authorize_params(Pkce())},
        auth=("demo-client", "demo-secret"),
        timeout=5,
    ).json()
    pingone_standin.clock = lambda: time.time() + 61
    url = f"{pingone_standin.authorization_endpoint}?client_id=demo-client&request_uri={quote_plus(pushed['request_uri'])}"
    assert requests.get(url, allow_redirects=False, timeout=5).status_code == 400

    bad = requests.post(
        pingone_standin.par_endpoint,
        data={"response_type": "code", **authorize_params(Pkce(), redirect_uri="https://evil.example/")},
        auth=("demo-client", "demo-secret"),
        timeout=5,
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_request"
    unauthenticated = requests.post(pingone_standin.par_endpoint, data={"client_id": "demo-client"}, timeout=5)
    assert unauthenticated.status_code == 401


# -- pi.flow and the flows API -------------------------------------------------------------------------


def test_pi_flow_happy_path(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pkce = Pkce()
    response = http.get(pingone_standin.authorize_url(**authorize_params(pkce, response_mode="pi.flow")))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert "ST=" in response.headers["Set-Cookie"] and f"Path=/{pingone_standin.env_id}" in response.headers["Set-Cookie"]
    flow = response.json()
    assert flow["status"] == "USERNAME_PASSWORD_REQUIRED"
    flow_url = f"{pingone_standin.auth_path}/{pingone_standin.env_id}/flows/{flow['id']}"
    assert flow["_links"]["self"]["href"] == flow_url
    assert flow["_links"]["usernamePassword.check"]["href"] == flow_url
    assert flow["_links"]["signOnPage"]["href"]
    assert flow["resumeUrl"] == f"{pingone_standin.issuer}/resume?flowId={flow['id']}"
    assert flow["expiresAt"].endswith("Z") and flow["createdAt"].endswith("Z")
    assert flow["_embedded"]["application"]["name"] == "Demo App"
    provider = flow["_embedded"]["socialProviders"][0]
    assert {"id", "name", "type"} <= set(provider) and provider["_links"]["authenticate"]["href"]

    assert http.get(flow_url).json()["status"] == "USERNAME_PASSWORD_REQUIRED"
    done = flow_action(
        http, flow, "usernamePassword.check", "usernamePassword.check", {"username": "demo", "password": "demo"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "COMPLETED"
    resumed = http.get(done.json()["resumeUrl"], allow_redirects=False)
    assert resumed.status_code == 200
    answer = resumed.json()
    assert answer["status"] == "COMPLETED"
    assert answer["authorizeResponse"]["state"] == "state-1"
    assert answer["authorizeResponse"]["iss"] == pingone_standin.issuer
    assert exchange(pingone_standin, answer["authorizeResponse"]["code"], pkce).status_code == 200
    assert http.get(done.json()["resumeUrl"]).status_code == 404

    # The session now signs the next pi.flow request on at once.
    again = pi_flow_start(pingone_standin, http, pkce)
    assert again["status"] == "COMPLETED"
    assert "code" in http.get(again["resumeUrl"]).json()["authorizeResponse"]


def test_pi_flow_without_redirect_uri(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pkce = Pkce()
    params = authorize_params(pkce, response_mode="pi.flow")
    del params["redirect_uri"]
    flow = http.get(pingone_standin.authorize_url(**params)).json()
    flow_action(
        http, flow, "usernamePassword.check", "usernamePassword.check", {"username": "demo", "password": "demo"}
    )
    code = http.get(flow["resumeUrl"]).json()["authorizeResponse"]["code"]
    response = requests.post(
        pingone_standin.token_endpoint,
        data={"grant_type": "authorization_code", "code": code, "code_verifier": pkce.verifier},
        auth=("demo-client", "demo-secret"),
        timeout=5,
    )
    assert response.status_code == 200, response.text


def test_pi_flow_wrong_password(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    flow = pi_flow_start(pingone_standin, http, Pkce())
    response = flow_action(
        http, flow, "usernamePassword.check", "usernamePassword.check", {"username": "demo", "password": "nope"}
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"id", "code", "message", "details"}
    assert body["code"] == "INVALID_DATA"
    assert body["details"] == [
        {"code": "INVALID_VALUE", "target": "password", "message": "The username or password is incorrect."}
    ]
    assert http.get(flow["_links"]["self"]["href"]).json()["status"] == "USERNAME_PASSWORD_REQUIRED"
    missing = flow_action(http, flow, "usernamePassword.check", "usernamePassword.check", {"username": "demo"})
    assert missing.json()["details"][0] == {
        "code": "REQUIRED_VALUE",
        "target": "password",
        "message": "password is required.",
    }


def test_pi_flow_must_change_password(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pkce = Pkce()
    flow = pi_flow_start(pingone_standin, http, pkce)
    step = flow_action(
        http, flow, "usernamePassword.check", "usernamePassword.check", {"username": "change", "password": "change"}
    ).json()
    assert step["status"] == "MUST_CHANGE_PASSWORD"
    assert step["_links"]["password.reset"]["href"] == flow["_links"]["self"]["href"]
    assert step["_embedded"]["user"]["username"] == "change"
    same = flow_action(
        http, step, "password.reset", "password.reset", {"currentPassword": "change", "newPassword": "change"}
    )
    assert same.status_code == 400 and same.json()["details"][0]["target"] == "newPassword"
    wrong = flow_action(http, step, "password.reset", "password.reset", {"currentPassword": "x", "newPassword": "y"})
    assert wrong.json()["details"][0]["target"] == "currentPassword"
    done = flow_action(
        http, step, "password.reset", "password.reset", {"currentPassword": "change", "newPassword": "new-pw"}
    )
    assert done.json()["status"] == "COMPLETED"
    code = http.get(done.json()["resumeUrl"]).json()["authorizeResponse"]["code"]
    assert exchange(pingone_standin, code, pkce).status_code == 200


def test_pi_flow_otp(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    flow = pi_flow_start(pingone_standin, http, Pkce())
    step = flow_action(
        http, flow, "usernamePassword.check", "usernamePassword.check", {"username": "otp", "password": "otp"}
    ).json()
    assert step["status"] == "OTP_REQUIRED"
    assert "otp.check" in step["_links"]
    wrong = flow_action(http, step, "otp.check", "otp.check", {"otp": "111111"})
    assert wrong.status_code == 400 and wrong.json()["details"][0]["target"] == "otp"
    assert flow_action(http, step, "otp.check", "otp.check", {"otp": "123456"}).json()["status"] == "COMPLETED"


def test_pi_flow_unknown_status_and_actions(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    flow = pi_flow_start(pingone_standin, http, Pkce())
    unknown_action = flow_action(http, flow, "self", "user.register", {"username": "x"})
    assert unknown_action.status_code == 400 and unknown_action.json()["code"] == "INVALID_REQUEST"
    plain_json = http.post(flow["_links"]["self"]["href"], json={"username": "demo", "password": "demo"})
    assert plain_json.status_code == 400 and plain_json.json()["code"] == "INVALID_REQUEST"
    wrong_step = flow_action(http, flow, "self", "otp.check", {"otp": "123456"})
    assert wrong_step.status_code == 400 and wrong_step.json()["code"] == "INVALID_REQUEST"

    stuck = flow_action(
        http, flow, "usernamePassword.check", "usernamePassword.check", {"username": "device", "password": "device"}
    ).json()
    assert stuck["status"] == "DEVICE_SELECTION_REQUIRED"
    assert "signOnPage" in stuck["_links"]
    not_done = http.get(stuck["resumeUrl"])
    assert not_done.status_code == 400 and not_done.json()["code"] == "INVALID_REQUEST"


def test_pi_flow_external_link_is_cookie_bound_by_default(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    flow = pi_flow_start(pingone_standin, http, Pkce())
    authenticate = flow["_embedded"]["socialProviders"][0]["_links"]["authenticate"]["href"]
    with requests.Session() as stranger:  # without the flow's ST cookie
        refused = stranger.get(authenticate)
    assert refused.status_code == 403 and "cookie" in refused.text
    assert http.get(flow["_links"]["self"]["href"]).json()["status"] == "USERNAME_PASSWORD_REQUIRED"


def test_pi_flow_external_provider(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pingone_standin.external_links_cookie_bound = False  # a PingOne whose authenticate links anyone may follow
    pkce = Pkce()
    flow = pi_flow_start(pingone_standin, http, pkce)
    authenticate = flow["_embedded"]["socialProviders"][0]["_links"]["authenticate"]["href"]
    with requests.Session() as browser:  # the browser does not hold the app server's ST cookie
        page = browser.get(authenticate)
        assert page.status_code == 200 and "Stand-in IdP" in page.text
        waiting = http.get(flow["_links"]["self"]["href"]).json()
        assert waiting["status"] == "EXTERNAL_AUTHENTICATION_REQUIRED"
        assert waiting["_embedded"]["identityProvider"]["name"] == "Stand-in IdP"
        back = sign_on(browser, authenticate)
    assert back.method == "GET"
    assert back.url == f"{REDIRECT_URI}?flowId={flow['id']}"
    completed = http.get(flow["_links"]["self"]["href"]).json()
    assert completed["status"] == "COMPLETED"
    code = http.get(completed["resumeUrl"]).json()["authorizeResponse"]["code"]
    assert exchange(pingone_standin, code, pkce).status_code == 200


def test_pi_flow_expires(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pingone_standin.flow_ttl = 0.2
    flow = pi_flow_start(pingone_standin, http, Pkce())
    time.sleep(0.3)
    response = http.get(flow["_links"]["self"]["href"])
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "NOT_FOUND" and body["id"] and body["message"]
    assert http.get(flow["resumeUrl"]).status_code == 404


def test_pi_flow_needs_the_session_cookie(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    flow = pi_flow_start(pingone_standin, http, Pkce())
    with requests.Session() as stranger:
        response = flow_action(
            stranger, flow, "usernamePassword.check", "usernamePassword.check", {"username": "demo", "password": "demo"}
        )
        assert response.status_code == 403
        assert response.json()["code"] == "ACCESS_FAILED"
        assert stranger.get(flow["_links"]["self"]["href"]).status_code == 403
        assert stranger.get(flow["resumeUrl"]).status_code == 403


def test_pi_flow_errors_are_json(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    bad_client = http.get(pingone_standin.authorize_url("nobody", response_mode="pi.flow"))
    assert bad_client.status_code == 400 and bad_client.json()["error"] == "invalid_client"
    not_signed_on = http.get(pingone_standin.authorize_url(**authorize_params(Pkce(), response_mode="pi.flow", prompt="none")))
    assert not_signed_on.status_code == 400
    assert not_signed_on.json()["error"] == "login_required" and not_signed_on.json()["state"] == "state-1"


# -- Sign-off and userinfo -----------------------------------------------------------------------------


def test_signoff(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pkce = Pkce()
    id_token = exchange(pingone_standin, code_for(pingone_standin, http, pkce), pkce).json()["id_token"]
    bad = http.get(
        pingone_standin.end_session_endpoint,
        params={"id_token_hint": id_token, "post_logout_redirect_uri": "https://evil.example/"},
        allow_redirects=False,
    )
    assert bad.status_code == 400
    forged = http.get(pingone_standin.end_session_endpoint, params={"id_token_hint": id_token[:-4] + "AAAA"})
    assert forged.status_code == 400

    response = http.get(
        pingone_standin.end_session_endpoint,
        params={"id_token_hint": id_token, "post_logout_redirect_uri": "http://localhost:8000/bye", "state": "s"},
        allow_redirects=False,
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "http://localhost:8000/bye?state=s"
    assert "Max-Age=0" in response.headers["Set-Cookie"]
    silent = http.get(pingone_standin.authorize_url(**authorize_params(pkce, prompt="none")), allow_redirects=False)
    assert "error=login_required" in silent.headers["Location"]
    after = http.get(pingone_standin.authorize_url(**authorize_params(pkce)), allow_redirects=False)
    assert "/signon/" in after.headers["Location"]

    page = http.get(pingone_standin.end_session_endpoint)
    assert page.status_code == 200 and "signed off" in page.text


def test_signoff_with_registered_uris(pingone_standin: PingOneStandIn) -> None:
    pingone_standin.add_client("app", "secret", post_logout_redirect_uris=["https://app.example/bye"])
    ok = requests.get(
        pingone_standin.end_session_endpoint,
        params={"client_id": "app", "post_logout_redirect_uri": "https://app.example/bye"},
        allow_redirects=False,
        timeout=5,
    )
    assert ok.headers["Location"] == "https://app.example/bye"
    refused = requests.get(
        pingone_standin.end_session_endpoint,
        params={"client_id": "app", "post_logout_redirect_uri": "http://127.0.0.1/bye"},
        timeout=5,
    )
    assert refused.status_code == 400


def test_userinfo(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pkce = Pkce()
    access_token = exchange(pingone_standin, code_for(pingone_standin, http, pkce), pkce).json()["access_token"]
    response = requests.get(pingone_standin.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"}, timeout=5)
    assert response.status_code == 200
    assert response.json()["sub"] == "5f0c2d8e-7a41-4b9c-8e3d-2a6b1c9f0e47"
    assert response.json()["email"] == "demo@example.com"
    posted = requests.post(pingone_standin.userinfo_endpoint, data={"access_token": access_token}, timeout=5)
    assert posted.json()["sub"] == response.json()["sub"]

    missing = requests.get(pingone_standin.userinfo_endpoint, timeout=5)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    bad = requests.get(pingone_standin.userinfo_endpoint, headers={"Authorization": "Bearer nope"}, timeout=5)
    assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["WWW-Authenticate"]

    pingone_standin.clock = lambda: time.time() + 3601
    expired = requests.get(pingone_standin.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"}, timeout=5)
    assert expired.status_code == 401


def test_revoke(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    # PingOne revokes tokens of custom resources only (tests/test_standin_pingone_fit.py: the refusals).
    pingone_standin.add_resource("https://orders.example.com", ["orders:read"])
    pkce = Pkce()
    params = {**authorize_params(pkce), "scope": "openid orders:read"}
    code = sign_on(http, pingone_standin.authorize_url("demo-client", **params)).params["code"]
    access_token = exchange(pingone_standin, code, pkce).json()["access_token"]
    revoked = requests.post(
        pingone_standin.revocation_endpoint, data={"token": access_token}, auth=("demo-client", "demo-secret"), timeout=5
    )
    assert revoked.status_code == 200
    response = requests.get(pingone_standin.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"}, timeout=5)
    assert response.status_code == 401


# -- The rest of the API ------------------------------------------------------------------------------


def test_requests_seen_and_settings(pingone_standin: PingOneStandIn) -> None:
    requests.get(pingone_standin.discovery_url, params={"secret": "x"}, timeout=5)
    assert pingone_standin.requests_seen == [("GET", pingone_standin.paths.discovery_url)]
    pingone_standin.reset_requests_seen()
    assert pingone_standin.requests_seen == []

    assert pingone_standin.settings() == {
        "AUTH_PATH": pingone_standin.auth_path,
        "ENV_ID": pingone_standin.env_id,
        "CLIENT_ID": "demo-client",
        "CLIENT_SECRET": "demo-secret",
        "TOKEN_ENDPOINT_AUTH_METHOD": "client_secret_basic",
    }
    public = pingone_standin.settings("demo-public", RESPONSE_MODE="pi.flow")
    assert public["CLIENT_SECRET"] == "" and public["TOKEN_ENDPOINT_AUTH_METHOD"] == "none"
    assert public["RESPONSE_MODE"] == "pi.flow"
    with pytest.raises(ValueError, match="add_client"):
        pingone_standin.settings("nobody")


def test_configuration_mistakes_are_refused(pingone_standin: PingOneStandIn) -> None:
    with pytest.raises(ValueError, match="token_endpoint_auth_method"):
        pingone_standin.add_client("x", "s", token_endpoint_auth_method="magic")
    with pytest.raises(ValueError, match="needs a client_secret"):
        pingone_standin.add_client("x")
    with pytest.raises(ValueError, match="public_jwk"):
        pingone_standin.add_client("x", token_endpoint_auth_method="private_key_jwt")
    with pytest.raises(ValueError, match="RSA"):
        pingone_standin.add_client("x", "s", public_jwk={"kty": "oct", "k": "abc"})
    with pytest.raises(ValueError, match="carries out"):
        pingone_standin.add_user("x", "y", unsupported_status="OTP_REQUIRED")


def test_standalone_server_and_restart() -> None:
    standin = PingOneStandIn(env_id="11111111-2222-3333-4444-555555555555")
    with pytest.raises(RuntimeError, match="start"):
        _ = standin.auth_path
    with standin:
        assert requests.get(standin.jwks_uri, timeout=5).status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.get(standin.jwks_uri, timeout=5)
    with standin:  # the same port again
        assert requests.get(standin.jwks_uri, timeout=5).status_code == 200


def test_main_serves_until_sigterm() -> None:
    command = [sys.executable, "-m", "django_pingone_authorize.testing", "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                break
        output = "".join(lines)
        auth_path = next(line.split()[1] for line in lines if line.strip().startswith("AUTH_PATH"))
        assert "demo / demo" in output and "issuer" in output
        discovery = requests.get(PingOneLayout(auth_path, DEFAULT_ENV_ID).discovery_url, timeout=5)
        assert discovery.status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


# -- Garbage in, 4xx out -------------------------------------------------------------------------------

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
GARBAGE: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "as/token", {"data": b"\xff\xfe\x00", "headers": FORM}),
    ("POST", "as/token", {"data": "grant_type=x&grant_type=y", "headers": FORM}),
    ("POST", "as/token", {"json": {"grant_type": "authorization_code"}}),
    ("POST", "as/token", {"data": {"grant_type": "x"}, "headers": {"Authorization": "Basic !!!"}}),
    ("POST", "as/token", {"data": {"grant_type": "x"}, "headers": {"Authorization": "Basic bm9jb2xvbg=="}}),
    ("POST", "as/token", {"data": {"grant_type": "x"}, "headers": {"Authorization": "Basic //79"}}),
    ("POST", "as/token", {"data": {"grant_type": "x"}, "headers": {"Authorization": "Bearer x"}}),
    ("POST", "as/token", {"data": {"client_assertion_type": JWT_BEARER, "client_assertion": "a.b.c"}}),
    ("POST", "as/token", {"data": {"client_assertion_type": JWT_BEARER, "client_assertion": "e30.e30.e30"}}),
    ("POST", "as/token", {"data": {"client_assertion_type": JWT_BEARER, "client_assertion": "eyJhbGciOjF9.W10.AA"}}),
    ("POST", "as/token", {"data": {"client_assertion_type": "x", "client_assertion": "x"}}),
    ("POST", "as/token", {"data": {"client_id": "demo-public", "grant_type": "password"}}),
    ("POST", "as/token", {"data": {"client_id": "demo-public", "grant_type": "refresh_token", "refresh_token": "x"}}),
    ("GET", "as/token", {}),
    ("GET", "as/authorize", {"params": {"client_id": "demo-client", "request": "garbage"}}),
    ("GET", "as/authorize", {"params": {"client_id": "demo-client", "request": "e30.e30.", "redirect_uri": "x"}}),
    ("GET", "as/authorize", {"params": {"client_id": ["a", "b"]}}),
    ("GET", "as/authorize", {"params": {"client_id": "demo-client", "request_uri": "urn:nothing"}}),
    ("POST", "as/authorize", {"data": b"\xff", "headers": FORM}),
    ("POST", "as/authorize", {"data": b"{}", "headers": {"Content-Type": "application/json"}}),
    ("GET", "as/authorize", {"headers": {"Cookie": 'ST="unterminated; ; =;'}}),
    ("GET", "as/signoff", {"params": {"id_token_hint": "x.y.z"}}),
    ("GET", "as/signoff", {"params": {"id_token_hint": "e30.e30.e30"}}),
    ("GET", "as/signoff", {"params": {"client_id": "nobody"}}),
    ("GET", "as/userinfo", {"headers": {"Authorization": "Bearer"}}),
    ("POST", "as/userinfo", {"data": b"\x00\xff", "headers": FORM}),
    ("POST", "as/par", {"data": {"client_id": "demo-public", "request_uri": "x"}}),
    ("POST", "as/par", {"data": {"client_id": "demo-public", "request": "not.a.jwt"}}),
    ("GET", "as/resume", {"params": {"flowId": "../../etc"}}),
    ("GET", "as/resume", {}),
    ("GET", "flows/does-not-exist", {}),
    ("POST", "flows/does-not-exist", {"data": "[[[[", "headers": {"Content-Type": USERNAME_PASSWORD}}),
    ("GET", "signon/", {"params": {"flowId": "nope"}}),
    ("POST", "signon/", {"data": b"\xff", "headers": FORM}),
    ("GET", "external/nope/authenticate", {"params": {"flowId": "nope"}}),
    ("GET", "nowhere", {}),
    ("DELETE", "as/jwks", {}),
    ("PUT", "as/authorize", {}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), GARBAGE)
def test_garbage_is_a_client_error(pingone_standin: PingOneStandIn, method: str, path: str, kwargs: dict[str, Any]) -> None:
    response = requests.request(
        method, f"{pingone_standin.layout.environment}/{path}", allow_redirects=False, timeout=5, **kwargs
    )
    assert 300 <= response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400 and "json" in response.headers.get("Content-Type", ""):
        body = response.json()
        assert "error" in body or "code" in body


def test_garbage_flow_bodies(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    flow = pi_flow_start(pingone_standin, http, Pkce())
    url = flow["_links"]["self"]["href"]
    for body in (b"not json", b"[1, 2]", b"[" * 100_000, b'{"username": 5, "password": null}', b"\xff"):
        response = http.post(url, data=body, headers={"Content-Type": USERNAME_PASSWORD})
        assert response.status_code == 400, body[:20]
        assert response.json()["code"] in ("INVALID_DATA", "INVALID_REQUEST")
    assert http.get(url).json()["status"] == "USERNAME_PASSWORD_REQUIRED"


@pytest.mark.parametrize(
    "raw",
    [
        b"GET /%zz%%/\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
        b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n",
        b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"HEAD /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ],
)
def test_malformed_http(pingone_standin: PingOneStandIn, raw: bytes) -> None:
    with socket.create_connection(("127.0.0.1", pingone_standin.port), timeout=5) as connection:
        connection.sendall(raw)
        status_line = connection.makefile("rb").readline()
    assert status_line.split()[1][:1] == b"4", status_line


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    endpoint=st.sampled_from(["as/token", "as/authorize", "as/par", "as/userinfo", "as/signoff", "signon/"]),
    fields=st.dictionaries(
        st.sampled_from(
            [
                "grant_type",
                "code",
                "client_id",
                "client_secret",
                "client_assertion",
                "client_assertion_type",
                "redirect_uri",
                "request",
                "request_uri",
                "response_type",
                "scope",
                "code_challenge",
                "max_age",
                "id_token_hint",
                "flowId",
                "action",
                "access_token",
            ]
        ),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
        | st.sampled_from(["demo-client", "e30.e30.e30", "openid", "code", JWT_BEARER]),
        max_size=6,
    ),
)
def test_fuzzed_forms_never_fail_the_server(
    pingone_standin_server: PingOneStandIn, endpoint: str, fields: dict[str, str]
) -> None:
    url = f"{pingone_standin_server.layout.environment}/{endpoint}"
    response = requests.post(url, data=fields, allow_redirects=False, timeout=5)
    assert response.status_code < 500, response.text
