"""ID token validation: OpenID Connect Core §3.1.3.7, one check after another.

``signed_jwt`` verifies the signature and the registered claims; what it does not cover (exact issuer, every
audience trusted, ``azp``, ``nonce``, ``at_hash``, ``auth_time`` against ``max_age`` and ``prompt=login``,
``acr`` against the ``acr_values`` asked, the age of ``iat``) is checked here. The accepted algorithms come
from settings, never from the token.
"""

from __future__ import annotations

import base64
import logging
import math
import time
from typing import Any

import jwt
from django.utils.crypto import constant_time_compare
from jwt.algorithms import get_default_algorithms

from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.errors import TokenValidationError
from django_pingone_authorize.oidc import signed_jwt
from django_pingone_authorize.provider import signing_keys
from django_pingone_authorize.provider.discovery import ProviderMetadata

logger = logging.getLogger(__name__)

MAX_TOKEN_LENGTH = 16384


REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat")


def _now() -> float:
    return time.time()


def signing_key(config: AliasConfig, metadata: ProviderMetadata, kid: str | None, algorithm: str) -> jwt.PyJWK:
    """The issuer's key for an ID token's ``kid``. The token came from PingOne's token endpoint over TLS, so an
    unknown kid is PingOne rotating its keys: fetched at once, whatever tokens from others asked before."""
    return signing_keys.signing_key(config, metadata, kid, algorithm, fresh=True)


def _key(config: AliasConfig, metadata: ProviderMetadata, kid: str | None, algorithm: str) -> jwt.PyJWK:
    return signing_key(config, metadata, kid, algorithm)  # the module's name, looked up when called


def token_hash(value: str, algorithm: str) -> str:
    """``at_hash``/``c_hash``: left half of the hash of the ASCII value, base64url without padding."""
    digest = get_default_algorithms()[algorithm].compute_hash_digest(value.encode("ascii"))
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def validate_id_token(
    config: AliasConfig,
    metadata: ProviderMetadata,
    id_token: str,
    *,
    nonce: str | None,
    access_token: str | None = None,
    max_age: int | None = None,
    acr_values: tuple[str, ...] = (),
    login_since: float | None = None,
) -> dict[str, Any]:
    """Verify ``id_token`` and return its claims; raise ``TokenValidationError`` naming the failed check.

    ``max_age``, ``acr_values`` and ``login_since`` are what the sign-on asked (``PendingSignOn``): the
    authentication must be that recent, by one of those policies, and (``prompt=login``, ``login_since``
    = when the sign-on started) must have happened during this sign-on.
    """
    try:
        header = signed_jwt.unverified_header(id_token, MAX_TOKEN_LENGTH)
        # From PingOne's token endpoint, over TLS: an unknown kid is PingOne rotating its keys.
        claims = signed_jwt.decode(config, metadata, id_token, header, require=REQUIRED_CLAIMS, key_source=_key)
    except signed_jwt.JWTRefused as refused:
        raise TokenValidationError(f"id_token_{refused.reason}") from None
    algorithm = signed_jwt.algorithm_of(header)

    if not isinstance(claims.get("iss"), str) or not constant_time_compare(claims["iss"], metadata.issuer):
        raise TokenValidationError("id_token_bad_issuer")

    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
        raise TokenValidationError("id_token_bad_audience")
    if config.CLIENT_ID not in audiences:
        raise TokenValidationError("id_token_bad_audience")
    trusted = {config.CLIENT_ID, *config.TRUSTED_AUDIENCES}
    if any(a not in trusted for a in audiences):
        raise TokenValidationError("id_token_untrusted_audience")
    azp = claims.get("azp")
    if (azp is not None or len(audiences) > 1) and azp != config.CLIENT_ID:
        raise TokenValidationError("id_token_bad_azp")

    now = _now()
    iat = claims["iat"]
    if not isinstance(iat, (int, float)) or isinstance(iat, bool):
        raise TokenValidationError("id_token_invalid")
    if iat < now - config.ID_TOKEN_MAX_AGE - config.LEEWAY:
        raise TokenValidationError("id_token_too_old")
    if iat > now + config.LEEWAY:
        raise TokenValidationError("id_token_not_yet_valid")

    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 255:
        raise TokenValidationError("id_token_bad_subject")

    # ``nonce=None``: a refreshed ID token (OIDC Core §12.2), which has no nonce to expect.
    token_nonce = claims.get("nonce")
    if nonce is not None and (not isinstance(token_nonce, str) or not constant_time_compare(token_nonce, nonce)):
        raise TokenValidationError("id_token_bad_nonce")

    if max_age is not None or login_since is not None:
        auth_time = claims.get("auth_time")
        if not isinstance(auth_time, (int, float)) or isinstance(auth_time, bool) or not math.isfinite(auth_time):
            # JSON parsers read NaN and Infinity as floats; NaN compares false and would pass any bound.
            raise TokenValidationError("id_token_missing_auth_time")
        if max_age is not None and auth_time < now - max_age - config.LEEWAY:
            raise TokenValidationError("id_token_auth_too_old")
        if login_since is not None and auth_time < login_since - config.LEEWAY:
            # prompt=login (OIDC Core §3.1.2.1): the user must have authenticated again, during this sign-on.
            raise TokenValidationError("id_token_auth_not_fresh")

    if acr_values:
        # OIDC Core §3.1.2.1 makes acr_values a voluntary claim; a site that asked for a sign-on policy
        # relies on it, so the answer must name one of the policies asked (PingOne: the policy's name, or
        # the DaVinci policy ID).
        acr = claims.get("acr")
        if acr is None:
            raise TokenValidationError("id_token_missing_acr")
        if not isinstance(acr, str) or acr not in acr_values:
            raise TokenValidationError("id_token_bad_acr")

    at_hash = claims.get("at_hash")
    if (
        at_hash is not None
        and access_token is not None
        and not (isinstance(at_hash, str) and constant_time_compare(at_hash, token_hash(access_token, algorithm)))
    ):
        raise TokenValidationError("id_token_bad_at_hash")
    return claims
