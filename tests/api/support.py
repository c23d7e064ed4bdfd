"""Helpers for the API tests: a stand-in with a custom resource, tokens it issues over HTTP, tokens we forge."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import TYPE_CHECKING, Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from django_pingone_authorize.api import access_tokens
from django_pingone_authorize.api import client_credentials as client_tokens
from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import sign_on
from django_pingone_authorize.testing.standin import DEMO_SUB

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

AUDIENCE = "https://orders.example.com"
OTHER_AUDIENCE = "https://billing.example.com"
CALLBACK = "http://127.0.0.1:8000/pingone/callback/"
SCOPES = ("orders:read", "orders:write")


@pytest.fixture
def api_standin(settings: Any, pingone_standin: PingOneStandIn) -> PingOneStandIn:
    """The stand-in with the orders API (and a billing API), the app's ``default`` alias protecting orders."""
    pingone_standin.add_resource(AUDIENCE, SCOPES)
    pingone_standin.add_resource(OTHER_AUDIENCE, ["billing:read"])
    configure(settings, pingone_standin)
    client_tokens.reset_caches()
    access_tokens.reset_caches()
    return pingone_standin


def configure(settings: Any, standin: PingOneStandIn, **options: Any) -> None:
    # The stand-in's resources send typ at+jwt (PingOne from March 2027): required here, as a site whose
    # environment sends it sets (the default "auto" learns it: tests/test_api_typ.py).
    defaults = {"REDIRECT_URI": CALLBACK, "API_AUDIENCE": AUDIENCE, "API_REQUIRE_TYP": True}
    settings.PINGONE_AUTHORIZE = {"default": standin.settings(**{**defaults, **options})}


