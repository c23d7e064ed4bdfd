"""Every alias's options as a whole: unknown and missing keys, numbers, yes/no options, URLs and the cache
(``pingone.E001``-``E003``, ``E014``, ``E015``, ``E017``-``E020``, ``E029``-``E031``, ``E070``, ``W003``-``W005``,
``W070``); ``check_settings`` runs them with the project checks."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from django_pingone_authorize.checks.base import (
    BOOLEANS,
    NON_NEGATIVE_NUMBERS,
    POSITIVE_NUMBERS,
    AliasCheck,
    _sequence,
    _split,
    _whole_seconds,
    alias_check,
    option_check,
    options_check,
)
from django_pingone_authorize.checks.connection import (
    check_auth_path_is_a_url,
    check_auth_path_is_not_the_issuer,
    check_auth_path_uses_https,
    check_client_secret_for_auth_method,
    check_client_secret_for_hs_id_tokens,
    check_client_secret_for_hs_request_objects,
    check_env_id_for_regional_host,
    check_env_id_format,
    check_id_token_algorithms,
    check_method,
    check_private_key,
    check_private_key_for_auth_method,
    check_private_key_for_request_objects,
    check_request_object_algorithm,
    check_response_mode,
    check_scope_has_openid,
    check_token_endpoint_auth_algorithm,
    check_token_endpoint_auth_method,
)
from django_pingone_authorize.checks.project import (
    PROJECT_CHECKS,
)
from django_pingone_authorize.conf import (
    DEFAULTS,
    PER_REQUEST_PARAMS,
    REQUIRED,
    SETTING_NAME,
    normalise,
    suggest_key,
)


def check_unknown_keys(where: str, options: Mapping[str, Any], values: Mapping[str, Any]) -> Iterator[CheckMessage]:
    for key in options:
        if key not in DEFAULTS:
            hint_key = suggest_key(str(key))
            yield Error(
                f"{where} has an unknown key {key!r}.",
                hint=f"Did you mean {hint_key!r}?" if hint_key else "Remove it; see the README's settings reference.",
                id="pingone.E003",
            )


def check_required_keys(where: str, options: Mapping[str, Any], values: Mapping[str, Any]) -> Iterator[CheckMessage]:
    for key in REQUIRED:
        if not options.get(key):
            yield Error(
                f"{where} has no {key}.",
                hint="Copy it from the application's page in the PingOne admin console.",
                id="pingone.E004",
            )


def check_request_params(where: str, options: Mapping[str, Any], values: Mapping[str, Any]) -> Iterator[CheckMessage]:
    params = _sequence(values["REQUEST_PARAMS"])
    unknown = [p for p in params if p not in PER_REQUEST_PARAMS] if params is not None else [values["REQUEST_PARAMS"]]
    if unknown:
        yield Error(
            f"{where}['REQUEST_PARAMS'] names {unknown[0]!r}.",
            hint=f"Per-request parameters are limited to {', '.join(PER_REQUEST_PARAMS)}.",
            id="pingone.E015",
        )


@options_check(POSITIVE_NUMBERS, "pingone.E017")
def check_positive_numbers(value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return None
    return f"must be a positive number, not {value!r}."


@options_check(NON_NEGATIVE_NUMBERS, "pingone.E029")
def check_whole_seconds(value: Any) -> str | None:
    return None if _whole_seconds(value) else f"must be a whole number of seconds, not {value!r}."


@options_check(BOOLEANS, "pingone.E030")
def check_booleans(value: Any) -> str | None:
    return "must be True or False." if not isinstance(value, bool) else None


def check_session_check_interval(
    where: str, options: Mapping[str, Any], values: Mapping[str, Any]
) -> Iterator[CheckMessage]:
    interval = values.get("SESSION_CHECK_INTERVAL")
    if interval is None:
        return
    if not _whole_seconds(interval, minimum=1):
        yield Error(
            f"{where}['SESSION_CHECK_INTERVAL'] must be None or a whole number of seconds above 0.",
            hint="E.g. 300: a signed-on request asks PingOne again when the last answer is 5 minutes old.",
            id="pingone.E070",
        )
    elif not values.get("STORE_TOKENS") or "offline_access" not in str(values.get("SCOPE", "")).split():
        yield Warning(
            f"{where}['SESSION_CHECK_INTERVAL'] is set, but the alias may keep no refresh token to check with.",
            hint="The session check refreshes the tokens: set STORE_TOKENS = True and add offline_access to "
            "SCOPE (or turn on PingOne's refresh token setting for the application and ignore this warning).",
            id="pingone.W070",
        )


@option_check("REQUIRE_ISS", "pingone.E031")
def check_require_iss(value: Any) -> str | None:
    """The default 'auto' follows the issuer's discovery document."""
    if value in (True, False, "auto"):
        return None
    return "must be True, False or 'auto'."


