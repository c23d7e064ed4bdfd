"""The issuer's signing keys: a JWKS cached in Django's cache framework (shared by every worker) and
parsed once per process.

Keys rotate (OIDC Core §10.1.1: the provider publishes the new key, then signs with it): an ID token whose
``kid`` (RFC 7515 §4.1.4) is not in the cached set fetches the JWKS once more, at once, and is accepted when the
new set has the key. The fetching is bounded, so that tokens with made-up kids cannot make us fetch in a loop:

* one fetch in flight per JWKS URI: threads of a process queue on a lock, workers on a short lock key in the
  cache (``cache.add``); the others wait for that fetch (at most ``TIMEOUT``) and read its result;
* at most one refetch per ``REFETCH_INTERVAL`` for every worker together (a failed one counts too);
* a kid still unknown after a refetch is remembered for ``UNKNOWN_KID_TTL`` and fetches nothing meanwhile.

Those bounds are kept in two lanes that never share them: tokens anyone can hand us (API bearer tokens, logout
tokens: the ``bearer`` lane) and ID tokens that arrived from PingOne's token endpoint over TLS (``fresh=True``,
the ``op`` lane). A probe with a made-up kid therefore never delays PingOne's real key rotation: the next
sign-on's ID token with the new kid fetches the keys at once (OpenID RP certification
``rp-key-rotation-op-sign-key``), still one fetch in flight at a time and still bounded in its own lane.

With the cache unreachable (``shared_cache``) each process keeps its own copy and its own bounds.

A process reads the cache's set at most once per ``MEMO_SECONDS`` to check a token whose kid it knows (a kid it
does not know reads the cache at once, then fetches): a key PingOne withdrew stays trusted at most that much
longer in a worker than in the cache, which itself keeps a set for ``CACHE_TTL`` unless a new kid refetches it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from time import monotonic, sleep  # not via `time`: tests swap this module's `time` for a shifted clock
from typing import Any

import jwt
from django.utils.translation import gettext_lazy as _

from django_pingone_authorize.conf import SETTING_NAME, AliasConfig, resets_on
from django_pingone_authorize.errors import ProviderError, TokenValidationError
from django_pingone_authorize.provider import shared_cache, stale_if_error
from django_pingone_authorize.provider.discovery import ProviderMetadata
from django_pingone_authorize.provider.http import request_json
from django_pingone_authorize.provider.shared_cache import cache_key

logger = logging.getLogger(__name__)

REFETCH_INTERVAL = 5.0  # seconds between two refetches for unknown kids, all workers together
CLAIM_GRACE = 2.0  # seconds a worker's fresh refetch claim counts as its fetch in flight (see _await_other_worker)
UNKNOWN_KID_TTL = 300.0  # seconds a kid that stayed unknown after a refetch fetches nothing
UNKNOWN_KID_MEMO_MAX = 1024  # unknown kids remembered per JWKS URI in a process
WAIT_POLL = 0.05  # seconds between two looks at another worker's fetch in flight
MEMO_SECONDS = 5.0  # seconds a process checks tokens of known kids with the set it last read from the cache
BEARER_LANE = "bearer"  # tokens anyone can hand us
OP_LANE = "op"  # ID tokens from PingOne's token endpoint


@dataclass(frozen=True)
class _Key:
    """One usable published key: its JWK and the key parsed from it."""

    jwk: dict[str, Any]
    parsed: jwt.PyJWK

    def for_algorithm(self, algorithm: str) -> jwt.PyJWK | None:
        """The key bound to ``algorithm``, or None when the JWK declares another ``alg``.

        ``alg`` is optional in a JWK (RFC 7517 §4.4); without it PyJWT assumes RS256/ES256, so a key
        for PS256 or RS384 tokens is parsed again for the token's (already allow-listed) algorithm.
        """
        declared = self.jwk.get("alg")
        if declared is not None:
            return self.parsed if declared == algorithm else None
        if self.parsed.algorithm_name == algorithm:
            return self.parsed
        try:
            return jwt.PyJWK(self.jwk, algorithm)
        except (jwt.PyJWTError, ValueError, TypeError, KeyError, NotImplementedError):
            return None


@dataclass(frozen=True)
class _Held:
    """A parsed key set and when it was fetched (wall clock of the worker that fetched it)."""

    fetched_at: float
    keys: list[_Key]


class _Source:
    """This process's view of one JWKS URI."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # one fetch in flight per URI in this process
        self.held: _Held | None = None  # the newest set seen; this process's own copy when the cache is down
        self.read_at = -math.inf  # when ``held`` was last read from (or written to) the cache, monotonic
        self.refetched_at: dict[str, float] = {}  # lane -> when this process last started a refetch
        self.unknown: dict[tuple[str, str], float] = {}  # (kid, alg) -> remembered unknown until
        self.unknown_lock = threading.Lock()


