"""Fresh access tokens for the signed-on user: ``get_access_token(request)`` and the refresh behind it.

The session's access token is returned as it is while it lives longer than ``min_ttl`` seconds: no outbound
call, no cache read. Past that, it is refreshed with the refresh token (RFC 6749 §6; PingOne issues one with
the ``offline_access`` scope or the application's refresh token setting, and ``STORE_TOKENS`` keeps it).

PingOne rotates refresh tokens and, with replay protection on (its default), a refresh token used twice revokes
every token issued from it. Two requests of one session refreshing at once would be exactly that. So one
refresh per token set is under way at a time, across threads (a lock per process), processes and hosts (a lock
key in the Django cache, taken with ``cache.add``, which is atomic on Redis, Memcached and the database cache):

1. the winner reads the newest set again (someone may have refreshed while it waited), refreshes, stores the new
   set in the cache (``token_store.save``) and only then drops the lock key;
2. the others wait (at most ``TIMEOUT`` + 2 s) until the set in the cache is newer than theirs, and use it.

Refresh tokens are opaque to the app: never parsed, logged or compared but for equality. An ID token in the
answer is validated like the sign-on's (signature, ``iss``, ``aud``, times; no ``nonce``, OIDC Core §12.2) and
must name the same ``sub``; another ``sub`` logs the user out. ``invalid_grant`` means PingOne ended the sign-on
(the user signed off, the session expired, or the token was revoked): the user is logged out of Django too.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib import auth
from django.contrib.auth import logout
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import AliasConfig, get_alias
from django_pingone_authorize.errors import ProviderError, SignOnError, TokenValidationError
from django_pingone_authorize.models import PingOneSession
from django_pingone_authorize.oidc.id_token import validate_id_token
from django_pingone_authorize.provider import shared_cache
from django_pingone_authorize.provider.discovery import ProviderMetadata, get_metadata
from django_pingone_authorize.provider.token_endpoint import post_authenticated
from django_pingone_authorize.sessions import token_store
from django_pingone_authorize.sessions.session_index import ENDED_BY_ATTRIBUTE
from django_pingone_authorize.sessions.token_store import TokenSet
from django_pingone_authorize.signals import asend, pingone_session_ended, tokens_refreshed

logger = logging.getLogger(__name__)

WAIT_POLL = 0.02  # seconds between two looks at another worker's refresh in flight
LOCK_MARGIN = 2.0  # seconds a lock key outlives the longest refresh (a crashed holder's key expires)

_locks: dict[str, threading.Lock] = {}
_locks_lock = threading.Lock()


class SessionEnded(SignOnError):
    """PingOne no longer honours the sign-on (``invalid_grant``), or a refresh named another user."""

    status = 401

    def __init__(self, reason: str = "session_ended") -> None:
        super().__init__(reason, "Your PingOne session has ended. Please sign on again.")


def _lock(set_id: str) -> threading.Lock:
    lock = _locks.get(set_id)
    if lock is None:
        with _locks_lock:
            if len(_locks) > 10_000:  # one per token set; unused ones are dropped in bulk
                _locks.clear()
            lock = _locks.setdefault(set_id, threading.Lock())
    return lock


def _config_for(token_set: TokenSet, alias: str | None) -> AliasConfig | None:
    if alias is not None and alias != token_set.alias:
        return None
    try:
        return get_alias(token_set.alias)
    except ImproperlyConfigured:
        return None


def _refreshing_config(token_set: TokenSet | None, alias: str | None) -> AliasConfig | None:
    """The alias config of a session's token set whose access token may be handed out (``STORE_TOKENS``)."""
    if token_set is None:
        return None
    config = _config_for(token_set, alias)
    return config if config is not None and config.STORE_TOKENS else None


@sensitive_variables()
def get_access_token(request: HttpRequest, alias: str | None = None, min_ttl: float = 60) -> str | None:
    """The session's PingOne access token, refreshed first when it expires within ``min_ttl`` seconds.

    None when the session has no PingOne sign-on (through ``alias``, when given), no stored access token, or
    when PingOne ended the sign-on (the user is then logged out). Raises ``ProviderError`` when a needed
    refresh failed for another reason (PingOne unreachable) and the current token has already expired.
    """
    token_set = token_store.in_session(request.session)
    config = _refreshing_config(token_set, alias)
    if token_set is None or config is None:
        return None
    if not token_set.expires_within(min_ttl):
        return token_set.access_token  # steady state: nothing asked of anyone
    try:
        fresh = refresh(request, config, min_ttl=min_ttl)
    except SessionEnded:
        return None
    except ProviderError as error:
        return _current_or_raise(token_set, config, error)
    return fresh.access_token if fresh is not None else None


