"""Access tokens that PingOne issued for your API: the one validator that DRF, django-ninja, the middleware and
the decorator are thin over.

A JWT access token (PingOne's format) is checked here, with the signing keys the app already caches
(``signing_keys.py``), so a steady-state request makes no outbound call: RFC 9068 ``typ`` (``API_REQUIRE_TYP``:
by default required once the issuer has shown it), a signature by one of the
alias's asymmetric ``ID_TOKEN_ALGORITHMS`` (never HS*, whose key would be the client secret, never ``none``),
exact ``iss``, ``aud`` holding ``API_AUDIENCE``, ``exp``/``nbf``/``iat`` with ``LEEWAY``; a token that passed is
remembered by the process for at most ``MEMO_SECONDS`` (never past its ``exp``). With
``API_INTROSPECT`` (every token, or ``"opaque"``: only tokens that are not JWTs) the token is sent to the
issuer's RFC 7662 introspection endpoint instead (``introspection.py``: bounded, cached), and the answer, which
must be ``active``, gets the same ``iss``/``aud``/time checks.

Every failure is an ``AccessTokenError`` carrying RFC 6750's ``error`` code and a short description, safe to
send back. Nothing here logs a token.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.crypto import constant_time_compare

from django_pingone_authorize.api import introspection
from django_pingone_authorize.conf import DEFAULT_ALIAS, HMAC_ALGORITHMS, SETTING_NAME, AliasConfig, get_alias
from django_pingone_authorize.errors import ProviderError
from django_pingone_authorize.oidc import signed_jwt
from django_pingone_authorize.provider import shared_cache
from django_pingone_authorize.provider.discovery import ProviderMetadata, get_metadata

logger = logging.getLogger(__name__)

# Larger tokens are refused before anything is parsed (PingOne's are about 1 KiB).
MAX_ACCESS_TOKEN_LENGTH = 8192
# RFC 9068 §2.1; media types compare without case (RFC 2045 §5.1).
ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")
# RFC 6750 §2.1: b64token.
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")

INVALID_REQUEST = "invalid_request"
INVALID_TOKEN = "invalid_token"
INSUFFICIENT_SCOPE = "insufficient_scope"
UNAVAILABLE = "temporarily_unavailable"
_STATUS = {INVALID_REQUEST: 400, INVALID_TOKEN: 401, INSUFFICIENT_SCOPE: 403, UNAVAILABLE: 503}


def _now() -> float:
    return time.time()


class AccessTokenError(Exception):
    """A request whose bearer token cannot be accepted.

    ``error`` is RFC 6750's code (``invalid_request`` 400, ``invalid_token`` 401, ``insufficient_scope`` 403;
    ``temporarily_unavailable`` 503 when PingOne could not be asked), ``description`` a short text safe to send
    back, ``scopes`` the scopes wanted (``insufficient_scope``). ``error`` is ``""`` when the request carried no
    token at all: RFC 6750 §3.1 then wants a bare challenge without an error code.
    """

    def __init__(self, error: str, description: str, *, scopes: Iterable[str] = ()) -> None:
        super().__init__(f"{error or 'no_token'}: {description}")
        self.error = error
        self.description = description
        self.scopes = tuple(scopes)
        self.status = _STATUS.get(error, 401)

    def www_authenticate(self, realm: str = "api") -> str | None:
        """The ``WWW-Authenticate`` value (RFC 6750 §3); None for a 503, which is no challenge."""
        if self.error == UNAVAILABLE:
            return None
        parts = [f'realm="{realm}"']
        if self.error:
            parts.append(f'error="{self.error}"')
            parts.append(f'error_description="{_quotable(self.description)}"')
        if self.scopes:
            parts.append(f'scope="{_quotable(" ".join(self.scopes))}"')
        return "Bearer " + ", ".join(parts)

    def body(self) -> dict[str, str]:
        """The JSON body of the error answer (no ``error`` without credentials, as in the challenge)."""
        body = {"error": self.error, "error_description": self.description} if self.error else {}
        body.setdefault("error_description", self.description)
        if self.scopes:
            body["scope"] = " ".join(self.scopes)
        return body


def _quotable(text: str) -> str:
    # RFC 6750 §3: error_description and scope are %x20-21 / %x23-5B / %x5D-7E, no quote or backslash.
    return "".join(ch if " " <= ch <= "~" and ch not in '"\\' else "?" for ch in text)


@dataclass(frozen=True)
class AccessToken:
    """A validated PingOne access token.

    ``subject`` is ``sub`` (None when absent), ``client_id`` the application the token was issued to,
    ``is_user`` whether it was issued to a user (``sub`` present and not the client's own id: a
    client-credentials token has neither). ``claims`` are the JWT's claims or the introspection answer.
    """

    alias: str
    issuer: str
    claims: Mapping[str, Any]
    scopes: frozenset[str]
    subject: str | None
    client_id: str | None
    expires_at: float | None
    introspected: bool = False

    @property
    def is_user(self) -> bool:
        return self.subject is not None and self.subject != self.client_id

    def has_scopes(self, *scopes: str) -> bool:
        """Whether every scope named was granted."""
        return all(scope in self.scopes for scope in scopes)

    def __repr__(self) -> str:  # claims stay out of logs and error reports
        return f"<AccessToken alias={self.alias!r} client_id={self.client_id!r} scopes={sorted(self.scopes)!r}>"


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header value; None without a header or for another scheme.

    Raises ``AccessTokenError`` (``invalid_request``) for a Bearer header that is not RFC 6750 §2.1's syntax
    and (``invalid_token``) for a token over ``MAX_ACCESS_TOKEN_LENGTH``.
    """
    if authorization is None:
        return None
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    if len(rest) > MAX_ACCESS_TOKEN_LENGTH:
        raise AccessTokenError(INVALID_TOKEN, "The access token is too large.")
    token = rest.strip()
    if not token:
        raise AccessTokenError(INVALID_REQUEST, "The Bearer authorization has no token.")
    if not _B64TOKEN.fullmatch(token):
        raise AccessTokenError(INVALID_REQUEST, "The Bearer token is malformed.")
    return token


