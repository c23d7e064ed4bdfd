"""A circuit breaker in front of PingOne: when PingOne cannot be reached, sign-ons fail in milliseconds with a
503 page instead of holding a worker for the whole ``TIMEOUT`` each.

One breaker per PingOne environment, keyed by the URL's scheme, host and first path segment
(``https://auth.pingone.com/{envID}``; with a custom domain ``https://{domain}/as``). Its state lives in
Django's cache, so every worker and every host learns that PingOne is down (within ``CLOSED_MEMO_SECONDS``, 1 s:
a process that has seen the circuit closed does not read the cache again before each call; its own failure ends
that at once) and when it is back:

* **closed** (normal): every call goes out. A *failure* — the connection refused, reset or broken off, the
  deadline passed, an HTTP 5xx — is counted; ``FAILURES`` of them within ``WINDOW`` seconds, all workers
  together, open the circuit. Any answer that is not a failure (a 2xx, a 4xx refusal) clears the count.
* **open**: calls fail at once with ``ProviderError("provider_unavailable", status=503)`` for ``COOL_DOWN``
  seconds.
* **half-open**: after the cool-down one call at a time (across workers: ``cache.add`` on a probe key that
  lives at most ``PROBE_SECONDS``) goes out as a probe; the others still fail fast. The probe's success closes
  the circuit; its failure opens it until one cool-down after the probe went out (a probe that hung for its
  whole ``TIMEOUT`` has waited that long already), so PingOne's return is seen within about one cool-down.

The limits are the module's constants below; a site changes them with the optional setting
``PINGONE_AUTHORIZE_CIRCUIT_BREAKER = {"FAILURES": 5, "WINDOW": 30, "COOL_DOWN": 15, "PROBE_SECONDS": 30}``
(``"ENABLED": False`` turns the breaker off). Its state is kept in the cache alias ``CACHE`` (default
``"default"``), through ``shared_cache``: with the cache unreachable each process keeps its own breaker, and
a sign-on never fails because of the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from django_pingone_authorize.errors import PROVIDER_DOWN_MESSAGE, ProviderError
from django_pingone_authorize.provider import shared_cache

logger = logging.getLogger(__name__)

FAILURES = 5  # failures within WINDOW, all workers together, that open the circuit
WINDOW = 30.0  # seconds a failure counts
COOL_DOWN = 15.0  # seconds an open circuit fails calls at once before a probe may go out
PROBE_SECONDS = 30.0  # seconds at most one probe is in flight (longer than any TIMEOUT in use)
CACHE = "default"  # the Django cache alias holding the shared state

SETTING = "PINGONE_AUTHORIZE_CIRCUIT_BREAKER"
# ProviderError reasons that mean "PingOne could not be reached or failed" (``http.request_json``'s).
FAILURE_REASONS = frozenset({"provider_timeout", "provider_unreachable", "provider_server_error"})
UNAVAILABLE_MESSAGE = PROVIDER_DOWN_MESSAGE  # translatable (errors.py)


@dataclass(frozen=True)
class Limits:
    enabled: bool = True
    failures: int = FAILURES
    window: float = WINDOW
    cool_down: float = COOL_DOWN
    probe_seconds: float = PROBE_SECONDS
    cache: str = CACHE


_limits: Limits | None = None


def limits() -> Limits:
    """The limits in force: the module's constants, overridden by the optional setting."""
    global _limits
    if _limits is None:
        given: Mapping[str, Any] = getattr(settings, SETTING, None) or {}
        _limits = Limits(
            enabled=bool(given.get("ENABLED", True)),
            failures=max(1, int(given.get("FAILURES", FAILURES))),
            window=float(given.get("WINDOW", WINDOW)),
            cool_down=float(given.get("COOL_DOWN", COOL_DOWN)),
            probe_seconds=float(given.get("PROBE_SECONDS", PROBE_SECONDS)),
            cache=str(given.get("CACHE", CACHE)),
        )
    return _limits


@receiver(setting_changed)
def _reread(*, setting: str, **kwargs: Any) -> None:
    global _limits
    if setting == SETTING:
        _limits = None
    if setting in (SETTING, "CACHES"):
        reset_caches()