@alias_check("pingone.W003", level=Warning)
def check_timeout_is_short(values: Mapping[str, Any]) -> str | None:
    """Long timeouts tie up workers when PingOne is slow; 10 s or less is usual."""
    timeout = values["TIMEOUT"]
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 30:
        return f"['TIMEOUT'] is {timeout}s."
    return None


@options_check(
    ("REDIRECT_URI", "POST_LOGOUT_REDIRECT_URI"),
    "pingone.E018",
    hint="Register the same URL on the application in PingOne.",
)
def check_absolute_urls(value: Any) -> str | None:
    url = _split(value) if value is not None else None
    if value is None or (url is not None and url.scheme in ("http", "https") and url.netloc):
        return None
    return "must be an absolute URL."


@alias_check("pingone.E019")
def check_cache_alias(values: Mapping[str, Any]) -> str | None:
    """Use a cache alias from settings.CACHES (shared by every worker, e.g. Redis or Memcached)."""
    cache = values["CACHE"]
    if isinstance(cache, str) and cache in getattr(settings, "CACHES", {"default": {}}):
        return None
    return f"['CACHE'] names the cache {cache!r}, which is not in CACHES."


@alias_check("pingone.W004", level=Warning)
def check_cache_is_real(values: Mapping[str, Any]) -> str | None:
    """Configure a real cache shared by the workers."""
    cache = getattr(settings, "CACHES", {}).get(values["CACHE"]) if isinstance(values["CACHE"], str) else None
    if isinstance(cache, Mapping) and str(cache.get("BACKEND", "")).endswith("DummyCache"):
        return "uses a DummyCache: discovery and signing keys are fetched on every sign-on."
    return None


@alias_check("pingone.W005", level=Warning)
def check_registration_is_embedded(values: Mapping[str, Any]) -> str | None:
    """Registration is offered on the site's own sign-on page only: set RESPONSE_MODE='pi.flow' (and enable
    registration in the PingOne sign-on policy), or leave REGISTRATION off."""
    if values["REGISTRATION"] is True and values["RESPONSE_MODE"] != "pi.flow":
        return "['REGISTRATION'] is on, but RESPONSE_MODE is not 'pi.flow': no page of this site offers it."
    return None


ALIAS_CHECKS: tuple[AliasCheck, ...] = (
    check_unknown_keys,
    check_required_keys,
    check_auth_path_is_a_url,
    check_auth_path_uses_https,
    check_auth_path_is_not_the_issuer,
    check_env_id_format,
    check_env_id_for_regional_host,
    check_method,
    check_response_mode,
    check_scope_has_openid,
    check_token_endpoint_auth_method,
    check_client_secret_for_auth_method,
    check_private_key_for_auth_method,
    check_token_endpoint_auth_algorithm,
    check_id_token_algorithms,
    check_client_secret_for_hs_id_tokens,
    check_client_secret_for_hs_request_objects,
    check_private_key_for_request_objects,
    check_request_object_algorithm,
    check_private_key,
    check_request_params,
    check_positive_numbers,
    check_whole_seconds,
    check_booleans,
    check_require_iss,
    check_session_check_interval,
    check_timeout_is_short,
    check_absolute_urls,
    check_cache_alias,
    check_cache_is_real,
    check_registration_is_embedded,
)


def check_alias(alias: str, options: Mapping[str, Any]) -> list[CheckMessage]:
    where = f"{SETTING_NAME}[{alias!r}]"
    values = normalise(options)
    return [message for check in ALIAS_CHECKS for message in check(where, options, values)]


def check_aliases() -> Iterator[CheckMessage]:
    raw = getattr(settings, SETTING_NAME, None)
    if raw is None:
        yield Error(
            f"{SETTING_NAME} is not set.",
            hint="Add PINGONE_AUTHORIZE = {'default': {'AUTH_PATH': ..., 'ENV_ID': ..., 'CLIENT_ID': ...}} "
            "to your settings.",
            id="pingone.E001",
        )
        return
    if not isinstance(raw, Mapping) or not raw:
        yield Error(
            f"{SETTING_NAME} must be a dict of aliases.",
            hint="Use {'default': {...}}; each key names one PingOne environment/application.",
            id="pingone.E014",
        )
        return
    for alias, options in raw.items():
        if not isinstance(alias, str) or not re.match(r"^[-a-zA-Z0-9_]+$", alias):
            yield Error(
                f"{SETTING_NAME} alias {alias!r} is not a slug.",
                hint="Aliases appear in URLs (login/<alias>/): use letters, digits, '-' and '_'.",
                id="pingone.E002",
            )
        elif not isinstance(options, Mapping):
            yield Error(
                f"{SETTING_NAME}[{alias!r}] must be a dict.",
                hint="Each alias maps option names to values.",
                id="pingone.E020",
            )
        else:
            yield from check_alias(alias, options)


@register(Tags.security, Tags.compatibility)
def check_settings(*, app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    found = list(check_aliases())
    if any(message.id in ("pingone.E001", "pingone.E014") for message in found):
        return found  # nothing to use: the rest would only add noise
    for check in PROJECT_CHECKS:
        found.extend(check())
    return found
