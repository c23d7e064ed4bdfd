"""``PINGONE_AUTHORIZE_HEADLESS``: whether the headless API is on, for which clients and aliases.

``PINGONE_AUTHORIZE_HEADLESS = {"CLIENTS": ["browser", "app"], "ALIASES": ["default"], "APP_REDIRECT_URIS":
["com.example.app:/pingone"]}``. Absent (or None): the API is off and each of its URLs answers 404. ``CLIENTS``
defaults to both kinds, ``ALIASES`` to every alias, ``APP_REDIRECT_URIS`` to none (``handoff.py``).
An unknown key or value is ``ImproperlyConfigured``, naming it. Read once, again after ``setting_changed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from django_pingone_authorize.conf import resets_on

SETTING = "PINGONE_AUTHORIZE_HEADLESS"
BROWSER = "browser"
APP = "app"
CLIENT_KINDS = (BROWSER, APP)
KEYS = ("CLIENTS", "ALIASES", "APP_REDIRECT_URIS")


@dataclass(frozen=True)
class HeadlessSettings:
    """``clients``: the kinds of client served; ``aliases``: the aliases a sign-on may start for (() = all);
    ``app_redirect_uris``: where a native app takes back a sign-on made in the system browser (``handoff.py``)."""

    clients: tuple[str, ...] = CLIENT_KINDS
    aliases: tuple[str, ...] = ()
    app_redirect_uris: tuple[str, ...] = ()

    def serves(self, client: str) -> bool:
        return client in self.clients

    def allows(self, alias: str) -> bool:
        return not self.aliases or alias in self.aliases


_read: list[HeadlessSettings | None] = []


def _strings(given: Mapping[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = given.get(key, default)
    items = (value,) if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(item, str) for item in items):
        raise ImproperlyConfigured(f"{SETTING}[{key!r}] must be a list of strings.")
    return tuple(items)


def headless_settings() -> HeadlessSettings | None:
    """The settings in force, or None when the headless API is off."""
    if not _read:
        given = getattr(settings, SETTING, None)
        if given is None:
            _read.append(None)
            return None
        if not isinstance(given, Mapping):
            raise ImproperlyConfigured(f"{SETTING} must be a dict (or None to leave the headless API off).")
        unknown = [key for key in given if key not in KEYS]
        if unknown:
            raise ImproperlyConfigured(f"{SETTING} has an unknown key {unknown[0]!r} (known: {', '.join(KEYS)}).")
        clients = _strings(given, "CLIENTS", CLIENT_KINDS)
        strange = [client for client in clients if client not in CLIENT_KINDS]
        if strange:
            raise ImproperlyConfigured(f"{SETTING}['CLIENTS'] has {strange[0]!r}: use 'browser' and/or 'app'.")
        redirect_uris = _strings(given, "APP_REDIRECT_URIS", ())
        schemeless = [uri for uri in redirect_uris if ":" not in uri or uri.split(":", 1)[0].lower() in ("http", "")]
        if schemeless:
            raise ImproperlyConfigured(
                f"{SETTING}['APP_REDIRECT_URIS'] has {schemeless[0]!r}: use an https link or the app's own scheme."
            )
        _read.append(
            HeadlessSettings(clients=clients, aliases=_strings(given, "ALIASES", ()), app_redirect_uris=redirect_uris)
        )
    return _read[0]


@resets_on(SETTING)
def reset_caches() -> None:
    _read.clear()