@sensitive_variables()
async def aget_access_token(request: HttpRequest, alias: str | None = None, min_ttl: float = 60) -> str | None:
    """``get_access_token`` for async views: the session and the cache through Django's async APIs, the call
    to PingOne (``requests``) in a worker thread, so the event loop is never blocked on the network."""
    token_set = await token_store.ain_session(request.session)
    config = _refreshing_config(token_set, alias)
    if token_set is None or config is None:
        return None
    if not token_set.expires_within(min_ttl):
        return token_set.access_token
    try:
        fresh = await arefresh(request, config, min_ttl=min_ttl)
    except SessionEnded:
        return None
    except ProviderError as error:
        return _current_or_raise(token_set, config, error)
    return fresh.access_token if fresh is not None else None


def _current_or_raise(token_set: TokenSet, config: AliasConfig, error: ProviderError) -> str:
    """A refresh failed (PingOne unreachable): the current access token while it lives, else the error."""
    if token_set.access_token and not token_set.expires_within(0):
        logger.warning("PingOne token refresh failed (alias %s); using the current access token", config.alias)
        return token_set.access_token
    raise error


def refresh(request: HttpRequest, config: AliasConfig, *, min_ttl: float | None = None) -> TokenSet | None:
    """Refresh the session's token set (``min_ttl``: unless the newest set's access token outlives it; None:
    always, as the session check does). None without a refresh token. Raises ``SessionEnded`` (after logging
    the user out) when PingOne refuses, ``ProviderError`` when it cannot be asked."""
    current = token_store.newest(config, request.session)
    if current is None or not current.refresh_token:
        return None
    try:
        return _refresh_once(request, config, current, min_ttl)
    except SessionEnded as ended:
        logger.info(
            "PingOne ended the sign-on of user %s (alias %s): %s", _user_pk(request), config.alias, ended.reason
        )
        end_django_session(request, config, current)
        raise


async def arefresh(request: HttpRequest, config: AliasConfig, *, min_ttl: float | None = None) -> TokenSet | None:
    """``refresh`` for async callers. One refresh per token set at a time through the cache's lock key alone
    (``cache.aadd``; it also keeps this process's sync and async callers apart), PingOne asked in a thread."""
    current = await token_store.anewest(config, request.session)
    if current is None or not current.refresh_token:
        return None
    try:
        return await _arefresh_across_workers(request, config, current, min_ttl)
    except SessionEnded as ended:
        user = await arequest_user(request)
        logger.info("PingOne ended the sign-on of user %s (alias %s): %s", user.pk, config.alias, ended.reason)
        await token_store.aforget(config, current.set_id)
        setattr(request, ENDED_BY_ATTRIBUTE, "pingone")
        if hasattr(auth, "alogout"):  # Django 5.0+
            await auth.alogout(request)
        else:
            await sync_to_async(logout)(request)
        await asend(pingone_session_ended, PingOneSession, **_ended(request, config, current))
        raise


async def arequest_user(request: HttpRequest) -> Any:
    """The request's user, loaded without blocking the event loop (``request.auser()`` is Django 5.0+)."""
    if hasattr(request, "auser"):
        return await request.auser()
    return await sync_to_async(_loaded_user)(request)


def _loaded_user(request: HttpRequest) -> Any:
    """``request.user`` evaluated (a lazy user read later in the event loop would query the database there)."""
    user = getattr(request, "user", None)
    if user is not None:
        _ = user.is_authenticated  # SimpleLazyObject: loads the user now, in this thread
    return user


def _user_pk(request: HttpRequest) -> Any:
    user = getattr(request, "user", None)
    return getattr(user, "pk", None)


def end_django_session(request: HttpRequest, config: AliasConfig, token_set: TokenSet) -> None:
    token_store.forget(config, token_set.set_id)
    setattr(request, ENDED_BY_ATTRIBUTE, "pingone")  # signed_out's ``by``
    logout(request)
    pingone_session_ended.send(PingOneSession, **_ended(request, config, token_set))


