"""Test helpers for a site's own tests: a Django test client signed on as a PingOne user, and access tokens
for API tests, both in-process (no HTTP, no pages).

``sign_on_as(client, claims)`` does what a finished sign-on does, minus PingOne: the claims (yours over
defaults naming ``DEMO_SUB`` at the alias's issuer) go through the site's authentication backends (so
``PingOneBackend``'s hooks, ``CREATE_USERS``, group sync and the signals run as at a real sign-on), the user
is logged in on the client's session, the sign-on's facts (``acr``, ``amr``, ``auth_time``) are kept for
``@pingone_required``, and the session is indexed for back-channel logout. With ``tokens`` the session also
holds tokens (kept as at a sign-on: the access and refresh tokens only with ``STORE_TOKENS``)::

    user = sign_on_as(client, {"email": "ada@example.com", "acr": "MFA"}, tokens=True)
    assert client.get("/account/").status_code == 200

``mint_access_token(standin, scopes=[...])`` is an access token signed by the stand-in's key, as its token
endpoint issues them: ``Authorization: Bearer`` for ``PingOneTokenMiddleware``, DRF or django-ninja views.

As pytest fixtures (``testing/pytest_plugin.py``): ``pingone_sign_on`` and ``pingone_access_token``. For
``unittest``: ``PingOneTestMixin`` on a ``django.test.TestCase``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.test import Client
from django.test.client import AsyncClient

from django_pingone_authorize.conf import DEFAULT_ALIAS, get_alias
from django_pingone_authorize.provider.token_endpoint import TokenResponse
from django_pingone_authorize.sessions import session_index, token_store

from .standin import DEMO_SUB, PingOneStandIn
from .standin.token import mint_access_token

__all__ = ["PingOneTestMixin", "mint_access_token", "sign_on_as"]


def default_claims(alias: str = DEFAULT_ALIAS, standin: PingOneStandIn | None = None) -> dict[str, Any]:
    """The ID token claims of a fresh sign-on of the demo user at ``alias`` (the stand-in's issuer, if given)."""
    config = get_alias(alias)
    now = int(time.time())
    return {
        "iss": standin.issuer if standin is not None else config.issuer,
        "sub": DEMO_SUB,
        "aud": config.CLIENT_ID,
        "iat": now,
        "exp": now + 3600,
        "auth_time": now,
        "amr": ["pwd"],
        "acr": "Single_Factor",
        "sid": secrets.token_urlsafe(16),
        "preferred_username": "demo",
        "email": "demo@example.com",
        "email_verified": True,
        "given_name": "Demo",
        "family_name": "User",
    }


def sign_on_as(
    client: Client | AsyncClient,
    claims: Mapping[str, Any] | None = None,
    *,
    alias: str = DEFAULT_ALIAS,
    tokens: bool | Mapping[str, Any] = False,
    standin: PingOneStandIn | None = None,
) -> AbstractBaseUser:
    """Sign ``client`` on as the PingOne user of ``claims`` (over ``default_claims``); returns the Django user.

    ``tokens``: True keeps made-up tokens in the session (signed by ``standin``'s key when given), a mapping
    gives them (``id_token``, ``access_token``, ``refresh_token``, ``expires_in``). Raises ``PermissionError``
    when the site's backends refuse the claims (``verify_claims``, ``CREATE_USERS`` off...)."""
    config = get_alias(alias)
    merged = {**default_claims(alias, standin), **(claims or {})}
    request = HttpRequest()
    session = client.session
    request.session = session if session else import_module(settings.SESSION_ENGINE).SessionStore()
    user = authenticate(request, pingone_claims=merged, pingone_config=config)
    if user is None:
        raise PermissionError("The site's authentication backends refused these PingOne claims.")
    request.user = AnonymousUser()  # login() sets request.user only on a request that has one
    login(request, user)
    token_store.store(request.session, config, _token_response(merged, tokens, standin), merged)
    request.session.save()
    session_index.remember_sign_on(request, alias, merged, token_store.token_cache_key(request.session))
    _set_session_cookie(client, request.session.session_key or "")
    return user


def _token_response(
    claims: Mapping[str, Any], tokens: bool | Mapping[str, Any], standin: PingOneStandIn | None
) -> TokenResponse:
    given: Mapping[str, Any] = tokens if isinstance(tokens, Mapping) else {}
    made: dict[str, Any] = {"id_token": f"test-id-token-{secrets.token_urlsafe(8)}", "expires_in": 3600}
    if standin is not None:
        made["id_token"] = standin.signing_key.sign(dict(claims))
    if tokens is True:
        made["access_token"] = (
            mint_access_token(standin, sub=str(claims["sub"]), sid=claims.get("sid"))
            if standin is not None
            else f"test-access-token-{secrets.token_urlsafe(8)}"
        )
    values = {**made, **given}
    return TokenResponse(
        id_token=str(values["id_token"]),
        access_token=values.get("access_token"),
        refresh_token=values.get("refresh_token"),
        expires_in=values.get("expires_in"),
        scope=values.get("scope"),
    )


def _set_session_cookie(client: Client | AsyncClient, session_key: str) -> None:
    """What ``Client.force_login`` does to its cookie jar."""
    name = settings.SESSION_COOKIE_NAME
    client.cookies[name] = session_key
    cookie: dict[str, Any] = {
        "max-age": None,
        "path": "/",
        "domain": settings.SESSION_COOKIE_DOMAIN,
        "secure": settings.SESSION_COOKIE_SECURE or None,
        "expires": None,
    }
    client.cookies[name].update(cookie)


class PingOneTestMixin:
    """For ``django.test.TestCase`` (``unittest``): ``self.pingone_sign_on(...)`` signs ``self.client`` on,
    ``self.pingone_access_token(...)`` mints a token. With ``pingone_use_standin = True`` the class runs a
    stand-in (``self.pingone_standin``) and points ``PINGONE_AUTHORIZE[pingone_alias]`` at it."""

    pingone_alias: str = DEFAULT_ALIAS
    pingone_use_standin: bool = False
    pingone_standin: PingOneStandIn | None = None
    client: Client

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()  # type: ignore[misc]
        if not cls.pingone_use_standin:
            return
        from django.test import override_settings

        standin = PingOneStandIn(redirect_uris=["http://testserver/pingone/callback/"], any_loopback_redirect_uri=True)
        cls.pingone_standin = standin.start()
        cls.addClassCleanup(standin.stop)  # type: ignore[attr-defined]
        overridden = override_settings(
            PINGONE_AUTHORIZE={**getattr(settings, "PINGONE_AUTHORIZE", {}), cls.pingone_alias: standin.settings()}
        )
        overridden.enable()
        cls.addClassCleanup(overridden.disable)  # type: ignore[attr-defined]

    def pingone_sign_on(
        self, claims: Mapping[str, Any] | None = None, *, tokens: bool | Mapping[str, Any] = False
    ) -> AbstractBaseUser:
        return sign_on_as(self.client, claims, alias=self.pingone_alias, tokens=tokens, standin=self.pingone_standin)

    def pingone_access_token(self, *, scopes: Sequence[str] = (), **claims: Any) -> str:
        if self.pingone_standin is None:
            raise RuntimeError("Set pingone_use_standin = True: access tokens are signed by the stand-in's key.")
        claims.setdefault("sub", DEMO_SUB)
        return mint_access_token(self.pingone_standin, scopes=scopes, **claims)
