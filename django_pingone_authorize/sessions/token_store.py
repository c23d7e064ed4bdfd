"""Where a signed-on session's tokens live: one encrypted *token set* per sign-on, in the session and in the cache.

A token set is the ID, access and refresh tokens of one PingOne sign-on, the access token's expiry, the user's
``sub``, a random ``set_id`` and a ``generation`` that grows by one with every refresh. It is kept encrypted
(``encryption.py``) in two places:

* the Django session (the session record under ``SESSION_KEY``), where it survives a cache flush;
* the cache (``CACHE``), keyed by a hash of ``set_id``, where every worker and host sees a refresh at once.

A request holds its own copy of the session, loaded when the request began. When another request of the same
session refreshes (PingOne rotates the refresh token, and using the old one again revokes every token issued
from it), this copy is stale; the cache copy is not. So whoever needs the refresh token reads both and takes
the higher ``generation``, and writes a newer set back into its own session. ``refresh.py`` stores a
refreshed set in the cache before it lets anyone else near the refresh token.

Tokens kept server-side in the Django session after a sign-on (never in URLs, pages or logs).

The ID token is always kept (PingOne's sign-off wants it as ``id_token_hint``); the access and refresh
tokens only with ``STORE_TOKENS``. Read them with ``get_tokens(request.session)``. What the last sign-on
proved (``acr``, ``amr``, ``auth_time``, from the validated ID token) is kept beside them and read with
``get_sign_on_facts(request.session)`` (``sign_on/requirements.py`` decides from it whether a view needs a step-up).
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.sessions.backends.base import SessionBase
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.provider import encryption as token_encryption
from django_pingone_authorize.provider import shared_cache
from django_pingone_authorize.provider.token_endpoint import TokenResponse

# How long the cache keeps a token set after it was written: as long as a session may live (two weeks by default).
CACHE_LIFETIME_FALLBACK = 14 * 24 * 3600
SESSION_KEY = "_pingone_tokens"  # the session record: the last sign-on's facts and its token set
MEMO_ATTRIBUTE = "_pingone_token_set_memo"  # on the request's session object: (encrypted set, decrypted set)


@dataclass(frozen=True)
class TokenSet:
    set_id: str
    generation: int
    alias: str
    subject: str
    # Bearer credentials: kept out of the repr (error reports show locals, debug logs show reprs).
    id_token: str | None = field(repr=False)
    access_token: str | None = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: float | None  # the access token's, wall clock
    checked_at: float  # when PingOne last said this sign-on is alive (the sign-on, or a refresh)

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        """Whether the access token is missing, expired or expires within ``seconds``."""
        if not self.access_token:
            return True
        if self.expires_at is None:
            return False  # PingOne always says; a provider that does not: the token is used until refused
        return self.expires_at - (time.time() if now is None else now) <= seconds


def _record_key() -> str:
    return SESSION_KEY


def cache_key(set_id: str) -> str:
    return f"pingone:token-set:{hashlib.sha256(set_id.encode()).hexdigest()[:40]}"


def _lifetime() -> int:
    from django.conf import settings

    age = getattr(settings, "SESSION_COOKIE_AGE", CACHE_LIFETIME_FALLBACK)
    return int(age) if isinstance(age, int) and age > 0 else CACHE_LIFETIME_FALLBACK


@sensitive_variables("value")
def _from_dict(value: dict[str, Any] | None) -> TokenSet | None:
    if value is None:
        return None
    try:
        token_set = TokenSet(**value)
    except TypeError:
        return None
    if not isinstance(token_set.set_id, str) or not isinstance(token_set.generation, int):
        return None
    return token_set


@sensitive_variables("tokens", "token_set")
def new_record_fields(
    config: AliasConfig,
    *,
    subject: str,
    id_token: str,
    access_token: str | None,
    refresh_token: str | None,
    expires_in: int | None,
    set_id: str | None = None,
) -> dict[str, Any]:
    """What ``store`` adds to the session record at sign-on: the new set, encrypted, and
    (with ``STORE_TOKENS``) a copy in the cache. ``set_id``: one drawn beforehand by ``new_set_id``."""
    now = time.time()
    keep = config.STORE_TOKENS
    token_set = TokenSet(
        set_id=set_id or new_set_id(),
        generation=0,
        alias=config.alias,
        subject=subject,
        id_token=id_token,
        access_token=access_token if keep else None,
        refresh_token=refresh_token if keep else None,
        expires_at=now + expires_in if keep and isinstance(expires_in, int) else None,
        checked_at=now,
    )
    if token_set.refresh_token:
        _write_cache(config, token_set)
    return {"token_set": token_set.set_id, "tokens": token_encryption.encrypt(asdict(token_set))}


def new_set_id() -> str:
    """A new token set's id: drawn before ``login()`` when the session index must learn its cache key first."""
    return secrets.token_urlsafe(24)


