"""The stand-in's hosted sign-on pages: cancel, a wrong password, password change and one-time code pages,
unsupported statuses, an external provider, the session cookie (over real HTTP)."""

from __future__ import annotations

import pytest
import requests

from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import SignOnError, sign_on
from tests.standin.helpers import (
    Pkce,
    authorize_params,
    decode_id_token,
    exchange,
)


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
        claims = decode_id_token(
            pingone_standin, exchange(pingone_standin, back.params["code"], pkce).json()["id_token"]
        )
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
