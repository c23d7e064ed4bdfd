"""System checks (``manage.py check``): every misconfiguration of ``PINGONE_AUTHORIZE`` is an Error or
Warning with an id (``pingone.E001``...) and a hint saying how to fix it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import SplitResult, urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from django_pingone_authorize.conf import (
    ASYMMETRIC_ALGORITHMS,
    DEFAULTS,
    HMAC_ALGORITHMS,
    METHODS,
    PER_REQUEST_PARAMS,
    REQUIRED,
    RESPONSE_MODES,
    SETTING_NAME,
    TOKEN_ENDPOINT_AUTH_METHODS,
    suggest_key,
)
from django_pingone_authorize.provider import is_loopback

ENV_ID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
REGIONAL_HOSTS = re.compile(r"^auth\.pingone\.(com|eu|ca|com\.au|sg|asia)$")
BACKEND = "django_pingone_authorize.backends.PingOneBackend"
ID_TOKEN_ALGORITHMS = (*HMAC_ALGORITHMS, *ASYMMETRIC_ALGORITHMS)

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
)


def _err(id_: int, msg: str, hint: str) -> Error:
    return Error(msg, hint=hint, id=f"pingone.E{id_:03d}")


def _warn(id_: int, msg: str, hint: str) -> Warning:
    return Warning(msg, hint=hint, id=f"pingone.W{id_:03d}")


def _split(url: Any) -> SplitResult | None:
    """``urlsplit`` of a string, or None for anything that is not a URL (e.g. ``http://[oops``)."""
    if not isinstance(url, str):
        return None
    try:
        return urlsplit(url)
    except ValueError:
        return None


def _private_key_ok(pem: Any) -> bool:
    if not isinstance(pem, str) or "PRIVATE KEY" not in pem:
        return False
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        return False
    return True


def check_alias(alias: str, options: Mapping[str, Any]) -> list[CheckMessage]:
    where = f"{SETTING_NAME}[{alias!r}]"
    found: list[CheckMessage] = []
    for key in options:
        if key not in DEFAULTS:
            hint_key = suggest_key(str(key))
            found.append(
                _err(
                    3,
                    f"{where} has an unknown key {key!r}.",
                    f"Did you mean {hint_key!r}?" if hint_key else "Remove it; see the README's settings reference.",
                )
            )
    for key in REQUIRED:
        if not options.get(key):
            found.append(
                _err(4, f"{where} has no {key}.", "Copy it from the application's page in the PingOne admin console.")
            )
    values = {**DEFAULTS, **options}

    auth_path = values["AUTH_PATH"]
    parts = _split(auth_path)
    if parts is None or not parts.hostname or parts.scheme not in ("https", "http") or parts.query or parts.fragment:
        found.append(
            _err(
                5,
                f"{where}['AUTH_PATH'] is not a URL.",
                "Use e.g. 'https://auth.pingone.com' (your region) or 'https://login.example.com' (a custom domain).",
            )
        )
    elif parts.scheme != "https" and not is_loopback(parts.hostname):
        found.append(
            _err(
                5,
                f"{where}['AUTH_PATH'] must use https.",
                "PingOne is only reachable over https; plain http is allowed on loopback for local stand-ins.",
            )
        )
    env_id = values["ENV_ID"]
    if env_id and (not isinstance(env_id, str) or not ENV_ID_PATTERN.match(env_id)):
        found.append(
            _err(
                6,
                f"{where}['ENV_ID'] is not a PingOne environment ID.",
                "It is a UUID such as 'abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6' "
                "(Environment > Properties in the admin console).",
            )
        )
    if not env_id and parts is not None and parts.hostname and REGIONAL_HOSTS.match(parts.hostname):
        found.append(
            _err(
                6,
                f"{where} has no ENV_ID for the regional host {parts.hostname}.",
                "Set ENV_ID; leave it empty only with a custom domain in AUTH_PATH.",
            )
        )

    if values["METHOD"] not in METHODS and str(values["METHOD"]).upper() not in METHODS:
        found.append(
            _err(
                7,
                f"{where}['METHOD'] must be 'GET' or 'POST', not {values['METHOD']!r}.",
                "'GET' redirects to /as/authorize; 'POST' submits a form to it.",
            )
        )
    if values["RESPONSE_MODE"] not in RESPONSE_MODES:
        found.append(
            _err(
                8,
                f"{where}['RESPONSE_MODE'] is {values['RESPONSE_MODE']!r}.",
                "Use None (query), 'form_post' or 'pi.flow'.",
            )
        )

    method = values["TOKEN_ENDPOINT_AUTH_METHOD"]
    if method not in TOKEN_ENDPOINT_AUTH_METHODS:
        found.append(
            _err(
                9,
                f"{where}['TOKEN_ENDPOINT_AUTH_METHOD'] is {method!r}.",
                f"Use one of {', '.join(TOKEN_ENDPOINT_AUTH_METHODS)}, as set on the application in PingOne.",
            )
        )
    if method in ("client_secret_basic", "client_secret_post", "client_secret_jwt") and not values["CLIENT_SECRET"]:
        found.append(
            _err(
                10,
                f"{where} uses {method} but has no CLIENT_SECRET.",
                "Set CLIENT_SECRET (read it from the environment, not from code), or use 'none' for a public client.",
            )
        )
    if method == "private_key_jwt" and not _private_key_ok(values["PRIVATE_KEY"]):
        found.append(
            _err(
                10,
                f"{where} uses private_key_jwt but PRIVATE_KEY is not a PEM private key.",
                "Set PRIVATE_KEY to the PEM of the key whose public half PingOne knows (the application's JWKS).",
            )
        )
    auth_alg = values["TOKEN_ENDPOINT_AUTH_ALGORITHM"]
    if auth_alg is not None:
        wanted = HMAC_ALGORITHMS if method == "client_secret_jwt" else ASYMMETRIC_ALGORITHMS
        if auth_alg not in wanted:
            found.append(
                _err(
                    10,
                    f"{where}['TOKEN_ENDPOINT_AUTH_ALGORITHM'] {auth_alg!r} does not fit {method}.",
                    f"Use one of {', '.join(wanted)}.",
                )
            )

    algorithms = values["ID_TOKEN_ALGORITHMS"]
    algorithms = (algorithms,) if isinstance(algorithms, str) else tuple(algorithms or ())
    if not algorithms or any(a not in ID_TOKEN_ALGORITHMS for a in algorithms):
        found.append(
            _err(
                11,
                f"{where}['ID_TOKEN_ALGORITHMS'] is {algorithms!r}.",
                "List signature algorithms such as ('RS256',); 'none' is never accepted.",
            )
        )
    elif any(a in HMAC_ALGORITHMS for a in algorithms) and not values["CLIENT_SECRET"]:
        found.append(
            _err(
                11,
                f"{where} accepts HS* ID tokens but has no CLIENT_SECRET.",
                "HS* ID tokens are keyed with the client secret; set it or accept only RS256.",
            )
        )

    request_alg = values["REQUEST_OBJECT_ALGORITHM"]
    if request_alg is not None:
        if request_alg in HMAC_ALGORITHMS:
            if not values["CLIENT_SECRET"]:
                found.append(
                    _err(
                        12,
                        f"{where} signs request objects with {request_alg} but has no CLIENT_SECRET.",
                        "Set CLIENT_SECRET or use RS256 with PRIVATE_KEY.",
                    )
                )
        elif request_alg in ASYMMETRIC_ALGORITHMS:
            if not _private_key_ok(values["PRIVATE_KEY"]):
                found.append(
                    _err(
                        12,
                        f"{where} signs request objects with {request_alg} but PRIVATE_KEY is not a PEM private key.",
                        "Set PRIVATE_KEY to the PEM of the application's signing key.",
                    )
                )
        else:
            found.append(
                _err(
                    12,
                    f"{where}['REQUEST_OBJECT_ALGORITHM'] is {request_alg!r}.",
                    "Use None, an HS* or an RS* algorithm.",
                )
            )
    if values["PRIVATE_KEY"] is not None and not _private_key_ok(values["PRIVATE_KEY"]):
        found.append(
            _err(
                16, f"{where}['PRIVATE_KEY'] cannot be read.", "It must be an unencrypted PEM private key (RSA or EC)."
            )
        )

    params = values["REQUEST_PARAMS"]
    params = (params,) if isinstance(params, str) else tuple(params or ())
    unknown_params = [p for p in params if p not in PER_REQUEST_PARAMS]
    if unknown_params:
        found.append(
            _err(
                15,
                f"{where}['REQUEST_PARAMS'] names {unknown_params[0]!r}.",
                f"Per-request parameters are limited to {', '.join(PER_REQUEST_PARAMS)}.",
            )
        )

    for key in POSITIVE_NUMBERS:
        value = values[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            found.append(
                _err(
                    17,
                    f"{where}[{key!r}] must be a positive number, not {value!r}.",
                    f"The default is {DEFAULTS[key]!r}.",
                )
            )
    for key in NON_NEGATIVE_NUMBERS:
        value = values[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            found.append(
                _err(
                    17,
                    f"{where}[{key!r}] must be a whole number of seconds, not {value!r}.",
                    f"The default is {DEFAULTS[key]!r}.",
                )
            )
    for key in BOOLEANS:
        if not isinstance(values[key], bool):
            found.append(_err(17, f"{where}[{key!r}] must be True or False.", f"The default is {DEFAULTS[key]!r}."))
    if values["REQUIRE_ISS"] not in (True, False, "auto"):
        found.append(
            _err(
                17,
                f"{where}['REQUIRE_ISS'] must be True, False or 'auto'.",
                "The default 'auto' follows the issuer's discovery document.",
            )
        )
    if isinstance(values["TIMEOUT"], (int, float)) and values["TIMEOUT"] > 30:
        found.append(
            _warn(
                3,
                f"{where}['TIMEOUT'] is {values['TIMEOUT']}s.",
                "Long timeouts tie up workers when PingOne is slow; 10 s or less is usual.",
            )
        )

    for key in ("REDIRECT_URI", "POST_LOGOUT_REDIRECT_URI"):
        value = values[key]
        if value is not None and (
            (url := _split(value)) is None or url.scheme not in ("http", "https") or not url.netloc
        ):
            found.append(
                _err(
                    18,
                    f"{where}[{key!r}] must be an absolute URL.",
                    "Register the same URL on the application in PingOne.",
                )
            )

    if values["CACHE"] not in getattr(settings, "CACHES", {"default": {}}):
        found.append(
            _err(
                19,
                f"{where}['CACHE'] names the cache {values['CACHE']!r}, which is not in CACHES.",
                "Use a cache alias from settings.CACHES (shared by every worker, e.g. Redis or Memcached).",
            )
        )
    elif settings.CACHES[values["CACHE"]].get("BACKEND", "").endswith("DummyCache"):
        found.append(
            _warn(
                4,
                f"{where} uses a DummyCache: discovery and signing keys are fetched on every sign-on.",
                "Configure a real cache shared by the workers.",
            )
        )
    return found


@register(Tags.security, Tags.compatibility)
def check_settings(*, app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    raw = getattr(settings, SETTING_NAME, None)
    if raw is None:
        return [
            _err(
                1,
                f"{SETTING_NAME} is not set.",
                "Add PINGONE_AUTHORIZE = {'default': {'AUTH_PATH': ..., 'ENV_ID': ..., 'CLIENT_ID': ...}} "
                "to your settings.",
            )
        ]
    if not isinstance(raw, Mapping) or not raw:
        return [
            _err(
                1,
                f"{SETTING_NAME} must be a dict of aliases.",
                "Use {'default': {...}}; each key names one PingOne environment/application.",
            )
        ]
    for alias, options in raw.items():
        if not isinstance(alias, str) or not re.match(r"^[-a-zA-Z0-9_]+$", alias):
            found.append(
                _err(
                    2,
                    f"{SETTING_NAME} alias {alias!r} is not a slug.",
                    "Aliases appear in URLs (login/<alias>/): use letters, digits, '-' and '_'.",
                )
            )
            continue
        if not isinstance(options, Mapping):
            found.append(
                _err(2, f"{SETTING_NAME}[{alias!r}] must be a dict.", "Each alias maps option names to values.")
            )
            continue
        found.extend(check_alias(alias, options))

    middleware = list(getattr(settings, "MIDDLEWARE", []))
    if not any(m.endswith("SessionMiddleware") for m in middleware):
        found.append(
            _err(
                13,
                "django.contrib.sessions.middleware.SessionMiddleware is not in MIDDLEWARE.",
                "Pending sign-ons (state, nonce, PKCE) live in the session: add SessionMiddleware.",
            )
        )
    if not any(m.endswith("AuthenticationMiddleware") for m in middleware):
        found.append(
            _err(
                13,
                "django.contrib.auth.middleware.AuthenticationMiddleware is not in MIDDLEWARE.",
                "Add AuthenticationMiddleware after SessionMiddleware.",
            )
        )
    backends = list(getattr(settings, "AUTHENTICATION_BACKENDS", []))
    if not any(b == BACKEND or b.endswith(".PingOneBackend") for b in backends):
        found.append(
            _warn(
                1,
                f"{BACKEND} is not in AUTHENTICATION_BACKENDS.",
                f"Add {BACKEND!r}, or a subclass of it, or no PingOne user can sign on.",
            )
        )
    if getattr(settings, "SESSION_COOKIE_SAMESITE", "Lax") == "Strict":
        found.append(
            _warn(
                2,
                "SESSION_COOKIE_SAMESITE is 'Strict'.",
                "The return from PingOne is a cross-site navigation: with 'Strict' the session cookie is not "
                "sent and every sign-on fails. Use 'Lax'.",
            )
        )
    return found
