"""Access tokens for Django's own calls to PingOne-protected APIs: the OAuth 2.0 client credentials grant
(RFC 6749 §4.4) with the alias's application and its token-endpoint authentication.

A token is kept in Django's cache (shared by every worker) and in a per-process memo until shortly before it
expires (``REFRESH_MARGIN``), so steady-state calls make no request to PingOne. One fetch is in flight at a
time per (issuer, client, scopes): threads of a process queue on a lock, workers on a short lock key in the
cache (``cache.add``), and the others wait for that fetch (at most ``TIMEOUT`` + 1 s) and read its result; a
fetch that failed or is late is made again by the waiter. With the cache unreachable (``shared_cache``) each
process fetches and keeps its own token.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Iterable
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from django_pingone_authorize.conf import DEFAULT_ALIAS, SETTING_NAME, AliasConfig, get_alias
from django_pingone_authorize.errors import ProviderError
from django_pingone_authorize.provider import encryption, shared_cache
from django_pingone_authorize.provider.discovery import get_metadata
from django_pingone_authorize.provider.token_endpoint import post_authenticated

logger = logging.getLogger(__name__)

REFRESH_MARGIN = 60.0  # seconds before expiry a token is replaced (at most a tenth of its lifetime)
DEFAULT_LIFETIME = 60.0  # seconds a token is kept when the answer has no expires_in
WAIT_POLL = 0.05  # seconds between two looks at another worker's fetch in flight

_memo: dict[str, tuple[float, str]] = {}  # cache key -> (replace at, token)
_locks: dict[str, threading.Lock] = {}
_locks_lock = threading.Lock()


def _scopes(scopes: Iterable[str] | str) -> tuple[str, ...]:
    given = scopes.split() if isinstance(scopes, str) else scopes
    return tuple(sorted({str(scope) for scope in given}))


def _key(config: AliasConfig, scopes: tuple[str, ...]) -> str:
    digest = hashlib.sha256(f"{config.issuer}\n{config.CLIENT_ID}\n{' '.join(scopes)}".encode()).hexdigest()
    return f"pingone:client-token:{digest[:40]}"


def _lock(key: str) -> threading.Lock:
    lock = _locks.get(key)
    if lock is None:
        with _locks_lock:
            lock = _locks.setdefault(key, threading.Lock())
    return lock


def get_client_token(alias: str = DEFAULT_ALIAS, scopes: Iterable[str] | str = ()) -> str:
    """A client-credentials access token of ``alias``'s application for ``scopes`` (a list or a space-separated
    string). Raises ``ProviderError`` when PingOne refuses or cannot be reached."""
    config = get_alias(alias)
    wanted = _scopes(scopes)
    key = _key(config, wanted)
    memo = _memo.get(key)
    if memo is not None and memo[0] > time.time():
        return memo[1]
    token = _cached(config, key)
    if token is not None:
        return token
    lock = _lock(key)
    if not lock.acquire(timeout=config.TIMEOUT + 1):
        raise ProviderError("provider_timeout", _("The identity provider did not issue an access token in time."))
    try:
        memo = _memo.get(key)
        if memo is not None and memo[0] > time.time():
            return memo[1]  # another thread fetched it while we queued
        return _fetch_once(config, key, wanted)
    finally:
        lock.release()


def _cached(config: AliasConfig, key: str) -> str | None:
    entry = encryption.decrypt(shared_cache.get(config.CACHE, key))  # encrypted at rest, as users' tokens
    if entry is None:
        return None
    token, replace_at = entry.get("access_token"), entry.get("replace_at")
    if not isinstance(token, str) or not isinstance(replace_at, (int, float)) or replace_at <= time.time():
        return None
    _memo[key] = (float(replace_at), token)
    return token


def _fetch_once(config: AliasConfig, key: str, scopes: tuple[str, ...]) -> str:
    fetching = f"{key}:fetching"
    # The lock key outlives a crashed fetcher by a second at most: its call is bounded by TIMEOUT.
    claimed = shared_cache.add(config.CACHE, fetching, True, config.TIMEOUT + 1)
    if claimed is False:
        deadline = time.time() + config.TIMEOUT + 1
        while time.time() < deadline:
            # Lock key first: the fetcher stores the token before it drops the key, so "gone" means "stored".
            in_flight = shared_cache.get(config.CACHE, fetching) is True
            token = _cached(config, key)
            if token is not None:
                return token
            if not in_flight:
                break
            time.sleep(WAIT_POLL)
        # That fetch failed or is late: fetch ourselves.
    try:
        return _fetch(config, key, scopes)
    finally:
        if claimed:
            shared_cache.delete(config.CACHE, fetching)


def _fetch(config: AliasConfig, key: str, scopes: tuple[str, ...]) -> str:
    metadata = get_metadata(config)
    data = {"grant_type": "client_credentials"}
    if scopes:
        data["scope"] = " ".join(scopes)
    body = post_authenticated(config, metadata.token_endpoint, data, what="client credentials request")
    token = body.get("access_token")
    if not isinstance(token, str) or not token or not (token.isascii() and token.isprintable()) or " " in token:
        raise ProviderError("token_no_access_token", _("The identity provider did not send a usable access token."))
    token_type = body.get("token_type")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise ProviderError(
            "token_bad_type", _("The identity provider sent an access token that is not a Bearer token.")
        )
    lifetime = _lifetime(body.get("expires_in"))
    now = time.time()
    replace_at = now + lifetime - min(REFRESH_MARGIN, lifetime / 10)
    _memo[key] = (replace_at, token)
    keep = math.floor(replace_at - now)
    if keep >= 1:
        sealed = encryption.encrypt({"access_token": token, "replace_at": replace_at})
        shared_cache.set(config.CACHE, key, sealed, keep)
    logger.info("Fetched a PingOne client credentials token (alias %s, %d s)", config.alias, int(lifetime))
    return token


def _lifetime(value: Any) -> float:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
        return float(value)
    return DEFAULT_LIFETIME


def reset_caches() -> None:
    """Forget this process's tokens (what a new worker starts with)."""
    _memo.clear()


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    # A changed secret, key or alias: tokens fetched with the old ones are not this configuration's.
    if setting == SETTING_NAME:
        reset_caches()
