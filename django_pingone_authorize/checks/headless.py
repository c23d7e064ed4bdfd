"""The headless sign-on API (``PINGONE_AUTHORIZE_HEADLESS``, ``headless/``): ``pingone.E140``, ``pingone.E141``,
``pingone.W140``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from django_pingone_authorize.conf import raw_settings
from django_pingone_authorize.headless.settings import APP, SETTING, headless_settings

COOKIE_SESSIONS = "django.contrib.sessions.backends.signed_cookies"


@register(Tags.security, Tags.compatibility)
def check_headless_settings(*, app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """The setting's shape, the aliases it names, and a session engine app clients can use."""
    try:
        headless = headless_settings()
    except ImproperlyConfigured as error:
        return [
            Error(
                str(error),
                hint=f'Write {SETTING} = {{"CLIENTS": ["browser", "app"], "ALIASES": ["default"], '
                '"APP_REDIRECT_URIS": ["com.example.app:/pingone"]}} (every key optional), or leave it out to keep '
                "the headless API off.",
                id="pingone.E140",
            )
        ]
    if headless is None:
        return []
    found: list[CheckMessage] = []
    unknown = [alias for alias in headless.aliases if alias not in raw_settings()]
    if unknown:
        found.append(
            Error(
                f"{SETTING}['ALIASES'] names {unknown[0]!r}, which PINGONE_AUTHORIZE does not configure.",
                hint="List only aliases of PINGONE_AUTHORIZE, or leave ALIASES out to allow every alias.",
                id="pingone.E141",
            )
        )
    if headless.serves(APP) and settings.SESSION_ENGINE == COOKIE_SESSIONS:
        found.append(
            Warning(
                f"{SETTING} serves app clients, but SESSION_ENGINE keeps sessions in signed cookies.",
                hint="An app client's token names a session kept on the server: use the database or cache session "
                'engine, or serve browser clients only ("CLIENTS": ["browser"]).',
                id="pingone.W140",
            )
        )
    return found
