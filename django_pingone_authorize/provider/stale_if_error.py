"""Stale-if-error for what this app copies from PingOne (the discovery document, the signing keys).

A copy is kept in Django's cache past its ``CACHE_TTL``: for ``STALE_SECONDS`` more, marked with the time it
is fresh until. While fresh it is used as it is; once stale it is fetched again, and when that fetch fails
because PingOne cannot be reached (timeout, connection failure, 5xx, or the circuit breaker open) the stale
copy is served instead and a warning logged (at most once per ``WARN_INTERVAL`` per copy), so that an outage
of PingOne does not also take down what does not need PingOne at that moment (starting a sign-on, checking a
token signed with a key that has not changed). Any other failure (a refusal, a malformed answer) is raised.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django_pingone_authorize.errors import ProviderError
from django_pingone_authorize.provider import shared_cache
from django_pingone_authorize.provider.circuit_breaker import FAILURE_REASONS

logger = logging.getLogger(__name__)

STALE_SECONDS = 24 * 3600  # how long past its CACHE_TTL a copy is kept, to be served while PingOne is down
# Signing keys, less: a key PingOne withdrew (rotated out, or compromised) must not stay trusted for a day
# because its JWKS cannot be fetched. One hour past CACHE_TTL at most.
STALE_KEYS_SECONDS = 3600
WARN_INTERVAL = 60.0  # seconds between two warnings about the same stale copy served
# Failures that say "PingOne cannot be reached": serve the stale copy. The breaker's, and its own 503.
UNREACHABLE = FAILURE_REASONS | {"provider_unavailable"}
_MARK = "pingone-stale-if-error/1"

_warned: dict[str, float] = {}
_lock = threading.Lock()


def store(alias: str, key: str, value: Any, ttl: float) -> bool:
    """Keep ``value`` in cache ``alias``: fresh for ``ttl`` seconds, kept ``STALE_SECONDS`` longer."""
    entry = {"mark": _MARK, "fresh_until": time.time() + ttl, "value": value}
    return shared_cache.set(alias, key, entry, ttl + STALE_SECONDS)


def load(alias: str, key: str) -> tuple[Any, bool] | None:
    """(value, fresh) of the copy in cache ``alias``; None when there is none (or the cache is unreachable)."""
    entry = shared_cache.get(alias, key)
    if not isinstance(entry, dict) or entry.get("mark") != _MARK or "value" not in entry:
        return None
    fresh_until = entry.get("fresh_until")
    fresh = isinstance(fresh_until, (int, float)) and time.time() < fresh_until
    return entry["value"], fresh


def unreachable(error: ProviderError) -> bool:
    """Whether ``error`` means PingOne could not be reached (a stale copy may then be served)."""
    return error.reason in UNREACHABLE


def served_stale(what: str, where: str, error: ProviderError, age: float | None = None) -> None:
    """Log that a stale copy is being served (at most once per ``WARN_INTERVAL`` per ``where``)."""
    now = time.monotonic()
    with _lock:
        last = _warned.get(where)
        if last is not None and now - last < WARN_INTERVAL:
            return
        _warned[where] = now
    logger.warning(
        "PingOne cannot be reached (%s): serving the %s of %s from a stale copy%s "
        "(this warning is repeated at most every %d s)",
        error.reason,
        what,
        where,
        f" ({age:.0f} s old)" if age is not None else "",
        WARN_INTERVAL,
    )


def reset_caches() -> None:
    with _lock:
        _warned.clear()
