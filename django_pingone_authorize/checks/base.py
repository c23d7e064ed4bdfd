"""What the checks share: the patterns and option groups they test against, and small readers of values."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.core.checks import CheckMessage

from django_pingone_authorize.conf import (
    ASYMMETRIC_ALGORITHMS,
    HMAC_ALGORITHMS,
    SETTING_NAME,
    normalise,
)
from django_pingone_authorize.provider.client_auth import load_private_key

ENV_ID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


REGIONAL_HOSTS = re.compile(r"^auth\.pingone\.(com|eu|ca|com\.au|sg|asia)$")


BACKEND = "django_pingone_authorize.backends.PingOneBackend"


SIGNED_COOKIES_ENGINE = "django.contrib.sessions.backends.signed_cookies"


ID_TOKEN_ALGORITHMS = (*HMAC_ALGORITHMS, *ASYMMETRIC_ALGORITHMS)


SECRET_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "client_secret_jwt")


POSITIVE_NUMBERS = ("TIMEOUT", "PENDING_TTL", "PENDING_MAX", "CACHE_TTL")


NON_NEGATIVE_NUMBERS = ("LEEWAY", "ID_TOKEN_MAX_AGE")


BOOLEANS = (
    "DISCOVERY",
    "ALLOW_GET_LOGIN",
    "USE_PAR",
    "USERINFO",
    "CREATE_USERS",
    "LINK_BY_VERIFIED_EMAIL",
    "STORE_TOKENS",
    "SIGNOFF",
    "REVOKE_ON_LOGOUT",
    "IDP_SIGNOFF",
    "CHANNEL_LOGOUT",
)


SESSION_CHECK_MIDDLEWARE = "django_pingone_authorize.middleware.SessionCheckMiddleware"


# A check of one alias: its name in messages (``PINGONE_AUTHORIZE['default']``), the options as written (for
# unknown keys and what must be given), and the options as ``conf.normalise`` puts them (what get_alias uses).
AliasCheck = Callable[[str, Mapping[str, Any], Mapping[str, Any]], Iterator[CheckMessage]]


def _split(url: Any) -> SplitResult | None:
    """``urlsplit`` of a string, or None for anything that is not a URL (e.g. ``http://[oops``)."""
    if not isinstance(url, str):
        return None
    try:
        return urlsplit(url)
    except ValueError:
        return None


def _auth_path_parts(values: Mapping[str, Any]) -> SplitResult | None:
    """``AUTH_PATH`` split, when it is an http(s) URL with a host and no query or fragment."""
    parts = _split(values["AUTH_PATH"])
    if parts is None or not parts.hostname or parts.scheme not in ("https", "http") or parts.query or parts.fragment:
        return None
    return parts


def _private_key_ok(pem: Any) -> bool:
    if not isinstance(pem, str) or "PRIVATE KEY" not in pem:
        return False
    try:
        load_private_key(pem)  # parsed once per process, and shared with the sign-ons that use it
    except (ValueError, TypeError):
        return False
    return True


def _sequence(value: Any) -> tuple[Any, ...] | None:
    """A sequence option as ``normalise`` left it: its items, or None when it was not a sequence."""
    return value if isinstance(value, tuple) else None


_POLICY_NAME = re.compile(r"^[A-Za-z0-9._:/\-]{1,128}$")


_PROMPT_VALUES = frozenset({"none", "login", "consent", "select_account"})


def _policy_names(value: Any) -> list[str] | None:
    """The policy names of ``ACR_VALUES``/``ALLOWED_ACR_VALUES`` (a string or a list of them), or None."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(item, str) for item in items):
        return None
    names = [name for item in items for name in item.split()]
    return names if all(_POLICY_NAME.match(name) for name in names) else None


def _each_alias(alias_checks: Sequence[AliasCheck]) -> list[CheckMessage]:
    """``alias_checks`` run on every alias that is a dict (``check_settings`` reports the rest)."""
    raw = getattr(settings, SETTING_NAME, None)
    if not isinstance(raw, Mapping):
        return []  # pingone.E001 / E014
    found: list[CheckMessage] = []
    for alias, options in raw.items():
        if isinstance(options, Mapping):  # else pingone.E020
            where, values = f"{SETTING_NAME}[{alias!r}]", normalise(options)
            found.extend(message for check in alias_checks for message in check(where, options, values))
    return found


TOKEN_MIDDLEWARE = "django_pingone_authorize.middleware.PingOneTokenMiddleware"


AUTHENTICATION_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"


def _strings(value: Any) -> bool:
    return isinstance(value, tuple) and all(isinstance(item, str) and item for item in value)
