"""Settings of the site the refresh concurrency test runs under gunicorn (tests/sessions/test_refresh_concurrency.py):
the test settings with a SQLite file, Redis as the cache (and the sessions), and the alias from the environment."""

import json
import os

from tests.settings import *  # noqa: F403

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["LIFECYCLE_DB"]}}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["LIFECYCLE_REDIS"]}
}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
ROOT_URLCONF = "tests.sessions.urls"
PINGONE_AUTHORIZE = {"default": json.loads(os.environ["LIFECYCLE_PINGONE"])}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django_pingone_authorize": {"handlers": ["stderr"], "level": "INFO"}},
}
