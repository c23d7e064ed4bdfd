"""Django settings for the test suite. ``PINGONE_AUTHORIZE`` is annotated with ``AliasOptions``, as a site may do;
tests/test_options.py runs mypy over this file."""

from django_pingone_authorize.options import AliasOptions

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django_pingone_authorize",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "django_pingone_authorize.backends.PingOneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
ROOT_URLCONF = "tests.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.db"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
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
USE_TZ = True
LOGIN_REDIRECT_URL = "/home/"
LOGOUT_REDIRECT_URL = "/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

PINGONE_AUTHORIZE: dict[str, AliasOptions] = {
    "default": {
        "AUTH_PATH": "https://auth.pingone.com",
        "ENV_ID": "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6",
        "CLIENT_ID": "tests-client",
        "CLIENT_SECRET": "tests-secret",
        "DISCOVERY": False,
    },
}

# The suite's fault-injection tests (a provider answering 500, timing out...) each count on their failure's own
# reason; a circuit opened by the previous examples of a fuzz test would answer 503 instead. The breaker's own
# tests (provider/test_circuit_breaker.py, provider/test_outage.py, tests/end_to_end/cluster/) set their limits.
PINGONE_AUTHORIZE_CIRCUIT_BREAKER = {"FAILURES": 1_000_000}
