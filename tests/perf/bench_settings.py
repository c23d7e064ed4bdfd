"""One Django site with three OpenID Connect clients side by side, for ``bench.py``.

* ours: ``django_pingone_authorize`` under ``/pingone/`` (alias ``default``, discovery on);
* mozilla-django-oidc under ``/oidc/``, configured as its documentation says (endpoints as settings);
* Authlib's Django client under ``/authlib/`` (``server_metadata_url``), with the two views its
  documentation shows, plus the user look-up and ``login()`` an app has to add.

All three use the same client of the same provider (``BENCH_*`` environment variables, set by
``bench.py``), client_secret_post, PKCE S256, the scopes ``openid profile email``, and the same database
(SQLite file, WAL), session engine and cache. The outermost middleware times each request and counts the
outbound HTTP calls made while it runs.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django_pingone_authorize",
    "mozilla_django_oidc",
]
MIDDLEWARE = [
    "tests.perf.bench_settings.Measure",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
AUTHENTICATION_BACKENDS = [
    # Ours answers None at once unless given pingone_claims; mozilla's would act on any ?code=&state=.
    "django_pingone_authorize.backends.PingOneBackend",
    "mozilla_django_oidc.auth.OIDCAuthenticationBackend",
    "django.contrib.auth.backends.ModelBackend",
]
ROOT_URLCONF = "tests.perf.bench_urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BENCH_DB", ":memory:"),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        "CONN_MAX_AGE": None,  # one connection for the whole run, in both parts
    }
}
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": os.environ["BENCH_CACHE_DIR"]}
        if os.environ.get("BENCH_CACHE_DIR")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"}
    ),
    "sessions": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sessions"},
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_CACHE_ALIAS = "sessions"  # for the runs with the cache session engine
USE_TZ = True
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {  # warnings and errors (a client refusing a sign-on says why), nothing routine
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"level": "WARNING", "handlers": ["console"]},
}

_ISSUER = os.environ.get("BENCH_ISSUER", "http://127.0.0.1:9/env/as")
_CLIENT_ID = os.environ.get("BENCH_CLIENT_ID", "post-client")
_CLIENT_SECRET = os.environ.get("BENCH_CLIENT_SECRET", "post-client-secret")
_AUTH_PATH, _ENV_ID = _ISSUER.removesuffix("/as").rsplit("/", 1)

# Ours.
PINGONE_AUTHORIZE = {
    "default": {
        "AUTH_PATH": _AUTH_PATH,
        "ENV_ID": _ENV_ID,
        "CLIENT_ID": _CLIENT_ID,
        "CLIENT_SECRET": _CLIENT_SECRET,
        "TOKEN_ENDPOINT_AUTH_METHOD": "client_secret_post",
    }
}

# mozilla-django-oidc (https://mozilla-django-oidc.readthedocs.io/en/stable/installation.html).
OIDC_RP_CLIENT_ID = _CLIENT_ID
OIDC_RP_CLIENT_SECRET = _CLIENT_SECRET
OIDC_OP_AUTHORIZATION_ENDPOINT = f"{_ISSUER}/authorize"
OIDC_OP_TOKEN_ENDPOINT = f"{_ISSUER}/token"
OIDC_OP_USER_ENDPOINT = f"{_ISSUER}/userinfo"
OIDC_OP_JWKS_ENDPOINT = f"{_ISSUER}/jwks"
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid profile email"
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10

# Authlib (https://docs.authlib.org/en/latest/client/django.html): registered in bench_urls.
AUTHLIB_OAUTH_CLIENTS = {
    "pingone": {
        "client_id": _CLIENT_ID,
        "client_secret": _CLIENT_SECRET,
        "server_metadata_url": f"{_ISSUER}/.well-known/openid-configuration",
        "client_kwargs": {
            "scope": "openid profile email",
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_post",
            "default_timeout": 10,
        },
    }
}


# -- measuring ---------------------------------------------------------------------------------------

_state = threading.local()


def outbound_calls() -> int:
    """Outbound HTTP requests made by this thread while a request was being measured."""
    return int(getattr(_state, "calls", 0))


def count_outbound_calls() -> None:
    """Count every request sent through ``requests`` (all three clients use it) while ``Measure`` runs."""
    import requests.adapters

    send = requests.adapters.HTTPAdapter.send
    if getattr(send, "_bench_counted", False):
        return

    def counted_send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(_state, "active", False):
            _state.calls = outbound_calls() + 1
        return send(self, request, *args, **kwargs)

    counted_send._bench_counted = True  # type: ignore[attr-defined]
    requests.adapters.HTTPAdapter.send = counted_send  # type: ignore[method-assign]


class Measure:
    """Outermost middleware: the time Django spends on a request (session load and save included) and
    the outbound calls made meanwhile, left in ``Measure.last`` as (seconds, calls). With ``Measure.count``
    on (never while timing: capturing costs), the database statements of the request too, every one Django
    sends (``BEGIN``/``COMMIT`` and savepoints included), in ``Measure.statements``."""

    last: tuple[float, int] = (0.0, 0)
    count = False
    statements: list[str] = []

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        if Measure.count:
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as captured:
                response = self.measure(request)
            Measure.statements = [query["sql"] for query in captured.captured_queries]
            return response
        return self.measure(request)

    def measure(self, request: Any) -> Any:
        _state.active, _state.calls = True, 0
        start = time.perf_counter()
        try:
            return self.get_response(request)
        finally:
            Measure.last = (time.perf_counter() - start, outbound_calls())
            _state.active = False
