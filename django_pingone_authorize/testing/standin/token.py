"""The token endpoint (``/as/token``): the ``authorization_code``, ``refresh_token`` and ``client_credentials``
grants, and the ID and access tokens they issue (RFC 9068 JWTs, or opaque for a resource that wants them)."""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import jwt

from ..jose import half_hash, s256
from ..records import Client, IssuedToken, User
from ..server import Request, Response
from . import session_lifecycle
from .client_auth import authenticate_client
from .environment import Environment, Resource
from .protocol import PKCE_VALUE, OAuthError, oauth_form


def token(env: Environment, request: Request) -> Response:
    form = oauth_form(request)
    client = authenticate_client(env, request, form, env.token_endpoint)
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        body = _redeem_code(env, client, form)
    elif grant_type == "refresh_token":
        body = _redeem_refresh_token(env, client, form)
    elif grant_type == "client_credentials":
        body = _client_credentials(env, client, form)
    elif not grant_type:
        raise OAuthError("invalid_request", "grant_type is missing.")
    else:
        raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported.")
    return Response.json(200, body, [("Cache-Control", "no-store"), ("Pragma", "no-cache")])


def _redeem_code(env: Environment, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
    code = form.get("code")
    if not code:
        raise OAuthError("invalid_request", "code is missing.")
    record = env.codes.get(code)
    if record is None or record.request.client_id != client.client_id:
        raise OAuthError("invalid_grant", "The authorization code is invalid or was issued to another client.")
    if record.used:
        # RFC 6749 4.1.2: a code used twice revokes what it was first exchanged for.
        for issued in record.issued_tokens:
            env.access_tokens.pop(issued, None)
            env.refresh_tokens.pop(issued, None)
        raise OAuthError("invalid_grant", "The authorization code has already been used.")
    record.used = True
    if env.clock() > record.expires_at:
        raise OAuthError("invalid_grant", "The authorization code has expired.")
    auth_request = record.request
    if auth_request.redirect_uri is not None and form.get("redirect_uri") != auth_request.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri differs from the authorization request's.")
    verifier = form.get("code_verifier")
    if auth_request.code_challenge is not None:
        if verifier is None:
            raise OAuthError("invalid_grant", "code_verifier is missing.")
        if not PKCE_VALUE.fullmatch(verifier):
            raise OAuthError("invalid_grant", "code_verifier is not 43 to 128 unreserved characters.")
        computed = s256(verifier) if auth_request.code_challenge_method == "S256" else verifier
        if not hmac.compare_digest(computed, auth_request.code_challenge):
            raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge.")
    elif verifier is not None:
        raise OAuthError("invalid_grant", "code_verifier is given but the request had no code_challenge.")
    user = env.users.get(record.username)
    if user is None:
        raise OAuthError("invalid_grant", "The user no longer exists.")
    body, issued_tokens = _issue_tokens(
        env,
        client.client_id,
        user,
        auth_request.scopes,
        record.auth_time,
        record.amr,
        record.acr,
        record.sid,
        auth_request.nonce,
    )
    record.issued_tokens.extend(issued_tokens)
    session_lifecycle.remember(env, session_lifecycle.new_family(), issued_tokens)
    return body


def _redeem_refresh_token(env: Environment, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
    refresh_token = form.get("refresh_token")
    if not refresh_token:
        raise OAuthError("invalid_request", "refresh_token is missing.")
    if refresh_token in env.used_refresh_tokens:
        session_lifecycle.use_refresh_token(env, refresh_token)  # a replay: revokes the family, invalid_grant
    record = env.refresh_tokens.get(refresh_token)
    if record is None or record.client_id != client.client_id:
        raise OAuthError("invalid_grant", "The refresh token is invalid or was issued to another client.")
    scopes = record.scopes
    if "scope" in form:
        scopes = tuple(dict.fromkeys(form["scope"].split()))
        if not set(scopes) <= set(record.scopes) or "openid" not in scopes:
            raise OAuthError("invalid_scope", "scope must be openid and a part of the original scope.")
    user = env.users.get(record.username)
    if user is None:
        raise OAuthError("invalid_grant", "The user no longer exists.")
    # Refresh tokens rotate (single use: each answer carries the next one); a second use revokes the family.
    family = session_lifecycle.use_refresh_token(env, refresh_token)
    del env.refresh_tokens[refresh_token]
    body, issued = _issue_tokens(
        env, client.client_id, user, scopes, record.auth_time, record.amr, record.acr, record.sid, None
    )
    session_lifecycle.remember(env, family, issued)
    return body


def _issue_tokens(
    env: Environment,
    client_id: str,
    user: User,
    scopes: tuple[str, ...],
    auth_time: int,
    amr: tuple[str, ...],
    acr: str,
    sid: str,
    nonce: str | None,
) -> tuple[dict[str, Any], list[str]]:
    now = int(env.clock())
    expires = now + env.token_ttl
    resource = _resource_for(env, scopes)
    access_claims = _access_claims(env, client_id, scopes, resource, now, sub=user.sub, sid=sid)
    access_token = _access_token(env, access_claims, resource)
    record = IssuedToken(access_token, client_id, user.username, scopes, auth_time, amr, acr, sid, expires)
    env.access_tokens[access_token] = record
    env.token_claims[access_token] = access_claims
    id_claims: dict[str, Any] = user.claims_for(scopes)
    id_claims.update(
        {
            "iss": env.issuer,
            "sub": user.sub,
            "aud": client_id,
            "iat": now,
            "exp": expires,
            "auth_time": auth_time,
            "acr": acr,
            "amr": list(amr),
            "sid": sid,
            "env": env.env_id,
            "at_hash": half_hash(access_token),
        }
    )
    if nonce is not None:
        id_claims["nonce"] = nonce
    body: dict[str, Any] = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": env.token_ttl,
        "scope": " ".join(scopes),
        "id_token": env.signing_key.sign(id_claims),
    }
    issued = [access_token]
    if "offline_access" in scopes:
        refresh_token = secrets.token_urlsafe(48)
        env.refresh_tokens[refresh_token] = IssuedToken(
            refresh_token, client_id, user.username, scopes, auth_time, amr, acr, sid, None
        )
        body["refresh_token"] = refresh_token
        issued.append(refresh_token)
    return body, issued


def _resource_for(env: Environment, scopes: tuple[str, ...]) -> Resource | None:
    """The custom resource whose scopes are asked; None for OpenID Connect scopes only."""
    owners = {r.audience for r in env.resources.values() if r.scopes & set(scopes)}
    if len(owners) > 1:
        raise OAuthError("invalid_scope", "The scopes belong to more than one resource.")
    return env.resources[owners.pop()] if owners else None


def _access_claims(
    env: Environment, client_id: str, scopes: tuple[str, ...], resource: Resource | None, now: int, **user: str
) -> dict[str, Any]:
    """An access token's claims, as PingOne's carry them (``user``: the ``sub`` and ``sid`` of a user's token)."""
    return {
        "client_id": client_id,
        "iss": env.issuer,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + env.token_ttl,
        "aud": [resource.audience if resource is not None else env.issuer],
        "scope": " ".join(scopes),
        **user,
        "env": env.env_id,
    }


def _access_token(env: Environment, claims: dict[str, Any], resource: Resource | None) -> str:
    """A JWT access token with RFC 9068's ``typ`` (or the resource's), or an opaque one."""
    if resource is not None and resource.opaque:
        return secrets.token_urlsafe(32)
    typ = resource.typ if resource is not None else "at+jwt"
    headers = {"kid": env.signing_key.kid, "typ": typ}  # PyJWT sends no typ for None
    return jwt.encode(claims, env.signing_key.private_key, algorithm="RS256", headers=headers)


def _client_credentials(env: Environment, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
    """RFC 6749 4.4: a token for the application itself (no ``sub``), for a resource's scopes."""
    if client.token_endpoint_auth_method == "none":
        raise OAuthError("unauthorized_client", "A public application cannot use client_credentials.")
    scopes = tuple(dict.fromkeys(form.get("scope", "").split()))
    resource = _resource_for(env, scopes)
    if scopes and (resource is None or not set(scopes) <= resource.scopes):
        raise OAuthError("invalid_scope", "scope must name scopes of one resource.")
    now = int(env.clock())
    expires = now + env.token_ttl
    claims = _access_claims(env, client.client_id, scopes, resource, now)
    access_token = _access_token(env, claims, resource)
    env.access_tokens[access_token] = IssuedToken(access_token, client.client_id, "", scopes, now, (), "", "", expires)
    env.token_claims[access_token] = claims
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": env.token_ttl,
        "scope": " ".join(scopes),
    }


def mint_access_token(
    env: Environment,
    *,
    scopes: Sequence[str] = (),
    audience: str | None = None,
    sub: str | None = None,
    client_id: str = "demo-client",
    lifetime: int | None = None,
    **claims: Any,
) -> str:
    """An access token as this environment's token endpoint would issue it (RFC 9068 JWT signed by its key,
    PingOne's claims), without a sign-on: for API tests. ``audience`` defaults to the resource owning
    ``scopes`` (else the issuer); ``sub`` None makes a client-credentials token; ``claims`` are added last.
    It is recorded as issued, so introspection and revocation know it."""
    scope_names = tuple(dict.fromkeys(scopes))
    resource = env.resources.get(audience) if audience is not None else _resource_for(env, scope_names)
    now = int(env.clock())
    expires = now + (lifetime if lifetime is not None else env.token_ttl)
    access_claims: dict[str, Any] = {
        "client_id": client_id,
        "iss": env.issuer,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": expires,
        "aud": [audience or (resource.audience if resource is not None else env.issuer)],
        "scope": " ".join(scope_names),
        "env": env.env_id,
    }
    if sub is not None:
        access_claims["sub"] = sub
    access_claims.update(claims)
    access_token = _access_token(env, access_claims, resource)
    with env.lock:
        username = next((user.username for user in env.users.values() if sub is not None and user.sub == sub), "")
        env.access_tokens[access_token] = IssuedToken(
            access_token, client_id, username, scope_names, now, (), "", str(access_claims.get("sid", "")), expires
        )
        env.token_claims[access_token] = access_claims
    return access_token