def in_session(session: SessionBase) -> TokenSet | None:
    """This request's copy of the session's token set (None without one, or when it cannot be decrypted)."""
    return _token_set_of(session, session.get(_record_key()))


async def ain_session(session: SessionBase) -> TokenSet | None:
    """``in_session`` for async callers: the session is loaded with its async API (Django 5.0+), or in a thread
    on Django 4.2 (which has none). Once loaded, the session's other reads and writes touch no storage."""
    aget = getattr(session, "aget", None)
    record = await aget(_record_key()) if aget is not None else await sync_to_async(session.get)(_record_key())
    return _token_set_of(session, record)


def _token_set_of(session: SessionBase, record: object) -> TokenSet | None:
    if not isinstance(record, dict):
        return None
    blob = record.get("tokens")
    memo: tuple[object, TokenSet | None] | None = getattr(session, MEMO_ATTRIBUTE, None)
    if memo is not None and memo[0] == blob:
        return memo[1]  # decrypted once per request (and again only when a refresh replaced it)
    token_set = _from_dict(token_encryption.decrypt(blob))
    setattr(session, MEMO_ATTRIBUTE, (blob, token_set))
    return token_set


def in_cache(config: AliasConfig, set_id: str) -> TokenSet | None:
    token_set = _from_dict(token_encryption.decrypt(shared_cache.get(config.CACHE, cache_key(set_id))))
    return token_set if token_set is not None and token_set.set_id == set_id else None


def at_cache_key(config: AliasConfig, key: str, session: SessionBase | None = None) -> TokenSet | None:
    """The newest copy of the token set at ``key`` (``token_cache_key``, as the session index keeps it): the
    cache's or, when given, ``session``'s (another browser's session, about to end)."""
    shared = _from_dict(token_encryption.decrypt(shared_cache.get(config.CACHE, key)))
    if shared is not None and cache_key(shared.set_id) != key:
        shared = None
    mine = in_session(session) if session is not None else None
    if mine is not None and cache_key(mine.set_id) != key:
        mine = None
    if shared is None or (mine is not None and mine.generation > shared.generation):
        return mine
    return shared


async def ain_cache(config: AliasConfig, set_id: str) -> TokenSet | None:
    token_set = _from_dict(token_encryption.decrypt(await shared_cache.aget(config.CACHE, cache_key(set_id))))
    return token_set if token_set is not None and token_set.set_id == set_id else None


def newest(config: AliasConfig, session: SessionBase) -> TokenSet | None:
    """The newest copy of the session's token set, this request's or the cache's; a newer cache copy is
    written into this request's session."""
    mine = in_session(session)
    if mine is None:
        return None
    return _newer(session, mine, in_cache(config, mine.set_id))


async def anewest(config: AliasConfig, session: SessionBase) -> TokenSet | None:
    """``newest`` for async callers (Django's async session and cache APIs)."""
    mine = await ain_session(session)
    if mine is None:
        return None
    return _newer(session, mine, await ain_cache(config, mine.set_id))


def _newer(session: SessionBase, mine: TokenSet, shared: TokenSet | None) -> TokenSet:
    if shared is not None and shared.generation > mine.generation:
        put_in_session(session, shared)
        return shared
    return mine


@sensitive_variables("token_set")
def _write_cache(config: AliasConfig, token_set: TokenSet) -> None:
    shared_cache.set(
        config.CACHE, cache_key(token_set.set_id), token_encryption.encrypt(asdict(token_set)), _lifetime()
    )


@sensitive_variables("token_set")
async def asave(config: AliasConfig, session: SessionBase, token_set: TokenSet) -> None:
    """``save`` for async callers; the session was loaded by ``ain_session`` already."""
    await shared_cache.aset(
        config.CACHE, cache_key(token_set.set_id), token_encryption.encrypt(asdict(token_set)), _lifetime()
    )
    put_in_session(session, token_set)


async def aforget(config: AliasConfig, set_id: str) -> None:
    await shared_cache.adelete(config.CACHE, cache_key(set_id))


