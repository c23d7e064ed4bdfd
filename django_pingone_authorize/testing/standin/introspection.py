"""Token introspection (``/as/introspect``, RFC 7662) and revocation (``/as/revoke``, RFC 7009)."""

from __future__ import annotations

from ..server import Request, Response
from . import session_lifecycle
from .client_auth import authenticate_client
from .environment import Environment
from .protocol import OAuthError, oauth_form


def introspect(env: Environment, request: Request) -> Response:
    """RFC 7662: whether a token is active, and its claims. Public applications may not ask."""
    form = oauth_form(request)
    client = authenticate_client(env, request, form, env.introspection_endpoint)
    if client.token_endpoint_auth_method == "none":
        raise OAuthError("invalid_client", "A public application cannot introspect tokens.", 401)
    token = form.get("token")
    if not token:
        raise OAuthError("invalid_request", "token is missing.")
    record = env.access_tokens.get(token)
    claims = env.token_claims.get(token)
    if record is None or claims is None or (record.expires_at is not None and env.clock() > record.expires_at):
        return Response.json(200, {"active": False}, [("Cache-Control", "no-store")])
    body = {"active": True, "token_type": "Bearer", **claims}
    return Response.json(200, body, [("Cache-Control", "no-store")])


def revoke(env: Environment, request: Request) -> Response:
    """RFC 7009, as PingOne plays it: only tokens of custom resources, and only tokens of a PingOne session
    (with ``sid``), can be revoked; an access token for PingOne's own API (no custom resource: its audience is
    PingOne's) or a token without ``sid`` (client credentials) is refused ``unsupported_token_type``. Revoking a
    refresh token also revokes every token issued from it (RFC 7009 §2.1). An unknown token is a 200."""
    form = oauth_form(request)
    client = authenticate_client(env, request, form, env.revocation_endpoint)
    token = form.get("token")
    if not token:
        raise OAuthError("invalid_request", "token is missing.")
    access, refresh = env.access_tokens.get(token), env.refresh_tokens.get(token)
    record = access or refresh
    if record is None or record.client_id != client.client_id:
        return Response(200)
    if not record.sid:
        raise OAuthError("unsupported_token_type", "A token without a session (sid) cannot be revoked.")
    if access is not None and _for_pingone_api(env, token):
        raise OAuthError("unsupported_token_type", "Tokens for PingOne's own API cannot be revoked.")
    if refresh is not None:
        family = env.token_families.get(token)
        if family is not None:
            session_lifecycle.revoke_family(env, family)
    env.access_tokens.pop(token, None)
    env.refresh_tokens.pop(token, None)
    return Response(200)


def _for_pingone_api(env: Environment, token: str) -> bool:
    audience = (env.token_claims.get(token) or {}).get("aud")
    audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
    return not any(a in env.resources for a in audiences)
