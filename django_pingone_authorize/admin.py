"""The Django admin: PingOne identities and sessions listed (and inline on the user's page), and its login page
with PingOne (an alias's ``ADMIN_LOGIN`` option).

``PingOneIdentity`` and ``PingOneSession`` have their own admin pages; the user's page gets both as inlines by
extending whatever ``ModelAdmin`` the site registered for its user model (``extend_user_admin``: a subclass
with two more ``inlines``, the site's own class otherwise untouched). It runs when this module is imported by
the admin's autodiscovery and again in ``ready()``, so it finds the site's user admin whichever app comes first.

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
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from django_pingone_authorize.conf import aliases, get_alias, raw_settings
from django_pingone_authorize.models import PingOneIdentity, PingOneSession

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


# What a session row shows: never the session key (encrypted or not) nor the token cache key.
SESSION_FIELDS = ("user", "alias", "issuer", "subject", "sid", "created_at")


@admin.register(PingOneSession)
class PingOneSessionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: rows are written at login and dropped at logout (``manage.py pingone_clearsessions`` prunes
    the rows of sessions that expired). Deleting a row does not end its session; "log out everywhere" does."""

    list_display = ("user", "alias", "issuer", "created_at")
    list_filter = ("alias",)
    search_fields = ("subject", "sid", "user__username", "user__email")
    fields = SESSION_FIELDS
    readonly_fields = SESSION_FIELDS
    list_select_related = ("user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PingOneIdentityInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PingOneIdentity
    fk_name = "user"
    fields = ("issuer", "subject", "created_at")
    readonly_fields = ("created_at",)
    extra = 0


class PingOneSessionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PingOneSession
    fk_name = "user"
    fields = SESSION_FIELDS[1:]
    readonly_fields = SESSION_FIELDS[1:]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


EXTENDED = "_pingone_inlines"


def extend_user_admin(site: AdminSite = admin.site) -> bool:
    """Add the PingOne identity and session inlines to the user model's registered admin (once). False when
    the site registers no admin for its user model (yet)."""
    user_model = get_user_model()
    if not site.is_registered(user_model):
        return False
    current = site._registry[user_model]  # get_model_admin() is Django 5.0+
    if getattr(type(current), EXTENDED, False):
        return True
    base = type(current)
    extended = type(
        base.__name__,
        (base,),
        {
            "inlines": [*base.inlines, PingOneIdentityInline, PingOneSessionInline],
            EXTENDED: True,
            "__module__": base.__module__,
        },
    )
    site.unregister(user_model)
    site.register(user_model, extended)
    return True


extend_user_admin()
