"""The access-token validator (``access_tokens.py``) behind plain Django's decorator and middleware, against
the PingOne stand-in over real HTTP: every bad input an RFC 6750 answer, users and machine clients told apart,
no outbound call in steady state, and introspection (opaque tokens, revocation, its cache)."""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any

import hypothesis
import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client
from hypothesis import strategies as st

from django_pingone_authorize.api import access_tokens
from django_pingone_authorize.api.access_tokens import AccessTokenError, validate_access_token
from django_pingone_authorize.checks import check_api_settings
from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.standin import DEMO_SUB
from tests.api.support import (
    AUDIENCE,
    BAD_IDS,
    BAD_INPUTS,
    CALLBACK,
    assert_refused,
    bearer,
    challenge_of,
    client_credentials,
    configure,
    demo_user,
    mint,
    user_token,
)

pytestmark = pytest.mark.django_db

TOKEN_MIDDLEWARE = "django_pingone_authorize.middleware.PingOneTokenMiddleware"


@pytest.mark.parametrize(("name", "header", "status", "error"), BAD_INPUTS, ids=BAD_IDS)
def test_bad_input_is_refused_by_the_decorator(
    client: Client, api_standin: PingOneStandIn, caplog: Any, name: str, header: Any, status: int, error: str
) -> None:
    value = header(api_standin)
    extra = {"HTTP_AUTHORIZATION": value} if value is not None else {}
    with caplog.at_level(logging.DEBUG, logger="django_pingone_authorize"):
        response = client.get("/api/plain/orders/", **extra)
    assert_refused(response, status, error)
    assert response["Content-Type"] == "application/json"
    assert response.json().get("error") == (error or None)
    assert response.json()["error_description"]
    token = (value or "").removeprefix("Bearer ")
    if len(token) > 8:
        assert all(token not in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(("name", "header", "status", "error"), BAD_INPUTS, ids=BAD_IDS)
def test_bad_input_is_refused_by_the_middleware(
    client: Client, settings: Any, api_standin: PingOneStandIn, name: str, header: Any, status: int, error: str
) -> None:
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, TOKEN_MIDDLEWARE]
    value = header(api_standin)
    if value is None:
        # Without an Authorization header the middleware stays out of the way.
        assert client.get("/api/middleware/who/").json()["user"] is None
        return
    assert_refused(client.get("/api/middleware/who/", HTTP_AUTHORIZATION=value), status, error)


def test_a_signed_on_user_is_that_django_user(client: Client, api_standin: PingOneStandIn) -> None:
    user = demo_user(api_standin)
    response = client.get("/api/plain/orders/", **bearer(user_token(api_standin)))
    assert response.status_code == 200, response.content
    assert response.json() == {"caller": user.get_username(), "user": True}


def test_a_user_unknown_here_is_a_machine_principal(client: Client, api_standin: PingOneStandIn) -> None:
    body = client.get("/api/plain/who/", **bearer(user_token(api_standin))).json()
    assert body["client"] is True and body["is_user"] is True
    assert body["user"] == "pingone-client:demo-client"


def test_a_client_credentials_token_is_a_machine_principal(client: Client, api_standin: PingOneStandIn) -> None:
    body = client.get("/api/plain/who/", **bearer(client_credentials(api_standin))).json()
    assert body == {
        "user": "pingone-client:demo-client",
        "client": True,
        "is_user": False,
        "client_id": "demo-client",
        "scopes": ["orders:read"],
    }


def test_an_inactive_user_is_refused(client: Client, api_standin: PingOneStandIn) -> None:
    demo_user(api_standin, is_active=False)
    assert_refused(client.get("/api/plain/orders/", **bearer(user_token(api_standin))), 401, "invalid_token")


def test_a_missing_scope_is_insufficient_scope(client: Client, api_standin: PingOneStandIn) -> None:
    response = client.get("/api/plain/orders/", **bearer(client_credentials(api_standin, "orders:write")))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in challenge_of(response)
    assert 'scope="orders:read"' in challenge_of(response)


def test_steady_state_makes_no_outbound_call(client: Client, api_standin: PingOneStandIn) -> None:
    token = client_credentials(api_standin)
    assert client.get("/api/plain/orders/", **bearer(token)).status_code == 200  # discovery + JWKS, once
    api_standin.reset_requests_seen()
    for _ in range(5):
        assert client.get("/api/plain/orders/", **bearer(token)).status_code == 200
        assert client.get("/api/plain/orders/", **bearer(client_credentials(api_standin))).status_code == 200
    assert [seen for seen in api_standin.requests_seen if seen[1] != api_standin.paths.token_endpoint] == []


