"""Where PingOne is and how the app talks to it: ``AUTH_PATH``, ``ENV_ID``, the hand-off, client authentication,
algorithms and keys (``pingone.E004``-``E012``, ``E016``, ``E021``-``E028``, ``E033``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.core.checks import CheckMessage, Error

from django_pingone_authorize.checks.base import (
    ENV_ID_PATTERN,
    ID_TOKEN_ALGORITHMS,
    REGIONAL_HOSTS,
    SECRET_AUTH_METHODS,
    _auth_path_parts,
    _private_key_ok,
    _sequence,
    alias_check,
    option_check,
)
from django_pingone_authorize.conf import (
    ASYMMETRIC_ALGORITHMS,
    HMAC_ALGORITHMS,
    METHODS,
    PRIVATE_KEY_JWT_ALGORITHMS,
    REQUEST_OBJECT_ALGORITHMS,
    RESPONSE_MODES,
    TOKEN_ENDPOINT_AUTH_METHODS,
)
from django_pingone_authorize.provider.url_safety import is_loopback


@alias_check("pingone.E005")
def check_auth_path_is_a_url(values: Mapping[str, Any]) -> str | None:
    """Use e.g. 'https://auth.pingone.com' (your region) or 'https://login.example.com' (a custom domain)."""
    return "['AUTH_PATH'] is not a URL." if _auth_path_parts(values) is None else None


@alias_check("pingone.E021")
def check_auth_path_uses_https(values: Mapping[str, Any]) -> str | None:
    """PingOne is only reachable over https; plain http is allowed on loopback for local stand-ins."""
    parts = _auth_path_parts(values)
    if parts is not None and parts.scheme != "https" and not is_loopback(parts.hostname or ""):
        return "['AUTH_PATH'] must use https."
    return None


@alias_check("pingone.E022")
def check_auth_path_is_not_the_issuer(values: Mapping[str, Any]) -> str | None:
    """AUTH_PATH is the host only, e.g. 'https://auth.pingone.com'; put the environment ID in ENV_ID. The issuer
    is built as {AUTH_PATH}/{ENV_ID}/as."""
    parts = _auth_path_parts(values)
    segments = [segment for segment in parts.path.split("/") if segment] if parts is not None else []
    if any(segment.lower() == "as" or ENV_ID_PATTERN.match(segment) for segment in segments):
        return "['AUTH_PATH'] holds the environment ID or '/as': it looks like the issuer."
    return None


@option_check("ENV_ID", "pingone.E006")
def check_env_id_format(env_id: Any) -> str | None:
    """It is a UUID such as 'abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6' (Environment > Properties in the admin
    console)."""
    if env_id and not (isinstance(env_id, str) and ENV_ID_PATTERN.match(env_id)):
        return "is not a PingOne environment ID."
    return None


@alias_check("pingone.E023")
def check_env_id_for_regional_host(values: Mapping[str, Any]) -> str | None:
    """Set ENV_ID; leave it empty only with a custom domain in AUTH_PATH."""
    parts = _auth_path_parts(values)
    if not values["ENV_ID"] and parts is not None and parts.hostname and REGIONAL_HOSTS.match(parts.hostname):
        return f"has no ENV_ID for the regional host {parts.hostname}."
    return None


@option_check("METHOD", "pingone.E007")
def check_method(method: Any) -> str | None:
    """'GET' redirects to /as/authorize; 'POST' submits a form to it."""
    return None if method in METHODS else f"must be 'GET' or 'POST', not {method!r}."


@option_check("RESPONSE_MODE", "pingone.E008")
def check_response_mode(mode: Any) -> str | None:
    """Use None (query), 'form_post' or 'pi.flow'."""
    return f"is {mode!r}." if mode not in RESPONSE_MODES else None


def check_scope_has_openid(where: str, options: Mapping[str, Any], values: Mapping[str, Any]) -> Iterator[CheckMessage]:
    scope = values["SCOPE"]
    scopes = scope.split() if isinstance(scope, str) else []
    if "openid" not in scopes:
        yield Error(
            f"{where}['SCOPE'] does not include 'openid'.",
            hint="Without 'openid' PingOne sends no ID token; use e.g. 'openid profile email'.",
            id="pingone.E033",
        )


@option_check(
    "TOKEN_ENDPOINT_AUTH_METHOD",
    "pingone.E009",
    hint=f"Use one of {', '.join(TOKEN_ENDPOINT_AUTH_METHODS)}, as set on the application in PingOne.",
)
def check_token_endpoint_auth_method(method: Any) -> str | None:
    if method in TOKEN_ENDPOINT_AUTH_METHODS:
        return None
    return f"is {method!r}."


@alias_check("pingone.E010")
def check_client_secret_for_auth_method(values: Mapping[str, Any]) -> str | None:
    """Set CLIENT_SECRET (read it from the environment, not from code), or use 'none' for a public client."""
    method = values["TOKEN_ENDPOINT_AUTH_METHOD"]
    needs_secret = method in SECRET_AUTH_METHODS and not values["CLIENT_SECRET"]
    return f"uses {method} but has no CLIENT_SECRET." if needs_secret else None


@alias_check("pingone.E024")
def check_private_key_for_auth_method(values: Mapping[str, Any]) -> str | None:
    """Set PRIVATE_KEY to the PEM of the key whose public half PingOne knows (the application's JWKS)."""
    if values["TOKEN_ENDPOINT_AUTH_METHOD"] != "private_key_jwt" or _private_key_ok(values["PRIVATE_KEY"]):
        return None
    return "uses private_key_jwt but PRIVATE_KEY is not a PEM private key."


def check_token_endpoint_auth_algorithm(
    where: str, options: Mapping[str, Any], values: Mapping[str, Any]
) -> Iterator[CheckMessage]:
    method, algorithm = values["TOKEN_ENDPOINT_AUTH_METHOD"], values["TOKEN_ENDPOINT_AUTH_ALGORITHM"]
    wanted = HMAC_ALGORITHMS if method == "client_secret_jwt" else PRIVATE_KEY_JWT_ALGORITHMS  # PingOne's
    if algorithm is not None and algorithm not in wanted:
        yield Error(
            f"{where}['TOKEN_ENDPOINT_AUTH_ALGORITHM'] {algorithm!r} does not fit {method}.",
            hint=f"Use one of {', '.join(wanted)}.",
            id="pingone.E025",
        )


@option_check("ID_TOKEN_ALGORITHMS", "pingone.E011")
def check_id_token_algorithms(value: Any) -> str | None:
    """List signature algorithms such as ('RS256',); 'none' is never accepted."""
    algorithms = _sequence(value)
    ok = bool(algorithms) and all(a in ID_TOKEN_ALGORITHMS for a in algorithms or ())
    return None if ok else f"is {value!r}."


@alias_check("pingone.E026")
def check_client_secret_for_hs_id_tokens(values: Mapping[str, Any]) -> str | None:
    """HS* ID tokens are keyed with the client secret; set it or accept only RS256."""
    algorithms = _sequence(values["ID_TOKEN_ALGORITHMS"]) or ()
    valid = all(a in ID_TOKEN_ALGORITHMS for a in algorithms)  # else E011 says it
    if valid and any(a in HMAC_ALGORITHMS for a in algorithms) and not values["CLIENT_SECRET"]:
        return "accepts HS* ID tokens but has no CLIENT_SECRET."
    return None


@alias_check("pingone.E012")
def check_client_secret_for_hs_request_objects(values: Mapping[str, Any]) -> str | None:
    """Set CLIENT_SECRET or use RS256 with PRIVATE_KEY."""
    algorithm = values["REQUEST_OBJECT_ALGORITHM"]
    if algorithm not in HMAC_ALGORITHMS or values["CLIENT_SECRET"]:
        return None
    return f"signs request objects with {algorithm} but has no CLIENT_SECRET."


@alias_check("pingone.E027")
def check_private_key_for_request_objects(values: Mapping[str, Any]) -> str | None:
    """Set PRIVATE_KEY to the PEM of the application's signing key."""
    algorithm = values["REQUEST_OBJECT_ALGORITHM"]
    unsigned = algorithm in ASYMMETRIC_ALGORITHMS and not _private_key_ok(values["PRIVATE_KEY"])
    return f"signs request objects with {algorithm} but PRIVATE_KEY is not a PEM private key." if unsigned else None


@option_check("REQUEST_OBJECT_ALGORITHM", "pingone.E028")
def check_request_object_algorithm(algorithm: Any) -> str | None:
    """Use None, HS256/HS384/HS512 (the client secret) or RS256/RS384/RS512 (PRIVATE_KEY): PingOne accepts no
    other request object."""
    if algorithm is not None and algorithm not in REQUEST_OBJECT_ALGORITHMS:
        return f"is {algorithm!r}, which PingOne does not accept."
    return None


@option_check("PRIVATE_KEY", "pingone.E016")
def check_private_key(pem: Any) -> str | None:
    """It must be an unencrypted PEM private key (RSA or EC)."""
    if pem is None or _private_key_ok(pem):
        return None
    return "cannot be read."
