"""Back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0, §2.4 and §2.6), checked one after another.

A logout token is a JWT the provider POSTs to ``pingone:backchannel_logout``. It is validated like an ID token
(signature with a key from the issuer's JWKS, an algorithm from ``ID_TOKEN_ALGORITHMS``, exact ``iss``, ``aud``
holding ``CLIENT_ID``, ``iat`` present and recent, ``exp`` when present), and then as a logout token: ``events``
holds the back-channel logout event (as a JSON object), ``sid`` and/or ``sub`` are there, there is no ``nonce``
(so an ID token can never pass for one), and its ``jti`` is used once (remembered in the cache while the token
could be accepted).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

import jwt
from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import constant_time_compare
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import AliasConfig, aliases, get_alias
from django_pingone_authorize.oidc import signed_jwt
from django_pingone_authorize.provider import shared_cache
from django_pingone_authorize.provider.discovery import get_metadata

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
MAX_LOGOUT_TOKEN_LENGTH = 16384
MAX_AGE = 600  # seconds: the oldest ``iat`` accepted (a logout token is sent at once)


class LogoutTokenError(Exception):
    """The logout token fails a check; ``reason`` names it (logged, and sent as ``error_description``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LogoutRequest:
    alias: str
    issuer: str
    subject: str | None
    sid: str | None


# The shared decode's reasons, as logout tokens have always named them.
_LOGOUT_REASONS = {"unknown_key": "logout_token_bad_signature", "not_yet_valid": "logout_token_invalid"}


REQUIRED_CLAIMS = ("iss", "aud", "iat", "jti", "events")


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(token, str) or not token or len(token) > MAX_LOGOUT_TOKEN_LENGTH or token.count(".") != 2:
        raise LogoutTokenError("logout_token_malformed")
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise LogoutTokenError("logout_token_malformed") from None
    return header, claims


def _aliases_for(issuer: object) -> list[AliasConfig]:
    """The aliases with ``CHANNEL_LOGOUT`` whose issuer is the token's (its own claim: only a lookup, verified
    below)."""
    found = []
    for name in aliases():
        try:
            config = get_alias(name)
        except ImproperlyConfigured:
            continue
        if config.CHANNEL_LOGOUT and isinstance(issuer, str) and config.issuer == issuer:
            found.append(config)
    return found


@sensitive_variables("token")
def validate_logout_token(token: str) -> LogoutRequest:
    """The logout a valid token asks for; ``LogoutTokenError`` otherwise (``ProviderError`` when the keys cannot
    be fetched)."""
    _, unverified = _unverified(token)
    candidates = _aliases_for(unverified.get("iss"))
    if not candidates:
        raise LogoutTokenError("logout_token_unknown_issuer")
    audience = unverified.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list):
        raise LogoutTokenError("logout_token_bad_audience")
    for config in candidates:
        if config.CLIENT_ID in audiences:
            return _validate_for(config, token)
    raise LogoutTokenError("logout_token_bad_audience")


@sensitive_variables("token")
def _validate_for(config: AliasConfig, token: str) -> LogoutRequest:
    header, _ = _unverified(token)
    metadata = get_metadata(config)
    try:
        claims = signed_jwt.decode(config, metadata, token, header, require=REQUIRED_CLAIMS)
    except signed_jwt.JWTRefused as refused:
        raise LogoutTokenError(_LOGOUT_REASONS.get(refused.reason, f"logout_token_{refused.reason}")) from None

    if not isinstance(claims.get("iss"), str) or not constant_time_compare(claims["iss"], metadata.issuer):
        raise LogoutTokenError("logout_token_bad_issuer")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or config.CLIENT_ID not in audiences:
        raise LogoutTokenError("logout_token_bad_audience")
    now = time.time()
    iat = claims.get("iat")
    if not isinstance(iat, (int, float)) or isinstance(iat, bool):
        raise LogoutTokenError("logout_token_invalid")
    if iat > now + config.LEEWAY or iat < now - MAX_AGE - config.LEEWAY:
        raise LogoutTokenError("logout_token_stale")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
        raise LogoutTokenError("logout_token_bad_events")
    if "nonce" in claims:
        raise LogoutTokenError("logout_token_has_nonce")  # §2.4: an ID token is not a logout token
    sub, sid = claims.get("sub"), claims.get("sid")
    if sub is not None and (not isinstance(sub, str) or not sub):
        raise LogoutTokenError("logout_token_bad_subject")
    if sid is not None and (not isinstance(sid, str) or not sid):
        raise LogoutTokenError("logout_token_bad_sid")
    if sub is None and sid is None:
        raise LogoutTokenError("logout_token_no_subject_or_sid")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > 512:
        raise LogoutTokenError("logout_token_bad_jti")
    _use_jti_once(config, metadata.issuer, jti)
    return LogoutRequest(alias=config.alias, issuer=metadata.issuer, subject=sub, sid=sid)


def _use_jti_once(config: AliasConfig, issuer: str, jti: str) -> None:
    """§2.6 step 7 (optional, done): a replayed logout token is refused while it could still be accepted."""
    digest = hashlib.sha256(f"{issuer}\n{jti}".encode()).hexdigest()[:40]
    added = shared_cache.add(config.CACHE, f"pingone:logout-jti:{digest}", True, MAX_AGE + 2 * config.LEEWAY)
    if added is False:
        raise LogoutTokenError("logout_token_replayed")
    if added is None:
        # The cache cannot say whether this token was used before: refused (fail closed). The provider sends
        # it again later (OpenID Back-Channel Logout §2.8), by when the cache may answer.
        raise LogoutTokenError("logout_token_replay_unchecked")
