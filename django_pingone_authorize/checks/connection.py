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


def check_auth_path_is_a_url(
    where: str, options: Mapping[str, Any], values: Mapping[str, Any]
) -> Iterator[CheckMessage]:
    if _auth_path_parts(values) is None:
        yield Error(
            f"{where}['AUTH_PATH'] is not a URL.",
            hint="Use e.g. 'https://auth.pingone.com' (your region) or 'https://login.example.com' (a custom domain).",
            id="pingone.E005",
        )


def check_auth_path_uses_https(
    where: str, options: Mapping[str, Any], values: Mapping[str, Any]
) -> Iterator[CheckMessage]:
    parts = _auth_path_parts(values)
    if parts is not None and parts.scheme != "https" and not is_loopback(parts.hostname or ""):
        yield Error(
            f"{where}['AUTH_PATH'] must use https.",
            hint="PingOne is only reachable over https; plain http is allowed on loopback for local stand-ins.",
            id="pingone.E021",
        )


def check_auth_path_is_not_the_issuer(
    where: str, options: Mapping[str, Any], values: Mapping[str, Any]
) -> Iterator[CheckMessage]:
    parts = _auth_path_parts(values)
    if parts is None:
        return
    segments = [segment for segment in parts.path.split("/") if segment]
    if any(segment.lower() == "as" or ENV_ID_PATTERN.match(segment) for segment in segments):
        yield Error(
            f"{where}['AUTH_PATH'] holds the environment ID or '/as': it looks like the issuer.",
            hint="AUTH_PATH is the host only, e.g. 'https://auth.pingone.com'; put the environment ID in ENV_ID. "
            "The issuer is built as {AUTH_PATH}/{ENV_ID}/as.",
            id="pingone.E022",
        )


def check_env_id_format(where: str, options: Mapping[str, Any], values: Mapping[str, Any]) -> Iterator[CheckMessage]:
    env_id = values["ENV_ID"]
    if env_id and (not isinstance(env_id, str) or not ENV_ID_PATTERN.match(env_id)):
        yield Error(
            f"{where}['ENV_ID'] is not a PingOne environment ID.",
            hint="It is a UUID such as 'abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6' "
            "(Environment > Properties in the admin console).",
            id="pingone.E006",
        )


def check_env_id_for_regional_host(
    where: str, options: Mapping[str, Any], values: Mapping[str, Any]
) -> Iterator[CheckMessage]:
    parts = _auth_path_parts(values)
    if not values["ENV_ID"] and parts is not None and parts.hostname and REGIONAL_HOSTS.match(parts.hostname):
        yield Error(
            f"{where} has no ENV_ID for the regional host {parts.hostname}.",
            hint="Set ENV_ID; leave it empty only with a custom domain in AUTH_PATH.",
            id="pingone.E023",
        )


def check_method(where: str, options: Mapping[str, Any], values: Mapping[str, Any]) -> Iterator[CheckMessage]:
    if values["METHOD"] not in METHODS:
        yield Error(
            f"{where}['METHOD'] must be 'GET' or 'POST', not {values['METHOD']!r}.",
            hint="'GET' redirects to /as/authorize; 'POST' submits a form to it.",
            id="pingone.E007",
        )


def check_response_mode(where: str, options: Mapping[str, Any], values: Mapping[str, Any]) -> Iterator[CheckMessage]:
    if values["RESPONSE_MODE"] not in RESPONSE_MODES:
        yield Error(
            f"{where}['RESPONSE_MODE'] is {values['RESPONSE_MODE']!r}.",
            hint="Use None (query), 'form_post' or 'pi.flow'.",
            id="pingone.E008",
        )


def check_scope_has_openid(where: str, options: Mapping[str, Any], values: Mapping[str, Any]) -> Iterator[CheckMessage]:
    scope = values["SCOPE"]
    scopes = scope.split() if isinstance(scope, str) else []
    if "openid" not in scopes:
        yield Error(
            f"{where}['SCOPE'] does not include 'openid'.",
            hint="Without 'openid' PingOne sends no ID token; use e.g. 'openid profile email'.",
            id="pingone.E033",
        )


def check_token_endpoint_auth_method(
    where: str, options: Mapping[str, Any], values: Mapping[str, Any]
) -> Iterator[CheckMessage]:
    method = values["TOKEN_ENDPOINT_AUTH_METHOD"]
    if method not in TOKEN_ENDPOINT_AUTH_METHODS:
        yield Error(
            f"{where}['TOKEN_ENDPOINT_AUTH_METHOD'] is {method!r}.",
            hint=f"Use one of {', '.join(TOKEN_ENDPOINT_AUTH_METHODS)}, as set on the application in PingOne.",
            id="pingone.E009",
        )


