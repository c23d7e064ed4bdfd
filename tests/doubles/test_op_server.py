"""The test OpenID Provider fixture works: plain requests + PyJWT, no app code."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit

import jwt
import pytest
import requests

from tests.doubles import op_server
from tests.doubles.op_driver import AuthorizationResponse, OpDriverError, sign_off_at_op, sign_on_at_op
from tests.doubles.op_server import OidcProvider, OidcProviderUnavailable, start_oidc_provider

REDIRECT_URI = "http://testserver/pingone/callback/"
POST_LOGOUT_URI = "http://testserver/"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class Flow:
    """One authorization request: its secrets and the OP's response."""

    client_id: str
    state: str
    nonce: str
    verifier: str
    response: AuthorizationResponse | None = None

    @property
    def code(self) -> str:
        assert self.response is not None
        return self.response.params["code"]


def new_flow(client_id: str) -> Flow:
    return Flow(
        client_id=client_id,
        state=secrets.token_urlsafe(16),
        nonce=secrets.token_urlsafe(16),
        verifier=secrets.token_urlsafe(48),
    )


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorization_params(flow: Flow, **extra: str) -> dict[str, str]:
    params = {
        "client_id": flow.client_id,
        "response_type": "code",
        "scope": "openid profile email",
        "redirect_uri": REDIRECT_URI,
        "state": flow.state,
        "nonce": flow.nonce,
        "code_challenge": challenge(flow.verifier),
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return params


def sign_on(op: OidcProvider, http: requests.Session, flow: Flow, **extra: Any) -> Flow:
    url = f"{op.authorization_endpoint}?{urlencode(authorization_params(flow))}"
    flow.response = sign_on_at_op(http, url, **extra)
    return flow


def client_assertion(op: OidcProvider, client: dict[str, Any]) -> str:
    now = int(time.time())
    claims = {
        "iss": client["client_id"],
        "sub": client["client_id"],
        "aud": op.token_endpoint,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 60,
    }
    if client["token_endpoint_auth_method"] == "private_key_jwt":
        return jwt.encode(claims, client["private_key_pem"], algorithm="RS256", headers={"kid": client["kid"]})
    return jwt.encode(claims, client["client_secret"], algorithm="HS256")


def token_request(op: OidcProvider, client_id: str, data: dict[str, str]) -> requests.Response:
    """POST to the token endpoint, authenticating the way the client is registered."""
    client = op.clients[client_id]
    method = client["token_endpoint_auth_method"]
    data = dict(data)
    auth: tuple[str, str] | None = None
    if method == "client_secret_basic":
        # RFC 6749 section 2.3.1: form-encode id and secret before Basic.
        auth = (quote_plus(client_id), quote_plus(client["client_secret"]))
    elif method == "client_secret_post":
        data.update(client_id=client_id, client_secret=client["client_secret"])
    elif method in {"client_secret_jwt", "private_key_jwt"}:
        data.update(
            client_id=client_id,
            client_assertion_type=CLIENT_ASSERTION_TYPE,
            client_assertion=client_assertion(op, client),
        )
    else:
        assert method == "none"
        data.update(client_id=client_id)
    return requests.post(op.token_endpoint, data=data, auth=auth, timeout=10)


def exchange(op: OidcProvider, flow: Flow) -> dict[str, Any]:
    response = token_request(
        op,
        flow.client_id,
        {
            "grant_type": "authorization_code",
            "code": flow.code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": flow.verifier,
        },
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def verify_id_token(op: OidcProvider, flow: Flow, id_token: str) -> dict[str, Any]:
    header = jwt.get_unverified_header(id_token)
    client = op.clients[flow.client_id]
    key: Any
    if header["alg"] == "HS256":
        key = client["client_secret"]
    else:
        jwks = jwt.PyJWKSet.from_dict(requests.get(op.jwks_uri, timeout=10).json())
        key = next(k for k in jwks.keys if k.key_id == header["kid"])
    claims: dict[str, Any] = jwt.decode(
        id_token,
        key,
        algorithms=[client["id_token_signed_response_alg"]],
        audience=flow.client_id,
        issuer=op.issuer,
    )
    assert claims["nonce"] == flow.nonce
    return claims


def assert_code_response(op: OidcProvider, flow: Flow) -> None:
    assert flow.response is not None
    params = flow.response.params
    assert flow.response.redirect_uri == REDIRECT_URI
    assert params["state"] == flow.state
    assert params["iss"] == op.issuer  # RFC 9207
    assert params["code"]


# --------------------------------------------------------------------- tests
def test_discovery_is_pingone_shaped(oidc_op: OidcProvider) -> None:
    assert oidc_op.issuer == f"{oidc_op.auth_path}/{oidc_op.env_id}/as"
    meta = requests.get(oidc_op.discovery_url, timeout=10).json()
    issuer = oidc_op.issuer
    assert meta["issuer"] == issuer
    assert meta["authorization_endpoint"] == f"{issuer}/authorize"
    assert meta["token_endpoint"] == f"{issuer}/token"
    assert meta["jwks_uri"] == f"{issuer}/jwks"
    assert meta["userinfo_endpoint"] == f"{issuer}/userinfo"
    assert meta["end_session_endpoint"] == f"{issuer}/signoff"
    assert meta["pushed_authorization_request_endpoint"] == f"{issuer}/par"
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["request_parameter_supported"] is True
    assert {"query", "form_post"} <= set(meta["response_modes_supported"])
    assert {
        "client_secret_basic",
        "client_secret_post",
        "client_secret_jwt",
        "private_key_jwt",
        "none",
    } <= set(meta["token_endpoint_auth_methods_supported"])
    assert set(oidc_op.clients) == {
        "basic-client",
        "post-client",
        "jwt-client",
        "pkjwt-client",
        "public-client",
        "hs-client",
        "ro-client",
        "par-client",
        "api-client",  # client_credentials for the orders API (tests/api/test_client_credentials.py)
        "logout-client",  # refresh tokens and back-channel logout (tests/sessions/test_lifecycle_op.py)
    }


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_authorization_request_with_pkce(oidc_op: OidcProvider, method: str) -> None:
    http = requests.Session()
    flow = new_flow("basic-client")
    if method == "GET":
        sign_on(oidc_op, http, flow)
    else:
        form = (oidc_op.authorization_endpoint, authorization_params(flow))
        flow.response = sign_on_at_op(http, form=form)
    assert flow.response is not None and flow.response.method == "GET"
    assert_code_response(oidc_op, flow)
    tokens = exchange(oidc_op, flow)
    assert verify_id_token(oidc_op, flow, tokens["id_token"])["sub"] == "alice-sub"


def test_pkce_is_required(oidc_op: OidcProvider) -> None:
    flow = new_flow("basic-client")
    params = authorization_params(flow)
    del params["code_challenge"], params["code_challenge_method"]
    response = sign_on_at_op(requests.Session(), f"{oidc_op.authorization_endpoint}?{urlencode(params)}")
    assert response.params["error"] == "invalid_request"
    assert "PKCE" in response.params["error_description"]


def test_form_post_response_mode(oidc_op: OidcProvider) -> None:
    flow = new_flow("post-client")
    url = f"{oidc_op.authorization_endpoint}?" + urlencode(authorization_params(flow, response_mode="form_post"))
    flow.response = sign_on_at_op(requests.Session(), url)
    assert flow.response.method == "POST"
    assert flow.response.url == REDIRECT_URI
    assert set(flow.response.data) == {"code", "state", "iss"}
    assert_code_response(oidc_op, flow)
    assert "id_token" in exchange(oidc_op, flow)


@pytest.mark.parametrize("client_id", ["basic-client", "post-client", "jwt-client", "pkjwt-client", "public-client"])
def test_token_exchange_for_each_client_auth_method(oidc_op: OidcProvider, client_id: str) -> None:
    http = requests.Session()
    flow = sign_on(oidc_op, http, new_flow(client_id))
    assert_code_response(oidc_op, flow)
    tokens = exchange(oidc_op, flow)
    assert tokens["token_type"].lower() == "bearer"
    claims = verify_id_token(oidc_op, flow, tokens["id_token"])
    assert claims["sub"] == "alice-sub"
    assert claims["email"] == "alice@example.com"
    assert claims["email_verified"] is True
    assert claims["given_name"] == "Alice"
    assert claims["family_name"] == "Liddell"
    assert claims["name"] == "Alice Liddell"
    assert claims["preferred_username"] == "alice"
    assert claims["sid"]
    assert claims["auth_time"] <= time.time() + 5
    userinfo = requests.get(
        oidc_op.userinfo_endpoint,
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    )
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json()["sub"] == "alice-sub"


def test_basic_auth_secret_must_be_form_encoded(oidc_op: OidcProvider) -> None:
    flow = sign_on(oidc_op, requests.Session(), new_flow("basic-client"))
    secret = oidc_op.clients["basic-client"]["client_secret"]
    assert quote_plus(secret) != secret
    response = requests.post(
        oidc_op.token_endpoint,
        data={
            "grant_type": "authorization_code",
            "code": flow.code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": flow.verifier,
        },
        auth=("basic-client", secret),  # not form-encoded: wrong
        timeout=10,
    )
    # oidc-provider: "% " is no valid form-encoding -> invalid_request (400);
    # a decodable but wrong secret would be invalid_client (401).
    assert response.status_code in {400, 401}
    assert response.json()["error"] in {"invalid_request", "invalid_client"}


def test_refresh_token_and_bob(oidc_op: OidcProvider) -> None:
    flow = sign_on(oidc_op, requests.Session(), new_flow("post-client"), username="bob", password="bob-pw")
    tokens = exchange(oidc_op, flow)
    claims = verify_id_token(oidc_op, flow, tokens["id_token"])
    assert (claims["sub"], claims["email"], claims["email_verified"]) == (
        "bob-sub",
        "bob@example.com",
        False,
    )
    refreshed = token_request(
        oidc_op,
        "post-client",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["access_token"]


def test_hs256_id_token(oidc_op: OidcProvider) -> None:
    flow = sign_on(oidc_op, requests.Session(), new_flow("hs-client"))
    tokens = exchange(oidc_op, flow)
    assert jwt.get_unverified_header(tokens["id_token"])["alg"] == "HS256"
    assert verify_id_token(oidc_op, flow, tokens["id_token"])["sub"] == "alice-sub"


def test_wrong_password_and_cancel(oidc_op: OidcProvider) -> None:
    with pytest.raises(OpDriverError, match="Invalid username or password"):
        sign_on(oidc_op, requests.Session(), new_flow("basic-client"), password="nope")
    flow = sign_on(oidc_op, requests.Session(), new_flow("basic-client"), cancel=True)
    assert flow.response is not None
    assert flow.response.params["error"] == "access_denied"
    assert flow.response.params["state"] == flow.state
    assert flow.response.params["iss"] == oidc_op.issuer


def request_object(op: OidcProvider, flow: Flow, key: str, alg: str, kid: str | None) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": flow.client_id,
        "aud": op.issuer,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
        **authorization_params(flow),
    }
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid} if kid else None)


