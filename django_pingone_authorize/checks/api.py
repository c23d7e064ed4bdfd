"""Accepting PingOne access tokens (``api/``, ``PingOneTokenMiddleware``): ``pingone.E060``-``E068``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from django_pingone_authorize.checks.base import (
    AUTHENTICATION_MIDDLEWARE,
    SECRET_AUTH_METHODS,
    TOKEN_MIDDLEWARE,
    AliasCheck,
    _each_alias,
    _sequence,
    _whole_seconds,
    alias_check,
    option_check,
)
from django_pingone_authorize.conf import (
    ASYMMETRIC_ALGORITHMS,
    TOKEN_ENDPOINT_AUTH_METHODS,
)


@option_check("API_AUDIENCE", "pingone.E061")
def check_api_audience(value: Any) -> str | None:
    """Use the audience of the PingOne custom resource your API is (Applications → Resources)."""
    audiences = _sequence(value)
    if audiences is not None and all(isinstance(a, str) and a for a in audiences):
        return None
    return "must be a string or a list of strings."


@option_check("API_INTROSPECT", "pingone.E062")
def check_api_introspect(value: Any) -> str | None:
    """False validates JWT access tokens locally; True introspects every token; "opaque" only tokens that are
    not JWTs."""
    return None if value in (True, False, "opaque") else 'must be False, True or "opaque".'


@option_check("API_INTROSPECTION_MAX_CACHE", "pingone.E063")
def check_api_introspection_max_cache(max_cache: Any) -> str | None:
    """It bounds how long a revoked token may still be accepted; 0 introspects on every request."""
    if not _whole_seconds(max_cache):
        return "must be a whole number of seconds, 0 or more."
    return None


@alias_check("pingone.E064")
def check_api_algorithms(values: Mapping[str, Any]) -> str | None:
    """Access tokens are never accepted with HS* (the client secret): add 'RS256', PingOne's."""
    algorithms = _sequence(values["ID_TOKEN_ALGORITHMS"]) or ()
    if not _sequence(values["API_AUDIENCE"]) or values["API_INTROSPECT"] is True:
        return None
    if any(a in ASYMMETRIC_ALGORITHMS for a in algorithms):
        return None
    return "accepts access tokens (API_AUDIENCE) but ID_TOKEN_ALGORITHMS has no RS*/PS*/ES* algorithm."


@alias_check("pingone.E065")
def check_api_client_secret(values: Mapping[str, Any]) -> str | None:
    """Introspection authenticates with the resource's own ID and secret; set both, or neither to use the
    application's."""
    method = values["API_INTROSPECTION_AUTH_METHOD"]
    secret_method = method is None or method in SECRET_AUTH_METHODS
    if values["API_CLIENT_ID"] and not values["API_CLIENT_SECRET"] and secret_method:
        return "['API_CLIENT_ID'] is set without API_CLIENT_SECRET."
    return None


@option_check("API_REQUIRE_TYP", "pingone.E066")
def check_api_require_typ(value: Any) -> str | None:
    """ "auto" (the default) accepts PingOne's tokens without typ until the issuer has shown RFC 9068's typ
    'at+jwt', then requires it; True always requires it (PingOne sends it from 2 March 2027)."""
    return None if isinstance(value, bool) or value == "auto" else 'must be True, False or "auto".'


@alias_check("pingone.E067")
def check_api_audience_is_not_the_client(values: Mapping[str, Any]) -> str | None:
    """An ID token's audience is the client ID: it would pass for an access token. Use the audience of the
    PingOne custom resource your API is."""
    audiences = _sequence(values["API_AUDIENCE"]) or ()
    if values["CLIENT_ID"] and values["CLIENT_ID"] in audiences:
        return "['API_AUDIENCE'] holds the application's CLIENT_ID."
    return None


@option_check(
    "API_INTROSPECTION_AUTH_METHOD",
    "pingone.E068",
    hint=f"Use the resource's introspectEndpointAuthMethod: one of {', '.join(TOKEN_ENDPOINT_AUTH_METHODS)} (or None).",
)
def check_api_introspection_auth_method(method: Any) -> str | None:
    if method is not None and method not in TOKEN_ENDPOINT_AUTH_METHODS:
        return f"is {method!r}, not a method PingOne knows."
    return None


API_CHECKS: tuple[AliasCheck, ...] = (
    check_api_audience,
    check_api_introspect,
    check_api_introspection_max_cache,
    check_api_algorithms,
    check_api_client_secret,
    check_api_require_typ,
    check_api_audience_is_not_the_client,
    check_api_introspection_auth_method,
)


def check_token_middleware_order() -> Iterator[CheckMessage]:
    middleware = list(getattr(settings, "MIDDLEWARE", []))
    if TOKEN_MIDDLEWARE in middleware and (
        AUTHENTICATION_MIDDLEWARE not in middleware
        or middleware.index(TOKEN_MIDDLEWARE) < middleware.index(AUTHENTICATION_MIDDLEWARE)
    ):
        yield Error(
            "PingOneTokenMiddleware comes before AuthenticationMiddleware.",
            hint=f"Put {TOKEN_MIDDLEWARE!r} after {AUTHENTICATION_MIDDLEWARE!r}, which would otherwise "
            "replace the token's user with the session's.",
            id="pingone.E060",
        )


@register(Tags.security, Tags.compatibility)
def check_api_settings(*, app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """Options for protecting an API (API_*) and where PingOneTokenMiddleware sits."""
    return [*check_token_middleware_order(), *_each_alias(API_CHECKS)]
