"""RFC 7662 introspection of bearer tokens at PingOne (``API_INTROSPECT``), bounded so that anonymous callers
cannot drive it.

* The resource authenticates as PingOne's resource settings say (``introspectEndpointAuthMethod``):
  ``API_INTROSPECTION_AUTH_METHOD`` (``client_secret_basic``, ``client_secret_post``, ``client_secret_jwt``,
  ``private_key_jwt`` or ``none``), with ``API_CLIENT_ID``/``API_CLIENT_SECRET`` (default: the application's).
* What cannot be a PingOne token is refused without a call: a JWT (PingOne's access tokens are RS256 JWTs)
  whose header or payload does not parse, whose algorithm is not accepted, whose ``iss`` is not the issuer,
  whose ``aud`` is not this API or whose ``exp`` has passed; an opaque token shorter than ``MIN_OPAQUE_LENGTH``.
* Misses (tokens not in the cache, each a client-authenticated call) are capped like the JWKS refetch: at most
  ``MAX_CALLS`` per ``WINDOW`` seconds per issuer, counted in this process and, through Django's cache, by every
  worker together; past the cap a token is answered 503 ``temporarily_unavailable`` without a call.
* Answers are kept in Django's cache under a SHA-256 of the token (never the token), no longer than the token
  lives and never longer than ``API_INTROSPECTION_MAX_CACHE``. The call does not count towards the circuit
  breaker: the visitor shapes what is sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import math
import threading
import time
from collections import deque
from dataclasses import replace
from typing import Any

from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.provider import shared_cache
from django_pingone_authorize.provider.discovery import ProviderMetadata
from django_pingone_authorize.provider.token_endpoint import post_authenticated

logger = logging.getLogger(__name__)

MAX_CALLS = 20  # introspection calls per WINDOW and issuer, every worker together (and each process alone)
WINDOW = 10.0  # seconds
MIN_OPAQUE_LENGTH = 16  # an opaque token shorter than this is no token PingOne issued


class IntrospectionRefused(Exception):
    """Refused without a call: ``description`` says why (safe to send back)."""


class IntrospectionBusy(Exception):
    """Too many introspection calls just now: refused without a call."""


_calls: dict[str, deque[float]] = {}
_calls_lock = threading.Lock()


def introspection_endpoint(config: AliasConfig, metadata: ProviderMetadata) -> str:
    """The discovery document's ``introspection_endpoint``, or PingOne's ``{issuer}/introspect``."""
    return metadata.introspection_endpoint or f"{metadata.issuer}/introspect"


def auth_method(config: AliasConfig) -> str:
    """How the resource authenticates at introspection: ``API_INTROSPECTION_AUTH_METHOD``, else
    ``client_secret_basic`` with the resource's own ``API_CLIENT_ID``, else the application's method."""
    if config.API_INTROSPECTION_AUTH_METHOD:
        return config.API_INTROSPECTION_AUTH_METHOD
    return "client_secret_basic" if config.API_CLIENT_ID else config.TOKEN_ENDPOINT_AUTH_METHOD


def credentials(config: AliasConfig) -> AliasConfig:
    """The alias as it authenticates at introspection (``auth_method``, the resource's own credentials)."""
    method = auth_method(config)
    if not config.API_CLIENT_ID and method == config.TOKEN_ENDPOINT_AUTH_METHOD:
        return config
    algorithm = config.TOKEN_ENDPOINT_AUTH_ALGORITHM if method == config.TOKEN_ENDPOINT_AUTH_METHOD else None
    return replace(
        config,
        CLIENT_ID=config.API_CLIENT_ID or config.CLIENT_ID,
        CLIENT_SECRET=config.API_CLIENT_SECRET if config.API_CLIENT_ID else config.CLIENT_SECRET,
        TOKEN_ENDPOINT_AUTH_METHOD=method,
        TOKEN_ENDPOINT_AUTH_ALGORITHM=algorithm,
    )


def _segment(part: str) -> Any:
    padded = part + "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


@sensitive_variables("token")
def precheck(config: AliasConfig, metadata: ProviderMetadata, token: str, algorithms: tuple[str, ...]) -> None:
    """Raise ``IntrospectionRefused`` for what cannot be a PingOne access token for this API (no call made)."""
    if token.count(".") != 2:
        if len(token) < MIN_OPAQUE_LENGTH or "." in token:
            raise IntrospectionRefused("The access token is malformed.")
        return
    head, body, _signature = token.split(".")
    try:
        header, claims = _segment(head), _segment(body)
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise IntrospectionRefused("The access token is malformed.") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise IntrospectionRefused("The access token is malformed.")
    if header.get("alg") not in algorithms:
        raise IntrospectionRefused("The access token's algorithm is not accepted.")
    if claims.get("iss") != metadata.issuer:
        raise IntrospectionRefused("The access token is from another issuer.")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or not any(isinstance(a, str) and a in config.API_AUDIENCE for a in audiences):
        raise IntrospectionRefused("The access token is not meant for this API.")
    expires = claims.get("exp")
    if isinstance(expires, (int, float)) and not isinstance(expires, bool) and expires < time.time() - config.LEEWAY:
        raise IntrospectionRefused("The access token has expired.")


def _within_cap(config: AliasConfig, issuer: str) -> bool:
    """Count one call against the cap (this process's, then every worker's); whether it may go out."""
    now = time.monotonic()
    with _calls_lock:
        recent = _calls.setdefault(issuer, deque())
        while recent and now - recent[0] >= WINDOW:
            recent.popleft()
        if len(recent) >= MAX_CALLS:
            return False
        recent.append(now)
    window = int(time.time() // WINDOW)
    key = shared_cache.cache_key("token-check-calls", f"{issuer} {window}")
    added = shared_cache.add(config.CACHE, key, 1, WINDOW + 1)
    if added is not False:
        return True  # the first call of the window, or the cache cannot answer (this process's cap decided)
    try:
        return int(shared_cache.backend(config.CACHE).incr(key)) <= MAX_CALLS
    except Exception:  # expired meanwhile, or the backend failed: this process's cap decided
        return True


def cache_key(config: AliasConfig, token: str) -> str:
    credentials_id = config.API_CLIENT_ID or config.CLIENT_ID
    digest = hashlib.sha256(f"{config.issuer}\n{credentials_id}\n{token}".encode()).hexdigest()
    return f"pingone:introspection:{digest}"


@sensitive_variables("token")
def introspect(
    config: AliasConfig, metadata: ProviderMetadata, token: str, algorithms: tuple[str, ...]
) -> dict[str, Any]:
    """PingOne's answer about ``token`` (from the cache when known); ``IntrospectionRefused`` or
    ``IntrospectionBusy`` without a call; ``ProviderError`` when PingOne could not answer."""
    key = cache_key(config, token)
    answer = shared_cache.get(config.CACHE, key)
    if isinstance(answer, dict):
        return answer
    precheck(config, metadata, token, algorithms)
    if not _within_cap(config, metadata.issuer):
        logger.warning(
            "PingOne introspection capped for alias %s: over %d calls in %.0f s", config.alias, MAX_CALLS, WINDOW
        )
        raise IntrospectionBusy()
    endpoint = introspection_endpoint(config, metadata)
    answer = post_authenticated(
        credentials(config),
        endpoint,
        {"token": token, "token_type_hint": "access_token"},
        what="token introspection",
        counted=False,
    )
    _remember(config, key, answer)
    return answer


def _remember(config: AliasConfig, key: str, answer: dict[str, Any]) -> None:
    """Cache the answer no longer than the token lives and never past ``API_INTROSPECTION_MAX_CACHE``."""
    lifetime = float(config.API_INTROSPECTION_MAX_CACHE)
    expires = answer.get("exp")
    if answer.get("active") is True:
        if not isinstance(expires, (int, float)) or isinstance(expires, bool) or not math.isfinite(expires):
            return  # no known end: ask again next time
        lifetime = min(lifetime, expires - time.time())
    # An inactive token stays inactive: keeping that answer spares PingOne a repeated question.
    if lifetime >= 1:
        shared_cache.set(config.CACHE, key, answer, math.floor(lifetime))


def reset_caches() -> None:
    """Forget this process's count of calls."""
    with _calls_lock:
        _calls.clear()