def test_signed_request_object_rs256(oidc_op: OidcProvider) -> None:
    client = oidc_op.clients["ro-client"]
    flow = new_flow("ro-client")
    signed = request_object(oidc_op, flow, client["private_key_pem"], "RS256", client["kid"])
    query = urlencode({"client_id": "ro-client", "response_type": "code", "scope": "openid", "request": signed})
    flow.response = sign_on_at_op(requests.Session(), f"{oidc_op.authorization_endpoint}?{query}")
    assert_code_response(oidc_op, flow)
    claims = verify_id_token(oidc_op, flow, exchange(oidc_op, flow)["id_token"])
    assert claims["email"] == "alice@example.com"  # the scope came from the request object

    # ro-client must send a signed request object
    plain = new_flow("ro-client")
    refused = sign_on_at_op(
        requests.Session(),
        f"{oidc_op.authorization_endpoint}?{urlencode(authorization_params(plain))}",
    )
    assert refused.params["error"] == "invalid_request"


def test_signed_request_object_hs256(oidc_op: OidcProvider) -> None:
    flow = new_flow("jwt-client")
    secret = oidc_op.clients["jwt-client"]["client_secret"]
    signed = request_object(oidc_op, flow, secret, "HS256", None)
    query = urlencode({"client_id": "jwt-client", "request": signed})
    flow.response = sign_on_at_op(requests.Session(), f"{oidc_op.authorization_endpoint}?{query}")
    assert_code_response(oidc_op, flow)
    exchange(oidc_op, flow)


