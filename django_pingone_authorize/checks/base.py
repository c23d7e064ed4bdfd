"""What the checks share: the patterns and option groups they test against, and small readers of values."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error

from django_pingone_authorize.conf import (
    ASYMMETRIC_ALGORITHMS,
    DEFAULTS,
    HMAC_ALGORITHMS,
    SETTING_NAME,
    normalise,
    policy_names,
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
    "SIGN_EMBEDDED_REQUESTS",
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
    "REGISTRATION",
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


def _whole_seconds(value: Any, minimum: int = 0) -> bool:
    """A whole number (not a bool) of at least ``minimum``."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _policy_string(value: Any) -> bool:
    """None, or a space-separated string of policy names (``ACR_VALUES``, ``APPROVAL_ACR_VALUES``)."""
    return value is None or (isinstance(value, str) and bool(policy_names(value)))


# What is wrong with one option's value, as the end of a sentence ("must be True or False."), or None.
OptionProblem = Callable[[Any], str | None]
# What is wrong with an alias's options taken together, or None.
AliasProblem = Callable[[Mapping[str, Any]], str | None]


def _hint(problem: Callable[..., str | None]) -> str:
    return " ".join((problem.__doc__ or "").split())


def alias_check(
    check_id: str, *, hint: str | None = None, level: Callable[..., CheckMessage] = Error
) -> Callable[[AliasProblem], AliasCheck]:
    """Make ``problem`` (an alias's options as ``normalise`` puts them -> what is wrong, or None) an alias check:
    ``check_id``'s Error (or ``level``) saying ``{where}`` and then the problem (``{where}['KEY'] ...`` when it
    starts with the key), with the function's docstring (or ``hint``) as the hint."""

    def decorate(problem: AliasProblem) -> AliasCheck:
        text = _hint(problem) if hint is None else hint

        def check(where: str, options: Mapping[str, Any], values: Mapping[str, Any]) -> Iterator[CheckMessage]:
            found = problem(values)
            if found is not None:
                yield level(f"{where}{'' if found.startswith('[') else ' '}{found}", hint=text, id=check_id)

        check.__name__ = check.__qualname__ = problem.__name__
        return check

    return decorate


def option_check(key: str, check_id: str, *, hint: str | None = None) -> Callable[[OptionProblem], AliasCheck]:
    """``alias_check`` of one option: ``problem`` is given the option's value and says what is wrong with it,
    after ``{where}['KEY']``."""

    def decorate(problem: OptionProblem) -> AliasCheck:
        def of_the_option(values: Mapping[str, Any]) -> str | None:
            found = problem(values[key])
            return None if found is None else f"[{key!r}] {found}"

        of_the_option.__name__, of_the_option.__doc__ = problem.__name__, problem.__doc__
        return alias_check(check_id, hint=hint)(of_the_option)

    return decorate


def options_check(
    keys: Sequence[str], check_id: str, *, hint: str | None = None
) -> Callable[[OptionProblem], AliasCheck]:
    """``option_check`` for each of ``keys`` (one id for the group), the hint ``hint`` or the key's default."""

    def decorate(problem: OptionProblem) -> AliasCheck:
        def check(where: str, options: Mapping[str, Any], values: Mapping[str, Any]) -> Iterator[CheckMessage]:
            for key in keys:
                found = problem(values[key])
                if found is not None:
                    yield Error(
                        f"{where}[{key!r}] {found}", hint=hint or f"The default is {DEFAULTS[key]!r}.", id=check_id
                    )

        check.__name__ = check.__qualname__ = problem.__name__
        return check

    return decorate


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
