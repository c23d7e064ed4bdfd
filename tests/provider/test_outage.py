"""PingOne down does not take the site down: the circuit breaker in ``client.request_json`` (sign-ons fail in
milliseconds with a 503 page once PingOne has failed repeatedly, one probe at a time after the cool-down), and
stale-if-error for the discovery document and the signing keys (served past ``CACHE_TTL`` while PingOne
cannot be reached)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.test import Client

from django_pingone_authorize.provider import circuit_breaker, stale_if_error
from django_pingone_authorize.provider import http as client
from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import sign_on

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/pingone/callback/"
COOL_DOWN = 0.4


@pytest.fixture(autouse=True)
def breaker(settings: Any) -> Iterator[None]:
    settings.PINGONE_AUTHORIZE_CIRCUIT_BREAKER = {"FAILURES": 2, "WINDOW": 30, "COOL_DOWN": COOL_DOWN}
    circuit_breaker.reset_caches()
    stale_if_error.reset_caches()
    yield
    circuit_breaker.reset_caches()


class Outage:
    """PingOne unreachable from the site for the URLs that end with one of ``paths`` (all when empty)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        self.down = False
        self.paths: tuple[str, ...] = ()
        real = client._send

        def send(method: str, url: str, deadline: float, **kwargs: Any) -> requests.Response:
            self.calls.append(url)
            if self.down and (not self.paths or url.endswith(self.paths)):
                raise requests.ConnectionError("connection refused")
            return real(method, url, deadline, **kwargs)

        monkeypatch.setattr(client, "_send", send)


@pytest.fixture
def outage(monkeypatch: pytest.MonkeyPatch) -> Outage:
    return Outage(monkeypatch)


def configure(settings: Any, standin: PingOneStandIn, **options: Any) -> None:
    settings.PINGONE_AUTHORIZE = {"default": standin.settings("demo-client", REDIRECT_URI=CALLBACK, **options)}


def whole_sign_on() -> list[int]:
    browser = Client(raise_request_exception=False)
    login = browser.post("/pingone/login/")
    if login.status_code != 302:
        return [login.status_code]
    answer = sign_on(requests.Session(), login["Location"])
    return [login.status_code, browser.get("/pingone/callback/", answer.params).status_code]


def test_repeated_failures_open_the_circuit_then_a_probe_closes_it(
    settings: Any, pingone_standin: PingOneStandIn, outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    configure(settings, pingone_standin)
    caplog.set_level(logging.WARNING)
    outage.down = True
    browser = Client(raise_request_exception=False)
    for _ in range(2):  # discovery fails: PingOne cannot be reached
        assert browser.post("/pingone/login/").status_code != 302
    assert len(outage.calls) == 2
    started = time.perf_counter()
    page = browser.post("/pingone/login/")
    took = time.perf_counter() - started
    assert page.status_code == 503
    assert b"provider_unavailable" in page.content and b"cannot be reached" in page.content
    assert len(outage.calls) == 2  # failed at once: PingOne was not asked
    assert took < 0.5
    assert any("circuit" in r.getMessage() and "opened" in r.getMessage() for r in caplog.records)

    outage.down = False  # PingOne is back; the circuit stays open for the cool-down
    assert browser.post("/pingone/login/").status_code == 503
    time.sleep(COOL_DOWN + 0.1)
    assert whole_sign_on() == [302, 302]  # the probe (discovery) succeeds and closes the circuit
    assert circuit_breaker.state(pingone_standin.issuer) == "closed"
    assert whole_sign_on() == [302, 302]


def test_a_refusal_is_not_an_outage(settings: Any, pingone_standin: PingOneStandIn) -> None:
    configure(settings, pingone_standin)
    browser = Client(raise_request_exception=False)
    for _ in range(4):  # a forged code: PingOne answers invalid_grant, which says PingOne is up
        assert browser.get("/pingone/callback/", {"code": "forged", "state": "nope"}).status_code in (400, 403)
    assert circuit_breaker.state(pingone_standin.issuer) == "closed"
    assert whole_sign_on() == [302, 302]


def test_stale_discovery_and_keys_are_served_while_pingone_is_down(
    settings: Any,
    pingone_standin: PingOneStandIn,
    outage: Outage,
    new_worker: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    configure(settings, pingone_standin, CACHE_TTL=1)
    assert whole_sign_on() == [302, 302]  # discovery and signing keys fetched and cached
    time.sleep(1.1)  # both stale now
    new_worker()  # no per-process copies: only the stale ones in the cache
    caplog.set_level(logging.WARNING)
    outage.paths = ("/.well-known/openid-configuration", "/jwks")
    outage.down = True
    outage.calls.clear()
    assert whole_sign_on() == [302, 302]  # the token request still works; discovery and keys are stale copies
    assert any(url.endswith("/.well-known/openid-configuration") for url in outage.calls)  # refresh was tried
    assert any(url.endswith("/jwks") for url in outage.calls)
    stale = [r.getMessage() for r in caplog.records if "stale copy" in r.getMessage()]
    assert len(stale) == 2, stale  # one warning each (discovery, keys)
    outage.down = False
    new_worker()
    outage.calls.clear()
    assert whole_sign_on() == [302, 302]
    assert any(url.endswith("/.well-known/openid-configuration") for url in outage.calls)  # refreshed again


def test_nothing_stale_to_serve_is_an_error_page_not_a_500(
    settings: Any, pingone_standin: PingOneStandIn, outage: Outage
) -> None:
    configure(settings, pingone_standin)
    outage.down = True
    statuses = whole_sign_on()
    assert statuses[0] in (400, 502, 503, 504)


def test_with_the_cache_down_too_each_process_serves_its_own_stale_copies(
    settings: Any, pingone_standin: PingOneStandIn, outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.doubles.redis_server import free_port

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens: every cache call fails
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    configure(settings, pingone_standin, CACHE_TTL=1)
    assert whole_sign_on() == [302, 302]  # discovery and keys kept in this process only
    time.sleep(1.1)
    caplog.set_level(logging.WARNING)
    outage.paths = ("/.well-known/openid-configuration", "/jwks")
    outage.down = True
    assert whole_sign_on() == [302, 302]
    assert len([r for r in caplog.records if "stale copy" in r.getMessage()]) == 2
