"""Client authentication at the stand-in's token endpoint: every method PingOne offers, each client held to
its own, wrong secrets, client assertions and their replay (over real HTTP)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.jose import rsa_public_jwk
from tests.standin.helpers import (
    LONG_SECRET,
    REDIRECT_URI,
    Pkce,
    assertion_claims,
    authorize_params,
    code_for,
    decode_id_token,
    hs_jwt,
    token_request_for,
)

# -- Client authentication -----------------------------------------------------------------------------


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
        pingone_standin.token_endpoint,
        data={**form, "client_id": "demo-client", "client_secret": "demo-secret"},
        timeout=5,
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "client_secret_basic" in response.json()["error_description"]


def test_wrong_secret(pingone_standin: PingOneStandIn) -> None:
    response = requests.post(
        pingone_standin.token_endpoint,
        data={"grant_type": "authorization_code", "code": "x"},
        auth=("demo-client", "nope"),
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
        "client_assertion": hs_jwt(
            assertion_claims(pingone_standin, "jwt-client", aud=pingone_standin.issuer), LONG_SECRET
        ),
        "response_type": "code",
        **authorize_params(Pkce()),
    }
    assert requests.post(pingone_standin.par_endpoint, data=form, timeout=5).status_code == 201
    replay = requests.post(pingone_standin.par_endpoint, data=form, timeout=5)
    assert replay.status_code == 401
    assert "used before" in replay.json()["error_description"]
    forged = dict(form, client_assertion=hs_jwt(assertion_claims(pingone_standin, "jwt-client"), "not-the-secret"))
    assert requests.post(pingone_standin.par_endpoint, data=forged, timeout=5).status_code == 401
