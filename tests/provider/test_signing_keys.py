"""Signing keys that rotate (OpenID RP certification ``rp-key-rotation-op-sign-key``), against the PingOne
stand-in over real HTTP: a token with a new ``kid`` fetches the JWKS once more at once, however soon after the
last fetch; the fetching stays bounded (one in flight, a short interval between refetches, unknown kids
remembered), for threads of a process and for workers sharing a cache."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from django.test import Client

from django_pingone_authorize.conf import AliasConfig, get_alias
from django_pingone_authorize.errors import TokenValidationError
from django_pingone_authorize.provider import signing_keys as jwks
from django_pingone_authorize.provider.discovery import ProviderMetadata, get_metadata
from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import sign_on
from tests.doubles.redis_server import RedisServer

pytestmark = pytest.mark.django_db

CALLBACK = "http://127.0.0.1:8000/pingone/callback/"
REPO = Path(__file__).resolve().parents[2]


def configure(settings: Any, standin: PingOneStandIn) -> tuple[AliasConfig, ProviderMetadata]:
    settings.PINGONE_AUTHORIZE = {"default": standin.settings("demo-client", REDIRECT_URI=CALLBACK)}
    config = get_alias()
    return config, get_metadata(config)


def jwks_fetches(standin: PingOneStandIn) -> int:
    return sum(1 for method, path in standin.requests_seen if method == "GET" and path == standin.paths.jwks_uri)


def signs_on(standin: PingOneStandIn) -> bool:
    browser = Client()
    login = browser.post("/pingone/login/")
    assert login.status_code == 302, login.content
    answer = sign_on(requests.Session(), login["Location"])
    callback = browser.get("/pingone/callback/", answer.params)
    return callback.status_code == 302 and browser.get("/home/").content.decode() == "home: demo"


def refused_as_unknown(config: AliasConfig, metadata: ProviderMetadata, kid: str) -> bool:
    try:
        jwks.signing_key(config, metadata, kid, "RS256")
    except TokenValidationError as exc:
        return exc.reason == "id_token_unknown_key"
    return False


def test_rotation_seconds_after_the_last_fetch_is_accepted_with_one_extra_fetch(
    settings: Any, pingone_standin: PingOneStandIn
) -> None:
    configure(settings, pingone_standin)
    assert signs_on(pingone_standin)
    fetched = time.monotonic()
    assert jwks_fetches(pingone_standin) == 1

    pingone_standin.rotate_keys()  # a new kid; the old key leaves the JWKS
    assert signs_on(pingone_standin)
    assert time.monotonic() - fetched < jwks.REFETCH_INTERVAL  # seconds after the fetch, no waiting
    assert jwks_fetches(pingone_standin) == 2

    assert signs_on(pingone_standin)  # the new key is cached now
    assert jwks_fetches(pingone_standin) == 2


def test_random_unknown_kids_fetch_at_most_once_per_interval_and_are_remembered(
    settings: Any, pingone_standin: PingOneStandIn, monkeypatch: pytest.MonkeyPatch, new_worker: Callable[[], None]
) -> None:
    monkeypatch.setattr(jwks, "REFETCH_INTERVAL", 1.0)  # real time below: keep the test short
    config, metadata = configure(settings, pingone_standin)
    assert isinstance(jwks.signing_key(config, metadata, pingone_standin.signing_kid, "RS256"), jwt.PyJWK)
    assert jwks_fetches(pingone_standin) == 1

    assert refused_as_unknown(config, metadata, "random-0")
    assert jwks_fetches(pingone_standin) == 2  # one refetch, at once
    for index in range(1, 20):
        assert refused_as_unknown(config, metadata, f"random-{index}")
    assert jwks_fetches(pingone_standin) == 2  # the others within the interval fetch nothing

    time.sleep(jwks.REFETCH_INTERVAL + 0.1)
    # A kid that stayed unknown after a refetch is remembered: it fetches nothing, here nor in a new worker
    # that shares the cache.
    assert refused_as_unknown(config, metadata, "random-0")
    new_worker()
    assert refused_as_unknown(config, metadata, "random-0")
    assert jwks_fetches(pingone_standin) == 2
    # A kid not seen before, after the interval: one more refetch, then the interval again.
    assert refused_as_unknown(config, metadata, "random-20")
    assert refused_as_unknown(config, metadata, "random-21")
    assert jwks_fetches(pingone_standin) == 3
    # The known key works throughout, with no fetch.
    assert isinstance(jwks.signing_key(config, metadata, pingone_standin.signing_kid, "RS256"), jwt.PyJWK)
    assert jwks_fetches(pingone_standin) == 3


def test_concurrent_threads_with_a_new_kid_cause_one_fetch(settings: Any, pingone_standin: PingOneStandIn) -> None:
    config, metadata = configure(settings, pingone_standin)
    jwks.signing_key(config, metadata, pingone_standin.signing_kid, "RS256")
    pingone_standin.rotate_keys()
    new_kid = pingone_standin.signing_kid
    pingone_standin.reset_requests_seen()

    threads_count = 8
    barrier = threading.Barrier(threads_count)
    results: list[object] = []

    def verify() -> None:
        barrier.wait()
        try:
            results.append(jwks.signing_key(config, metadata, new_kid, "RS256"))
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=verify) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == threads_count
    assert all(isinstance(result, jwt.PyJWK) and result.key_id == new_kid for result in results), results
    assert jwks_fetches(pingone_standin) == 1


WORKER = textwrap.dedent(
    """
    import sys

    import django

    django.setup()

    from django_pingone_authorize.provider import signing_keys as jwks
    from django_pingone_authorize.conf import get_alias
    from django_pingone_authorize.provider.discovery import get_metadata
    from django_pingone_authorize.errors import TokenValidationError

    config = get_alias()
    metadata = get_metadata(config)
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        jwks.signing_key(config, metadata, sys.argv[1], "RS256")
        print("accepted", flush=True)
    except TokenValidationError as exc:
        print(exc.reason, flush=True)
    """
)


def test_workers_sharing_a_cache_cause_one_fetch(
    settings: Any, pingone_standin: PingOneStandIn, redis_server: RedisServer, tmp_path: Path
) -> None:
    """Separate processes (workers) on one Redis: a new kid is fetched by one of them, the others wait for
    that fetch and read its result."""
    cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_server.url}}
    settings.CACHES = cache
    alias = pingone_standin.settings("demo-client", REDIRECT_URI=CALLBACK)
    config, metadata = configure(settings, pingone_standin)
    jwks.signing_key(config, metadata, pingone_standin.signing_kid, "RS256")  # the set is in Redis now
    (tmp_path / "worker_settings.py").write_text(
        f"from tests.settings import *  # noqa: F403\nCACHES = {cache!r}\nPINGONE_AUTHORIZE = {{'default': {alias!r}}}\n"
    )
    (tmp_path / "worker.py").write_text(WORKER)
    pingone_standin.rotate_keys()
    new_kid = pingone_standin.signing_kid
    pingone_standin.reset_requests_seen()

    env = {"DJANGO_SETTINGS_MODULE": "worker_settings", "PYTHONPATH": f"{tmp_path}:{REPO}", "PATH": "/usr/bin:/bin"}
    workers = [
        subprocess.Popen(
            [sys.executable, str(tmp_path / "worker.py"), new_kid],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        for _ in range(4)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        for worker in workers:  # all at once
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        answers = [worker.communicate(timeout=60)[0].strip() for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert answers == ["accepted"] * 4
    assert jwks_fetches(pingone_standin) == 1


def test_a_process_reads_the_cache_s_set_at_most_once_per_memo_seconds(
    settings: Any, pingone_standin: PingOneStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker's new set in the cache (PingOne rotated: a new kid, the old key withdrawn): a token with
    the new kid is accepted at once from the cache (no fetch here); the old kid, which this process read less
    than ``MEMO_SECONDS`` ago, stays trusted at most that long, then is refused as the cache's set says."""
    from django_pingone_authorize.provider import shared_cache

    config, metadata = configure(settings, pingone_standin)
    assert signs_on(pingone_standin)  # this process read (fetched) the set just now
    key = shared_cache.cache_key("jwks", metadata.jwks_uri)
    old_kid = shared_cache.get(config.CACHE, key)["jwks"]["keys"][0]["kid"]

    pingone_standin.rotate_keys()
    document = requests.get(metadata.jwks_uri, timeout=5).json()  # what another worker fetched and cached
    shared_cache.set(config.CACHE, key, {"at": time.time(), "jwks": document}, 600)
    new_kid = document["keys"][0]["kid"]
    assert new_kid != old_kid and old_kid not in {each["kid"] for each in document["keys"]}

    assert jwks.signing_key(config, metadata, old_kid, "RS256") is not None  # within MEMO_SECONDS: the memo
    later = time.monotonic() + jwks.MEMO_SECONDS + 0.1
    monkeypatch.setattr(jwks, "monotonic", lambda: later)
    assert refused_as_unknown(config, metadata, old_kid)  # the cache's set, read again, lacks it

    jwks.reset_caches()
    assert signs_on(pingone_standin)
    fetches = jwks_fetches(pingone_standin)
    pingone_standin.rotate_keys()
    document = requests.get(metadata.jwks_uri, timeout=5).json()
    shared_cache.set(config.CACHE, key, {"at": time.time(), "jwks": document}, 600)
    # A kid the memo lacks reads the cache at once: the other worker's set, no fetch here.
    assert jwks.signing_key(config, metadata, document["keys"][0]["kid"], "RS256", fresh=True) is not None
    assert jwks_fetches(pingone_standin) == fetches + 1  # the one above, this test's own request
