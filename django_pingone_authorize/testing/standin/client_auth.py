"""Client authentication at the back-channel endpoints (token, PAR, introspection, revocation).

RFC 6749 2.3 and RFC 7523, by the one method the application is set to: ``client_secret_basic``,
``client_secret_post``, ``client_secret_jwt``, ``private_key_jwt`` or ``none``. Also checks the signature of
JWTs a client signs (assertions, request objects).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from urllib.parse import unquote_plus

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..jose import (
    EC_ALGORITHMS,
    HMAC_ALGORITHMS,
    RSA_ALGORITHMS,
    InvalidJWT,
    ParsedJWS,
    load_public_jwk,
    parse_jws,
    verify_ec,
    verify_hmac,
    verify_rsa,
)
from ..records import Client
from ..server import Request
from .environment import Environment
from .protocol import LEEWAY, OAuthError, audience_ok, is_number, same_secret

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: Form parameters that authenticate the client rather than say what it asks for.
CLIENT_AUTH_PARAMS = frozenset({"client_secret", "client_assertion", "client_assertion_type"})
ASSERTION_MAX_LIFETIME = 3600


def verify_client_signature(client: Client, parsed: ParsedJWS, *, elliptic: bool = False) -> None:
    """HS* with the client secret or RS* with the client's public key (PingOne's request objects); with
    ``elliptic`` (private_key_jwt client assertions) ES* with the client's EC key too. Raises ``InvalidJWT``."""
    if parsed.alg in HMAC_ALGORITHMS:
        if not client.client_secret:
            raise InvalidJWT("the application has no secret to check an HMAC signature with")
        verify_hmac(parsed, client.client_secret)
    elif parsed.alg in RSA_ALGORITHMS or (elliptic and parsed.alg in EC_ALGORITHMS):
        if client.public_jwk is None:
            raise InvalidJWT("the application has no public key to check a signature with")
        try:
            key = load_public_jwk(client.public_jwk)
        except ValueError as exc:
            raise InvalidJWT(str(exc)) from exc
        if isinstance(key, rsa.RSAPublicKey) and parsed.alg in RSA_ALGORITHMS:
            verify_rsa(parsed, key)
        elif isinstance(key, ec.EllipticCurvePublicKey) and parsed.alg in EC_ALGORITHMS:
            verify_ec(parsed, key)
        else:
            raise InvalidJWT(f"alg {parsed.alg!r} does not fit the application's key")
    else:
        raise InvalidJWT(f"alg {parsed.alg!r} is not accepted")


def authenticate_client(env: Environment, request: Request, form: Mapping[str, str], endpoint: str) -> Client:
    """The application the request comes from, authenticated; ``OAuthError`` otherwise. ``endpoint``: the URL
    called, which a client assertion's ``aud`` may name."""
    header = request.headers.get("Authorization")
    has_assertion = "client_assertion" in form or "client_assertion_type" in form
    if sum((header is not None, has_assertion, "client_secret" in form)) > 1:
        raise OAuthError("invalid_request", "Use exactly one client authentication method.")
    if header is not None:
        return _basic_client(env, header, form)
    if has_assertion:
        return _assertion_client(env, form, endpoint)
    client = _known_client(env, form.get("client_id"))
    if "client_secret" in form:
        _require_method(client, "client_secret_post")
        if not same_secret(form["client_secret"], client.client_secret):
            raise OAuthError("invalid_client", "Client authentication failed.", 401)
        return client
    _require_method(client, "none")
    return client


def _known_client(env: Environment, client_id: object) -> Client:
    client = env.clients.get(client_id) if isinstance(client_id, str) and client_id else None
    if client is None:
        raise OAuthError("invalid_client", "Client authentication failed: unknown client.", 401)
    return client


def _require_method(client: Client, method: str) -> None:
    if client.token_endpoint_auth_method != method:
        raise OAuthError(
            "invalid_client",
            f"The application authenticates with {client.token_endpoint_auth_method}, not {method}.",
            401,
        )


def _basic_client(env: Environment, header: str, form: Mapping[str, str]) -> Client:
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise OAuthError("invalid_request", "The Authorization header must use the Basic scheme here.")
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise OAuthError("invalid_request", "The Basic credentials are not base64.") from exc
    raw_id, colon, raw_secret = decoded.partition(":")
    if not colon:
        raise OAuthError("invalid_request", "The Basic credentials have no colon.")
    # RFC 6749 2.3.1: the id and secret are form-urlencoded before they are joined and base64-encoded.
    client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
    if form.get("client_id", client_id) != client_id:
        raise OAuthError("invalid_request", "client_id differs from the Basic credentials.")
    client = _known_client(env, client_id)
    _require_method(client, "client_secret_basic")
    if not same_secret(secret, client.client_secret):
        raise OAuthError(
            "invalid_client", "Client authentication failed.", 401, [("WWW-Authenticate", 'Basic realm="PingOne"')]
        )
    return client


def _assertion_client(env: Environment, form: Mapping[str, str], endpoint: str) -> Client:
    if form.get("client_assertion_type") != JWT_BEARER:
        raise OAuthError("invalid_request", f"client_assertion_type must be {JWT_BEARER}.")
    try:
        parsed = parse_jws(form.get("client_assertion", ""))
    except InvalidJWT as exc:
        raise OAuthError("invalid_request", f"client_assertion: {exc}.") from exc

    def failed(reason: str) -> OAuthError:
        return OAuthError("invalid_client", f"Client authentication failed: {reason}.", 401)

    claims = parsed.claims
    client = _known_client(env, claims.get("iss"))
    if form.get("client_id", client.client_id) != client.client_id:
        raise failed("client_id differs from the assertion's iss")
    if parsed.alg in HMAC_ALGORITHMS:
        _require_method(client, "client_secret_jwt")
    elif parsed.alg in RSA_ALGORITHMS or parsed.alg in EC_ALGORITHMS:
        _require_method(client, "private_key_jwt")  # PingOne: RS* and ES*
    else:
        raise failed(f"alg {parsed.alg!r} is not accepted")
    try:
        verify_client_signature(client, parsed, elliptic=True)
    except InvalidJWT as exc:
        raise failed(str(exc)) from exc
    if claims.get("sub") != client.client_id:
        raise failed("sub must be the client_id")
    if not audience_ok(claims.get("aud"), {env.issuer, env.token_endpoint, endpoint}):
        raise failed("aud must be the token endpoint or the issuer")
    now = env.clock()
    expires = claims.get("exp")
    if not isinstance(expires, (int, float)) or isinstance(expires, bool):
        raise failed("exp is missing")
    if expires < now - LEEWAY:
        raise failed("the assertion has expired")
    if expires > now + ASSERTION_MAX_LIFETIME + LEEWAY:
        raise failed("exp is more than an hour ahead")
    if "nbf" in claims and (not is_number(claims["nbf"]) or claims["nbf"] > now + LEEWAY):
        raise failed("the assertion is not valid yet")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise failed("jti is missing")
    for seen in [key for key, until in env.assertion_ids.items() if until < now - LEEWAY]:
        del env.assertion_ids[seen]
    if (client.client_id, jti) in env.assertion_ids:
        raise failed("the assertion's jti was used before")
    env.assertion_ids[(client.client_id, jti)] = float(expires)
    return client
