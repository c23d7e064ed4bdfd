"""Issue 22, items 4, 7 and 8: access tokens as PingOne issues them today, and introspection anonymous callers
cannot drive. Against the stand-in over real HTTP.

* Introspection misses are capped (per process and through the cache) and what cannot be a PingOne token is
  refused without a call: 40 anonymous requests with made-up tokens no longer make 40 calls (item 4).
* ``API_REQUIRE_TYP`` = "auto" (the default) accepts PingOne's tokens without ``typ`` (before 2 March 2027)
  and tightens by itself, for every worker, once the issuer has shown ``typ: at+jwt`` (item 7).
* The resource's introspection client authentication is a setting (item 8).
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from django.test import Client, override_settings

from django_pingone_authorize.api import access_tokens, introspection
from django_pingone_authorize.checks import check_api_settings
from django_pingone_authorize.testing import PingOneStandIn
from tests.api.support import (
    AUDIENCE,
    assert_refused,
    bearer,
    client_credentials,
    configure,
    mint,
    user_tokens,
)

pytestmark = pytest.mark.django_db


def introspections(standin: PingOneStandIn) -> int:
    return sum(1 for _, path in standin.requests_seen if path == standin.paths.introspection_endpoint)


# -- item 4 ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["opaque", True])
def test_made_up_tokens_cannot_drive_introspection(
    client: Client, settings: Any, api_standin: PingOneStandIn, mode: Any
) -> None:
    configure(settings, api_standin, API_INTROSPECT=mode)
    api_standin.reset_requests_seen()
    answers = [client.get("/api/plain/orders/", **bearer(secrets.token_urlsafe(32))).status_code for _ in range(40)]
    assert introspections(api_standin) == introspection.MAX_CALLS
    assert set(answers) == {401, 503}  # past the cap: "cannot be checked right now", without a call
    # Another worker (this process's count forgotten) shares the count through the cache.
    introspection.reset_caches()
    assert client.get("/api/plain/orders/", **bearer(secrets.token_urlsafe(32))).status_code == 503
    assert introspections(api_standin) == introspection.MAX_CALLS


def test_what_cannot_be_a_pingone_token_is_refused_without_a_call(
    client: Client, settings: Any, api_standin: PingOneStandIn
) -> None:
    configure(settings, api_standin, API_INTROSPECT=True)
    api_standin.reset_requests_seen()
    for token in (
        "short",
        "abc.def.ghi",
        mint(api_standin, iss="https://auth.pingone.com/other/as"),
        mint(api_standin, aud=["https://billing.example.com"]),
        mint(api_standin, algorithm="PS256"),
        mint(api_standin, exp=1),
    ):
        assert_refused(client.get("/api/plain/orders/", **bearer(token)), 401, "invalid_token")
    assert introspections(api_standin) == 0
    assert client.get("/api/plain/orders/", **bearer(client_credentials(api_standin))).status_code == 200
    assert introspections(api_standin) == 1


# -- item 7 ---------------------------------------------------------------------------------------------------


def test_auto_accepts_todays_tokens_and_tightens_once_the_issuer_shows_typ(
    client: Client, settings: Any, api_standin: PingOneStandIn
) -> None:
    configure(settings, api_standin, API_REQUIRE_TYP="auto")
    untyped = mint(api_standin, headers={"typ": None})
    assert client.get("/api/plain/orders/", **bearer(untyped)).status_code == 200  # PingOne before March 2027
    # An ID token still never passes: it carries a nonce, and its audience is the client ID.
    assert_refused(
        client.get("/api/plain/orders/", **bearer(user_tokens(api_standin)["id_token"])), 401, "invalid_token"
    )
    assert_refused(
        client.get("/api/plain/orders/", **bearer(mint(api_standin, headers={"typ": None}, nonce="n"))),
        401,
        "invalid_token",
    )
    # A forged typ'd token teaches nothing: only a token that passed every check does.
    assert_refused(client.get("/api/plain/orders/", **bearer(mint(api_standin, aud=["x"]))), 401, "invalid_token")
    assert client.get("/api/plain/orders/", **bearer(mint(api_standin, headers={"typ": None}))).status_code == 200
    assert client.get("/api/plain/orders/", **bearer(client_credentials(api_standin))).status_code == 200  # typ'd
    response = client.get("/api/plain/orders/", **bearer(mint(api_standin, headers={"typ": None})))
    assert_refused(response, 401, "invalid_token")
    assert "typ" in response.json()["error_description"]
    access_tokens.reset_caches()  # another worker: it learns from the cache
    assert_refused(
        client.get("/api/plain/orders/", **bearer(mint(api_standin, headers={"typ": None}))), 401, "invalid_token"
    )


def test_the_default_is_auto(settings: Any, api_standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE = {"default": api_standin.settings(API_AUDIENCE=AUDIENCE)}
    assert access_tokens.validate_access_token(mint(api_standin, headers={"typ": None})).scopes


GOOD = {"AUTH_PATH": "https://auth.pingone.eu", "ENV_ID": "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6", "CLIENT_ID": "c"}


@pytest.mark.parametrize(
    ("options", "check_id"),
    [
        ({"API_AUDIENCE": ["https://orders.example.com", "c"]}, "pingone.E067"),
        ({"API_AUDIENCE": "https://orders.example.com", "API_INTROSPECTION_AUTH_METHOD": "tls"}, "pingone.E068"),
        ({"API_REQUIRE_TYP": "sometimes"}, "pingone.E066"),
    ],
)
def test_checks(options: dict[str, Any], check_id: str) -> None:
    with override_settings(PINGONE_AUTHORIZE={"default": {**GOOD, "CLIENT_SECRET": "s", **options}}):
        found = check_api_settings()
    assert [m.id for m in found] == [check_id] and found[0].hint


def test_good_api_options_pass_the_checks() -> None:
    options = {"API_AUDIENCE": "https://orders.example.com", "API_REQUIRE_TYP": "auto", "API_CLIENT_ID": "r"}
    with override_settings(PINGONE_AUTHORIZE={"default": {**GOOD, **options, "API_INTROSPECTION_AUTH_METHOD": "none"}}):
        assert check_api_settings() == []


# -- item 8 ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["client_secret_post", "client_secret_jwt", "client_secret_basic"])
def test_introspection_authenticates_as_the_resource_is_set_in_pingone(
    client: Client, settings: Any, api_standin: PingOneStandIn, method: str
) -> None:
    secret = "orders-api-secret-0123456789abcdefghijklmnopqrstuvwxyz"
    api_standin.add_client("orders-api", secret, token_endpoint_auth_method=method)
    configure(
        settings,
        api_standin,
        API_INTROSPECT=True,
        API_CLIENT_ID="orders-api",
        API_CLIENT_SECRET=secret,
        API_INTROSPECTION_AUTH_METHOD=method,
    )
    api_standin.reset_requests_seen()
    assert client.get("/api/plain/orders/", **bearer(client_credentials(api_standin))).status_code == 200
    assert introspections(api_standin) == 1
