"""The project around the app: middleware, the session engine, the authentication backend and the session
cookie (``pingone.E013``, ``E032``, ``E034``, ``E071``, ``W001``, ``W002``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.utils.module_loading import import_string

from django_pingone_authorize.checks.base import (
    BACKEND,
    SESSION_CHECK_MIDDLEWARE,
    SIGNED_COOKIES_ENGINE,
)

# The middleware the app needs (a subclass named alike will do): its dotted path, why, and the check id.
REQUIRED_MIDDLEWARE = (
    (
        "django.contrib.sessions.middleware.SessionMiddleware",
        "Pending sign-ons (state, nonce, PKCE) live in the session: add SessionMiddleware.",
        "pingone.E013",
    ),
    (
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "Add AuthenticationMiddleware after SessionMiddleware.",
        "pingone.E032",
    ),
)


def check_required_middleware() -> Iterator[CheckMessage]:
    middleware = getattr(settings, "MIDDLEWARE", [])
    for path, hint, check_id in REQUIRED_MIDDLEWARE:
        if not any(m.endswith(path.rpartition(".")[2]) for m in middleware):
            yield Error(f"{path} is not in MIDDLEWARE.", hint=hint, id=check_id)


def check_session_check_middleware() -> Iterator[CheckMessage]:
    middleware = list(getattr(settings, "MIDDLEWARE", []))
    if SESSION_CHECK_MIDDLEWARE not in middleware:
        return
    authentication = [i for i, m in enumerate(middleware) if m.endswith("AuthenticationMiddleware")]
    if not authentication or middleware.index(SESSION_CHECK_MIDDLEWARE) < authentication[0]:
        yield Error(
            f"{SESSION_CHECK_MIDDLEWARE} comes before AuthenticationMiddleware.",
            hint="Put it after AuthenticationMiddleware: it needs request.user.",
            id="pingone.E071",
        )


def check_session_engine() -> Iterator[CheckMessage]:
    engine = str(getattr(settings, "SESSION_ENGINE", ""))
    signed_cookies = engine == SIGNED_COOKIES_ENGINE
    if not signed_cookies:
        from django.contrib.sessions.backends.signed_cookies import SessionStore

        try:
            store = import_string(f"{engine}.SessionStore")
        except ImportError:
            store = None  # Django itself reports an engine it cannot import
        signed_cookies = isinstance(store, type) and issubclass(store, SessionStore)
    if signed_cookies:
        yield Error(
            "SESSION_ENGINE keeps the session in a signed cookie, in the browser.",
            hint="The session holds what must stay on the server (PingOne's ST cookie, the PKCE verifier, the "
            "nonce, the ID token): use the db, cache or cached_db session engine.",
            id="pingone.E034",
        )


def check_backend() -> Iterator[CheckMessage]:
    from django_pingone_authorize.backends import PingOneBackend

    for path in getattr(settings, "AUTHENTICATION_BACKENDS", []):
        try:
            backend = import_string(path)
        except ImportError:
            continue  # Django reports a backend it cannot import when it is used
        if isinstance(backend, type) and issubclass(backend, PingOneBackend):
            return
    yield Warning(
        f"{BACKEND} is not in AUTHENTICATION_BACKENDS.",
        hint=f"Add {BACKEND!r}, or a subclass of it, or no PingOne user can sign on.",
        id="pingone.W001",
    )


def check_samesite() -> Iterator[CheckMessage]:
    if getattr(settings, "SESSION_COOKIE_SAMESITE", "Lax") == "Strict":
        yield Warning(
            "SESSION_COOKIE_SAMESITE is 'Strict'.",
            hint="The return from PingOne is a cross-site navigation: with 'Strict' the session cookie is not "
            "sent and every sign-on fails. Use 'Lax'.",
            id="pingone.W002",
        )


PROJECT_CHECKS: tuple[Callable[[], Iterator[CheckMessage]], ...] = (
    check_required_middleware,
    check_session_check_middleware,
    check_session_engine,
    check_backend,
    check_samesite,
)