_sources: dict[str, _Source] = {}
_sources_lock = threading.Lock()


def _source(jwks_uri: str) -> _Source:
    source = _sources.get(jwks_uri)
    if source is None:
        with _sources_lock:
            source = _sources.setdefault(jwks_uri, _Source())
    return source


def _parse(document: dict[str, Any]) -> list[_Key]:
    keys = document.get("keys")
    if not isinstance(keys, list):
        raise ProviderError("jwks_malformed", _("The identity provider's signing keys could not be read."))
    parsed: list[_Key] = []
    for entry in keys:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        try:
            parsed.append(_Key(entry, jwt.PyJWK(entry)))
        except (jwt.PyJWTError, ValueError, TypeError, KeyError, NotImplementedError):
            # A key type we do not know, a broken entry, or "alg": "none" (PyJWT: NotImplementedError):
            # skip it, keep the rest.
            continue
    return parsed


def _select(keys: list[_Key], kid: str | None, algorithm: str) -> jwt.PyJWK | None:
    family = {"R": "RSA", "P": "RSA", "E": "EC"}.get(algorithm[:1])
    candidates: list[jwt.PyJWK] = []
    for k in keys:
        if getattr(k.parsed, "key_type", None) != family or (kid is not None and k.parsed.key_id != kid):
            continue
        bound = k.for_algorithm(algorithm)
        if bound is not None:
            candidates.append(bound)
    if kid is None and len(candidates) != 1:
        return None  # without a kid only an unambiguous single key will do
    return candidates[0] if candidates else None


def _visible(config: AliasConfig, jwks_uri: str, source: _Source, *, memo: bool = False) -> _Held | None:
    """The keys every worker sees (the cache's set, parsed once per process), else this process's own copy
    while it is younger than ``CACHE_TTL``; None when there is nothing to use. ``memo``: the set read from the
    cache less than ``MEMO_SECONDS`` ago serves without reading it again."""
    held = source.held
    if memo and held is not None and monotonic() - source.read_at < MEMO_SECONDS:
        return held if time.time() - held.fetched_at < config.CACHE_TTL else None
    entry = shared_cache.get(config.CACHE, cache_key("jwks", jwks_uri))
    if isinstance(entry, dict) and isinstance(entry.get("jwks"), dict):
        at = entry.get("at")
        fetched_at = float(at) if isinstance(at, (int, float)) else 0.0
        # "Another set", not "a later one": the cache is the reference, and workers' clocks may disagree.
        if held is None or held.fetched_at != fetched_at:
            held = _Held(fetched_at, _parse(entry["jwks"]))
            source.held = held
        source.read_at = monotonic()
    if held is not None and time.time() - held.fetched_at < config.CACHE_TTL:
        return held
    return None