def breaker_key(url: str) -> str:
    """The breaker a URL belongs to: scheme, host (and port) and first path segment; for the management API
    (``/v1/environments/{envID}/...``) the environment too, so one environment's failures never stop another's."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    segments = parts.path.lstrip("/").split("/")
    if len(segments) >= 3 and segments[0] == "v1" and segments[1] == "environments":
        return f"{parts.scheme}://{parts.netloc}/v1/environments/{segments[2]}"
    return f"{parts.scheme}://{parts.netloc}/{segments[0]}"


def _cache_key(kind: str, key: str) -> str:
    return f"pingone:breaker-{kind}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"


class _LocalState:
    """This process's own breaker state, used while the shared cache cannot be reached."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.failures: dict[str, list[float]] = {}  # key -> monotonic times of recent failures
        self.open_until: dict[str, float] = {}  # key -> wall time the cool-down ends
        self.probe_until: dict[str, float] = {}  # key -> wall time the probe in flight is given up
        self.shared: set[str] = set()  # keys whose opening is also in the shared cache (a copy, not our own)


_local = _LocalState()
# How long a process takes the shared cache's "closed" for granted before asking again: another worker's opening
# reaches this one within that (its own failures at once). Without it, every call to PingOne reads the cache.
CLOSED_MEMO_SECONDS = 1.0
_closed_at: dict[str, float] = {}  # key -> monotonic time the shared cache last said "closed"
# Keys this process saw fail recently (wall time): a success then clears the shared count. Without it, every
# successful call would write to the cache.
_failed_here: dict[str, float] = {}


@dataclass(frozen=True)
class Ticket:
    """What ``before_call`` found, handed back to ``record_success``/``record_failure``."""

    key: str
    probe: bool = False  # this call is the half-open probe
    enabled: bool = True
    counted: bool = True  # False: the visitor shapes this call's input; its failures do not count
    started: float = 0.0  # wall time a probe went out


def _open_until(lim: Limits, key: str, *, memo: bool = False) -> float | None:
    """When the cool-down ends (wall time) if the circuit is open or half-open, else None. ``memo``: a circuit
    the shared cache said was closed less than ``CLOSED_MEMO_SECONDS`` ago, with no failure here since, is taken
    as still closed without asking the cache again (``before_call``: not one cache read per call to PingOne)."""
    if memo:
        seen = _closed_at.get(key)
        if seen is not None and time.monotonic() - seen < CLOSED_MEMO_SECONDS:
            return None
    _closed_at.pop(key, None)
    value = shared_cache.get(lim.cache, _cache_key("open", key))
    if value is shared_cache.UNAVAILABLE:
        with _local.lock:
            until = _local.open_until.get(key)
            if until is not None and key in _local.shared and time.time() >= until:
                # A copy of an opening every worker shared, its cool-down over: another worker's probe may have
                # closed it since. Without the cache this process cannot know, so it starts afresh (its own
                # failures open it again) rather than failing sign-ons on an old copy.
                _local.open_until.pop(key, None)
                _local.probe_until.pop(key, None)
                _local.shared.discard(key)
                return None
            return until
    if not isinstance(value, (int, float)):
        if key in _local.open_until:  # closed for every worker: forget this process's copy of an old opening
            with _local.lock:
                _local.open_until.pop(key, None)
                _local.probe_until.pop(key, None)
                _local.shared.discard(key)
        _closed_at[key] = time.monotonic()
        return None
    return float(value)


def _claim_probe(lim: Limits, key: str, now: float) -> bool:
    claimed = shared_cache.add(lim.cache, _cache_key("probe", key), now, lim.probe_seconds)
    if claimed is not None:
        return claimed
    with _local.lock:
        until = _local.probe_until.get(key)
        if until is not None and now < until:
            return False
        _local.probe_until[key] = now + lim.probe_seconds
        return True


def unavailable() -> ProviderError:
    return ProviderError("provider_unavailable", UNAVAILABLE_MESSAGE, status=503)


def before_call(url: str, *, counted: bool = True) -> Ticket:
    """Raise ``ProviderError("provider_unavailable", status=503)`` at once when the circuit of ``url`` is
    open (or half-open with a probe already under way); otherwise the ticket for this call's outcome.
    ``counted=False``: the visitor shapes the call's input, so it never probes a half-open circuit (its
    failure would say nothing about PingOne) and its failures are not counted."""
    lim = limits()
    key = breaker_key(url)
    if not lim.enabled:
        return Ticket(key, enabled=False)
    until = _open_until(lim, key, memo=True)
    if until is None:
        return Ticket(key, counted=counted)
    now = time.time()
    if now < until or not counted or not _claim_probe(lim, key, now):
        raise unavailable()
    logger.info("PingOne circuit for %s: cool-down over, probing", key)
    return Ticket(key, probe=True, started=now)


