"""The test site as an ASGI application under uvicorn (tests/end_to_end/cluster/test_asgi_async_views.py): the test
settings with a file database, both middlewares, the async views of ``tests.async_urls``, and
``PINGONE_AUTHORIZE`` from ``ASGI_SITE_PINGONE`` (JSON) and ``ASGI_SITE_DB``."""

from __future__ import annotations

import json
import os

from tests.settings import *  # noqa: F403
from tests.settings import MIDDLEWARE

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("ASGI_SITE_DB", ":memory:")}}
ROOT_URLCONF = "tests.async_urls"
MIDDLEWARE = [
    *MIDDLEWARE,
    "django_pingone_authorize.middleware.PingOneTokenMiddleware",
    "django_pingone_authorize.middleware.SessionCheckMiddleware",
]
PINGONE_AUTHORIZE = json.loads(os.environ.get("ASGI_SITE_PINGONE", "{}"))


def application_factory() -> object:
    from django.core.asgi import get_asgi_application

    return get_asgi_application()