def test_rotated_keys_are_fetched_once(client: Client, api_standin: PingOneStandIn) -> None:
    assert client.get("/api/plain/orders/", **bearer(client_credentials(api_standin))).status_code == 200
    api_standin.rotate_keys()
    api_standin.reset_requests_seen()
    assert client.get("/api/plain/orders/", **bearer(client_credentials(api_standin))).status_code == 200
    assert [path for _, path in api_standin.requests_seen if path.endswith("/jwks")] == [api_standin.paths.jwks_uri]


def test_the_e2e_sign_on_and_its_access_token(client: Client, settings: Any, api_standin: PingOneStandIn) -> None:
    """Sign on through the app (the backend fills the identity table), then call the API with the token."""
    from django_pingone_authorize.sessions.token_store import get_tokens
    from tests.end_to_end.test_pingone_standin import full_sign_on

    configure(settings, api_standin, STORE_TOKENS=True, SCOPE="openid profile orders:read")
    assert full_sign_on(client).status_code == 302
    access_token = get_tokens(client.session)["access_token"]
    body = Client().get("/api/plain/orders/", **bearer(access_token)).json()
    assert body == {"caller": "demo", "user": True}


def test_typ_may_be_allowed_missing_but_an_id_token_is_still_refused(
    client: Client, settings: Any, api_standin: PingOneStandIn
) -> None:
    configure(settings, api_standin, API_REQUIRE_TYP=False)
    assert client.get("/api/plain/orders/", **bearer(mint(api_standin, headers={"typ": None}))).status_code == 200
    id_token_like = mint(api_standin, headers={"typ": None}, nonce="n")
    assert_refused(client.get("/api/plain/orders/", **bearer(id_token_like)), 401, "invalid_token")
    # PingOne before March 2027: a resource whose tokens carry no typ.
    api_standin.add_resource("https://legacy.example.com", ["legacy:read", "orders:read"][:1], typ=None)
    configure(settings, api_standin, API_REQUIRE_TYP=False, API_AUDIENCE=["https://legacy.example.com", AUDIENCE])
    legacy = client_credentials(api_standin, "legacy:read")
    assert client.get("/api/plain/who/", **bearer(legacy)).status_code == 200


def test_application_at_jwt_and_a_list_of_audiences(client: Client, settings: Any, api_standin: PingOneStandIn) -> None:
    configure(settings, api_standin, API_AUDIENCE=("https://x.example.com", AUDIENCE))
    token = mint(api_standin, headers={"typ": "application/at+jwt"}, aud=["https://y.example.com", AUDIENCE])
    assert client.get("/api/plain/orders/", **bearer(token)).status_code == 200


def test_another_alias(client: Client, settings: Any, api_standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE = {
        "default": api_standin.settings(API_AUDIENCE="https://nothing.example.com"),
        "other": api_standin.settings(API_AUDIENCE=AUDIENCE),
    }
    token = client_credentials(api_standin, "orders:read orders:write")
    assert client.post("/api/plain/other/write/", **bearer(token)).status_code == 200
    assert_refused(client.get("/api/plain/orders/", **bearer(token)), 401, "invalid_token")


def test_no_audience_configured_refuses_every_token(client: Client, settings: Any, api_standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE = {"default": api_standin.settings()}
    assert_refused(client.get("/api/plain/orders/", **bearer(client_credentials(api_standin))), 401, "invalid_token")


def test_provider_down_is_a_503_not_a_500(client: Client, settings: Any, api_standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE = {
        "default": api_standin.settings(AUTH_PATH="http://127.0.0.1:9", API_AUDIENCE=AUDIENCE, TIMEOUT=2)
    }
    response = client.get("/api/plain/orders/", **bearer(mint(api_standin)))
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"


# -- the middleware ---------------------------------------------------------------------------------------


def test_middleware_sets_the_user_and_the_token(client: Client, settings: Any, api_standin: PingOneStandIn) -> None:
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, TOKEN_MIDDLEWARE]
    demo_user(api_standin)
    body = client.get("/api/middleware/who/", **bearer(user_token(api_standin))).json()
    assert body == {
        "user": "demo",
        "client": False,
        "is_user": True,
        "client_id": "demo-client",
        "scopes": ["openid", "orders:read", "profile"],
    }
    assert client.get("/api/middleware/who/", HTTP_AUTHORIZATION="Basic Zm9vOmJhcg==").json()["user"] is None


def test_middleware_token_requests_skip_csrf_and_others_do_not(settings: Any, api_standin: PingOneStandIn) -> None:
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, TOKEN_MIDDLEWARE]
    client = Client(enforce_csrf_checks=True)
    assert client.post("/api/middleware/form/").status_code == 403  # Django's CSRF check
    response = client.post("/api/middleware/form/", **bearer(client_credentials(api_standin)))
    assert response.status_code == 200
    assert response.json()["client"] is True


def test_decorator_reuses_the_middlewares_validation(
    client: Client, settings: Any, api_standin: PingOneStandIn, monkeypatch: Any
) -> None:
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, TOKEN_MIDDLEWARE]
    token = client_credentials(api_standin)
    calls: list[str] = []
    real = access_tokens._validate_jwt
    monkeypatch.setattr(access_tokens, "_validate_jwt", lambda *a: calls.append("v") or real(*a))
    assert client.get("/api/plain/orders/", **bearer(token)).status_code == 200
    assert calls == ["v"]


