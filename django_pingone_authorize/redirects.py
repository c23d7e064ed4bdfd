"""Where the browser is sent: a visitor's ``next`` (same site only) and the callback URL PingOne sends it back to.

Here, not in a view, so that approvals and the embedded sign-on use them without importing views.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import urlsplit

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.encoding import iri_to_uri
from django.utils.http import url_has_allowed_host_and_scheme

from django_pingone_authorize.conf import AliasConfig

# A path on this site and nothing else: "/" then no second "/" or "\\" (which would make it "//host"), and only
# printable URL characters (browsers drop tabs and newlines, so "/\t/evil" is "//evil"). Every value this
# matches, ``url_has_allowed_host_and_scheme`` accepts too (``tests/test_redirects.py`` checks it with
# hypothesis); anything else goes to Django's check.
_SAME_SITE_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@%/?#]*")

ORIGIN_ATTRIBUTE = "_pingone_origin"


def request_origin(request: HttpRequest) -> str:
    """``scheme://host`` of ``request``, its Host validated (``ALLOWED_HOSTS``) once per request."""
    origin: str | None = request.__dict__.get(ORIGIN_ATTRIBUTE)
    if origin is None:
        origin = request.__dict__[ORIGIN_ATTRIBUTE] = f"{request.scheme}://{request.get_host()}"
    return origin


def safe_next_url(request: HttpRequest, value: str | None) -> str | None:
    """``value`` if it is a same-site URL Django's ``url_has_allowed_host_and_scheme`` accepts."""
    if not value:
        return None
    if _SAME_SITE_PATH.fullmatch(value):
        return value
    host = urlsplit(request_origin(request)).netloc
    if url_has_allowed_host_and_scheme(value, allowed_hosts={host}, require_https=request.is_secure()):
        return value
    return None


@functools.lru_cache(maxsize=64)
def _callback_url(origin: str, urlconf: str | None, script_prefix: str) -> str:
    return iri_to_uri(origin + reverse("pingone:callback", urlconf=urlconf))


def callback_uri(request: HttpRequest, config: AliasConfig) -> str:
    """``REDIRECT_URI``, or the absolute URL of ``pingone:callback`` (memoised per origin and URLconf)."""
    if config.REDIRECT_URI:
        return config.REDIRECT_URI
    return _callback_url(request_origin(request), get_urlconf(), get_script_prefix())


@receiver(setting_changed)
def _forget_callback_urls(*, setting: str, **kwargs: Any) -> None:
    if setting == "ROOT_URLCONF":
        _callback_url.cache_clear()
