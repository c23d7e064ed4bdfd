"""The Django admin: PingOne identities listed, and its login page with PingOne (an alias's ``ADMIN_LOGIN`` option).

``install(site)`` wraps an ``AdminSite``'s ``login`` view: its page shows the sign-on button of every alias with
``ADMIN_LOGIN`` (``True``: next to the password form; ``"only"``: instead of it), and with ``"only"`` a POST to
it -- a password login, even one crafted by hand with a correct password -- is refused with a 403 before
Django's form sees it. The options are read at each request, so ``override_settings`` works; the app's
``ready()`` installs it on ``admin.site`` when an alias has ``ADMIN_LOGIN``. A project with its own
``AdminSite`` calls ``install()`` on it (in its ``urls.py``, before ``site.urls``).

Only the admin's login view is closed: another password login view of the site (``/accounts/login/``) still
authenticates staff with ``ModelBackend``; take that backend out of ``AUTHENTICATION_BACKENDS`` to close them all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from django_pingone_authorize.conf import aliases, get_alias, raw_settings
from django_pingone_authorize.models import PingOneIdentity

logger = logging.getLogger(__name__)

#: Extends ``admin/login.html`` (whichever the project has) with the sign-on buttons.
LOGIN_TEMPLATE = "django_pingone_authorize/admin/login.html"
INSTALLED = "_pingone_admin_login"


def admin_login_aliases() -> tuple[list[str], bool]:
    """The aliases whose button the admin's login page shows, and whether one of them says ``"only"``."""
    shown: list[str] = []
    only = False
    for alias in aliases():
        options = raw_settings().get(alias)
        if not isinstance(options, Mapping) or not options.get("ADMIN_LOGIN"):
            continue
        setting = get_alias(alias).ADMIN_LOGIN
        if setting is True or setting == "only":
            shown.append(alias)
            only = only or setting == "only"
    return shown, only


def install(site: AdminSite) -> None:
    """Wrap ``site.login`` (once) and give the site the login template with the buttons, unless it has its own
    ``login_template`` (which may extend ``django_pingone_authorize/admin/login.html``)."""
    if getattr(site.login, INSTALLED, False):
        return
    original: Callable[..., HttpResponse] = site.login

    @wraps(original)
    def login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        shown, only = admin_login_aliases()
        if not shown:
            return original(request, extra_context)
        context = {
            **(extra_context or {}),
            "pingone_admin_aliases": shown,
            "pingone_admin_only": only,
            # Back to where the admin wanted to go; pingone:login checks it as any other ``next``.
            "pingone_admin_next": request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index", current_app=site.name),
        }
        if only and request.method == "POST":
            logger.warning("Password login to the Django admin refused: ADMIN_LOGIN is 'only'")
            refused = {**site.each_context(request), **context, "pingone_admin_refused": True}
            return TemplateResponse(request, site.login_template or "admin/login.html", refused, status=403)
        return original(request, context)

    setattr(login, INSTALLED, True)
    site.login = login  # type: ignore[method-assign]
    if site.login_template is None:
        site.login_template = LOGIN_TEMPLATE


def install_when_configured() -> None:
    """``ready()`` (only when ``django.contrib.admin`` is installed): install on ``admin.site`` when an alias asks."""
    if any(isinstance(options, Mapping) and options.get("ADMIN_LOGIN") for options in raw_settings().values()):
        install(admin.site)


@admin.register(PingOneIdentity)
class PingOneIdentityAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("subject", "issuer", "user", "created_at")
    search_fields = ("subject", "user__username", "user__email")
    raw_id_fields = ("user",)
    readonly_fields = ("created_at",)
