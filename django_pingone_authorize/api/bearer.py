"""A request's ``Authorization: Bearer`` header: read, validated (``access_tokens.py``), the request made the
token's (``request.pingone_token``, ``request.user``, no CSRF check), and RFC 6750's answer to a refused token.
The middleware, the decorator, DRF and django-ninja are thin over these.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from django_pingone_authorize.api.access_tokens import (
    AccessToken,
    AccessTokenError,
    bearer_token,
    validate_access_token,
)
from django_pingone_authorize.api.principals import principal_for
from django_pingone_authorize.conf import DEFAULT_ALIAS


def token_error_response(error: AccessTokenError, realm: str = "api") -> HttpResponse:
    """RFC 6750's answer to a refused token: the status, ``WWW-Authenticate`` and a small JSON body."""
    response = JsonResponse(error.body(), status=error.status)
    header = error.www_authenticate(realm)
    if header is not None:
        response["WWW-Authenticate"] = header
    response["Cache-Control"] = "no-store"
    return response


def authenticate_bearer(request: HttpRequest, alias: str | None = None) -> AccessToken | None:
    """Validate the request's Bearer token; on success set ``request.pingone_token`` and ``request.user``.

    None when the request carries no Bearer token; raises ``AccessTokenError`` for a bad one. A token already
    accepted on this request for the same alias (by the middleware) is not validated again.
    """
    seen: Any = getattr(request, "pingone_token", None)
    if isinstance(seen, AccessToken) and seen.alias == (alias or DEFAULT_ALIAS):
        return seen
    token = bearer_token(request.headers.get("Authorization"))
    if token is None:
        return None
    return accept_token(request, token, alias)


def accept_token(request: HttpRequest, token: str, alias: str | None = None) -> AccessToken:
    """Validate ``token`` and make it the request's: ``request.pingone_token``, ``request.user``, no CSRF check."""
    access_token = validate_access_token(token, alias)
    principal = principal_for(access_token)
    request.user = principal  # type: ignore[assignment]

    async def auser() -> Any:  # async views read the user with ``await request.auser()`` (Django 5.0+)
        return principal

    request.auser = auser
    request.pingone_token = access_token  # type: ignore[attr-defined]
    # No CSRF check: the credentials are the header, which no other site can make a browser send.
    request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
    return access_token
