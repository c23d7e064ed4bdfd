"""Transaction approval (``approval/``) and the end user's IP sent to PingOne: ``pingone.E090``-``E092``,
``pingone.W093``."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Tags, Warning, register

from django_pingone_authorize.checks.base import (
    AliasCheck,
    _each_alias,
    _policy_string,
    _whole_seconds,
    option_check,
)
from django_pingone_authorize.conf import MIN_HMAC_SECRET_BYTES


@option_check("APPROVAL_TTL", "pingone.E090")
def check_approval_ttl(ttl: Any) -> str | None:
    """How long an approval stays usable once PingOne approved it; the default is 300 (five minutes)."""
    return None if _whole_seconds(ttl, minimum=1) else f"must be a positive whole number of seconds, not {ttl!r}."


@option_check("TRUSTED_PROXIES", "pingone.E091")
def check_trusted_proxies(proxies: Any) -> str | None:
    """Your reverse proxies' addresses, e.g. ['10.0.0.0/8', '2001:db8::1']; X-Forwarded-For is read only through
    them. The default, [], reads REMOTE_ADDR only."""
    try:
        if not isinstance(proxies, tuple) or not all(isinstance(proxy, str) for proxy in proxies):
            raise ValueError
        for proxy in proxies:
            ipaddress.ip_network(proxy.strip(), strict=False)
    except ValueError:
        return "must be a list of IP addresses or CIDR networks."
    return None


@option_check("APPROVAL_ACR_VALUES", "pingone.E092")
def check_approval_acr_values(acr: Any) -> str | None:
    """Use None (the alias's ACR_VALUES) or the PingOne sign-on policy that approves transactions with MFA, e.g.
    'Multi_Factor'."""
    if not _policy_string(acr):
        return "is not a space-separated string of sign-on policy names."
    return None


def check_embedded_signing(where: str, options: Mapping[str, Any], values: Mapping[str, Any]) -> Iterator[CheckMessage]:
    embedded = values["RESPONSE_MODE"] == "pi.flow" and values["SIGN_EMBEDDED_REQUESTS"] is True
    secret, key = values["CLIENT_SECRET"], values["PRIVATE_KEY"]
    long_secret = isinstance(secret, str) and len(secret.encode()) >= MIN_HMAC_SECRET_BYTES
    if embedded and not values["REQUEST_OBJECT_ALGORITHM"] and not long_secret and not key:
        yield Warning(
            f"{where} signs on embedded (pi.flow) but cannot sign its request object: PingOne will see this "
            "server's IP address for every user, not the user's (pi.remoteIp).",
            hint=f"Give the alias its CLIENT_SECRET (at least {MIN_HMAC_SECRET_BYTES} bytes, as PingOne's are) or "
            "a PRIVATE_KEY, or set SIGN_EMBEDDED_REQUESTS to False to send the parameters unsigned on purpose.",
            id="pingone.W093",
        )


APPROVAL_CHECKS: tuple[AliasCheck, ...] = (
    check_approval_ttl,
    check_trusted_proxies,
    check_approval_acr_values,
    check_embedded_signing,
)


@register(Tags.security)
def check_transaction_approval(*, app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """APPROVAL_TTL, TRUSTED_PROXIES and APPROVAL_ACR_VALUES (approval.py, client_ip.py)."""
    return _each_alias(APPROVAL_CHECKS)