def record_success(ticket: Ticket) -> None:
    """PingOne answered: close the circuit after a probe, clear the failure count after failures."""
    if not ticket.enabled:
        return
    key = ticket.key
    if not ticket.probe and key not in _failed_here:
        return  # the common case: nothing to clear, no cache write
    lim = limits()
    _failed_here.pop(key, None)
    shared_cache.delete(lim.cache, _cache_key("failures", key))
    with _local.lock:
        _local.failures.pop(key, None)
    if ticket.probe:
        shared_cache.delete(lim.cache, _cache_key("open", key))
        shared_cache.delete(lim.cache, _cache_key("probe", key))
        with _local.lock:
            _local.open_until.pop(key, None)
            _local.probe_until.pop(key, None)
            _local.shared.discard(key)
        logger.warning("PingOne circuit for %s closed: PingOne answers again", key)


def _count_failure(lim: Limits, key: str) -> int:
    """The failures within the window after this one, all workers together (this process's when the cache
    cannot be reached)."""
    counter = _cache_key("failures", key)
    added = shared_cache.add(lim.cache, counter, 1, lim.window)
    if added is True:
        return 1
    if added is False:
        try:
            return int(shared_cache.backend(lim.cache).incr(counter))
        except ValueError:  # expired between add and incr
            if shared_cache.add(lim.cache, counter, 1, lim.window):
                return 1
        except Exception:  # noqa: S110 - the backend failed: count in this process below
            pass
    now = time.monotonic()
    with _local.lock:
        recent = [t for t in _local.failures.get(key, []) if now - t < lim.window]
        recent.append(now)
        _local.failures[key] = recent
        return len(recent)


def _open(lim: Limits, key: str, reason: str, count: int, since: float = 0.0) -> None:
    # One cool-down from the failure, or from when a failed probe went out: a probe that hung for its whole
    # TIMEOUT has waited that long already (at least until now: the next call is then the next probe).
    until = max((since or time.time()) + lim.cool_down, time.time())
    # Kept well past the cool-down: the circuit stays half-open until a probe succeeds.
    stored = shared_cache.set(lim.cache, _cache_key("open", key), until, lim.cool_down + 24 * 3600)
    shared_cache.delete(lim.cache, _cache_key("probe", key))
    with _local.lock:
        _local.open_until[key] = until
        _local.probe_until.pop(key, None)
        if stored:
            _local.shared.add(key)
        else:
            _local.shared.discard(key)
    logger.warning(
        "PingOne circuit for %s opened after %s (%s): sign-ons fail at once for %.0f s%s",
        key,
        f"{count} failures" if count > 1 else "a failed probe" if count == 0 else "a failure",
        reason,
        lim.cool_down,
        "" if stored else " (this process only: the cache is unreachable)",
    )


def record_failure(ticket: Ticket, reason: str) -> None:
    """A call failed with ``reason`` (a ``ProviderError`` reason). Failures that say nothing about PingOne
    being reachable (a refusal, a malformed answer) are passed to ``record_success`` instead."""
    if not ticket.enabled:
        return
    if reason not in FAILURE_REASONS:
        record_success(ticket)
        return
    if not ticket.counted:
        return  # the visitor shaped this call: a failure may be their input's doing, not PingOne's state
    lim = limits()
    key = ticket.key
    _failed_here[key] = time.time()
    _closed_at.pop(key, None)  # the next call asks the cache: this failure, or others', may have opened it
    if ticket.probe:
        _open(lim, key, reason, 0, since=ticket.started)
        return
    count = _count_failure(lim, key)
    if count >= lim.failures:
        _open(lim, key, reason, count)


def state(url: str) -> str:
    """``closed``, ``open`` or ``half-open`` (diagnostics and tests)."""
    lim = limits()
    until = _open_until(lim, breaker_key(url))
    if until is None:
        return "closed"
    return "open" if time.time() < until else "half-open"


def reset_caches() -> None:
    """Forget this process's state (what a new worker starts with; the shared state stays in the cache)."""
    with _local.lock:
        _local.failures.clear()
        _local.open_until.clear()
        _local.probe_until.clear()
        _local.shared.clear()
    _failed_here.clear()
    _closed_at.clear()


@contextlib.contextmanager
def guard(url: str, *, counted: bool = True) -> Iterator[None]:
    """Run one call to ``url`` under its breaker: fail fast when open, record how the call ended."""
    ticket = before_call(url, counted=counted)
    try:
        yield
    except ProviderError as exc:
        record_failure(ticket, exc.reason)
        raise
    record_success(ticket)
