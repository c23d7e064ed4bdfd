"""What ``manage.py pingone_check`` asks the live PingOne environment of an alias.

``manage.py check`` (the rest of ``checks/``) reads only the settings; this module asks the provider itself whether it
agrees with them: its discovery document names the issuer the settings give, its JWKS holds keys for the
accepted ID token algorithms, it advertises the token-endpoint auth method, response mode, PAR and request
object algorithm the alias uses, and its clock is close to ours. Each answer is a ``Finding``.

Read-only: plain GET requests with the alias's timeout, no redirects followed, nothing cached or stored.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import requests

from django_pingone_authorize.conf import HMAC_ALGORITHMS, AliasConfig

Level = Literal["ok", "warning", "error"]

#: JWK key types per signature algorithm family (RFC 7518 §3.1).
KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC"}
#: What OpenID Connect Discovery 1.0 says a provider supports when it leaves the field out.
DEFAULT_AUTH_METHODS = ("client_secret_basic",)
DEFAULT_RESPONSE_MODES = ("query", "fragment")
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Finding:
    """One line of the report: ``ok``, ``warning`` (works, but worth fixing) or ``error`` (sign-ons fail)."""

    level: Level
    topic: str
    message: str

    @property
    def is_problem(self) -> bool:
        return self.level != "ok"

    def line(self) -> str:
        return f"{self.level.upper():<7} {self.topic}: {self.message}"


class _Unanswered(Exception):
    """The provider could not be asked; the message says why, in words."""


@dataclass(frozen=True)
class _Answer:
    status: int
    body: Any
    date: float | None


def _get(url: str, timeout: float) -> _Answer:
    try:
        with requests.get(url, timeout=timeout, allow_redirects=False, stream=True) as response:
            raw = response.raw.read(MAX_BODY_BYTES + 1, decode_content=True)
            date_header = response.headers.get("Date")
            status = response.status_code
    except requests.Timeout:
        raise _Unanswered(f"no answer from {url} within {timeout:g}s") from None
    except requests.RequestException as exc:
        raise _Unanswered(f"cannot reach {url} ({type(exc).__name__})") from None
    try:
        body = json.loads(raw) if raw and len(raw) <= MAX_BODY_BYTES else None
    except (ValueError, RecursionError):
        body = None
    date: float | None = None
    if date_header:
        try:
            date = email.utils.parsedate_to_datetime(date_header).timestamp()
        except (TypeError, ValueError):
            date = None
    return _Answer(status, body, date)


def _strings(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def check_discovery(config: AliasConfig, answer: _Answer, url: str) -> list[Finding]:
    if answer.status != 200:
        hint = " (check AUTH_PATH and ENV_ID)" if answer.status == 404 else ""
        return [Finding("error", "discovery", f"{url} answered HTTP {answer.status}{hint}")]
    if not isinstance(answer.body, dict):
        return [Finding("error", "discovery", f"{url} did not answer with a JSON object")]
    issuer = answer.body.get("issuer")
    if issuer != config.issuer:
        return [
            Finding(
                "error",
                "issuer",
                f"the provider says {issuer!r}, the settings give {config.issuer!r} (check AUTH_PATH and ENV_ID)",
            )
        ]
    return [Finding("ok", "discovery", f"{url} is reachable and names the issuer {config.issuer}")]


def _usable_key(key: object, algorithm: str) -> bool:
    if not isinstance(key, dict):
        return False
    wanted = KEY_TYPES.get(algorithm[:2])
    return (
        key.get("kty") == wanted
        and key.get("use") in (None, "sig")
        and key.get("alg") in (None, algorithm)
        and "d" not in key  # a private key published by mistake is no signing key of the provider's
    )


def check_keys(config: AliasConfig, document: dict[str, Any], timeout: float) -> list[Finding]:
    findings: list[Finding] = []
    advertised = _strings(document.get("id_token_signing_alg_values_supported"))
    accepted = config.ID_TOKEN_ALGORITHMS
    if advertised and not set(accepted) & set(advertised):
        findings.append(
            Finding(
                "error",
                "ID token algorithms",
                f"ID_TOKEN_ALGORITHMS {list(accepted)} has none of the advertised {advertised}",
            )
        )
    jwks_uri = document.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not jwks_uri:
        return [*findings, Finding("error", "keys", "discovery names no jwks_uri")]
    try:
        answer = _get(jwks_uri, timeout)
    except _Unanswered as exc:
        return [*findings, Finding("error", "keys", str(exc))]
    keys = answer.body.get("keys") if isinstance(answer.body, dict) else None
    if answer.status != 200 or not isinstance(keys, list):
        return [*findings, Finding("error", "keys", f"{jwks_uri} is not a readable JWKS (HTTP {answer.status})")]
    if any(isinstance(key, dict) and key.get("kty") == "oct" for key in keys):
        findings.append(Finding("warning", "keys", f"{jwks_uri} publishes symmetric (oct) keys"))
    for algorithm in accepted:
        if algorithm in HMAC_ALGORITHMS:
            findings.append(Finding("ok", "keys", f"{algorithm} ID tokens are keyed with CLIENT_SECRET"))
        elif any(_usable_key(key, algorithm) for key in keys):
            findings.append(Finding("ok", "keys", f"{jwks_uri} has a key for {algorithm}"))
        else:
            findings.append(
                Finding("error", "keys", f"{jwks_uri} has no {KEY_TYPES.get(algorithm[:2])} key for {algorithm}")
            )
    return findings


def check_advertised(config: AliasConfig, document: dict[str, Any]) -> list[Finding]:
    """What the alias uses must be what the provider says it supports."""
    findings: list[Finding] = []

    def compare(topic: str, used: str, field: str, default: Iterable[str] = ()) -> None:
        supported = _strings(document[field]) if field in document else list(default)
        if used in supported:
            findings.append(Finding("ok", topic, f"{used} is advertised ({field})"))
        else:
            findings.append(Finding("error", topic, f"{used} is not advertised; {field} is {supported}"))

    compare(
        "token endpoint auth",
        config.TOKEN_ENDPOINT_AUTH_METHOD,
        "token_endpoint_auth_methods_supported",
        DEFAULT_AUTH_METHODS,
    )
    if config.response_mode:
        compare("response mode", config.response_mode, "response_modes_supported", DEFAULT_RESPONSE_MODES)
    if config.USE_PAR:
        endpoint = document.get("pushed_authorization_request_endpoint")
        if isinstance(endpoint, str) and endpoint:
            findings.append(Finding("ok", "PAR", f"pushed_authorization_request_endpoint is {endpoint}"))
        else:
            findings.append(Finding("error", "PAR", "USE_PAR is on but no pushed_authorization_request_endpoint"))
    if config.REQUEST_OBJECT_ALGORITHM:
        compare("request object", config.REQUEST_OBJECT_ALGORITHM, "request_object_signing_alg_values_supported")
    return findings


def check_clock(config: AliasConfig, provider_time: float | None, our_time: float) -> Finding:
    if provider_time is None:
        return Finding("warning", "clock", "the provider sent no readable Date header; the clock was not compared")
    # The Date header has whole seconds: one more second of slack than the header can show.
    skew = our_time - provider_time
    if abs(skew) > config.LEEWAY + 1:
        direction = "ahead of" if skew > 0 else "behind"
        return Finding(
            "warning",
            "clock",
            f"this machine is {abs(skew):.0f}s {direction} the provider, past LEEWAY ({config.LEEWAY}s):"
            " ID tokens will be refused (set the clock, e.g. with NTP)",
        )
    return Finding("ok", "clock", f"within {config.LEEWAY}s of the provider's ({abs(skew):.0f}s apart)")


def check_application_settings(config: AliasConfig) -> list[Finding]:
    """What the application's settings in PingOne must say and discovery cannot show."""
    findings = []
    if config.IDP_SIGNOFF:
        findings.append(
            Finding(
                "ok",
                "sign-off",
                "IDP_SIGNOFF is on: /as/idpSignoff works only when the application's idpSignoff setting is turned "
                "on in PingOne (it cannot be read from here: check the application in the admin console)",
            )
        )
    if config.WORKER_CLIENT_ID and not config.ENV_ID:
        findings.append(
            Finding(
                "error",
                "management API",
                "worker credentials are set but ENV_ID is empty: PingOne's management API needs the environment "
                "ID and lives only on api.pingone.<region> (set ENV_ID and MANAGEMENT_API_PATH)",
            )
        )
    return findings


def check_environment(config: AliasConfig, *, clock: Callable[[], float] = time.time) -> list[Finding]:
    """Ask the provider of ``config`` and say what agrees with the settings and what does not."""
    url = f"{config.issuer}/.well-known/openid-configuration"
    before = clock()
    try:
        answer = _get(url, config.TIMEOUT)
    except _Unanswered as exc:
        return [Finding("error", "discovery", f"{exc} (check AUTH_PATH and the network)")]
    our_time = (before + clock()) / 2
    findings = check_discovery(config, answer, url)
    if findings[0].is_problem:
        return findings
    document: dict[str, Any] = answer.body
    findings += check_keys(config, document, config.TIMEOUT)
    findings += check_advertised(config, document)
    findings.append(check_clock(config, answer.date, our_time))
    findings += check_application_settings(config)
    return findings
