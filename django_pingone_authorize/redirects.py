"""Where the browser is sent: a visitor's ``next`` (same site only) and the callback URL PingOne sends it back to.

Here, not in a view, so that approvals and the embedded sign-on use them without importing views.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlsplit

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from django_pingone_authorize.conf import AliasConfig


def safe_next_url(request: HttpRequest, value: str | None) -> str | None:
    """``value`` if it is a same-site URL Django's ``url_has_allowed_host_and_scheme`` accepts."""
    if not value:
        return None
    # build_absolute_uri("/") reuses the host this request already validated (no second get_host()).
    host = urlsplit(request.build_absolute_uri("/")).netloc
    if url_has_allowed_host_and_scheme(value, allowed_hosts={host}, require_https=request.is_secure()):
        return value
    return None


@functools.lru_cache(maxsize=32)
def _callback_path(urlconf: str | None, script_prefix: str) -> str:
    return reverse("pingone:callback", urlconf=urlconf)


def callback_uri(request: HttpRequest, config: AliasConfig) -> str:
    """``REDIRECT_URI``, or the absolute URL of ``pingone:callback`` (its path memoised per URLconf)."""
    if config.REDIRECT_URI:
        return config.REDIRECT_URI
    return request.build_absolute_uri(_callback_path(get_urlconf(), get_script_prefix()))


@receiver(setting_changed)
def _forget_callback_path(*, setting: str, **kwargs: Any) -> None:
    if setting == "ROOT_URLCONF":
        _callback_path.cache_clear()