def require_scopes(token: AccessToken, scopes: Iterable[str]) -> None:
    """Raise ``insufficient_scope`` unless the token was granted every one of ``scopes``."""
    wanted = tuple(scopes)
    if not token.has_scopes(*wanted):
        raise AccessTokenError(INSUFFICIENT_SCOPE, "The access token lacks a required scope.", scopes=wanted)


def validate_access_token(token: str, alias: str | None = None, *, scopes: Iterable[str] = ()) -> AccessToken:
    """Validate a bearer ``token`` for ``alias`` (``"default"``) and, when given, require ``scopes``.

    Raises ``AccessTokenError``; ``ImproperlyConfigured`` for an unknown alias.
    """
    config = get_alias(alias or DEFAULT_ALIAS)
    if not isinstance(token, str) or not token:
        raise AccessTokenError("", "An access token is required.")
    if len(token) > MAX_ACCESS_TOKEN_LENGTH:
        raise AccessTokenError(INVALID_TOKEN, "The access token is too large.")
    if not config.API_AUDIENCE:
        logger.error("PingOne alias %s has no API_AUDIENCE: every access token is refused", config.alias)
        raise AccessTokenError(INVALID_TOKEN, "This API accepts no access tokens.")
    try:
        looks_like_jwt = token.count(".") == 2
        if config.API_INTROSPECT is True or (config.API_INTROSPECT == "opaque" and not looks_like_jwt):
            result = _introspect(config, get_metadata(config), token)
        else:
            result = _recently_validated(config, token) or _remember_valid(
                config, token, _validate_jwt(config, get_metadata(config), token)
            )
    except ProviderError as exc:
        logger.warning("PingOne access token for alias %s not checked: %s", config.alias, exc.reason)
        raise AccessTokenError(UNAVAILABLE, "The access token cannot be checked right now.") from None
    except AccessTokenError as exc:
        logger.info("PingOne access token refused (alias %s): %s", config.alias, exc.description)
        raise
    require_scopes(result, scopes)
    return result


# -- JWTs, validated locally --------------------------------------------------------------------------------