def _stale(config: AliasConfig, jwks_uri: str, source: _Source, error: ProviderError) -> _Held | None:
    """Stale-if-error: the newest set seen (the cache's, or this process's own copy), past ``CACHE_TTL`` but
    within ``stale_if_error.STALE_KEYS_SECONDS`` (one hour) of it, when the refresh failed because PingOne cannot
    be reached. Bounded tighter than the discovery document's day: a withdrawn key must stop being trusted."""
    held = source.held  # ``_visible`` put the cache's set here, fresh or not
    if held is None or not stale_if_error.unreachable(error):
        return None
    age = time.time() - held.fetched_at
    if age >= config.CACHE_TTL + stale_if_error.STALE_KEYS_SECONDS:
        return None
    stale_if_error.served_stale("signing keys", jwks_uri, error, age)
    return held


def _changed(held: _Held | None, seen: _Held | None) -> bool:
    return held is not None and (seen is None or held.fetched_at != seen.fetched_at)


def _fetch(config: AliasConfig, jwks_uri: str, source: _Source) -> _Held:
    document, _ = request_json("GET", jwks_uri, timeout=config.TIMEOUT, what="signing key request")
    held = _Held(time.time(), _parse(document))
    shared_cache.set(
        config.CACHE,
        cache_key("jwks", jwks_uri),
        {"at": held.fetched_at, "jwks": document},
        config.CACHE_TTL + stale_if_error.STALE_KEYS_SECONDS,  # fresh for CACHE_TTL (``_visible``), then stale
    )
    source.held, source.read_at = held, monotonic()
    logger.info("Fetched PingOne signing keys from %s (%d keys)", jwks_uri, len(held.keys))
    return held


def _await_other_worker(
    config: AliasConfig,
    jwks_uri: str,
    source: _Source,
    seen: _Held | None,
    claimed_at: float | None = None,
    lane: str = BEARER_LANE,
) -> _Held | None:
    """While another worker's fetch is in flight (its lock key is in the cache), wait for it, at most as long
    as that fetch may take; the new set, or None when there was none in flight or it brought nothing.

    ``claimed_at``: when another worker claimed a refetch it has not finished. It sets the lock key a moment
    after that claim, so for ``CLAIM_GRACE`` the pending claim counts as a fetch in flight (a busy machine
    widens that moment); the claimer marks the claim done when its fetch ends."""
    fetching = cache_key("jwks-fetching", jwks_uri)
    deadline = time.time() + config.TIMEOUT + 1
    while True:
        # Lock key first: the fetcher stores the set before it drops the key, so "gone" means "stored".
        in_flight = shared_cache.get(config.CACHE, fetching) is True
        if not in_flight and claimed_at is not None:
            pending = _pending_claim(config, jwks_uri, lane)  # None once the claimer marked it done
            in_flight = pending is not None and time.time() - pending < CLAIM_GRACE
        held = _visible(config, jwks_uri, source)
        if _changed(held, seen):
            return held
        if not in_flight or time.time() >= deadline:
            return None
        sleep(WAIT_POLL)


def _fetch_once(config: AliasConfig, jwks_uri: str, source: _Source, seen: _Held | None) -> _Held:
    """Fetch the set, one fetch in flight across workers; the caller holds ``source.lock`` (threads)."""
    fetching = cache_key("jwks-fetching", jwks_uri)
    # The lock key outlives a crashed fetcher by a second at most: its call is bounded by TIMEOUT.
    claimed = shared_cache.add(config.CACHE, fetching, True, config.TIMEOUT + 1)
    if claimed is False:
        held = _await_other_worker(config, jwks_uri, source, seen)
        if held is not None:
            return held
        # That fetch failed or is late: fetch ourselves.
    try:
        return _fetch(config, jwks_uri, source)
    finally:
        if claimed:
            shared_cache.delete(config.CACHE, fetching)


def _refetch_key(jwks_uri: str, lane: str) -> str:
    return cache_key("jwks-refetch", jwks_uri if lane == BEARER_LANE else f"{lane} {jwks_uri}")


