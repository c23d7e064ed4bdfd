"""Django's cache as this app uses it: shared by every worker while it works, never a reason for a sign-on
to fail when it does not.

Discovery documents and signing keys are only copies of what PingOne serves, so an unreachable cache backend
(Redis or Memcached down, a full database) is no error: a read is a miss, a write is skipped, the caller
fetches from PingOne and keeps its own per-process copy. The outage is logged as a warning at most once per
``WARN_INTERVAL`` per cache alias, and the backend is not asked again for ``RETRY_AFTER`` seconds, so that
every sign-on does not wait for a failing connection attempt.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from typing import Final

from django.core.cache import caches

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

_lock = threading.Lock()
_warned_at: dict[str, float] = {}  # alias -> monotonic time of the last warning
_down_until: dict[str, float] = {}  # alias -> monotonic time before which the cache is not asked


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


def get(alias: str, key: str) -> object:
    """The cached value, ``None`` on a miss, or ``UNAVAILABLE`` when the backend failed."""
    if _is_resting(alias):
        return UNAVAILABLE
    cache = caches[alias]  # an unknown alias is a configuration error: not caught
    try:
        value: object = cache.get(key)
    except Exception as exc:  # any backend's connection error: redis, pymemcache, a database
        _failed(alias, "get", exc)
        return UNAVAILABLE
    _recovered(alias)
    return value


def set(alias: str, key: str, value: object, timeout: float) -> bool:
    """Store ``value``; False when the backend failed (the caller keeps its own copy)."""
    if _is_resting(alias):
        return False
    cache = caches[alias]  # an unknown alias is a configuration error: not caught
    try:
        cache.set(key, value, _seconds(timeout))
    except Exception as exc:
        _failed(alias, "set", exc)
        return False
    _recovered(alias)
    return True


def add(alias: str, key: str, value: object, timeout: float) -> bool | None:
    """Store ``value`` only if ``key`` is absent (atomic in every shared backend): True if stored, False if
    the key was there, None when the backend failed (the caller decides alone)."""
    if _is_resting(alias):
        return None
    cache = caches[alias]  # an unknown alias is a configuration error: not caught
    try:
        added = cache.add(key, value, _seconds(timeout))
    except Exception as exc:
        _failed(alias, "add", exc)
        return None
    _recovered(alias)
    return bool(added)


def delete(alias: str, key: str) -> None:
    if _is_resting(alias):
        return
    cache = caches[alias]  # an unknown alias is a configuration error: not caught
    try:
        cache.delete(key)
    except Exception as exc:
        _failed(alias, "delete", exc)
        return
    _recovered(alias)


def cache_key(kind: str, url: str) -> str:
    """The key of what this app keeps about ``url`` (``kind``: discovery, jwks...), the same in every worker."""
    return f"pingone:{kind}:{hashlib.sha256(url.encode()).hexdigest()[:32]}"


@resets_on("CACHES")  # other backends: what failed before says nothing about them
def reset_caches() -> None:
    """Forget the outages seen so far in this process."""
    with _lock:
        _warned_at.clear()
        _down_until.clear()
