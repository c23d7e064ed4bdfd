"""Django's cache as this app uses it: shared by every worker while it works, never a reason for a sign-on
to fail when it does not.

Discovery documents and signing keys are only copies of what PingOne serves, so an unreachable cache backend
(Redis or Memcached down, a full database) is no error: a read is a miss, a write is skipped, the caller
fetches from PingOne and keeps its own per-process copy. The outage is logged as a warning at most once per
``WARN_INTERVAL`` per cache alias, and the backend is not asked again for ``RETRY_AFTER`` seconds, so that
every sign-on does not wait for a failing connection attempt. ``aget``/``aset``/``aadd``/``adelete`` do the
same through Django's async cache API, for async callers (``sessions/refresh.py``'s ``arefresh``).
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

from django.core.cache import BaseCache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

from django_pingone_authorize.conf import resets_on

logger = logging.getLogger(__name__)

WARN_INTERVAL = 60.0  # seconds between two warnings about the same unreachable cache
RETRY_AFTER = 5.0  # seconds a failed cache is left alone (this process) before it is asked again


class _Unavailable:
    """What ``get`` answers when the cache backend could not be asked (unlike ``None``, a plain miss)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNAVAILABLE"


UNAVAILABLE: Final = _Unavailable()
_T = TypeVar("_T")

_lock = threading.Lock()
_warned_at: dict[str, float] = {}  # alias -> monotonic time of the last warning
_down_until: dict[str, float] = {}  # alias -> monotonic time before which the cache is not asked


# Backends whose clients are safe to share between threads, kept once per process. Django's ``caches`` gives each
# ASGI request backend instances of its own (it is context-local), and a new ``RedisCache`` opens a new connection
# pool: every request that reads the cache would connect to Redis anew (WSGI threads keep theirs). Other backends
# (Memcached clients, a database) are taken from ``caches`` as Django hands them out.
SHAREABLE: tuple[type[BaseCache], ...] = (RedisCache, LocMemCache)
_backends: dict[str, BaseCache] = {}


def backend(alias: str) -> BaseCache:
    """The cache ``alias`` (an unknown alias is a configuration error: not caught): this process's one instance
    of a ``SHAREABLE`` backend, else ``caches[alias]``."""
    cache = _backends.get(alias)
    if cache is None:
        cache = caches[alias]
        if isinstance(cache, SHAREABLE):
            with _lock:
                cache = _backends.setdefault(alias, cache)
    return cache


@resets_on("CACHES")
def _forget_backends() -> None:
    with _lock:
        _backends.clear()


def _is_resting(alias: str) -> bool:
    until = _down_until.get(alias)
    return until is not None and time.monotonic() < until


def _failed(alias: str, operation: str, exc: Exception) -> None:
    now = time.monotonic()
    with _lock:
        _down_until[alias] = now + RETRY_AFTER
        last = _warned_at.get(alias)
        warn = last is None or now - last >= WARN_INTERVAL
        if warn:
            _warned_at[alias] = now
    # The exception's type only: a backend's message may carry its address or credentials.
    if warn:
        logger.warning(
            "Cache %r is unreachable (%s on %s); signing on without it: fetching from PingOne and keeping a "
            "copy in this process (this warning is repeated at most every %d s)",
            alias,
            type(exc).__name__,
            operation,
            WARN_INTERVAL,
        )
    else:
        logger.debug("Cache %r still unreachable (%s on %s)", alias, type(exc).__name__, operation)


def _recovered(alias: str) -> None:
    if alias in _down_until:
        with _lock:
            _down_until.pop(alias, None)


def _seconds(timeout: float) -> int:
    # Redis and Memcached keep whole seconds (Django truncates); round up so nothing expires early.
    return max(0, math.ceil(timeout))


def _ask(alias: str, operation: str, call: Callable[[BaseCache], _T], failed: _T) -> _T:
    """``call(cache)``, or ``failed`` when the backend is resting or fails (the outage is then recorded)."""
    if _is_resting(alias):
        return failed
    cache = backend(alias)
    try:
        value = call(cache)
    except Exception as exc:  # any backend's connection error: redis, pymemcache, a database
        _failed(alias, operation, exc)
        return failed
    _recovered(alias)
    return value


async def _aask(alias: str, operation: str, call: Callable[[BaseCache], Awaitable[_T]], failed: _T) -> _T:
    """``_ask`` through Django's async cache API (``aget``, ``aadd``...): for ``async`` callers."""
    if _is_resting(alias):
        return failed
    cache = backend(alias)
    try:
        value = await call(cache)
    except Exception as exc:
        _failed(alias, operation, exc)
        return failed
    _recovered(alias)
    return value


def get(alias: str, key: str) -> object:
    """The cached value, ``None`` on a miss, or ``UNAVAILABLE`` when the backend failed."""
    return _ask(alias, "get", lambda cache: cache.get(key), UNAVAILABLE)


def set(alias: str, key: str, value: object, timeout: float) -> bool:
    """Store ``value``; False when the backend failed (the caller keeps its own copy)."""

    def store(cache: BaseCache) -> bool:
        cache.set(key, value, _seconds(timeout))
        return True

    return _ask(alias, "set", store, False)


def add(alias: str, key: str, value: object, timeout: float) -> bool | None:
    """Store ``value`` only if ``key`` is absent (atomic in every shared backend): True if stored, False if
    the key was there, None when the backend failed (the caller decides alone)."""
    return _ask(alias, "add", lambda cache: bool(cache.add(key, value, _seconds(timeout))), None)


def delete(alias: str, key: str) -> None:
    _ask(alias, "delete", lambda cache: cache.delete(key), None)


async def aget(alias: str, key: str) -> object:
    return await _aask(alias, "get", lambda cache: cache.aget(key), UNAVAILABLE)


async def aset(alias: str, key: str, value: object, timeout: float) -> bool:
    async def store(cache: BaseCache) -> bool:
        await cache.aset(key, value, _seconds(timeout))
        return True

    return await _aask(alias, "set", store, False)


async def aadd(alias: str, key: str, value: object, timeout: float) -> bool | None:
    async def add_once(cache: BaseCache) -> bool | None:
        return bool(await cache.aadd(key, value, _seconds(timeout)))

    return await _aask(alias, "add", add_once, None)


async def adelete(alias: str, key: str) -> None:
    async def drop(cache: BaseCache) -> None:
        await cache.adelete(key)

    await _aask(alias, "delete", drop, None)


def cache_key(kind: str, url: str) -> str:
    """The key of what this app keeps about ``url`` (``kind``: discovery, jwks...), the same in every worker."""
    return f"pingone:{kind}:{hashlib.sha256(url.encode()).hexdigest()[:32]}"


@resets_on("CACHES")  # other backends: what failed before says nothing about them
def reset_caches() -> None:
    """Forget the outages seen so far in this process."""
    with _lock:
        _warned_at.clear()
        _down_until.clear()
