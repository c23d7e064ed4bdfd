"""The circuit breaker in front of PingOne (``circuit_breaker``): opens after repeated failures, fails calls
at once while open, lets one probe through after the cool-down, closes on the probe's success; shared
through the cache (another "worker" learns within ``CLOSED_MEMO_SECONDS``), per environment, and never broken by
the cache."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches

from django_pingone_authorize.errors import ProviderError
from django_pingone_authorize.provider import circuit_breaker as cb
from django_pingone_authorize.provider import shared_cache

URL = "https://auth.pingone.com/env-1/as/token"
OTHER_ENV = "https://auth.pingone.com/env-2/as/token"


@pytest.fixture(autouse=True)
def fresh(settings: Any) -> Iterator[None]:
    settings.PINGONE_AUTHORIZE_CIRCUIT_BREAKER = {"FAILURES": 3, "WINDOW": 30, "COOL_DOWN": 0.3, "PROBE_SECONDS": 5}
    caches["default"].clear()
    cb.reset_caches()
    shared_cache.reset_caches()
    yield
    caches["default"].clear()
    cb.reset_caches()
    shared_cache.reset_caches()


def fail(url: str = URL, reason: str = "provider_timeout") -> None:
    with pytest.raises(ProviderError), cb.guard(url):
        raise ProviderError(reason, "failed")


def ok(url: str = URL) -> None:
    with cb.guard(url):
        pass


def fails_fast(url: str = URL) -> bool:
    try:
        cb.before_call(url)
    except ProviderError as exc:
        assert exc.reason == "provider_unavailable"
        assert exc.status == 503
        return True
    return False


def test_key_is_scheme_host_and_environment() -> None:
    assert cb.breaker_key(URL) == "https://auth.pingone.com/env-1"
    assert cb.breaker_key("https://auth.pingone.com/env-1/.well-known/openid-configuration") == (
        "https://auth.pingone.com/env-1"
    )
    assert cb.breaker_key("https://login.example.com/as/jwks") == "https://login.example.com/as"
    assert cb.breaker_key("http://127.0.0.1:9031/env/flows/1") == "http://127.0.0.1:9031/env"


def test_opens_after_failures_and_fails_fast() -> None:
    fail()
    fail(reason="provider_unreachable")
    assert cb.state(URL) == "closed" and not fails_fast()
    fail(reason="provider_server_error")
    assert cb.state(URL) == "open"
    started = time.perf_counter()
    assert fails_fast()
    assert time.perf_counter() - started < 0.05
    assert not fails_fast(OTHER_ENV)  # another environment has its own breaker


def test_refusals_are_not_failures_and_a_success_clears_the_count() -> None:
    fail()
    fail()
    ok()
    fail()
    fail()
    assert cb.state(URL) == "closed"
    for _ in range(5):
        fail(reason="provider_refused")  # PingOne answered: it is reachable
        fail(reason="provider_bad_response")
    assert cb.state(URL) == "closed"


def test_one_probe_after_the_cool_down_then_closed() -> None:
    for _ in range(3):
        fail()
    assert fails_fast()
    time.sleep(0.35)
    assert cb.state(URL) == "half-open"
    probe = cb.before_call(URL)  # the probe goes out
    assert probe.probe
    assert fails_fast()  # a second caller while the probe is under way
    cb.record_success(probe)
    assert cb.state(URL) == "closed"
    ok()


def test_a_failed_probe_opens_again_for_a_cool_down() -> None:
    for _ in range(3):
        fail()
    time.sleep(0.35)
    fail()  # the probe
    assert cb.state(URL) == "open"
    assert fails_fast()
    time.sleep(0.35)
    ok()  # the next probe succeeds
    assert cb.state(URL) == "closed"


def test_every_worker_learns_from_the_shared_cache() -> None:
    for _ in range(3):
        fail()
    cb.reset_caches()  # another worker: no state of its own, only the cache
    assert fails_fast()


def test_a_closed_circuit_is_read_from_the_cache_once_per_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    real_get = shared_cache.get
    monkeypatch.setattr(shared_cache, "get", lambda alias, key: reads.append(key) or real_get(alias, key))
    for _ in range(5):
        ok()
    assert len(reads) == 1  # not one cache read per call to PingOne

    # Another worker opens the circuit: this one learns it once its memo is over, and fails fast from then on.
    monkeypatch.setattr(cb, "CLOSED_MEMO_SECONDS", 0.2)
    ok()
    caches["default"].set(cb._cache_key("open", cb.breaker_key(URL)), time.time() + 30, 30)
    assert not fails_fast()  # within the memo: the call goes out (and a failure of it would end the memo)
    time.sleep(0.25)
    assert fails_fast()


def test_a_failure_here_ends_the_memo() -> None:
    ok()  # "closed", remembered
    caches["default"].set(cb._cache_key("open", cb.breaker_key(URL)), time.time() + 30, 30)  # opened elsewhere
    fail(reason="provider_unreachable")  # this worker's own call fails: it asks the cache at its next call
    assert fails_fast()


def test_disabled() -> None:
    from django.test import override_settings

    with override_settings(PINGONE_AUTHORIZE_CIRCUIT_BREAKER={"ENABLED": False, "FAILURES": 1}):
        for _ in range(3):
            fail()
        assert not fails_fast()


def test_cache_unreachable_keeps_a_breaker_per_process(settings: Any) -> None:
    from tests.doubles.redis_server import free_port

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "down": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    settings.PINGONE_AUTHORIZE_CIRCUIT_BREAKER = {"FAILURES": 2, "COOL_DOWN": 0.3, "CACHE": "down"}
    ok()  # no exception: the cache being down breaks nothing
    fail()
    fail()
    assert fails_fast()
    time.sleep(0.35)
    ok()
    assert not fails_fast()


def test_a_cache_outage_after_the_circuit_closed_does_not_reopen_it(settings: Any) -> None:
    """This process's copy of an old opening is dropped once the shared state says closed."""
    for _ in range(3):
        fail()
    time.sleep(0.35)
    ok()  # the probe closes the circuit for everyone (this process was not the one to delete its copy)
    cb._local.open_until[cb.breaker_key(URL)] = time.time() - 1  # as a worker that opened it has
    assert not fails_fast()  # read from the cache: closed, and the local copy is forgotten
    assert cb.breaker_key(URL) not in cb._local.open_until


