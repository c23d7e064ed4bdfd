"""``{% load pingone %}``: ``{% pingone_login_button %}`` and ``{% pingone_login_url %}``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.template.context import Context
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString

from django_pingone_authorize.conf import DEFAULT_ALIAS, PER_REQUEST_PARAMS, get_alias

register = template.Library()

BUTTON_TEMPLATE = "django_pingone_authorize/login_button.html"


def login_url(alias: str = DEFAULT_ALIAS, next_url: str | None = None, **params: Any) -> str:
    """The login URL of ``alias``, with ``next`` and allowed per-request parameters as a query."""
    url = reverse("pingone:login") if alias == DEFAULT_ALIAS else reverse("pingone:login", args=[alias])
    query = {name: str(value) for name, value in params.items() if name in PER_REQUEST_PARAMS and value}
    if next_url:
        query = {REDIRECT_FIELD_NAME: next_url, **query}
    return f"{url}?{urlencode(query)}" if query else url


def _current_path(context: Context) -> str | None:
    request = context.get("request")
    return request.get_full_path() if request is not None else None


@register.simple_tag(takes_context=True)
def pingone_login_button(
    context: Context,
    alias: str = DEFAULT_ALIAS,
    label: str | None = None,
    next: str | None = None,
    **params: Any,
) -> SafeString:
    """A POST form (with the CSRF token) that starts a sign-on; ``next`` defaults to the current page."""
    config = get_alias(alias)
    action = login_url(alias)
    extra = [(name, str(value)) for name, value in params.items() if name in PER_REQUEST_PARAMS and value]
    return render_to_string(
        BUTTON_TEMPLATE,
        {
            "action": action,
            "label": label or config.LABEL,
            "next": next if next is not None else _current_path(context),
            "params": extra,
            "alias": alias,
        },
        request=context.get("request"),
    )


@register.simple_tag(takes_context=True)
def pingone_login_url(
    context: Context,
    alias: str = DEFAULT_ALIAS,
    next: str | None = None,
    **params: Any,
) -> str:
    get_alias(alias)  # fail loudly on an unknown alias, as the button does
    return login_url(alias, next, **params)