# A token that passed is not checked again for a while in this process: a client sends the same token on many
# requests, and its signature check is most of the cost. Bounded by the token's own end and MEMO_SECONDS (so a
# signing key withdrawn from the JWKS stops being trusted within a minute); cleared when settings change.
MEMO_SECONDS = 60.0
MEMO_MAX = 4096
_memo: dict[tuple[str, str], tuple[float, AccessToken]] = {}
_memo_lock = threading.Lock()


def _recently_validated(config: AliasConfig, token: str) -> AccessToken | None:
    hit = _memo.get((config.alias, token))
    if hit is not None and hit[0] > _now():
        return hit[1]
    return None


def _remember_valid(config: AliasConfig, token: str, result: AccessToken) -> AccessToken:
    now = _now()
    until = now + MEMO_SECONDS
    if result.expires_at is not None:
        until = min(until, result.expires_at + config.LEEWAY)
    with _memo_lock:
        if len(_memo) >= MEMO_MAX:
            for key in [key for key, (end, _) in _memo.items() if end <= now]:
                del _memo[key]
            if len(_memo) >= MEMO_MAX:
                _memo.clear()
        _memo[(config.alias, token)] = (until, result)
    return result


def reset_caches() -> None:
    """Forget the tokens validated in this process, the issuers seen sending typ and the introspection calls
    counted (done whenever the settings change)."""
    with _memo_lock:
        _memo.clear()
    _typ_seen.clear()
    introspection.reset_caches()


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTING_NAME:
        reset_caches()


def accepted_algorithms(config: AliasConfig) -> tuple[str, ...]:
    """The alias's ``ID_TOKEN_ALGORITHMS`` minus HS* (keyed with a client secret: whoever holds it, the
    application included, could mint access tokens) and ``none``."""
    return tuple(a for a in config.ID_TOKEN_ALGORITHMS if a not in HMAC_ALGORITHMS and a.lower() != "none")


def _invalid(description: str) -> AccessTokenError:
    return AccessTokenError(INVALID_TOKEN, description)


# The shared decode's reasons (``oidc/signed_jwt.py``) as this module describes them to the caller.
_DESCRIPTIONS = {
    "missing": "The access token is malformed.",
    "malformed": "The access token is malformed.",
    "bad_algorithm": "The access token's algorithm is not accepted.",
    "unknown_key": "The access token was not signed by a known key.",
    "expired": "The access token has expired.",
    "not_yet_valid": "The access token is not valid yet.",
    "bad_signature": "The access token's signature does not verify.",
}


def _validate_jwt(config: AliasConfig, metadata: ProviderMetadata, token: str) -> AccessToken:
    """RFC 9068: a JWT access token, verified with the issuer's key for an allow-listed algorithm."""
    if token.count(".") != 2:
        raise _invalid("The access token is not a JWT.")  # also refuses encrypted (5-part) tokens
    try:
        header = signed_jwt.unverified_header(token, MAX_ACCESS_TOKEN_LENGTH)
    except signed_jwt.JWTRefused:
        raise _invalid("The access token is malformed.") from None
    typ = header.get("typ")
    if typ is None:
        if typ_required(config, metadata.issuer):
            raise _invalid("The access token has no typ at+jwt.")
    elif not isinstance(typ, str) or typ.lower() not in ACCESS_TOKEN_TYPES:
        raise _invalid("The token is not an access token.")  # e.g. an ID token ("JWT")
    try:
        claims = signed_jwt.decode(
            config, metadata, token, header, algorithms=accepted_algorithms(config), require=("iss", "aud", "exp")
        )
    except signed_jwt.JWTRefused as refused:
        reason = refused.reason
        if reason.startswith("missing_"):
            raise _invalid(f"The access token has no {reason.removeprefix('missing_')}.") from None
        raise _invalid(_DESCRIPTIONS.get(reason, "The access token is invalid.")) from None
    if typ is None and "nonce" in claims:
        raise _invalid("The token is not an access token.")  # an ID token, without typ to tell
    result = _checked(config, metadata, claims, introspected=False)
    if typ is not None:
        issuer_sends_typ(config, metadata.issuer)
    return result


# -- RFC 9068 typ, as PingOne sends it ----------------------------------------------------------------------