@sensitive_variables("token_set")
def put_in_session(session: SessionBase, token_set: TokenSet) -> None:
    key = _record_key()
    record = session.get(key)
    if not isinstance(record, dict) or record.get("token_set") != token_set.set_id:
        return  # another sign-on replaced this one meanwhile
    session[key] = {**record, "tokens": token_encryption.encrypt(asdict(token_set))}


@sensitive_variables("token_set")
def save(config: AliasConfig, session: SessionBase, token_set: TokenSet) -> None:
    """Store a refreshed set: first where every request sees it (the cache), then in this session."""
    _write_cache(config, token_set)
    put_in_session(session, token_set)


def forget(config: AliasConfig, set_id: str) -> None:
    """Drop the cache copy (at logout)."""
    shared_cache.delete(config.CACHE, cache_key(set_id))


def touched(token_set: TokenSet, **changes: Any) -> TokenSet:
    return replace(token_set, **changes)


def readable(record: dict[str, Any]) -> dict[str, Any]:
    """``get_tokens``' answer from a record: the alias, the facts and the decrypted tokens
    (``id_token`` and, when stored, ``access_token``, ``refresh_token``, ``access_token_expires_at``)."""
    result = {k: v for k, v in record.items() if k not in ("tokens", "token_set")}
    token_set = _from_dict(token_encryption.decrypt(record.get("tokens")))
    if token_set is None:
        return result
    result["id_token"] = token_set.id_token
    if token_set.access_token is not None or token_set.refresh_token is not None:
        result["access_token"] = token_set.access_token
        result["refresh_token"] = token_set.refresh_token
        if token_set.expires_at is not None and math.isfinite(token_set.expires_at):
            result["access_token_expires_at"] = int(token_set.expires_at)
    return result


# -- the session record: what the last sign-on proved, and its token set ------------------------------


@dataclass(frozen=True)
class SignOnFacts:
    """What the session's last PingOne sign-on proved: the alias, the policy (``acr``), the methods
    (``amr``) and when the user last authenticated (``auth_time``, None when the ID token did not say)."""

    alias: str
    acr: str | None
    amr: tuple[str, ...]
    auth_time: float | None


@sensitive_variables("tokens", "record")
def store(
    session: SessionBase,
    config: AliasConfig,
    tokens: TokenResponse,
    claims: dict[str, Any] | None = None,
    *,
    set_id: str | None = None,
) -> None:
    claims = claims or {}
    acr, amr, auth_time = claims.get("acr"), claims.get("amr"), claims.get("auth_time")
    record: dict[str, Any] = {
        "alias": config.alias,
        "acr": acr if isinstance(acr, str) else None,
        "amr": [m for m in amr if isinstance(m, str)] if isinstance(amr, list) else [],
        "auth_time": auth_time if _is_time(auth_time) else None,
    }
    # The tokens themselves, encrypted (``token_store``): the ID token always, the others with STORE_TOKENS.
    record.update(
        new_record_fields(
            config,
            subject=str(claims.get("sub", "")),
            id_token=tokens.id_token,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_in=tokens.expires_in,
            set_id=set_id,
        )
    )
    session[SESSION_KEY] = record


def get_tokens(session: SessionBase) -> dict[str, Any]:
    """What the last sign-on in this session left: ``alias``, ``id_token`` and, if stored, the others
    (decrypted; as this request loaded them: ``get_access_token`` gives a fresh access token)."""
    record = session.get(SESSION_KEY)
    return readable(record) if isinstance(record, dict) else {}


def token_cache_key(session: SessionBase) -> str:
    """The cache key of the session's token set (a hash; ``session_index`` drops it with the session)."""
    record = session.get(SESSION_KEY)
    set_id = record.get("token_set") if isinstance(record, dict) else None
    return cache_key(set_id) if isinstance(set_id, str) else ""


def _is_time(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def get_sign_on_facts(session: SessionBase) -> SignOnFacts | None:
    """The facts of this session's last PingOne sign-on, or None when it has none (or an unreadable one)."""
    record = session.get(SESSION_KEY)
    if not isinstance(record, dict) or not isinstance(record.get("alias"), str):
        return None
    acr, amr, auth_time = record.get("acr"), record.get("amr"), record.get("auth_time")
    return SignOnFacts(
        alias=record["alias"],
        acr=acr if isinstance(acr, str) else None,
        amr=tuple(m for m in amr if isinstance(m, str)) if isinstance(amr, list) else (),
        auth_time=float(auth_time) if isinstance(auth_time, (int, float)) and _is_time(auth_time) else None,
    )
