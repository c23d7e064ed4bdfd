"""Sign-on keeps working when the shared cache is down: with ``CACHES`` on Django's ``RedisCache`` and a real
``redis-server`` stopped mid-test, discovery and the signing keys are fetched from PingOne and kept in the
process, a warning is logged (once a minute, not on every request), and no request answers 500."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import requests
from django.core.cache import caches
from django.test import Client

from django_pingone_authorize.provider import shared_cache
from django_pingone_authorize.provider.shared_cache import cache_key
from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import AuthorizationResponse, sign_on
from tests.doubles.redis_server import RedisServer

pytestmark = pytest.mark.django_db

CALLBACK = "http://127.0.0.1:8000/pingone/callback/"


def configure(settings: Any, standin: PingOneStandIn, redis: RedisServer) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis.url},
    }
    settings.PINGONE_AUTHORIZE = {"default": standin.settings("demo-client", REDIRECT_URI=CALLBACK)}


def signed_on_browser(standin: PingOneStandIn) -> tuple[Client, list[int]]:
    """A whole sign-on by a new browser; the statuses of the app's answers (login, then callback)."""
    browser = Client(raise_request_exception=False)  # a 500 is an answer to look at, not an exception
    login = browser.post("/pingone/login/")
    statuses = [login.status_code]
    if login.status_code != 302:
        return browser, statuses
    answer: AuthorizationResponse = sign_on(requests.Session(), login["Location"])
    callback = browser.get("/pingone/callback/", answer.params)
    statuses.append(callback.status_code)
    return browser, statuses


def who(browser: Client) -> str:
    return browser.get("/home/").content.decode().removeprefix("home: ")


def cache_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name.startswith("django_pingone_authorize")
        and r.levelno == logging.WARNING
        and "unreachable" in r.getMessage()
    ]


def test_sign_on_survives_redis_going_down(
    settings: Any,
    pingone_standin: PingOneStandIn,
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
    new_worker: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure(settings, pingone_standin, redis_server)
    browser, statuses = signed_on_browser(pingone_standin)
    assert statuses == [302, 302] and who(browser) == "demo"
    # Discovery and the signing keys really went through Redis.
    redis = caches["default"]
    assert isinstance(redis.get(cache_key("discovery", pingone_standin.issuer)), dict)
    assert isinstance(redis.get(cache_key("jwks", pingone_standin.jwks_uri)), dict)

    redis_server.stop()
    new_worker()
    # Ask the dead backend on every call (no resting period), so that only the warning's own rate limit
    # keeps it to one.
    monkeypatch.setattr(shared_cache, "RETRY_AFTER", 0.0)
    caplog.set_level(logging.INFO, logger="django_pingone_authorize")
    pingone_standin.reset_requests_seen()
    for _ in range(3):
        browser, statuses = signed_on_browser(pingone_standin)
        assert statuses == [302, 302], statuses  # never a 500
        assert who(browser) == "demo"

    warnings = cache_warnings(caplog)
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "'default'" in warnings[0].getMessage() and "ConnectionError" in warnings[0].getMessage()
    # Fetched from PingOne once, then kept in the process: the later sign-ons make only the token request.
    paths = pingone_standin.paths
    app_calls = [p for _, p in pingone_standin.requests_seen if p.endswith(("openid-configuration", "/jwks", "/token"))]
    assert app_calls == [
        paths.discovery_url,
        paths.token_endpoint,
        paths.jwks_uri,
        paths.token_endpoint,
        paths.token_endpoint,
    ]


def test_key_rotation_while_redis_is_down(
    settings: Any,
    pingone_standin: PingOneStandIn,
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
    new_worker: Any,
) -> None:
    """The JWKS without the cache: the process's own copy, and a rotated key is still fetched (once)."""
    configure(settings, pingone_standin, redis_server)
    redis_server.stop()
    new_worker()
    caplog.set_level(logging.WARNING, logger="django_pingone_authorize")
    _, statuses = signed_on_browser(pingone_standin)
    assert statuses == [302, 302]
    pingone_standin.rotate_keys()
    pingone_standin.reset_requests_seen()
    browser, statuses = signed_on_browser(pingone_standin)
    assert statuses == [302, 302] and who(browser) == "demo"
    assert [p for _, p in pingone_standin.requests_seen if p.endswith("/jwks")] == [pingone_standin.paths.jwks_uri]
    assert len(cache_warnings(caplog)) == 1
