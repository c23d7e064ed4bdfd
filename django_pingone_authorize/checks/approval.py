"""Transaction approval (``approval/``) and the end user's IP sent to PingOne: ``pingone.E090``-``E092``,
``pingone.W093``."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from django_pingone_authorize.checks.base import (
    _each_alias,
    _policy_names,
)
from django_pingone_authorize.conf import MIN_HMAC_SECRET_BYTES


def check_transaction_approval_options(
    where: str, options: Mapping[str, Any], values: Mapping[str, Any]
) -> Iterator[CheckMessage]:
    ttl = values["APPROVAL_TTL"]
    if not isinstance(ttl, int) or isinstance(ttl, bool) or ttl <= 0:
        yield Error(
            f"{where}['APPROVAL_TTL'] must be a positive whole number of seconds, not {ttl!r}.",
            hint="How long an approval stays usable once PingOne approved it; the default is 300 (five minutes).",
            id="pingone.E090",
        )
    proxies = values["TRUSTED_PROXIES"]
    try:
        if not isinstance(proxies, tuple) or not all(isinstance(proxy, str) for proxy in proxies):
            raise ValueError
        for proxy in proxies:
            ipaddress.ip_network(proxy.strip(), strict=False)
    except ValueError:
        yield Error(
            f"{where}['TRUSTED_PROXIES'] must be a list of IP addresses or CIDR networks.",
            hint="Your reverse proxies' addresses, e.g. ['10.0.0.0/8', '2001:db8::1']; X-Forwarded-For is read "
            "only through them. The default, [], reads REMOTE_ADDR only.",
            id="pingone.E091",
        )
    acr = values["APPROVAL_ACR_VALUES"]
    if acr is not None and (not isinstance(acr, str) or not _policy_names(acr)):
        yield Error(
            f"{where}['APPROVAL_ACR_VALUES'] is not a space-separated string of sign-on policy names.",
            hint="Use None (the alias's ACR_VALUES) or the PingOne sign-on policy that approves transactions "
            "with MFA, e.g. 'Multi_Factor'.",
            id="pingone.E092",
        )

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


@register(Tags.security)
def check_transaction_approval(*, app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """APPROVAL_TTL, TRUSTED_PROXIES and APPROVAL_ACR_VALUES (approval.py, client_ip.py)."""
    return _each_alias((check_transaction_approval_options,))
