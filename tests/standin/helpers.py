"""What the stand-in suites share: a PKCE pair, the authorize parameters, a token request, JWTs made here."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import sign_on
from django_pingone_authorize.testing.jose import b64url_encode, s256

REDIRECT_URI = "http://127.0.0.1:8000/pingone/callback/"
USERNAME_PASSWORD = "application/vnd.pingidentity.usernamePassword.check+json"
LONG_SECRET = "x" * 64  # long enough for HS512 without PyJWT's short-key warning


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
    claims: dict[str, Any] = jwt.decode(
        token, key.key, algorithms=["RS256"], audience=audience, issuer=pingone_standin.issuer
    )
    return claims


def code_for(
    pingone_standin: PingOneStandIn, http: requests.Session, pkce: Pkce, client_id: str = "demo-client"
) -> str:
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


def pi_flow_start(
    pingone_standin: PingOneStandIn, http: requests.Session, pkce: Pkce, **overrides: str
) -> dict[str, Any]:
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


def redirect_error(pingone_standin: PingOneStandIn, client_id: str = "demo-client", **params: str) -> dict[str, str]:
    response = requests.get(pingone_standin.authorize_url(client_id, **params), allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


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
