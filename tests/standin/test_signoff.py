"""The stand-in's ``/as/signoff`` and ``/as/userinfo``."""

from __future__ import annotations

import time

import requests

from django_pingone_authorize.testing import PingOneStandIn
from tests.standin.helpers import (
    Pkce,
    authorize_params,
    code_for,
    exchange,
)

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
    response = requests.get(
        pingone_standin.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"}, timeout=5
    )
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
    expired = requests.get(
        pingone_standin.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"}, timeout=5
    )
    assert expired.status_code == 401