def _claim_refetch(config: AliasConfig, jwks_uri: str, now: float, lane: str = BEARER_LANE) -> bool:
    """Whether this worker may refetch now: no worker refetched within ``REFETCH_INTERVAL`` (in ``lane``)."""
    key = _refetch_key(jwks_uri, lane)
    added = shared_cache.add(config.CACHE, key, now, REFETCH_INTERVAL + 1)
    if added is None:
        return True  # the cache is unreachable: this process's own interval has decided
    if added:
        return True
    # The key expires in whole seconds, a little after the interval: its value is exact. Two workers may
    # both take an outlived key here; that is two fetches, still bounded.
    last = _claim_time(shared_cache.get(config.CACHE, key))
    if last is not None and now - last >= REFETCH_INTERVAL:
        shared_cache.set(config.CACHE, key, now, REFETCH_INTERVAL + 1)
        return True
    return False


def _claim_time(value: object) -> float | None:
    """When a refetch was claimed: the claim is the time while its fetch is pending, ``{"at": time}`` once done."""
    if isinstance(value, dict):
        value = value.get("at")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _pending_claim(config: AliasConfig, jwks_uri: str, lane: str = BEARER_LANE) -> float | None:
    """When another worker claimed a refetch whose fetch has not finished yet (None: no such claim)."""
    value = shared_cache.get(config.CACHE, _refetch_key(jwks_uri, lane))
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _claim_done(config: AliasConfig, jwks_uri: str, claimed_at: float, lane: str = BEARER_LANE) -> None:
    shared_cache.set(config.CACHE, _refetch_key(jwks_uri, lane), {"at": claimed_at}, REFETCH_INTERVAL + 1)


def _marker(kid: str | None, algorithm: str, lane: str = BEARER_LANE) -> tuple[str, str]:
    prefix = "" if lane == BEARER_LANE else f"{lane}:"
    return (prefix + ("-" if kid is None else f"+{kid}"), algorithm)


def _known_unknown(config: AliasConfig, jwks_uri: str, source: _Source, marker: tuple[str, str]) -> bool:
    """Whether a refetch already failed to find this kid, in any worker, within ``UNKNOWN_KID_TTL``."""
    now = time.time()
    with source.unknown_lock:
        until = source.unknown.get(marker)
    if until is not None and now < until:
        return True
    shared = shared_cache.get(config.CACHE, cache_key("jwks-unknown", f"{jwks_uri} {marker[1]} {marker[0]}"))
    if isinstance(shared, (int, float)) and now < shared:
        _remember_here(source, marker, float(shared))
        return True
    return False


def _remember_here(source: _Source, marker: tuple[str, str], until: float) -> None:
    with source.unknown_lock:
        if len(source.unknown) >= UNKNOWN_KID_MEMO_MAX:
            now = time.time()
            source.unknown = {m: t for m, t in source.unknown.items() if t > now}
            if len(source.unknown) >= UNKNOWN_KID_MEMO_MAX:
                source.unknown.clear()
        source.unknown[marker] = until


def _remember_unknown(config: AliasConfig, jwks_uri: str, source: _Source, marker: tuple[str, str]) -> None:
    until = time.time() + UNKNOWN_KID_TTL
    _remember_here(source, marker, until)
    key = cache_key("jwks-unknown", f"{jwks_uri} {marker[1]} {marker[0]}")  # hashed: the kid is the sender's
    shared_cache.set(config.CACHE, key, until, UNKNOWN_KID_TTL)


def _select_or_remember(
    config: AliasConfig,
    source: _Source,
    jwks_uri: str,
    held: _Held,
    kid: str | None,
    algorithm: str,
    lane: str = BEARER_LANE,
) -> jwt.PyJWK | None:
    """The key from a set fetched after the token came in; a kid it lacks is remembered as unknown (in ``lane``)."""
    key = _select(held.keys, kid, algorithm)
    if key is None:
        _remember_unknown(config, jwks_uri, source, _marker(kid, algorithm, lane))
    return key


