"""``{% load pingone %}``: ``{% pingone_login_button %}``, ``{% pingone_login_url %}``,
``{% pingone_logout_button %}`` and ``{% pingone_stylesheet %}``.

The tags take only the keyword arguments they name: a misspelt one (``lable=``) is a ``TemplateSyntaxError``
when the template is compiled, never silently dropped.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from inspect import Parameter
from typing import Any, TypeVar
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.template.context import Context
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from django_pingone_authorize.conf import DEFAULT_ALIAS, PER_REQUEST_PARAMS, get_alias

register = template.Library()

BUTTON_TEMPLATE = "django_pingone_authorize/login_button.html"
LOGOUT_BUTTON_TEMPLATE = "django_pingone_authorize/logout_button.html"
LOGOUT_LABEL = _("Log out")
STYLESHEET = "django_pingone_authorize/pingone.css"


def login_url(alias: str = DEFAULT_ALIAS, next_url: str | None = None, **params: Any) -> str:
    """The login URL of ``alias``, with ``next`` and allowed per-request parameters as a query."""
    url = reverse("pingone:login") if alias == DEFAULT_ALIAS else reverse("pingone:login", args=[alias])
    query = {name: str(value) for name, value in params.items() if name in PER_REQUEST_PARAMS and value}
    if next_url:
        query = {REDIRECT_FIELD_NAME: next_url, **query}
    return f"{url}?{urlencode(query)}" if query else url


def translated_label(label: str) -> str:
    """The alias's ``LABEL`` in the active language: the default is in the app's catalogue, a site's own label
    may be in the site's. (``gettext("")`` would answer the catalogue's header: an empty label stays empty.)"""
    return gettext(label) if label else label


def _current_path(context: Context) -> str | None:
    request = context.get("request")
    return request.get_full_path() if request is not None else None


_T = TypeVar("_T")


def per_request_keywords(tag: Callable[..., _T]) -> Callable[..., _T]:
    """Names ``PER_REQUEST_PARAMS`` as keyword-only arguments of ``tag``, which takes them as ``**params`` (each
    is sent when the alias's ``REQUEST_PARAMS`` allows it). Django reads a simple tag's signature: a misspelt
    keyword stays a ``TemplateSyntaxError`` when the template is compiled."""
    signature = inspect.signature(tag)
    parameters = [each for each in signature.parameters.values() if each.kind is not Parameter.VAR_KEYWORD]
    keyword, annotation = Parameter.KEYWORD_ONLY, "str | int | None"
    parameters += [Parameter(name, keyword, default=None, annotation=annotation) for name in PER_REQUEST_PARAMS]
    setattr(tag, "__signature__", signature.replace(parameters=parameters))  # noqa: B010 (a function attribute)
    return tag


def _given(params: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in params.items() if value not in (None, "")}


@register.simple_tag(takes_context=True)
@per_request_keywords
def pingone_login_button(
    context: Context, alias: str = DEFAULT_ALIAS, label: str | None = None, next: str | None = None, **params: Any
) -> SafeString:
    """A POST form (with the CSRF token) that starts a sign-on; ``next`` defaults to the current page.
    ``prompt``... ``login_hint_token`` go along when the alias's ``REQUEST_PARAMS`` allows them."""
    config = get_alias(alias)
    return render_to_string(
        BUTTON_TEMPLATE,
        {
            "action": login_url(alias),
            "label": label or translated_label(config.LABEL),
            "next": next if next is not None else _current_path(context),
            "params": [(name, str(value)) for name, value in _given(params).items()],
            "alias": alias,
        },
        request=context.get("request"),
    )


@register.simple_tag(takes_context=True)
@per_request_keywords
def pingone_login_url(context: Context, alias: str = DEFAULT_ALIAS, next: str | None = None, **params: Any) -> str:
    """The login URL (a GET link: the alias must allow ``ALLOW_GET_LOGIN``), with the same keywords."""
    get_alias(alias)  # fail loudly on an unknown alias, as the button does
    return login_url(alias, next, **_given(params))


@register.simple_tag(takes_context=True)
def pingone_logout_button(context: Context, label: str | None = None) -> SafeString:
    """A POST form (with the CSRF token) to ``pingone:logout``: logs out here, then signs off at PingOne."""
    return render_to_string(
        LOGOUT_BUTTON_TEMPLATE,
        {"action": reverse("pingone:logout"), "label": label or LOGOUT_LABEL},
        request=context.get("request"),
    )


@register.simple_tag
def pingone_stylesheet() -> str:
    """The ``<link>`` to the app's stylesheet (``{% static %}``), or nothing when static files cannot name it
    (no ``STATIC_URL``; a manifest storage before ``collectstatic``): the pages never fail over their looks."""
    if not getattr(settings, "STATIC_URL", None):
        return ""
    try:
        href = static(STYLESHEET)
    except ValueError:  # ManifestStaticFilesStorage without the file in its manifest
        return ""
    return format_html('<link rel="stylesheet" href="{}">', href)