def check_client_secret_for_auth_method(
    where: str, options: Mapping[str, Any], values: Mapping[str, Any]
) -> Iterator[CheckMessage]:
    method = values["TOKEN_ENDPOINT_AUTH_METHOD"]
    if method in SECRET_AUTH_METHODS and not values["CLIENT_SECRET"]:
        yield Error(
            f"{where} uses {method} but has no CLIENT_SECRET.",
            hint="Set CLIENT_SECRET (read it from the environment, not from code), or use 'none' for a public client.",
            id="pingone.E010",
        )


def check_private_key_for_auth_method(
    where: str, options: Mapping[str, Any], values: Mapping[str, Any]
) -> Iterator[CheckMessage]:
    if values["TOKEN_ENDPOINT_AUTH_METHOD"] == "private_key_jwt" and not _private_key_ok(values["PRIVATE_KEY"]):
        yield Error(
            f"{where} uses private_key_jwt but PRIVATE_KEY is not a PEM private key.",
            hint="Set PRIVATE_KEY to the PEM of the key whose public half PingOne knows (the application's JWKS).",
            id="pingone.E024",
        )


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


def check_id_token_algorithms(
    where: str, options: Mapping[str, Any], values: Mapping[str, Any]
) -> Iterator[CheckMessage]:
    algorithms = _sequence(values["ID_TOKEN_ALGORITHMS"])
    if not algorithms or any(a not in ID_TOKEN_ALGORITHMS for a in algorithms):
        yield Error(
            f"{where}['ID_TOKEN_ALGORITHMS'] is {values['ID_TOKEN_ALGORITHMS']!r}.",
            hint="List signature algorithms such as ('RS256',); 'none' is never accepted.",
            id="pingone.E011",
        )


def check_client_secret_for_hs_id_tokens(
    where: str, options: Mapping[str, Any], values: Mapping[str, Any]
) -> Iterator[CheckMessage]:
    algorithms = _sequence(values["ID_TOKEN_ALGORITHMS"]) or ()
    valid = all(a in ID_TOKEN_ALGORITHMS for a in algorithms)  # else E011 says it
    if valid and any(a in HMAC_ALGORITHMS for a in algorithms) and not values["CLIENT_SECRET"]:
        yield Error(
            f"{where} accepts HS* ID tokens but has no CLIENT_SECRET.",
            hint="HS* ID tokens are keyed with the client secret; set it or accept only RS256.",
            id="pingone.E026",
        )


def check_client_secret_for_hs_request_objects(
    where: str, options: Mapping[str, Any], values: Mapping[str, Any]
) -> Iterator[CheckMessage]:
    algorithm = values["REQUEST_OBJECT_ALGORITHM"]
    if algorithm in HMAC_ALGORITHMS and not values["CLIENT_SECRET"]:
        yield Error(
            f"{where} signs request objects with {algorithm} but has no CLIENT_SECRET.",
            hint="Set CLIENT_SECRET or use RS256 with PRIVATE_KEY.",
            id="pingone.E012",
        )


def check_private_key_for_request_objects(
    where: str, options: Mapping[str, Any], values: Mapping[str, Any]
) -> Iterator[CheckMessage]:
    algorithm = values["REQUEST_OBJECT_ALGORITHM"]
    if algorithm in ASYMMETRIC_ALGORITHMS and not _private_key_ok(values["PRIVATE_KEY"]):
        yield Error(
            f"{where} signs request objects with {algorithm} but PRIVATE_KEY is not a PEM private key.",
            hint="Set PRIVATE_KEY to the PEM of the application's signing key.",
            id="pingone.E027",
        )


def check_request_object_algorithm(
    where: str, options: Mapping[str, Any], values: Mapping[str, Any]
) -> Iterator[CheckMessage]:
    algorithm = values["REQUEST_OBJECT_ALGORITHM"]
    if algorithm is not None and algorithm not in REQUEST_OBJECT_ALGORITHMS:
        yield Error(
            f"{where}['REQUEST_OBJECT_ALGORITHM'] is {algorithm!r}, which PingOne does not accept.",
            hint="Use None, HS256/HS384/HS512 (the client secret) or RS256/RS384/RS512 (PRIVATE_KEY): PingOne "
            "accepts no other request object.",
            id="pingone.E028",
        )


def check_private_key(where: str, options: Mapping[str, Any], values: Mapping[str, Any]) -> Iterator[CheckMessage]:
    if values["PRIVATE_KEY"] is not None and not _private_key_ok(values["PRIVATE_KEY"]):
        yield Error(
            f"{where}['PRIVATE_KEY'] cannot be read.",
            hint="It must be an unencrypted PEM private key (RSA or EC).",
            id="pingone.E016",
        )