def _ended(request: HttpRequest, config: AliasConfig, token_set: TokenSet) -> dict[str, Any]:
    """``pingone_session_ended``'s arguments when a refresh found the sign-on over."""
    return {
        "request": request,
        "alias": config.alias,
        "issuer": config.issuer,
        "subject": token_set.subject or None,
        "sid": None,
        "how": "refresh",
        "sessions_ended": 1,
    }


def _refreshed(request: HttpRequest, config: AliasConfig, fresh: TokenSet) -> dict[str, Any]:
    """``tokens_refreshed``'s arguments (never the tokens)."""
    return {"request": request, "alias": config.alias, "subject": fresh.subject, "generation": fresh.generation}


def _good_enough(candidate: TokenSet, started_from: TokenSet, min_ttl: float | None) -> bool:
    """Whether a set another request stored will do instead of refreshing ourselves."""
    if candidate.generation <= started_from.generation:
        return False
    return min_ttl is None or not candidate.expires_within(min_ttl)


def _refresh_once(request: HttpRequest, config: AliasConfig, current: TokenSet, min_ttl: float | None) -> TokenSet:
    lock = _lock(current.set_id)
    if not lock.acquire(timeout=config.TIMEOUT + LOCK_MARGIN):
        raise ProviderError("provider_timeout", _("The access token could not be refreshed in time."))
    try:
        newest = token_store.newest(config, request.session) or current
        if _good_enough(newest, current, min_ttl) or (min_ttl is not None and not newest.expires_within(min_ttl)):
            return newest  # another thread of this process refreshed while we queued
        return _refresh_across_workers(request, config, newest, min_ttl)
    finally:
        lock.release()


def _adopt(
    request: HttpRequest, shared: TokenSet | None, current: TokenSet, min_ttl: float | None
) -> tuple[TokenSet | None, TokenSet]:
    """A set another worker stored, when newer: written into this session, and returned as the answer when it
    will do. Returns (the answer or None, the set to go on from)."""
    if shared is None or shared.generation <= current.generation:
        return None, current
    token_store.put_in_session(request.session, shared)
    return (shared if _good_enough(shared, current, min_ttl) else None), shared


def _refresh_lock(config: AliasConfig, current: TokenSet) -> tuple[str, str, float]:
    """The refresh lock's cache key for ``current``, this worker's mark in it, and when waiting for it ends."""
    key = f"{token_store.cache_key(current.set_id)}:refreshing"
    return key, secrets.token_hex(8), time.monotonic() + config.TIMEOUT + LOCK_MARGIN


def _refresh_across_workers(
    request: HttpRequest, config: AliasConfig, current: TokenSet, min_ttl: float | None
) -> TokenSet:
    lock_key, owner, deadline = _refresh_lock(config, current)
    while True:
        claimed = shared_cache.add(config.CACHE, lock_key, owner, config.TIMEOUT + LOCK_MARGIN)
        if claimed is not False:  # True, or None: the cache cannot be asked (each process then refreshes alone)
            break
        # Another worker is refreshing: wait for its set to reach the cache.
        while time.monotonic() < deadline:
            in_flight = shared_cache.get(config.CACHE, lock_key) is not None  # first: it stores, then unlocks
            answer, current = _adopt(request, token_store.in_cache(config, current.set_id), current, min_ttl)
            if answer is not None:
                return answer
            if not in_flight:
                break
            time.sleep(WAIT_POLL)
        if time.monotonic() >= deadline:
            raise ProviderError("provider_timeout", _("The access token could not be refreshed in time."))
    try:
        # A refresh that finished just before we locked.
        answer, current = _adopt(request, token_store.in_cache(config, current.set_id), current, min_ttl)
        if answer is not None:
            return answer
        fresh = _refresh_at_provider(config, current)
        token_store.save(config, request.session, fresh)  # stored before the lock key goes
        tokens_refreshed.send(TokenSet, **_refreshed(request, config, fresh))
        return fresh
    finally:
        if claimed:
            shared_cache.delete(config.CACHE, lock_key)