def test_pushed_authorization_request(oidc_op: OidcProvider) -> None:
    flow = new_flow("par-client")
    secret = oidc_op.clients["par-client"]["client_secret"]
    pushed = requests.post(
        oidc_op.par_endpoint,
        data=authorization_params(flow),
        auth=("par-client", quote_plus(secret)),
        timeout=10,
    )
    assert pushed.status_code == 201, pushed.text
    request_uri = pushed.json()["request_uri"]
    assert request_uri.startswith("urn:ietf:params:oauth:request_uri:")
    query = urlencode({"client_id": "par-client", "request_uri": request_uri})
    flow.response = sign_on_at_op(requests.Session(), f"{oidc_op.authorization_endpoint}?{query}")
    assert_code_response(oidc_op, flow)
    exchange(oidc_op, flow)

    # par-client may not send a plain authorization request
    refused = sign_on_at_op(
        requests.Session(),
        f"{oidc_op.authorization_endpoint}?{urlencode(authorization_params(new_flow('par-client')))}",
    )
    assert refused.params["error"] == "invalid_request"


def test_sso_then_end_session(oidc_op: OidcProvider) -> None:
    http = requests.Session()
    flow = sign_on(oidc_op, http, new_flow("basic-client"))
    id_token = exchange(oidc_op, flow)["id_token"]

    # the OP session signs the user on silently now
    silent = new_flow("basic-client")
    params = authorization_params(silent, prompt="none")
    response = sign_on_at_op(http, f"{oidc_op.authorization_endpoint}?{urlencode(params)}")
    assert "code" in response.params

    query = urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": POST_LOGOUT_URI, "state": "bye"})
    target = sign_off_at_op(http, f"{oidc_op.end_session_endpoint}?{query}")
    parts = urlsplit(target)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == POST_LOGOUT_URI
    assert dict(parse_qsl(parts.query)) == {"state": "bye"}

    # signed off: no silent sign-on any more
    silent = new_flow("basic-client")
    params = authorization_params(silent, prompt="none")
    response = sign_on_at_op(http, f"{oidc_op.authorization_endpoint}?{urlencode(params)}")
    assert response.params["error"] == "login_required"

    # without a post_logout_redirect_uri the OP shows its own page
    assert sign_off_at_op(http, oidc_op.end_session_endpoint).startswith(oidc_op.issuer)


def test_secure_cookie_mode_and_own_instance() -> None:
    uri = "http://127.0.0.1:18005/pingone/callback/"
    with start_oidc_provider([uri], ["http://127.0.0.1:18005/"], secure_cookies=True) as op:
        flow = new_flow("public-client")
        params = authorization_params(flow, redirect_uri=uri)
        response = requests.get(f"{op.authorization_endpoint}?{urlencode(params)}", allow_redirects=False, timeout=10)
        assert response.status_code == 303
        cookies = response.raw.headers.getlist("Set-Cookie")
        assert cookies
        for cookie in cookies:
            attributes = {part.strip().lower() for part in cookie.split(";")}
            assert {"samesite=none", "secure", "httponly"} <= attributes
    assert not op.running


def test_missing_node_modules_fails_clearly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(op_server, "NODE_PROJECT", tmp_path)
    with pytest.raises(OidcProviderUnavailable, match="make test"):
        start_oidc_provider([REDIRECT_URI], [POST_LOGOUT_URI])
