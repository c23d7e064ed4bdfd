"""Transaction approval (``approval/``): ``pingone.E090``-``E093``."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.urls import URLPattern, URLResolver, get_resolver

from django_pingone_authorize.approval.request import APPROVAL_ALIAS_SETTING, VIEW_ATTRIBUTE, site_approval_alias
from django_pingone_authorize.checks.base import (
    _each_alias,
    _policy_names,
)
from django_pingone_authorize.conf import SETTING_NAME, normalise


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
    return _each_alias((check_transaction_approval_options,))


@register(Tags.security, Tags.urls)
def check_approval_policies(*, app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """A sign-on policy for every alias approvals run under (the URLconf's views, the site's approval alias)."""
    return list(check_approval_aliases_have_a_policy())
