"""Django REST Framework: accept PingOne access tokens (``pip install django-pingone-authorize[drf]``).

::

    class OrderList(APIView):
        authentication_classes = [PingOneTokenAuthentication]
        permission_classes = [HasScope("orders:read")]

``PingOneTokenAuthentication`` returns ``(user_or_client, access_token)``: ``request.user`` is the Django user
of the token's (issuer, ``sub``) or a ``PingOneClient`` (client credentials, or a subject unknown here), and
``request.auth`` is the ``AccessToken``. A request without a Bearer token is left to the other authentication
classes. A bad token gets RFC 6750's answer: 401 and ``WWW-Authenticate: Bearer error="invalid_token"``
(400 ``invalid_request`` for a malformed header). Put it first in ``authentication_classes``: DRF takes the
challenge of a request without credentials from the first class.

Only this module imports DRF; the alias is ``"default"`` unless a subclass sets ``alias``.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from django_pingone_authorize.api.access_tokens import (
    INSUFFICIENT_SCOPE,
    AccessToken,
    AccessTokenError,
    bearer_token,
    validate_access_token,
)
from django_pingone_authorize.api.principals import PingOneClient, principal_for

__all__ = ["HasScope", "IsPingOneUser", "PingOneTokenAuthentication", "TokenRefused"]


class TokenRefused(exceptions.APIException):
    """An ``AccessTokenError`` as DRF answers it: its status, RFC 6750's ``WWW-Authenticate`` and a JSON body
    with ``detail``, ``error`` and ``error_description``."""

    def __init__(self, error: AccessTokenError, realm: str = "api") -> None:
        super().__init__(detail={"detail": error.description, **error.body()}, code=error.error or "not_authenticated")
        self.status_code = error.status
        # DRF's exception handler sends ``auth_header`` as WWW-Authenticate (not being an AuthenticationFailed,
        # this one is left alone by APIView, whatever the first authentication class is).
        header = error.www_authenticate(realm)
        if header is not None:
            self.auth_header = header


class PingOneTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <PingOne access token>``, validated by ``access_tokens.validate_access_token``."""

    alias: str | None = None
    realm = "api"

    def authenticate(self, request: Request) -> tuple[Any, AccessToken] | None:
        try:
            token = bearer_token(request.META.get("HTTP_AUTHORIZATION"))
            if token is None:
                return None  # not a Bearer request: the other authentication classes decide
            access_token = validate_access_token(token, self.alias)
            principal = principal_for(access_token)
        except AccessTokenError as error:
            raise TokenRefused(error, self.realm) from None
        request._request.pingone_token = access_token  # type: ignore[attr-defined]
        return principal, access_token

    def authenticate_header(self, request: Request) -> str:
        return f'Bearer realm="{self.realm}"'


class HasScope(BasePermission):
    """Every scope named must have been granted to the request's PingOne access token.

    Written as an instance: ``permission_classes = [HasScope("orders:read")]``. Without a PingOne token the
    request is refused as unauthenticated (401, or 403 for a user signed on otherwise); with a token that lacks
    a scope, 403 with ``WWW-Authenticate: Bearer error="insufficient_scope", scope="..."`` (RFC 6750 §3.1).
    """

    realm = "api"

    def __init__(self, *scopes: str) -> None:
        self.scopes = scopes

    def __call__(self) -> HasScope:
        return self  # DRF instantiates each entry of permission_classes

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, AccessToken):
            return False
        if not token.has_scopes(*self.scopes):
            error = AccessTokenError(INSUFFICIENT_SCOPE, "The access token lacks a required scope.", scopes=self.scopes)
            raise TokenRefused(error, self.realm)
        return True

    def __repr__(self) -> str:
        return f"HasScope({', '.join(repr(s) for s in self.scopes)})"


class IsPingOneUser(BasePermission):
    """The request carries a PingOne access token of a Django user (not a ``PingOneClient``)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, AccessToken) and not isinstance(request.user, PingOneClient)
