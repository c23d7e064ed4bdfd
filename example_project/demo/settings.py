"""The example site. Without PINGONE_* environment variables it signs on against the built-in PingOne
stand-in (started by run_demo.py on http://localhost:9031); with them, against real PingOne.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_pingone_authorize",
    "demo",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "django_pingone_authorize.backends.PingOneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
ROOT_URLCONF = "demo.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "demo" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
WSGI_APPLICATION = "demo.wsgi.application"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DB", str(BASE_DIR / "db.sqlite3")),
    }
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("DEMO_CACHE_DIR"):  # several gunicorn workers share one cache (make load)
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ["DEMO_CACHE_DIR"],
        }
    }
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_pingone_authorize": {"handlers": ["console"], "level": "INFO"}},
}

STANDIN_HOST = os.environ.get("DEMO_STANDIN_HOST", "localhost")
STANDIN_PORT = int(os.environ.get("DEMO_STANDIN_PORT", "9031"))
STANDIN_ENV_ID = "0f1e2d3c-4b5a-4987-a6b5-c4d3e2f1a0b9"

if os.environ.get("PINGONE_CLIENT_ID"):  # real PingOne (ENV_ID may be empty with a custom domain)
    _where = {
        "AUTH_PATH": os.environ.get("PINGONE_AUTH_PATH", "https://auth.pingone.com"),
        "ENV_ID": os.environ.get("PINGONE_ENV_ID", ""),
        "CLIENT_ID": os.environ.get("PINGONE_CLIENT_ID", ""),
        "CLIENT_SECRET": os.environ.get("PINGONE_CLIENT_SECRET", ""),
    }
    USING_STANDIN = False
else:
    _where = {
        "AUTH_PATH": f"http://{STANDIN_HOST}:{STANDIN_PORT}",
        "ENV_ID": STANDIN_ENV_ID,
        "CLIENT_ID": "demo-client",
        "CLIENT_SECRET": "demo-secret",
    }
    USING_STANDIN = True

PINGONE_AUTHORIZE = {
    # A 302 redirect to /as/authorize, the code back in the query.
    "default": {**_where, "LABEL": "Sign on with PingOne"},
    # An auto-submitting POST to /as/authorize, the code back as a cross-site form_post.
    "post": {**_where, "METHOD": "POST", "RESPONSE_MODE": "form_post", "LABEL": "Sign on (POST + form_post)"},
    # This site's own sign-on page, driving PingOne's flow API (response_mode=pi.flow).
    # "Forgot your password?" and "Create an account" when PingOne's flow offers them (REGISTRATION: off unless
    # set); a passkey when the user's policy asks for one (browse the site as localhost: WebAuthn refuses IPs).
    "embedded": {
        **_where,
        "RESPONSE_MODE": "pi.flow",
        "REGISTRATION": True,
        "LABEL": "Sign on here (embedded pi.flow)",
    },
    # The same page under an identifier-first sign-on policy: the username first, then what the user's policy asks.
    "identifier_first": {
        **_where,
        "RESPONSE_MODE": "pi.flow",
        "ACR_VALUES": "Identifier_First",
        "LABEL": "Sign on here, username first (identifier-first policy)",
    },
}

# The headless sign-on API (JSON, for single-page and native apps): the single-page example at /spa/ uses it.
PINGONE_AUTHORIZE_HEADLESS = {"CLIENTS": ["browser", "app"]}
