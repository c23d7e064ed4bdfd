"""Transaction approval (``approval/``): ``pingone.E090``-``E092``."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Tags, register

from django_pingone_authorize.checks.base import (
    AliasCheck,
    _each_alias,
    _policy_string,
    _whole_seconds,
    option_check,
)


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


APPROVAL_CHECKS: tuple[AliasCheck, ...] = (check_approval_ttl, check_trusted_proxies, check_approval_acr_values)


@register(Tags.security)
def check_transaction_approval(*, app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """APPROVAL_TTL, TRUSTED_PROXIES and APPROVAL_ACR_VALUES (approval.py, client_ip.py)."""
    return _each_alias(APPROVAL_CHECKS)