# -- introspection ----------------------------------------------------------------------------------------


def introspections(standin: PingOneStandIn) -> int:
    return sum(1 for _, path in standin.requests_seen if path == standin.paths.introspection_endpoint)


def test_introspection_accepts_and_caches(client: Client, settings: Any, api_standin: PingOneStandIn) -> None:
    configure(settings, api_standin, API_INTROSPECT=True)
    token = client_credentials(api_standin)
    api_standin.reset_requests_seen()
    for _ in range(3):
        assert client.get("/api/plain/orders/", **bearer(token)).status_code == 200
    assert introspections(api_standin) == 1
    cache = caches["default"]
    keys = [key for key in cache._cache if "introspection" in key]  # type: ignore[attr-defined]
    assert len(keys) == 1 and token not in keys[0]
    assert all(token not in str(value) for value in cache._cache.values())  # type: ignore[attr-defined]


def test_introspection_cache_never_outlives_the_token_nor_the_bound(
    client: Client, settings: Any, api_standin: PingOneStandIn
) -> None:
    configure(settings, api_standin, API_INTROSPECT=True, API_INTROSPECTION_MAX_CACHE=30)
    api_standin.token_ttl = 10
    assert client.get("/api/plain/orders/", **bearer(client_credentials(api_standin))).status_code == 200
    api_standin.token_ttl = 3600
    assert client.get("/api/plain/orders/", **bearer(client_credentials(api_standin))).status_code == 200
    cache = caches["default"]
    lifetimes = sorted(
        cache._expire_info[key] - time.time()  # type: ignore[attr-defined]
        for key in cache._cache  # type: ignore[attr-defined]
        if "introspection" in key
    )
    assert len(lifetimes) == 2
    assert lifetimes[0] <= 10 and 10 < lifetimes[1] <= 30


def test_introspection_sees_revocation_when_not_cached(
    client: Client, settings: Any, api_standin: PingOneStandIn
) -> None:
    import requests

    configure(settings, api_standin, API_INTROSPECT=True, API_INTROSPECTION_MAX_CACHE=0)
    token = user_token(api_standin)  # PingOne revokes only tokens of a session (sid): not client credentials
    assert client.get("/api/plain/orders/", **bearer(token)).status_code == 200
    revoked = requests.post(
        api_standin.revocation_endpoint, data={"token": token}, auth=("demo-client", "demo-secret"), timeout=10
    )
    assert revoked.status_code == 200
    assert_refused(client.get("/api/plain/orders/", **bearer(token)), 401, "invalid_token")


def test_introspection_checks_the_audience(client: Client, settings: Any, api_standin: PingOneStandIn) -> None:
    configure(settings, api_standin, API_INTROSPECT=True)
    token = client_credentials(api_standin, "billing:read")
    assert_refused(client.get("/api/plain/orders/", **bearer(token)), 401, "invalid_token")


def test_opaque_tokens(client: Client, settings: Any, api_standin: PingOneStandIn) -> None:
    api_standin.add_resource("https://opaque.example.com", ["opaque:read"], opaque=True)
    configure(settings, api_standin, API_AUDIENCE=["https://opaque.example.com", AUDIENCE])
    opaque = client_credentials(api_standin, "opaque:read")
    api_standin.reset_requests_seen()
    # Introspection off (the default): an opaque token is refused without a call.
    assert_refused(client.get("/api/plain/who/", **bearer(opaque)), 401, "invalid_token")
    assert introspections(api_standin) == 0
    configure(settings, api_standin, API_AUDIENCE=["https://opaque.example.com", AUDIENCE], API_INTROSPECT="opaque")
    assert client.get("/api/plain/who/", **bearer(opaque)).json()["scopes"] == ["opaque:read"]
    assert introspections(api_standin) == 1
    assert client.get("/api/plain/orders/", **bearer(client_credentials(api_standin))).status_code == 200
    assert introspections(api_standin) == 1  # JWTs still validated locally


