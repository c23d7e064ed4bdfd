"""The stand-in's discovery document, PingOne's layout spelled out, and its signing keys (over real HTTP)."""

from __future__ import annotations

import jwt
import requests

from django_pingone_authorize.layout import PingOneLayout
from django_pingone_authorize.testing import PingOneStandIn
from tests.standin.helpers import (
    Pkce,
    code_for,
    decode_id_token,
    exchange,
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
