"""The one signed-JWT decode every token type goes through: ID tokens (``id_token.py``), logout tokens
(``logout_token.py``) and access tokens (``api/access_tokens.py``).

The header is read (compact form only: an encrypted, 5-part token is refused), the algorithm must be one the
caller allows (never taken from the token, never ``none``), ``kid`` a string when present, no ``crit``; the key
is the client secret for HS* (when the caller allows HS* at all) or the issuer's key for ``kid``
(``signing_keys``; an ID token, which came from PingOne's token endpoint, asks with ``fresh=True``: an unknown
``kid`` is a key rotation and the keys are fetched again at once); PyJWT then checks the signature, the
required claims and ``exp``/``nbf`` with ``LEEWAY``. Issuer and audience are the caller's (each token type has
its own rules).

Every refusal is a ``JWTRefused`` with a short reason (``malformed``, ``bad_algorithm``, ``unknown_key``,
``expired``, ``not_yet_valid``, ``bad_signature``, ``missing_<claim>``, ``invalid``) that each caller turns
into its own error; ``ProviderError`` (the keys could not be fetched) is passed on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import jwt

from django_pingone_authorize.conf import HMAC_ALGORITHMS, AliasConfig
from django_pingone_authorize.errors import TokenValidationError
from django_pingone_authorize.provider.discovery import ProviderMetadata
from django_pingone_authorize.provider.signing_keys import signing_key

# Finds the issuer's key: (config, metadata, kid, algorithm) -> key.
KeySource = Callable[[AliasConfig, ProviderMetadata, str | None, str], jwt.PyJWK]


# A compact JWS: three base64url segments (PyJWT accepts their "=" padding), so exactly two dots.
_COMPACT = re.compile(r"[A-Za-z0-9_\-=]+\.[A-Za-z0-9_\-=]*\.[A-Za-z0-9_\-=]*")


class JWTRefused(Exception):
    """A token that cannot be accepted; ``reason`` is one of the module doc's."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def unverified_header(token: str, max_length: int) -> dict[str, Any]:
    """The token's header, unverified; ``missing`` for an empty or too long token, ``malformed`` otherwise."""
    if not isinstance(token, str) or not token or len(token) > max_length:
        raise JWTRefused("missing")
    if not _COMPACT.fullmatch(token):
        raise JWTRefused("malformed")  # also refuses encrypted (5-part) tokens
    try:
        # The header segment alone: PyJWT checks each character of each segment it is given in Python, one by
        # one, and ``decode`` reads (and checks) the whole token again.
        header = jwt.get_unverified_header(token.partition(".")[0] + "..")
    except jwt.PyJWTError:
        raise JWTRefused("malformed") from None
    return header


def decode(
    config: AliasConfig,
    metadata: ProviderMetadata,
    token: str,
    header: dict[str, Any],
    *,
    require: Sequence[str],
    algorithms: Sequence[str] | None = None,
    key_source: KeySource = signing_key,
) -> dict[str, Any]:
    """The verified claims of ``token`` (whose ``header`` the caller read with ``unverified_header``), signed
    with one of ``algorithms`` (default: the alias's ``ID_TOKEN_ALGORITHMS``);
    ``key_source`` finds the issuer's key for a kid (``signing_keys.signing_key``, bounded as for tokens anyone
    can hand us, unless the caller knows better)."""
    if algorithms is None:
        algorithms = config.ID_TOKEN_ALGORITHMS
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in algorithms or algorithm.lower() == "none":
        raise JWTRefused("bad_algorithm")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise JWTRefused("malformed")
    if "crit" in header:
        raise JWTRefused("malformed")  # no critical extensions are understood (RFC 7515 §4.1.11)
    key: Any
    if algorithm in HMAC_ALGORITHMS:
        if not config.CLIENT_SECRET:
            raise JWTRefused("bad_algorithm")
        key = config.CLIENT_SECRET.encode()
    else:
        try:
            key = key_source(config, metadata, kid, algorithm)
        except TokenValidationError:  # no such key, even after fetching the keys again
            raise JWTRefused("unknown_key") from None
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            options={"require": list(require), "verify_aud": False, "verify_iss": False},
            leeway=config.LEEWAY,
        )
    except jwt.ExpiredSignatureError:
        raise JWTRefused("expired") from None
    except jwt.ImmatureSignatureError:
        raise JWTRefused("not_yet_valid") from None
    except jwt.InvalidSignatureError:
        raise JWTRefused("bad_signature") from None
    except jwt.MissingRequiredClaimError as exc:
        raise JWTRefused(f"missing_{exc.claim}") from None
    except (jwt.PyJWTError, ValueError, TypeError, RecursionError):
        raise JWTRefused("invalid") from None
    return claims


def algorithm_of(header: dict[str, Any]) -> str:
    """The header's ``alg`` (after ``decode`` accepted it)."""
    return str(header.get("alg"))
