"""Plain Django: ``PingOneTokenMiddleware`` accepts PingOne access tokens on every request.

A request with ``Authorization: Bearer <token>`` gets ``request.pingone_token`` (the ``AccessToken``) and
``request.user`` (the Django user of the token's (issuer, ``sub``), or a ``PingOneClient``); a bad token is
answered at once with RFC 6750's 401 (or 400/403/503) JSON and ``WWW-Authenticate``. Requests without an
Authorization header, or with another scheme, are left alone.

Put it after ``AuthenticationMiddleware`` (``pingone.E060`` says so otherwise). A request authenticated by a
token is exempt from Django's CSRF check: a browser never adds an Authorization header by itself, and
``request.user`` is then the token's, not the session's. Subclass to use another alias (``alias = "api"``).

``SessionCheckMiddleware``: a Django session that ends when the user's PingOne session does
(``sessions/session_check.py`` says how). Put it after ``AuthenticationMiddleware``.

Both are sync- and async-capable: under ASGI they run in the event loop (the session, the cache and the user
read through Django's async APIs; only what has no async API, a Bearer token's validation or a call to PingOne,
goes to a thread, and only for the requests that need it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

from django_pingone_authorize.api.access_tokens import AccessTokenError, bearer_token
from django_pingone_authorize.api.bearer import authenticate_bearer, token_error_response
from django_pingone_authorize.sessions import session_check

__all__ = ["PingOneTokenMiddleware", "SessionCheckMiddleware"]


class _SyncAndAsync:
    """A middleware that is as sync or async as the stack it sits in (Django's ``sync_and_async_middleware``):
    under ASGI with async middleware around it, requests pass without a thread hop."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        response = self.process(request)
        return response if response is not None else self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        response = await self.aprocess(request)
        if response is not None:
            return response
        result: HttpResponseBase = await self.get_response(request)
        return result

    def process(self, request: HttpRequest) -> HttpResponse | None:
        raise NotImplementedError

    async def aprocess(self, request: HttpRequest) -> HttpResponse | None:
        raise NotImplementedError


class PingOneTokenMiddleware(_SyncAndAsync):
    alias: str | None = None
    realm = "api"

    def process(self, request: HttpRequest) -> HttpResponse | None:
        try:
            authenticate_bearer(request, self.alias)
        except AccessTokenError as error:
            return token_error_response(error, self.realm)
        return None

    async def aprocess(self, request: HttpRequest) -> HttpResponse | None:
        try:
            # RFC 6750's syntax checked in the loop: requests without a Bearer token pass without a thread hop.
            if bearer_token(request.headers.get("Authorization")) is None:
                return None
        except AccessTokenError as error:
            return token_error_response(error, self.realm)
        # Validating may fetch PingOne's signing keys and looks the user up: in a thread, as Django's ORM wants.
        return await sync_to_async(self.process)(request)


class SessionCheckMiddleware(_SyncAndAsync):
    def process(self, request: HttpRequest) -> HttpResponse | None:
        return self.check(request)

    async def aprocess(self, request: HttpRequest) -> HttpResponse | None:
        return await self.acheck(request)

    def check(self, request: HttpRequest) -> HttpResponse | None:
        """None to let the request through; otherwise the answer (the user was logged out)."""
        return session_check.check(request)

    async def acheck(self, request: HttpRequest) -> HttpResponse | None:
        """``check`` under ASGI: Django's async session, cache and user APIs, PingOne asked in a thread."""
        return await session_check.acheck(request)
