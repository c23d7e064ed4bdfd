"""The test settings with django-allauth's social accounts and social-auth-app-django installed, for
tests/test_import_identities.py (run in a subprocess: the suite's own settings stay without them)."""

import os

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS, MIDDLEWARE

INSTALLED_APPS = [*INSTALLED_APPS, "allauth", "allauth.account", "allauth.socialaccount", "social_django"]
MIDDLEWARE = [*MIDDLEWARE, "allauth.account.middleware.AccountMiddleware"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["IMPORT_SITE_DB"]}}
