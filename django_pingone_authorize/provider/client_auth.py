"""Client authentication at PingOne's token and PAR endpoints, one function per method:
``client_secret_basic``, ``client_secret_post``, ``client_secret_jwt``, ``private_key_jwt`` and ``none``.
"""

from __future__ import annotations

import base64
import functools
import secrets
import time
from urllib.parse import quote_plus

import jwt
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import AliasConfig


@functools.lru_cache(maxsize=8)
def load_private_key(pem: str) -> RSAPrivateKey | EllipticCurvePrivateKey:
    """``PRIVATE_KEY`` parsed, once per process (the checks, client assertions and request objects share it).

    Raises ``ValueError``/``TypeError`` when it is not an unencrypted PEM private key, RSA or EC (RS*/PS*/ES*).
    """
    key = load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, (RSAPrivateKey, EllipticCurvePrivateKey)):
        raise TypeError(f"PRIVATE_KEY is a {type(key).__name__}, not an RSA or EC key.")
    return key


# The client's secret, its private key and what they sign stay out of error reports (and so do the frames
# below these functions).
@sensitive_variables()
def _basic(config: AliasConfig) -> str:
    # RFC 6749 §2.3.1: the id and the secret are form-urlencoded before they are joined and base64-encoded.
    raw = f"{quote_plus(config.CLIENT_ID)}:{quote_plus(config.CLIENT_SECRET)}"
    return "Basic " + base64.b64encode(raw.encode()).decode("ascii")


@sensitive_variables()
def client_assertion(config: AliasConfig, audience: str) -> str:
    """A short-lived, single-use JWT for ``client_secret_jwt``/``private_key_jwt``."""
    now = int(time.time())
    claims = {
        "iss": config.CLIENT_ID,
        "sub": config.CLIENT_ID,
        "aud": audience,
        "iat": now,
        "exp": now + 60,
        "jti": secrets.token_urlsafe(24),
    }
    algorithm = config.token_auth_algorithm
    if config.TOKEN_ENDPOINT_AUTH_METHOD == "client_secret_jwt":
        return jwt.encode(claims, config.CLIENT_SECRET, algorithm=algorithm)
    headers = {"kid": config.PRIVATE_KEY_ID} if config.PRIVATE_KEY_ID else None
    return jwt.encode(claims, load_private_key(config.PRIVATE_KEY or ""), algorithm=algorithm, headers=headers)


@sensitive_variables()
def authenticate(config: AliasConfig, data: dict[str, str], headers: dict[str, str], *, audience: str) -> None:
    """Add the client's credentials to a token/PAR request's form ``data`` and ``headers``."""
    method = config.TOKEN_ENDPOINT_AUTH_METHOD
    if method == "client_secret_basic":
        headers["Authorization"] = _basic(config)
    elif method == "client_secret_post":
        data["client_id"] = config.CLIENT_ID
        data["client_secret"] = config.CLIENT_SECRET
    elif method in ("client_secret_jwt", "private_key_jwt"):
        data["client_id"] = config.CLIENT_ID
        data["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        data["client_assertion"] = client_assertion(config, audience)
    else:  # "none": a public client, protected by PKCE
        data["client_id"] = config.CLIENT_ID