def _current(config: AliasConfig, jwks_uri: str, source: _Source) -> tuple[_Held, bool]:
    """The keys to check a token with, and whether they were fetched for it (no worker had any)."""
    held = _visible(config, jwks_uri, source, memo=True)
    if held is not None:
        return held, False
    if not source.lock.acquire(timeout=config.TIMEOUT + 1):
        raise ProviderError("provider_timeout", _("The identity provider's signing keys did not arrive in time."))
    try:
        held = _visible(config, jwks_uri, source)  # another thread may have fetched them while we queued
        if held is None:
            try:
                held = _fetch_once(config, jwks_uri, source, None)
            except ProviderError as exc:
                stale = _stale(config, jwks_uri, source, exc)
                if stale is None:
                    raise
                return stale, False
        return held, True
    finally:
        source.lock.release()


def _refetch_for(
    config: AliasConfig, jwks_uri: str, source: _Source, seen: _Held, kid: str | None, algorithm: str, lane: str
) -> jwt.PyJWK | None:
    """The key for a kid that ``seen`` lacks, from a set fetched again (bounded in ``lane``, see the module doc)."""
    marker = _marker(kid, algorithm, lane)
    if _known_unknown(config, jwks_uri, source, marker):
        return None
    # Threads with unknown kids queue here while one of them fetches, then read what it fetched.
    if not source.lock.acquire(timeout=config.TIMEOUT + 1):
        return None
    try:
        held = _visible(config, jwks_uri, source)
        if held is not None and _changed(held, seen):  # another thread or worker fetched since
            return _select_or_remember(config, source, jwks_uri, held, kid, algorithm, lane)
        now = time.time()
        recently_here = now - source.refetched_at.get(lane, -math.inf) < REFETCH_INTERVAL
        if recently_here or not _claim_refetch(config, jwks_uri, now, lane):
            # Too soon after the last refetch. One may still be in flight in another worker: wait for it (when
            # that worker's claim is the reason, its fetch counts as in flight from the claim on).
            claim = None if recently_here else _pending_claim(config, jwks_uri, lane)
            held = _await_other_worker(config, jwks_uri, source, seen, claim, lane)
            if held is None:
                return None
            return _select_or_remember(config, source, jwks_uri, held, kid, algorithm, lane)
        source.refetched_at[lane] = now  # a failed refetch counts too: the endpoint is not hammered while it fails
        try:
            held = _fetch_once(config, jwks_uri, source, seen)
        finally:
            _claim_done(config, jwks_uri, now, lane)  # workers waiting on this claim stop waiting
        return _select_or_remember(config, source, jwks_uri, held, kid, algorithm, lane)
    finally:
        source.lock.release()


def signing_key(
    config: AliasConfig, metadata: ProviderMetadata, kid: str | None, algorithm: str, *, fresh: bool = False
) -> jwt.PyJWK:
    """The issuer's key for ``kid``; fetches the JWKS again (bounded) when the kid is unknown. ``fresh``: the
    token came from PingOne's token endpoint, so its bounds are not the ones tokens from anyone else use."""
    jwks_uri = metadata.jwks_uri
    source = _source(jwks_uri)
    lane = OP_LANE if fresh else BEARER_LANE
    held, just_fetched = _current(config, jwks_uri, source)
    key = _select(held.keys, kid, algorithm)
    if key is None:
        if just_fetched:  # as new as it gets: fetching again would find nothing more
            _remember_unknown(config, jwks_uri, source, _marker(kid, algorithm, lane))
        else:
            # Keys rotate: a new kid may have appeared since we cached the set.
            key = _refetch_for(config, jwks_uri, source, held, kid, algorithm, lane)
    if key is None:
        raise TokenValidationError("id_token_unknown_key")
    return key


# The keys come from the aliases' issuers, and the copies were read from (and bounded by) their caches.
@resets_on(SETTING_NAME, "CACHES")
def reset_caches() -> None:
    """Forget this process's parsed keys and unknown kids (what a new worker starts with)."""
    with _sources_lock:
        _sources.clear()
