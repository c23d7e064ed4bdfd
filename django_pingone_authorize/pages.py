"""The app's own pages: the headers every one of them sends, and how a failed sign-on ends.

Headers, whatever the site's middleware: the sign-on pages, the auto-submitting POST page, the ``form_post``
hop page and the error page are never framed (clickjacking), and say how much of their URL may go along as a
``Referer``. ``protect_page`` is called where each page is rendered; it adds the page's needs to the site's
Content-Security-Policy (django-csp 4, Django 6's own, or a header already set) rather than replacing it.

A failed sign-on is logged (without secrets), signalled, and shown as an overridable page. The status is the
error's: 4xx for the visitor's or the site's refusals (a cancel is a 403 with the neutral heading "Sign on
cancelled"), 502/503 when PingOne cannot be reached or answers nothing usable.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from django_pingone_authorize.errors import ProviderError, SignOnError, printable
from django_pingone_authorize.signals import sign_on_failed

# What ``never_cache`` sends, as constants (an ``Expires`` in the past means the same as its "now").
NEVER_CACHE_HEADERS = {
    "Cache-Control": "max-age=0, no-cache, no-store, must-revalidate, private",
    "Expires": "Thu, 01 Jan 1970 00:00:00 GMT",
}
_View = TypeVar("_View", bound=Callable[..., HttpResponseBase])


def never_cached(view: _View) -> _View:
    """``never_cache`` for a view on the sign-on's hot path (the login, the callback), applied once to the view
    function: ``method_decorator`` on ``dispatch`` re-applies its decorators on every request, and ``never_cache``
    parses ``Cache-Control`` and formats a date on each (``tests/perf/README.md``)."""

    @functools.wraps(view)
    def no_store_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        for name, value in NEVER_CACHE_HEADERS.items():
            response.headers[name] = value
        return response

    return no_store_view  # type: ignore[return-value]


logger = logging.getLogger(__name__)

FRAME_ANCESTORS_NONE = "frame-ancestors 'none'"
CSP_HEADER = "Content-Security-Policy"
NONE = "'none'"
# The site's Content-Security-Policy middleware, when it has one: each leaves a response's header alone when the
# view set one, so with either our needs go into the site's policy, through its public API, instead.
DJANGO_CSP_MIDDLEWARE = "django.middleware.csp.ContentSecurityPolicyMiddleware"  # Django 6+
DJANGO_CSP_PACKAGE_MIDDLEWARE = "csp.middleware.CSPMiddleware"  # django-csp 4
_FRAME_ANCESTORS = re.compile(r"(?:^|[;,])\s*frame-ancestors(?:\s|;|,|$)", re.IGNORECASE)
_FORM_ACTION = re.compile(r"((?:^|;)\s*form-action)([^;,]*)", re.IGNORECASE)

# "same-origin" for pages whose forms post back to the site: Chromium sends ``Origin: null`` with a POST
# from a "no-referrer" page, which Django's CSRF check refuses. "no-referrer" for pages that only post to
# PingOne (the auto-submit page) or to the CSRF-exempt callback (the hop page): their URLs carry the code.
ReferrerPolicy = Literal["same-origin", "no-referrer"]
_Response = TypeVar("_Response", bound=HttpResponseBase)


def protect_page(response: _Response, *, referrer_policy: ReferrerPolicy, form_action: Iterable[str] = ()) -> _Response:
    """Forbid framing the page (``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'``), set its
    ``Referrer-Policy``, and let its form post to ``form_action`` (origins: PingOne's, for the auto-submitting
    page) when the site's policy restricts ``form-action``.

    The site's own policy is extended, never replaced: through django-csp 4's ``csp_replace``/``csp_update``
    or Django 6's ``csp_override`` (with the site's ``SECURE_CSP`` and our needs merged) when their middleware
    is installed; a header already on the response gets ``frame-ancestors 'none'`` only when it has no
    ``frame-ancestors`` of its own. Without any policy the page gets ``frame-ancestors 'none'`` alone."""
    # XFrameOptionsMiddleware leaves an X-Frame-Options already set alone: X_FRAME_OPTIONS="SAMEORIGIN"
    # does not downgrade it.
    response["X-Frame-Options"] = "DENY"
    response["Referrer-Policy"] = referrer_policy
    origins = list(dict.fromkeys(form_action))
    policy = response.get(CSP_HEADER)
    if policy is not None:
        response[CSP_HEADER] = _extended_header(policy, origins)
        return response
    middleware = set(settings.MIDDLEWARE)
    if DJANGO_CSP_PACKAGE_MIDDLEWARE in middleware and getattr(settings, "CONTENT_SECURITY_POLICY", None):
        return _with_django_csp(response, origins)
    site_policy = getattr(settings, "SECURE_CSP", None)
    if DJANGO_CSP_MIDDLEWARE in middleware and site_policy:
        return _with_django_builtin_csp(response, site_policy, origins)
    response[CSP_HEADER] = FRAME_ANCESTORS_NONE
    return response


def _extended_header(policy: str, origins: list[str]) -> str:
    """A header text with our needs: ``frame-ancestors 'none'`` unless it says otherwise, and ``origins`` added
    to a ``form-action`` it has (a policy without one does not restrict where forms post)."""
    if origins:
        policy = _FORM_ACTION.sub(lambda match: f"{match[1]}{match[2].rstrip()} {' '.join(origins)}", policy, count=1)
    if not _FRAME_ANCESTORS.search(policy):
        policy = f"{policy.rstrip().rstrip(';')}; {FRAME_ANCESTORS_NONE}"
    return policy


def _with_django_csp(response: _Response, origins: list[str]) -> _Response:
    """django-csp 4: ``frame-ancestors`` replaced by ``'none'`` (``csp_update`` would append it to the site's
    sources), the origins appended to the site's ``form-action`` (only when it has one)."""
    from csp.decorators import csp_replace, csp_update  # type: ignore[import-not-found,unused-ignore]

    def page(request: HttpRequest) -> HttpResponseBase:
        return response

    view = csp_replace({"frame-ancestors": NONE})(page)
    directives = (getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}).get("DIRECTIVES") or {}
    if origins and "form-action" in directives:
        view = csp_update({"form-action": origins})(view)
    # The decorators only mark the response (they never read the request).
    view(HttpRequest())
    return response


