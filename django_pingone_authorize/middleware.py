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
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from django_pingone_authorize.api.access_tokens import AccessTokenError
from django_pingone_authorize.api.bearer import authenticate_bearer, token_error_response
from django_pingone_authorize.sessions import session_check

__all__ = ["PingOneTokenMiddleware", "SessionCheckMiddleware"]


class PingOneTokenMiddleware:
    alias: str | None = None
    realm = "api"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            authenticate_bearer(request, self.alias)
        except AccessTokenError as error:
            return token_error_response(error, self.realm)
        return self.get_response(request)


class SessionCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.check(request)
        if response is not None:
            return response
        return self.get_response(request)

    def check(self, request: HttpRequest) -> HttpResponse | None:
        """None to let the request through; otherwise the answer (the user was logged out)."""
        return session_check.check(request)