def test_introspection_with_the_resources_own_credentials(
    client: Client, settings: Any, api_standin: PingOneStandIn
) -> None:
    api_standin.add_client("orders-api", "orders-api-secret")
    configure(
        settings, api_standin, API_INTROSPECT=True, API_CLIENT_ID="orders-api", API_CLIENT_SECRET="orders-api-secret"
    )
    assert client.get("/api/plain/orders/", **bearer(client_credentials(api_standin))).status_code == 200
    configure(settings, api_standin, API_INTROSPECT=True, API_CLIENT_ID="orders-api", API_CLIENT_SECRET="wrong")
    response = client.get("/api/plain/orders/", **bearer(client_credentials(api_standin)))
    assert response.status_code == 503  # our credentials are wrong: not the caller's fault


def test_an_inactive_token_is_refused(client: Client, settings: Any, api_standin: PingOneStandIn) -> None:
    configure(settings, api_standin, API_INTROSPECT=True)
    assert_refused(client.get("/api/plain/orders/", **bearer(mint(api_standin))), 401, "invalid_token")


# -- the validator's API and the checks --------------------------------------------------------------------


def test_validate_access_token_directly(api_standin: PingOneStandIn) -> None:
    result = validate_access_token(client_credentials(api_standin, "orders:read orders:write"), scopes=["orders:write"])
    assert result.scopes == {"orders:read", "orders:write"} and not result.is_user
    assert "orders" not in repr(result.claims.get("jti", "")) and "jti" not in repr(result)
    with pytest.raises(AccessTokenError) as raised:
        validate_access_token(mint(api_standin, sub=DEMO_SUB), scopes=["orders:delete"])
    assert raised.value.error == "insufficient_scope" and raised.value.status == 403


def test_a_validated_token_is_remembered_only_while_it_lives(api_standin: PingOneStandIn, monkeypatch: Any) -> None:
    token = mint(api_standin, exp=int(time.time()) + 30)
    calls: list[str] = []
    real = access_tokens._validate_jwt
    monkeypatch.setattr(access_tokens, "_validate_jwt", lambda *a: calls.append("v") or real(*a))
    validate_access_token(token)
    validate_access_token(token)
    assert calls == ["v"]
    leeway = 60
    monkeypatch.setattr(access_tokens, "_now", lambda: time.time() + 30 + leeway + 1)
    with pytest.raises(AccessTokenError, match="expired"):
        validate_access_token(token)
    assert calls == ["v", "v"]


def test_checks(settings: Any, api_standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE = {
        "default": api_standin.settings(
            API_AUDIENCE=[AUDIENCE, 3],
            API_INTROSPECT="sometimes",
            API_INTROSPECTION_MAX_CACHE=-1,
            ID_TOKEN_ALGORITHMS=["HS256"],
            API_CLIENT_ID="resource",
            API_REQUIRE_TYP="yes",
        )
    }
    settings.MIDDLEWARE = [TOKEN_MIDDLEWARE, *settings.MIDDLEWARE]
    ids = sorted(message.id for message in check_api_settings())
    assert ids == [
        "pingone.E060",
        "pingone.E061",
        "pingone.E062",
        "pingone.E063",
        "pingone.E064",
        "pingone.E065",
        "pingone.E066",
    ]
    settings.MIDDLEWARE = [*settings.MIDDLEWARE[1:], TOKEN_MIDDLEWARE]
    settings.PINGONE_AUTHORIZE = {"default": api_standin.settings(API_AUDIENCE=AUDIENCE, REDIRECT_URI=CALLBACK)}
    assert list(check_api_settings()) == []
    call_command("check")


# -- arbitrary input --------------------------------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "alg": st.sampled_from(["RS256", "RS512", "PS256", "HS256", "none", "ES256"]) | _JSON,
        "typ": st.sampled_from(["at+jwt", "application/at+jwt", "JWT"]) | _JSON,
        "kid": st.text(max_size=10) | _JSON,
        "crit": _JSON,
    },
)


def _segment_of(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@hypothesis.settings(
    max_examples=120, deadline=None, suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture]
)
@hypothesis.given(
    value=st.text(max_size=300)
    | st.builds(
        lambda header, payload, signature: f"Bearer {_segment_of(header)}.{_segment_of(payload)}.{signature}",
        _HEADERS,
        st.dictionaries(st.sampled_from(["iss", "aud", "exp", "nbf", "iat", "sub", "scope"]), _JSON),
        st.text(alphabet="ABCDEFabcdef0123456789-_", max_size=40),
    )
)
def test_arbitrary_authorization_headers_are_never_a_500(
    client: Client, api_standin: PingOneStandIn, value: str
) -> None:
    for path in ("/api/plain/orders/", "/api/drf/orders/", "/api/ninja/orders"):
        response = client.get(path, HTTP_AUTHORIZATION=value)
        assert response.status_code in (400, 401), (path, value, response.status_code)
