"""WSGI entry point of the refresh concurrency test's site (``tests.sessions.site_settings``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.sessions.site_settings")
application = get_wsgi_application()
