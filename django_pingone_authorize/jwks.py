"""The issuer's signing keys: a JWKS cached in Django's cache framework (shared by every worker) and
parsed once per process. An unknown ``kid`` fetches the JWKS again, at most once per
``REFETCH_INTERVAL`` for every worker together, so tokens with random kids cannot make us fetch in a loop.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
from django.core.cache import caches

from django_pingone_authorize.client import request_json
from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.errors import ProviderError, TokenValidationError
from django_pingone_authorize.provider import ProviderMetadata, cache_key

logger = logging.getLogger("django_pingone_authorize")

REFETCH_INTERVAL = 60.0


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


# {jwks_uri: (fetched_at, [_Key])}
_parsed: dict[str, tuple[float, list[_Key]]] = {}
_lock = threading.Lock()


def _parse(document: dict[str, Any]) -> list[_Key]:
    keys = document.get("keys")
    if not isinstance(keys, list):
        raise ProviderError("jwks_malformed", "The identity provider's signing keys could not be read.")
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


def _fetch(config: AliasConfig, jwks_uri: str) -> tuple[float, list[_Key]]:
    document, _ = request_json("GET", jwks_uri, timeout=config.TIMEOUT, what="signing key request")
    keys = _parse(document)
    fetched_at = time.time()
    caches[config.CACHE].set(cache_key("jwks", jwks_uri), {"at": fetched_at, "jwks": document}, config.CACHE_TTL)
    logger.info("Fetched PingOne signing keys from %s (%d keys)", jwks_uri, len(keys))
    return fetched_at, keys


def _load(config: AliasConfig, jwks_uri: str) -> tuple[float, list[_Key]]:
    """The cached keys, parsed; fetched when no worker has them yet."""
    entry = caches[config.CACHE].get(cache_key("jwks", jwks_uri))
    if not (isinstance(entry, dict) and isinstance(entry.get("jwks"), dict)):
        result = _fetch(config, jwks_uri)
    else:
        fetched_at = float(entry.get("at", 0.0))
        known = _parsed.get(jwks_uri)
        if known is not None and known[0] == fetched_at:
            return known
        result = (fetched_at, _parse(entry["jwks"]))
    with _lock:
        _parsed[jwks_uri] = result
    return result


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


def _postpone_refetch(config: AliasConfig, jwks_uri: str) -> None:
    """A failed refetch counts as one: keep the cached keys and try again only after REFETCH_INTERVAL,
    so tokens with unknown kids cannot make every sign-on call a failing JWKS endpoint."""
    cache = caches[config.CACHE]
    key = cache_key("jwks", jwks_uri)
    entry = cache.get(key)
    if isinstance(entry, dict) and isinstance(entry.get("jwks"), dict):
        cache.set(key, {**entry, "at": time.time()}, config.CACHE_TTL)


def signing_key(config: AliasConfig, metadata: ProviderMetadata, kid: str | None, algorithm: str) -> jwt.PyJWK:
    """The issuer's key for ``kid``; fetches the JWKS again (bounded) when the kid is unknown."""
    fetched_at, keys = _load(config, metadata.jwks_uri)
    key = _select(keys, kid, algorithm)
    if key is None and time.time() - fetched_at >= REFETCH_INTERVAL:
        # Keys rotate: a new kid may have appeared since we cached the set.
        try:
            fetched_at, keys = _fetch(config, metadata.jwks_uri)
        except ProviderError:
            _postpone_refetch(config, metadata.jwks_uri)
            raise
        with _lock:
            _parsed[metadata.jwks_uri] = (fetched_at, keys)
        key = _select(keys, kid, algorithm)
    if key is None:
        raise TokenValidationError("id_token_unknown_key")
    return key


def forget() -> None:
    with _lock:
        _parsed.clear()
