"""The stand-in's token endpoint (``/as/token``) and revocation (``/as/revoke``): the request's checks, single-use
codes, expiry, refresh tokens (over real HTTP)."""

from __future__ import annotations

import time

import pytest
import requests

from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import sign_on
from tests.standin.helpers import (
    REDIRECT_URI,
    Pkce,
    authorize_params,
    code_for,
    decode_id_token,
    exchange,
)


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
        decode_id_token(pingone_standin, refresh.json()["id_token"])["sub"]
        == decode_id_token(pingone_standin, body["id_token"])["sub"]
    )
    again = requests.post(
        pingone_standin.token_endpoint,
        data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
        auth=("demo-client", "demo-secret"),
        timeout=5,
    )
    assert again.json()["error"] == "invalid_grant"


def test_revoke(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pkce = Pkce()
    # PingOne revokes tokens of custom resources only (tests/sessions/test_logout_everywhere_reach.py: the refusals).
    pingone_standin.add_resource("https://orders.example.com", ["orders:read"])
    params = {**authorize_params(pkce), "scope": "openid orders:read"}
    code = sign_on(http, pingone_standin.authorize_url("demo-client", **params)).params["code"]
    access_token = exchange(pingone_standin, code, pkce).json()["access_token"]
    revoked = requests.post(
        pingone_standin.revocation_endpoint,
        data={"token": access_token},
        auth=("demo-client", "demo-secret"),
        timeout=5,
    )
    assert revoked.status_code == 200
    response = requests.get(
        pingone_standin.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"}, timeout=5
    )
    assert response.status_code == 401