async def _arefresh_across_workers(
    request: HttpRequest, config: AliasConfig, current: TokenSet, min_ttl: float | None
) -> TokenSet:
    """``_refresh_across_workers`` with Django's async cache API and ``asyncio.sleep``."""
    lock_key, owner, deadline = _refresh_lock(config, current)
    while True:
        claimed = await shared_cache.aadd(config.CACHE, lock_key, owner, config.TIMEOUT + LOCK_MARGIN)
        if claimed is not False:
            break
        while time.monotonic() < deadline:
            in_flight = await shared_cache.aget(config.CACHE, lock_key) is not None
            answer, current = _adopt(request, await token_store.ain_cache(config, current.set_id), current, min_ttl)
            if answer is not None:
                return answer
            if not in_flight:
                break
            await asyncio.sleep(WAIT_POLL)
        if time.monotonic() >= deadline:
            raise ProviderError("provider_timeout", _("The access token could not be refreshed in time."))
    try:
        answer, current = _adopt(request, await token_store.ain_cache(config, current.set_id), current, min_ttl)
        if answer is not None:
            return answer
        # requests has no async API: PingOne is asked in a worker thread, not in the event loop.
        fresh = await sync_to_async(_refresh_at_provider, thread_sensitive=False)(config, current)
        await token_store.asave(config, request.session, fresh)
        await asend(tokens_refreshed, TokenSet, **_refreshed(request, config, fresh))
        return fresh
    finally:
        if claimed:
            await shared_cache.adelete(config.CACHE, lock_key)


@sensitive_variables()
def _refresh_at_provider(config: AliasConfig, current: TokenSet) -> TokenSet:
    metadata = get_metadata(config)
    data = {"grant_type": "refresh_token", "refresh_token": str(current.refresh_token)}
    try:
        body = post_authenticated(config, metadata.token_endpoint, data, what="token refresh")
    except ProviderError as error:
        if error.error in ("invalid_grant", "invalid_token"):
            raise SessionEnded() from None
        raise
    access_token = body.get("access_token")
    if (
        not isinstance(access_token, str)
        or not access_token
        or not (access_token.isascii() and access_token.isprintable())
    ):
        raise ProviderError("token_bad_response", _("The identity provider's token answer was malformed."))
    token_type = body.get("token_type")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise ProviderError("token_bad_type", _("The identity provider sent an unsupported token type."))
    refresh_token = body.get("refresh_token")
    if refresh_token is not None and (not isinstance(refresh_token, str) or not refresh_token):
        raise ProviderError("token_bad_response", _("The identity provider's token answer was malformed."))
    id_token = body.get("id_token")
    if id_token is not None:
        if not isinstance(id_token, str) or not id_token:
            raise ProviderError("token_bad_response", _("The identity provider's token answer was malformed."))
        try:
            claims = _validate_refreshed_id_token(config, metadata, id_token, access_token)
        except TokenValidationError as error:
            # PingOne has rotated the refresh token already: nothing of this answer can be kept or used.
            logger.warning("A refreshed PingOne ID token failed %s (alias %s): logging out", error.reason, config.alias)
            raise SessionEnded("refresh_id_token_invalid") from None
        if claims.get("sub") != current.subject:
            logger.warning("A refreshed PingOne ID token named another user (alias %s): logging out", config.alias)
            raise SessionEnded("refresh_subject_changed")
    expires_in = body.get("expires_in")
    now = time.time()
    return token_store.touched(
        current,
        generation=current.generation + 1,
        access_token=access_token,
        # RFC 6749 §6: without a new refresh token the old one stays good.
        refresh_token=refresh_token if refresh_token is not None else current.refresh_token,
        id_token=id_token if id_token is not None else current.id_token,
        expires_at=now + expires_in if isinstance(expires_in, int) and not isinstance(expires_in, bool) else None,
        checked_at=now,
    )


@sensitive_variables()
def _validate_refreshed_id_token(
    config: AliasConfig, metadata: ProviderMetadata, id_token: str, access_token: str
) -> dict[str, Any]:
    """OIDC Core §12.2: as at sign-on (signature, exact ``iss``, ``aud``/``azp``, ``exp``/``iat``, ``at_hash``),
    but with no ``nonce`` to expect."""
    return validate_id_token(config, metadata, id_token, nonce=None, access_token=access_token)
