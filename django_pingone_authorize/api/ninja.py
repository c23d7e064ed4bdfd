"""django-ninja: accept PingOne access tokens (``pip install django-pingone-authorize[ninja]``).

::

    api = NinjaAPI(auth=PingOneBearer())
    add_token_error_handler(api)        # RFC 6750 answers (WWW-Authenticate) for refused tokens

    @api.get("/orders", auth=PingOneBearer(scopes=["orders:read"]))
    def orders(request): ...

    @api.get("/invoices", auth=AsyncPingOneBearer(scopes=["invoices:read"]))
    async def invoices(request): ...

``request.auth`` is the ``AccessToken``, ``request.user`` the Django user of the token or a ``PingOneClient``.
A refused token raises ``TokenRefused``, a django-ninja ``AuthenticationError``: without the handler it is
still a 401/400/403 JSON answer (``{"detail": ...}``), with it the body and the ``WWW-Authenticate`` header
are RFC 6750's. Only this module imports django-ninja.
"""

from __future__ import annotations

from collections.abc import Iterable

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from django_pingone_authorize.api.access_tokens import AccessToken, AccessTokenError, bearer_token, require_scopes
from django_pingone_authorize.api.bearer import accept_token, token_error_response
from django_pingone_authorize.conf import DEFAULT_ALIAS

__all__ = ["AsyncPingOneBearer", "PingOneBearer", "TokenRefused", "add_token_error_handler"]


class TokenRefused(AuthenticationError):
    def __init__(self, error: AccessTokenError, realm: str = "api") -> None:
        super().__init__(status_code=error.status, message=error.description)
        self.error = error
        self.realm = realm


class PingOneBearer(HttpBearer):
    """An ``HttpBearer`` that validates PingOne access tokens for ``alias`` and requires ``scopes``."""

    alias: str | None = None
    realm = "api"
    # The OpenAPI security scheme django-ninja writes: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}.
    openapi_bearerFormat = "JWT"
    openapi_description = "A PingOne access token (a JWT signed by the PingOne environment)."

    def __init__(self, *, scopes: Iterable[str] = (), alias: str | None = None) -> None:
        super().__init__()
        self.scopes = tuple(scopes)
        if alias is not None:
            self.alias = alias

    def __call__(self, request: HttpRequest) -> AccessToken | None:
        try:
            # RFC 6750's syntax (and the size bound) checked before django-ninja splits the header.
            if bearer_token(request.headers.get(self.header)) is None:
                return None
        except AccessTokenError as error:
            raise TokenRefused(error, self.realm) from None
        result: AccessToken | None = super().__call__(request)
        return result

    def authenticate(self, request: HttpRequest, token: str) -> AccessToken | None:
        return self.accept(request, token)

    def accept(self, request: HttpRequest, token: str) -> AccessToken:
        try:
            seen = getattr(request, "pingone_token", None)  # accepted by the middleware already
            if isinstance(seen, AccessToken) and seen.alias == (self.alias or DEFAULT_ALIAS):
                access_token = seen
            else:
                access_token = accept_token(request, token, self.alias)
            require_scopes(access_token, self.scopes)
        except AccessTokenError as error:
            raise TokenRefused(error, self.realm) from None
        return access_token


class AsyncPingOneBearer(PingOneBearer):
    """``PingOneBearer`` with an ``async`` ``authenticate`` (django-ninja 1.0+), for ``async def`` operations:
    the token's validation and the user's lookup run in a thread (Django's ORM and the key fetch are sync)
    while the event loop goes on. Sync operations may use it too (django-ninja runs it with ``async_to_sync``).
    """

    async def authenticate(self, request: HttpRequest, token: str) -> AccessToken | None:  # type: ignore[override]
        return await sync_to_async(self.accept)(request, token)


def _answer(request: HttpRequest, exc: TokenRefused | type[TokenRefused]) -> HttpResponse:
    if not isinstance(exc, TokenRefused):  # django-ninja's type allows the class; only instances are raised
        exc = exc(AccessTokenError("invalid_token", "The access token was refused."))
    return token_error_response(exc.error, exc.realm)


def add_token_error_handler(api: NinjaAPI) -> NinjaAPI:
    """Answer refused PingOne tokens on ``api`` as RFC 6750 says (status, ``WWW-Authenticate``, JSON)."""
    api.add_exception_handler(TokenRefused, _answer)
    return api
