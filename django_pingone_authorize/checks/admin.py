"""The Django admin's login page and groups from claims (``admin.py``, ``backends.sync_groups``):
``pingone.E100``-``E105``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from django_pingone_authorize.checks.base import (
    AliasCheck,
    _each_alias,
    _strings,
    alias_check,
    option_check,
    options_check,
)
from django_pingone_authorize.conf import SETTING_NAME


@option_check("ADMIN_LOGIN", "pingone.E100")
def check_admin_login(value: Any) -> str | None:
    """True adds this alias's sign-on button to the admin's login page; 'only' also refuses the admin's password
    login."""
    return None if isinstance(value, bool) or value == "only" else f"must be False, True or 'only', not {value!r}."


@option_check("GROUPS_CLAIM", "pingone.E101")
def check_groups_claim(claim: Any) -> str | None:
    """PingOne sends the claim your application's attribute mapping names (see the Groups how-to)."""
    if claim is not None and (not isinstance(claim, str) or not claim):
        return "must be the name of a claim (e.g. 'groups') or None."
    return None


@option_check("GROUP_MAP", "pingone.E102")
def check_group_map(group_map: Any) -> str | None:
    """E.g. {'Editors': 'editors'}: a user whose claim holds 'Editors' is put in the Django group 'editors' (and
    taken out when it no longer does)."""
    if group_map is None or (
        isinstance(group_map, Mapping)
        and all(isinstance(k, str) and k and isinstance(v, str) and v for k, v in group_map.items())
    ):
        return None
    return "must be a dict of claim values to Django group names."


@options_check(
    ("STAFF_GROUPS", "SUPERUSER_GROUPS"),
    "pingone.E103",
    hint="E.g. ['Admins']. The default, [], leaves the flag alone.",
)
def check_flag_groups(value: Any) -> str | None:
    return None if _strings(value) else "must be a list of group names as the claim carries them."


@alias_check("pingone.E104")
def check_groups_need_a_claim(values: Mapping[str, Any]) -> str | None:
    """Name the claim that carries the groups, e.g. 'GROUPS_CLAIM': 'groups'; nothing is synced without it."""
    if not values["GROUPS_CLAIM"] and (values["GROUP_MAP"] or values["STAFF_GROUPS"] or values["SUPERUSER_GROUPS"]):
        return "sets GROUP_MAP, STAFF_GROUPS or SUPERUSER_GROUPS without GROUPS_CLAIM."
    return None


ADMIN_CHECKS: tuple[AliasCheck, ...] = (
    check_admin_login,
    check_groups_claim,
    check_group_map,
    check_flag_groups,
    check_groups_need_a_claim,
)


def check_admin_login_view_is_ours() -> Iterator[CheckMessage]:
    """With ``ADMIN_LOGIN = "only"``, the view the admin's login URL resolves to must be the one ``install()``
    wrapped: a custom ``AdminSite`` installed after its URLs were read keeps the password login, silently."""
    raw = getattr(settings, SETTING_NAME, None)
    if not isinstance(raw, Mapping) or not any(
        isinstance(options, Mapping) and options.get("ADMIN_LOGIN") == "only" for options in raw.values()
    ):
        return
    try:
        view = resolve(reverse("admin:login")).func
    except (NoReverseMatch, Resolver404, ImproperlyConfigured):
        return  # no admin in the URLconf: nothing to close
    from django_pingone_authorize.admin import INSTALLED  # the admin app is there: its URL resolved

    if not getattr(view, INSTALLED, False):
        yield Error(
            "ADMIN_LOGIN is 'only', but the admin's login URL still leads to the password login view.",
            hint="Call django_pingone_authorize.admin.install(site) on your AdminSite before its URLs are read "
            "(before path('admin/', site.urls) in urls.py).",
            id="pingone.E105",
        )


@register(Tags.security)
def check_admin_and_groups_settings(
    *, app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """ADMIN_LOGIN, GROUPS_CLAIM, GROUP_MAP, STAFF_GROUPS and SUPERUSER_GROUPS."""
    return _each_alias(ADMIN_CHECKS)


@register(Tags.security, Tags.urls)
def check_admin_login_view(*, app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """With ADMIN_LOGIN = "only": the admin's login URL leads to the wrapped view."""
    return list(check_admin_login_view_is_ours())