def client_credentials(standin: PingOneStandIn, scope: str = "orders:read", client: str = "demo-client") -> str:
    """A client-credentials token from the stand-in's token endpoint (over HTTP)."""
    secret = {"demo-client": "demo-secret"}.get(client, f"{client}-secret")
    answer = requests.post(
        standin.token_endpoint,
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(client, secret),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def user_tokens(standin: PingOneStandIn, scope: str = "openid profile orders:read") -> dict[str, Any]:
    """The demo user's token answer from a whole authorization-code sign-on at the stand-in (over HTTP)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    url = standin.authorize_url(
        "demo-client",
        redirect_uri=CALLBACK,
        scope=scope,
        state="state",
        nonce="nonce",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    code = sign_on(requests.Session(), url).params["code"]
    answer = requests.post(
        standin.token_endpoint,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier},
        auth=("demo-client", "demo-secret"),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def user_token(standin: PingOneStandIn, scope: str = "openid profile orders:read") -> str:
    return str(user_tokens(standin, scope)["access_token"])


def demo_user(standin: PingOneStandIn, **fields: Any) -> AbstractBaseUser:
    """The Django user the demo identity signed on as (what the sign-on's backend leaves in the table)."""
    # Imported here: conftest imports this module (for the fixture) before Django's apps are ready.
    from django.contrib.auth import get_user_model

    from django_pingone_authorize.models import PingOneIdentity

    user = get_user_model().objects.create(username="demo", **fields)
    PingOneIdentity.objects.create(user=user, issuer=standin.issuer, subject=DEMO_SUB)
    return user


def claims(standin: PingOneStandIn, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    values: dict[str, Any] = {
        "iss": standin.issuer,
        "aud": [AUDIENCE],
        "sub": DEMO_SUB,
        "client_id": "demo-client",
        "scope": "openid orders:read",
        "iat": now,
        "exp": now + 600,
        "jti": secrets.token_hex(8),
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def mint(
    standin: PingOneStandIn,
    *,
    headers: dict[str, Any] | None = None,
    algorithm: str = "RS256",
    key: Any = None,
    **overrides: Any,
) -> str:
    """A token signed with the stand-in's own key (so only the named defect is wrong)."""
    header = {"kid": standin.signing_kid, "typ": "at+jwt", **(headers or {})}
    header = {k: v for k, v in header.items() if v is not None or k == "typ"}  # PyJWT drops a None typ
    signing_key = key if key is not None else standin.signing_key.private_key
    return jwt.encode(claims(standin, **overrides), signing_key, algorithm=algorithm, headers=header)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_with_public_key(standin: PingOneStandIn) -> str:
    """The classic confusion attack: HS256, keyed with the RSA public key the JWKS publishes."""
    public_pem = standin.signing_key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": standin.signing_kid}).encode())
    payload = _b64(json.dumps(claims(standin)).encode())
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def unsigned(standin: PingOneStandIn) -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "at+jwt"}).encode())
    return f"{header}.{_b64(json.dumps(claims(standin)).encode())}."


def foreign_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def outbound(standin: PingOneStandIn) -> list[tuple[str, str]]:
    return list(standin.requests_seen)


def _header(value: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": value}


# Every bad input: (name, the Authorization header's value or None, status, RFC 6750 error; "" = none).
BAD_INPUTS: list[tuple[str, Any, int, str]] = [
    ("missing", lambda s: None, 401, ""),
    ("no token", lambda s: "Bearer", 400, "invalid_request"),
    ("two tokens", lambda s: "Bearer abc def", 400, "invalid_request"),
    ("bad characters", lambda s: "Bearer abc$def", 400, "invalid_request"),
    ("not a jwt", lambda s: "Bearer not-a-jwt", 401, "invalid_token"),
    ("garbage jwt", lambda s: "Bearer abc.def.ghi", 401, "invalid_token"),
    ("huge", lambda s: "Bearer " + "a" * 9000, 401, "invalid_token"),
    (
        "expired",
        lambda s: "Bearer " + mint(s, exp=int(time.time()) - 3600, iat=int(time.time()) - 7200),
        401,
        "invalid_token",
    ),
    ("not yet valid", lambda s: "Bearer " + mint(s, nbf=int(time.time()) + 3600), 401, "invalid_token"),
    ("issued in the future", lambda s: "Bearer " + mint(s, iat=int(time.time()) + 3600), 401, "invalid_token"),
    ("no exp", lambda s: "Bearer " + mint(s, exp=None), 401, "invalid_token"),
    ("wrong audience", lambda s: "Bearer " + mint(s, aud=[OTHER_AUDIENCE]), 401, "invalid_token"),
    ("no audience", lambda s: "Bearer " + mint(s, aud=None), 401, "invalid_token"),
    ("wrong issuer", lambda s: "Bearer " + mint(s, iss="https://auth.pingone.com/other/as"), 401, "invalid_token"),
    ("alg none", lambda s: "Bearer " + unsigned(s), 401, "invalid_token"),
    ("HS256 keyed with the public key", lambda s: "Bearer " + hs256_with_public_key(s), 401, "invalid_token"),
    ("unlisted alg RS512", lambda s: "Bearer " + mint(s, algorithm="RS512"), 401, "invalid_token"),
    ("unlisted alg PS256", lambda s: "Bearer " + mint(s, algorithm="PS256"), 401, "invalid_token"),
    ("another environment's key, same kid", lambda s: "Bearer " + mint(s, key=foreign_key()), 401, "invalid_token"),
    (
        "another environment's key and kid",
        lambda s: "Bearer " + mint(s, key=foreign_key(), headers={"kid": "other-env"}),
        401,
        "invalid_token",
    ),
    ("no typ", lambda s: "Bearer " + mint(s, headers={"typ": None}), 401, "invalid_token"),
    ("typ JWT", lambda s: "Bearer " + mint(s, headers={"typ": "JWT"}), 401, "invalid_token"),
    ("critical header", lambda s: "Bearer " + mint(s, headers={"crit": ["exp"]}), 401, "invalid_token"),
    ("an ID token", lambda s: "Bearer " + user_tokens(s)["id_token"], 401, "invalid_token"),
    ("another API's token", lambda s: "Bearer " + client_credentials(s, "billing:read"), 401, "invalid_token"),
]
BAD_IDS = [case[0] for case in BAD_INPUTS]


def challenge_of(response: Any) -> str:
    return str(response.headers.get("WWW-Authenticate", ""))


def assert_refused(response: Any, status: int, error: str) -> None:
    assert response.status_code == status, (response.status_code, response.content)
    header = challenge_of(response)
    assert header.startswith('Bearer realm="api"'), header
    if error:
        assert f'error="{error}"' in header, header
        assert "error_description=" in header
    else:
        assert "error=" not in header, header  # RFC 6750 §3.1: no error code without credentials