# PingOne adds ``typ: at+jwt`` only from 2 March 2027 (before that, an application setting adds it). With
# API_REQUIRE_TYP = "auto" (the default) a token without typ is accepted (an ID token is still kept out: it
# carries a nonce, and its audience is the client ID, never the API's: pingone.E067) until a valid token of
# that issuer has shown typ; from then on, in every worker (the cache) and for TYP_SEEN_TTL, typ is required.
TYP_SEEN_TTL = 90 * 24 * 3600
_typ_seen: set[str] = set()


def _typ_key(issuer: str) -> str:
    return shared_cache.cache_key("typ-seen", issuer)


def typ_required(config: AliasConfig, issuer: str) -> bool:
    """Whether a JWT access token of ``issuer`` must carry ``typ`` (``API_REQUIRE_TYP``)."""
    if config.API_REQUIRE_TYP is True or config.API_REQUIRE_TYP is False:
        return config.API_REQUIRE_TYP
    if issuer in _typ_seen:
        return True
    if shared_cache.get(config.CACHE, _typ_key(issuer)) is True:
        _typ_seen.add(issuer)
        return True
    return False


def issuer_sends_typ(config: AliasConfig, issuer: str) -> None:
    """A valid token of ``issuer`` showed typ: from now on ("auto") its tokens must all carry it."""
    if config.API_REQUIRE_TYP != "auto" or issuer in _typ_seen:
        return
    _typ_seen.add(issuer)
    shared_cache.set(config.CACHE, _typ_key(issuer), True, TYP_SEEN_TTL)
    logger.info("PingOne issuer %s sends typ at+jwt: access tokens without it are refused from now on", issuer)


def _checked(
    config: AliasConfig, metadata: ProviderMetadata, claims: Mapping[str, Any], *, introspected: bool
) -> AccessToken:
    """The checks a JWT and an introspection answer share: issuer, audience, times; then the result."""
    issuer = claims.get("iss")
    if introspected and issuer is None:
        issuer = metadata.issuer  # RFC 7662 makes iss optional; the answer came from our issuer's endpoint
    if not isinstance(issuer, str) or not constant_time_compare(issuer, metadata.issuer):
        raise _invalid("The access token is from another issuer.")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or not any(isinstance(a, str) and a in config.API_AUDIENCE for a in audiences):
        raise _invalid("The access token is not meant for this API.")
    now = _now()
    expires = _number(claims.get("exp"))
    # PyJWT checked a JWT's times already; checked again here on this module's clock (``_now``), which the
    # memo of validated tokens and an introspection answer go by.
    if expires is not None and expires < now - config.LEEWAY:
        raise _invalid("The access token has expired.")
    not_before = _number(claims.get("nbf"))
    if not_before is not None and not_before > now + config.LEEWAY:
        raise _invalid("The access token is not valid yet.")
    scope = claims.get("scope")
    if isinstance(scope, str):
        scopes = frozenset(scope.split())
    elif isinstance(scope, list):
        scopes = frozenset(s for s in scope if isinstance(s, str))
    else:
        scopes = frozenset()
    subject = claims.get("sub")
    client_id = claims.get("client_id")
    if client_id is None:
        client_id = claims.get("azp")
    return AccessToken(
        alias=config.alias,
        issuer=metadata.issuer,
        claims=dict(claims),
        scopes=scopes,
        subject=subject if isinstance(subject, str) and subject else None,
        client_id=client_id if isinstance(client_id, str) and client_id else None,
        expires_at=expires,
        introspected=introspected,
    )


def _number(value: object) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


# -- introspection (RFC 7662) -------------------------------------------------------------------------------


def _introspect(config: AliasConfig, metadata: ProviderMetadata, token: str) -> AccessToken:
    try:
        answer = introspection.introspect(config, metadata, token, accepted_algorithms(config))
    except introspection.IntrospectionRefused as refused:
        raise _invalid(str(refused)) from None
    except introspection.IntrospectionBusy:
        raise AccessTokenError(UNAVAILABLE, "The access token cannot be checked right now.") from None
    if answer.get("active") is not True:
        raise _invalid("The access token is not active.")
    token_type = answer.get("token_type")
    if isinstance(token_type, str) and token_type.lower() not in ("bearer", "access_token"):
        raise _invalid("The token is not an access token.")
    return _checked(config, metadata, answer, introspected=True)