def _with_django_builtin_csp(response: _Response, site_policy: Mapping[str, Any], origins: list[str]) -> _Response:
    """Django 6: it has no per-view update, so ``csp_override`` with the site's policy and our needs merged."""
    from django.views.decorators.csp import csp_override  # type: ignore[import-not-found,unused-ignore]

    config = dict(site_policy)
    config["frame-ancestors"] = [NONE]
    if origins and config.get("form-action"):
        config["form-action"] = [*_sources(config["form-action"]), *origins]

    def page(request: HttpRequest) -> HttpResponseBase:
        return response

    csp_override(config)(page)(HttpRequest())  # it only marks the response
    return response


def _sources(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [value]
    return list(value)


def wants_json(request: HttpRequest) -> bool:
    """A script's request (``X-Requested-With: XMLHttpRequest``, or JSON preferred to HTML in ``Accept``)."""
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return True
    media = [part.split(";")[0].strip().lower() for part in request.headers.get("Accept", "").split(",")]
    if "application/json" not in media:
        return False
    return "text/html" not in media or media.index("application/json") < media.index("text/html")


# -- the error page --------------------------------------------------------------------------------------

ERROR_TEMPLATE = "django_pingone_authorize/error.html"


def heading(error: SignOnError) -> str | Promise:
    """The page's heading: neutral for a cancel, PingOne's fault when it cannot be reached, else a failure."""
    if error.cancelled:
        return _("Sign on cancelled")
    if error.provider_down:
        return _("Sign on is unavailable")
    return _("Sign on failed")


def failure_response(
    request: HttpRequest,
    error: SignOnError,
    alias: str | None,
    *,
    template_name: str = ERROR_TEMPLATE,
    back_url: str | None = None,
) -> HttpResponse:
    """The error page. ``back_url`` is where the visitor came from (a validated ``next``), else the site's root."""
    provider_error = error.error if isinstance(error, ProviderError) else ""
    logger.warning(
        "PingOne sign-on failed: %s (alias %s%s)",
        error.reason,
        alias or "unknown",
        # The error code may come straight from the callback's query: no line breaks into the log.
        f", provider error {printable(provider_error, 100)}" if provider_error else "",
    )
    sign_on_failed.send(sender=type(error), request=request, alias=alias, reason=error.reason)
    context = {
        "heading": heading(error),
        # A cancel is not a failure, an unreachable PingOne is not the visitor's fault: templates may say so.
        "cancelled": error.cancelled,
        "provider_down": error.provider_down,
        "reason": error.reason,
        "message": error.message,
        "provider_error": getattr(error, "error", ""),
        "provider_error_description": getattr(error, "description", ""),
        "alias": alias,
        "back_url": back_url or "/",
    }
    return protect_page(render(request, template_name, context, status=error.status), referrer_policy="same-origin")