def test_a_cache_outage_forgets_a_shared_opening_whose_cool_down_is_over() -> None:
    """A worker that made no call between another worker's closing probe and the cache going away keeps a copy
    of the old opening: past its cool-down it is dropped, so the worker does not fail sign-ons on it."""
    for _ in range(3):
        fail()
    key = cb.breaker_key(URL)
    assert key in cb._local.open_until
    time.sleep(0.35)
    caches["default"].delete(cb._cache_key("open", key))  # another worker's probe closed it for everyone
    shared_cache._down_until["default"] = time.monotonic() + 60  # then the cache became unreachable
    assert not fails_fast()
    assert cb.state(URL) == "closed" and key not in cb._local.open_until
    probe = cb.before_call(URL)
    assert not probe.probe  # an ordinary call, not a probe holding back this process's other threads
    assert not fails_fast()


def test_a_cache_outage_keeps_an_opening_still_cooling_down() -> None:
    for _ in range(3):
        fail()
    shared_cache._down_until["default"] = time.monotonic() + 60
    assert fails_fast()  # the cool-down this process knows of still holds without the cache


def test_a_probe_that_hung_counts_its_wait_towards_the_next_cool_down() -> None:
    for _ in range(3):
        fail()
    time.sleep(0.35)
    probe = cb.before_call(URL)
    assert probe.probe
    time.sleep(0.2)  # the probe hangs...
    cb.record_failure(probe, "provider_timeout")  # ...and times out
    assert cb.state(URL) == "open"
    time.sleep(0.15)  # one cool-down (0.3 s) after the probe went out, not after it failed
    assert cb.state(URL) == "half-open"
