"""One Redis connection pool per process, whichever request asks: Django's ``caches`` hands each ASGI request (a
context of its own; here, a new thread, which starts with an empty context as asgiref's per-request threads do)
backend instances of its own, and each new ``RedisCache`` would connect to Redis anew."""

from __future__ import annotations

import threading
from typing import Any

import redis
from django.core.cache import caches

from django_pingone_authorize.provider import shared_cache
from tests.doubles.redis_server import RedisServer


def connections_received(server: RedisServer) -> int:
    client = redis.Redis.from_url(server.url)
    try:
        return int(client.info("stats")["total_connections_received"])
    finally:
        client.close()


def in_new_threads(count: int, work: Any) -> None:
    for _ in range(count):
        thread = threading.Thread(target=work)
        thread.start()
        thread.join(timeout=10)


def test_requests_share_one_redis_pool(settings: Any, redis_server: RedisServer) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_server.url}
    }
    seen: list[object] = []

    def request() -> None:
        seen.append(shared_cache.backend("default"))
        shared_cache.set("default", "pingone:test", "value", 60)
        assert shared_cache.get("default", "pingone:test") == "value"

    before = connections_received(redis_server)
    in_new_threads(5, request)
    assert len({id(backend) for backend in seen}) == 1
    assert connections_received(redis_server) - before == 2  # one kept-alive connection (and ours, counting)

    # What Django's handler alone gives: a backend, and so a connection, per context.
    def django_request() -> None:
        caches["default"].get("pingone:test")

    before = connections_received(redis_server)
    in_new_threads(5, django_request)
    assert connections_received(redis_server) - before == 6


def test_other_backends_come_from_djangos_handler(settings: Any, tmp_path: Any) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}
    }
    assert shared_cache.backend("default") is caches["default"]
    assert "default" not in shared_cache._backends
