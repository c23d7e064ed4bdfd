"""Transaction approval (``approval/``) and the end user's IP sent to PingOne: ``pingone.E090``-``E093``,
``pingone.W093``."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.urls import URLPattern, URLResolver, get_resolver

from django_pingone_authorize.approval.request import APPROVAL_ALIAS_SETTING, VIEW_ATTRIBUTE, site_approval_alias
from django_pingone_authorize.checks.base import (
    AliasCheck,
    _each_alias,
    _policy_string,
    _whole_seconds,
    alias_check,
    option_check,
)
from django_pingone_authorize.conf import MIN_HMAC_SECRET_BYTES, SETTING_NAME, normalise


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


@alias_check(
    "pingone.W093",
    level=Warning,
    hint=f"Give the alias its CLIENT_SECRET (at least {MIN_HMAC_SECRET_BYTES} bytes, as PingOne's are) or a "
    "PRIVATE_KEY, or set SIGN_EMBEDDED_REQUESTS to False to send the parameters unsigned on purpose.",
)
def check_embedded_signing(values: Mapping[str, Any]) -> str | None:
    embedded = values["RESPONSE_MODE"] == "pi.flow" and values["SIGN_EMBEDDED_REQUESTS"] is True
    secret, key = values["CLIENT_SECRET"], values["PRIVATE_KEY"]
    long_secret = isinstance(secret, str) and len(secret.encode()) >= MIN_HMAC_SECRET_BYTES
    if embedded and not values["REQUEST_OBJECT_ALGORITHM"] and not long_secret and not key:
        return (
            "signs on embedded (pi.flow) but cannot sign its request object: PingOne will see this server's IP "
            "address for every user, not the user's (pi.remoteIp)."
        )
    return None


APPROVAL_CHECKS: tuple[AliasCheck, ...] = (
    check_approval_ttl,
    check_trusted_proxies,
    check_approval_acr_values,
    check_embedded_signing,
)


def _views(patterns: Iterable[Any]) -> Iterator[Any]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            yield pattern.callback


def approval_aliases_in_use() -> set[str]:
    """The aliases approvals may run under: those of the URLconf's views with ``approval_required`` or
    ``ApprovalRequiredMixin``, and ``PINGONE_AUTHORIZE_APPROVAL_ALIAS`` when set."""
    from django_pingone_authorize.mixins import ApprovalRequiredMixin  # views' side: imported when checked

    found: set[str] = set()
    if getattr(settings, APPROVAL_ALIAS_SETTING, None):
        found.add(site_approval_alias())
    try:
        views = list(_views(get_resolver().url_patterns))
    except Exception:  # the URLconf's own errors are Django's checks' to report
        return found
    for view in views:
        view_class = getattr(view, "view_class", None)
        if hasattr(view, VIEW_ATTRIBUTE):
            found.add(getattr(view, VIEW_ATTRIBUTE) or site_approval_alias())
        elif isinstance(view_class, type) and issubclass(view_class, ApprovalRequiredMixin):
            found.add(view_class.approval_alias or site_approval_alias())
    return found


def check_approval_aliases_have_a_policy() -> Iterator[CheckMessage]:
    """Every alias approvals may run under (``approval_required``/``ApprovalRequiredMixin`` in the URLconf's
    views, ``PINGONE_AUTHORIZE_APPROVAL_ALIAS``) asks a sign-on policy: else any policy PingOne applies,
    password only included, approves."""
    raw = getattr(settings, SETTING_NAME, None)
    if not isinstance(raw, Mapping):
        return
    for alias in sorted(approval_aliases_in_use()):
        options = raw.get(alias)
        where = f"{SETTING_NAME}[{alias!r}]"
        if not isinstance(options, Mapping):
            yield Error(
                f"Transaction approvals run under the alias {alias!r}, which {SETTING_NAME} does not configure.",
                hint=f"Configure it, or name a configured alias in {APPROVAL_ALIAS_SETTING} or the view's alias=.",
                id="pingone.E093",
            )
            continue
        values = normalise(options)
        if not values["APPROVAL_ACR_VALUES"] and not values["ACR_VALUES"]:
            yield Error(
                f"{where} runs transaction approvals but asks no sign-on policy.",
                hint="Set APPROVAL_ACR_VALUES to the PingOne sign-on policy that approves with MFA (e.g. "
                "'Multi_Factor'): approvals are then refused unless PingOne applied it.",
                id="pingone.E093",
            )


@register(Tags.security)
def check_transaction_approval(*, app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """APPROVAL_TTL, TRUSTED_PROXIES and APPROVAL_ACR_VALUES (approval.py, client_ip.py)."""
    return _each_alias(APPROVAL_CHECKS)


@register(Tags.security, Tags.urls)
def check_approval_policies(*, app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """A sign-on policy for every alias approvals run under (the URLconf's views, the site's approval alias)."""
    return list(check_approval_aliases_have_a_policy())
