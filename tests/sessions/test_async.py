"""Under ASGI: both middlewares run in the event loop (sync and async capable), ``aget_access_token`` reads
and refreshes through Django's async session and cache APIs, and django-ninja's async operations accept
PingOne tokens (``AsyncPingOneBearer``). In-process with ``AsyncClient``; tests/end_to_end/cluster/test_asgi_uvicorn.py
runs the same under uvicorn."""

from __future__ import annotations

import functools
import time
from typing import Any

import pytest
import requests
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client

from django_pingone_authorize import aget_access_token
from django_pingone_authorize.middleware import PingOneTokenMiddleware, SessionCheckMiddleware
from django_pingone_authorize.sessions.token_store import get_tokens
from django_pingone_authorize.testing import DEMO_SUB, PingOneStandIn, sign_on

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.async_urls")]

TOKEN_MIDDLEWARE = "django_pingone_authorize.middleware.PingOneTokenMiddleware"
SESSION_CHECK = "django_pingone_authorize.middleware.SessionCheckMiddleware"
AUDIENCE = "https://orders.example.com"


@pytest.fixture
def site(settings: Any, pingone_standin: PingOneStandIn) -> PingOneStandIn:
    pingone_standin.add_resource(AUDIENCE, ["orders:read"])
    settings.PINGONE_AUTHORIZE = {
        "default": pingone_standin.settings(
            STORE_TOKENS=True, SCOPE="openid profile email offline_access", API_AUDIENCE=AUDIENCE
        )
    }
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, TOKEN_MIDDLEWARE, SESSION_CHECK]
    return pingone_standin


def signed_on(standin: PingOneStandIn) -> tuple[AsyncClient, requests.Session]:
    """A whole sign-on through the sync client; the async client gets its session cookie."""
    client, browser = Client(), requests.Session()
    answer = sign_on(browser, client.post("/pingone/login/")["Location"])
    assert client.get("/pingone/callback/", answer.params).status_code == 302
    async_client = AsyncClient()
    async_client.cookies = client.cookies
    return async_client, browser


def in_event_loop(test: Any) -> Any:
    """Run an ``async def`` test in an event loop (no pytest async plugin: asgiref's ``async_to_sync``)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> Any:
        return async_to_sync(test)(*args, **kwargs)

    return run


def refreshes(standin: PingOneStandIn) -> int:
    return sum(1 for _method, path in standin.requests_seen if path.endswith("/as/token"))


@pytest.mark.parametrize("middleware", [PingOneTokenMiddleware, SessionCheckMiddleware])
def test_both_middlewares_are_sync_and_async(middleware: type) -> None:
    assert middleware.sync_capable and middleware.async_capable

    async def async_view(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    assert iscoroutinefunction(middleware(async_view))
    assert not iscoroutinefunction(middleware(lambda request: HttpResponse()))


@in_event_loop
async def test_aget_access_token_steady_state_and_refresh(site: PingOneStandIn) -> None:
    client, _browser = await sync_to_async_call(signed_on, site)
    site.reset_requests_seen()
    steady = (await client.get("/async/token/")).json()
    assert steady["user"] == "demo" and steady["access_token"]
    assert refreshes(site) == 0  # nothing asked of anyone
    fresh = (await client.get("/async/token/", {"min_ttl": "100000"})).json()["access_token"]
    assert fresh and fresh != steady["access_token"]
    assert refreshes(site) == 1
    session = await sync_to_async_call(lambda: client.session)
    assert await sync_to_async_call(lambda: get_tokens(session)["access_token"]) == fresh  # kept in the session


@in_event_loop
async def test_session_check_under_asgi_ends_the_django_session(settings: Any, site: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE = {"default": {**settings.PINGONE_AUTHORIZE["default"], "SESSION_CHECK_INTERVAL": 1}}
    client, browser = await sync_to_async_call(signed_on, site)
    session = await sync_to_async_call(lambda: client.session)
    id_token = await sync_to_async_call(lambda: get_tokens(session)["id_token"])
    await sync_to_async_call(
        lambda: browser.get(site.end_session_endpoint, params={"id_token_hint": id_token}, timeout=10)
    )
    time.sleep(1.1)
    ended = await client.get("/async/home/")
    assert ended.status_code == 303 and ended["Location"].startswith("/pingone/session-ended/")
    assert (await client.get("/async/home/")).json() == {"user": None}


@in_event_loop
async def test_bearer_tokens_in_async_views(site: PingOneStandIn, pingone_access_token: Any) -> None:
    from django.contrib.auth import get_user_model

    from django_pingone_authorize.models import PingOneIdentity

    user = await get_user_model().objects.acreate(username="demo")
    await PingOneIdentity.objects.acreate(user=user, issuer=site.issuer, subject=DEMO_SUB)
    token = pingone_access_token(["orders:read"])
    client = AsyncClient()
    home = await client.get("/async/home/", headers={"Authorization": f"Bearer {token}"})
    assert home.json() == {"user": "demo"}  # PingOneTokenMiddleware under ASGI; request.auser() is the token's
    api = await client.get("/async/api/whoami", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200 and api.json() == {"sub": DEMO_SUB, "user": "demo"}
    refused = await client.get("/async/api/whoami", headers={"Authorization": "Bearer not-a-token"})
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    narrow = pingone_access_token(["orders:read"], scope="openid")
    assert (await client.get("/async/api/whoami", headers={"Authorization": f"Bearer {narrow}"})).status_code == 403


@in_event_loop
async def test_aget_access_token_without_a_sign_on(site: PingOneStandIn) -> None:
    assert (await AsyncClient().get("/async/home/")).json() == {"user": None}
    request = HttpRequest()
    from django.contrib.sessions.backends.db import SessionStore

    request.session = SessionStore()
    assert await aget_access_token(request) is None


async def sync_to_async_call(function: Any, *args: Any) -> Any:
    from asgiref.sync import sync_to_async

    return await sync_to_async(function)(*args)
