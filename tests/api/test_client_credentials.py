"""``get_client_token`` and ``PingOneAuth``: client-credentials tokens from the stand-in over real HTTP, cached
across workers, one fetch in flight at a time."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import requests
from django.core.cache import cache

import django_pingone_authorize
from django_pingone_authorize.api import client_credentials as client_tokens
from django_pingone_authorize.api.access_tokens import validate_access_token
from django_pingone_authorize.api.client_credentials import get_client_token
from django_pingone_authorize.api.requests_auth import PingOneAuth
from django_pingone_authorize.conf import get_alias
from django_pingone_authorize.errors import ProviderError
from django_pingone_authorize.provider import encryption
from django_pingone_authorize.testing import PingOneStandIn
from tests.api.support import configure


def token_requests(standin: PingOneStandIn) -> int:
    return sum(1 for method, path in standin.requests_seen if method == "POST" and path == standin.paths.token_endpoint)


def test_a_token_for_the_scopes_asked(api_standin: PingOneStandIn) -> None:
    token = django_pingone_authorize.get_client_token(scopes=["orders:read", "orders:write"])
    checked = validate_access_token(token)
    assert checked.scopes == {"orders:read", "orders:write"}
    assert checked.client_id == "demo-client" and not checked.is_user


def test_cached_in_the_process_and_across_workers(api_standin: PingOneStandIn) -> None:
    first = get_client_token("default", "orders:read")
    assert get_client_token("default", ["orders:read"]) == first
    client_tokens.reset_caches()  # another worker: no memo, the same Django cache
    assert get_client_token(scopes="orders:read") == first
    assert token_requests(api_standin) == 1
    other = get_client_token(scopes="orders:write")  # other scopes, another token
    assert other != first and token_requests(api_standin) == 2


def test_replaced_shortly_before_it_expires(api_standin: PingOneStandIn) -> None:
    api_standin.token_ttl = 2  # kept 1.8 s (a tenth of the lifetime before expiry, at most 60 s)
    first = get_client_token(scopes="orders:read")
    assert get_client_token(scopes="orders:read") == first
    time.sleep(2.1)
    assert get_client_token(scopes="orders:read") != first
    assert token_requests(api_standin) == 2


def test_one_fetch_in_flight_in_a_process(api_standin: PingOneStandIn) -> None:
    results: list[str] = []
    barrier = threading.Barrier(8)

    def fetch() -> None:
        barrier.wait()
        results.append(get_client_token(scopes="orders:read"))

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(results) == 8 and len(set(results)) == 1
    assert token_requests(api_standin) == 1


def test_waits_for_another_workers_fetch(api_standin: PingOneStandIn) -> None:
    config = get_alias()
    key = client_tokens._key(config, ("orders:read",))
    assert cache.add(f"{key}:fetching", True, 30)  # another worker is fetching

    def other_worker_finishes() -> None:
        time.sleep(0.3)
        # As the other worker writes it: encrypted at rest (issue 22, item 5).
        sealed = encryption.encrypt({"access_token": "from-the-other-worker", "replace_at": time.time() + 600})
        cache.set(key, sealed, 600)
        cache.delete(f"{key}:fetching")

    threading.Thread(target=other_worker_finishes).start()
    assert get_client_token(scopes="orders:read") == "from-the-other-worker"
    assert token_requests(api_standin) == 0


def test_fetches_itself_when_the_other_worker_never_finishes(settings: Any, api_standin: PingOneStandIn) -> None:
    configure(settings, api_standin, TIMEOUT=0.5)
    key = client_tokens._key(get_alias(), ("orders:read",))
    cache.add(f"{key}:fetching", True, 30)
    started = time.monotonic()
    token = get_client_token(scopes="orders:read")
    assert 1.0 <= time.monotonic() - started < 5
    assert validate_access_token(token).scopes == {"orders:read"}


def test_refusals_are_provider_errors(settings: Any, api_standin: PingOneStandIn) -> None:
    configure(settings, api_standin, CLIENT_SECRET="wrong")
    with pytest.raises(ProviderError):
        get_client_token(scopes="orders:read")
    settings.PINGONE_AUTHORIZE = {"default": api_standin.settings("demo-public")}
    with pytest.raises(ProviderError):
        get_client_token(scopes="orders:read")


def test_the_cache_never_holds_a_token_past_its_replacement(api_standin: PingOneStandIn) -> None:
    get_client_token(scopes="orders:read")
    key = cache.make_key(client_tokens._key(get_alias(), ("orders:read",)))
    assert 3500 < cache._expire_info[key] - time.time() <= 3540  # type: ignore[attr-defined]


def test_pingone_auth_sends_the_client_token(api_standin: PingOneStandIn) -> None:
    prepared = requests.Request("GET", "https://api.example.com/orders").prepare()
    PingOneAuth(scopes="orders:read")(prepared)
    token = prepared.headers["Authorization"].removeprefix("Bearer ")
    assert token == get_client_token(scopes=["orders:read"])


def test_pingone_auth_with_a_given_token() -> None:
    prepared = requests.Request("GET", "https://api.example.com/orders").prepare()
    auth = PingOneAuth(token="abc.def.ghi")
    assert auth(prepared).headers["Authorization"] == "Bearer abc.def.ghi"
    assert "abc" not in repr(auth)
    with pytest.raises(TypeError):
        PingOneAuth(token="x", client="default")


def test_pingone_auth_token_for_is_the_seam(api_standin: PingOneStandIn) -> None:
    class UserAuth(PingOneAuth):
        def token_for(self, request: requests.PreparedRequest) -> str:
            return "the-users-token"

    prepared = requests.Request("GET", "https://api.example.com/").prepare()
    assert UserAuth()(prepared).headers["Authorization"] == "Bearer the-users-token"
    assert token_requests(api_standin) == 0


@pytest.mark.django_db
def test_the_certified_ops_jwt_access_tokens(client: Any, settings: Any, oidc_op: Any) -> None:
    """panva's oidc-provider (resource indicators, RFC 9068 JWT access tokens): a client-credentials token from
    it, fetched by get_client_token and accepted by the DRF, plain Django and ninja surfaces."""
    settings.PINGONE_AUTHORIZE = {
        "default": {
            "AUTH_PATH": oidc_op.auth_path,
            "ENV_ID": oidc_op.env_id,
            "CLIENT_ID": "api-client",
            "CLIENT_SECRET": "api-client-secret",
            "API_AUDIENCE": "https://orders.example.com",
        }
    }
    client_tokens.reset_caches()
    token = get_client_token(scopes="orders:read")
    checked = validate_access_token(token, scopes=["orders:read"])
    assert checked.client_id == "api-client" and not checked.is_user
    for path in ("/api/drf/orders/", "/api/plain/orders/", "/api/ninja/orders"):
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200, (path, response.content)
        assert response.json()["caller"] == "pingone-client:api-client"
    # (oidc-provider does not introspect its JWT access tokens, "unsupported_token_type": the stand-in's tests
    # cover introspection.)
