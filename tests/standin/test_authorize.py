"""The stand-in's authorize endpoint (``/as/authorize``): GET and POST, redirect URIs, errors sent back on the
redirect, PKCE, ``prompt``/``max_age``/``acr_values``, and ``form_post`` (over real HTTP, no Django)."""

from __future__ import annotations

import hashlib
import time

import pytest
import requests

from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import parse_autosubmit_form, sign_on
from django_pingone_authorize.testing.jose import b64url_encode
from tests.standin.helpers import (
    REDIRECT_URI,
    Pkce,
    authorize_params,
    decode_id_token,
    exchange,
    redirect_error,
)

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
        http,
        pingone_standin.authorize_url(**authorize_params(pkce, scope="openid email")),
        username="scoped",
        password="pw",
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
