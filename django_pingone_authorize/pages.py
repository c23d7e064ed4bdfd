"""The app's own pages: the headers every one of them sends, and how a failed sign-on ends.

Headers, whatever the site's middleware: the sign-on pages, the auto-submitting POST page, the ``form_post``
hop page and the error page are never framed (clickjacking), and say how much of their URL may go along as a
``Referer``. ``protect_page`` is called where each page is rendered.

A failed sign-on is logged (without secrets), signalled, and shown as an overridable page. The status is the
error's: 4xx for the visitor's or the site's refusals (a cancel is a 403 with the neutral heading "Sign on
cancelled"), 502/503 when PingOne cannot be reached or answers nothing usable.
"""

from __future__ import annotations

import logging
import re
from typing import Literal, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from django_pingone_authorize.errors import ProviderError, SignOnError, printable
from django_pingone_authorize.signals import sign_on_failed

logger = logging.getLogger(__name__)

FRAME_ANCESTORS_NONE = "frame-ancestors 'none'"
CSP_HEADER = "Content-Security-Policy"
# Django's own Content-Security-Policy middleware (Django 6): it leaves a response's header alone when the
# view set one, so with it our directive goes into the site's policy instead (``_csp_config``).
DJANGO_CSP_MIDDLEWARE = "django.middleware.csp.ContentSecurityPolicyMiddleware"
_FRAME_ANCESTORS = re.compile(r"(?:^|[;,])\s*frame-ancestors(?:\s|;|,|$)", re.IGNORECASE)

# "same-origin" for pages whose forms post back to the site: Chromium sends ``Origin: null`` with a POST
# from a "no-referrer" page, which Django's CSRF check refuses. "no-referrer" for pages that only post to
# PingOne (the auto-submit page) or to the CSRF-exempt callback (the hop page): their URLs carry the code.
ReferrerPolicy = Literal["same-origin", "no-referrer"]
_Response = TypeVar("_Response", bound=HttpResponseBase)


def protect_page(response: _Response, *, referrer_policy: ReferrerPolicy) -> _Response:
    """Forbid framing the page (``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'``) and set its
    ``Referrer-Policy``. A policy the site already put on the response is kept, with ``frame-ancestors``
    added only when it has none."""
    # XFrameOptionsMiddleware leaves an X-Frame-Options already set alone: X_FRAME_OPTIONS="SAMEORIGIN"
    # does not downgrade it.
    response["X-Frame-Options"] = "DENY"
    response["Referrer-Policy"] = referrer_policy
    policy = response.get(CSP_HEADER)
    if policy is not None:
        if not _FRAME_ANCESTORS.search(policy):
            response[CSP_HEADER] = f"{policy.rstrip().rstrip(';')}; {FRAME_ANCESTORS_NONE}"
        return response
    site_policy = getattr(settings, "SECURE_CSP", None)
    if site_policy and DJANGO_CSP_MIDDLEWARE in settings.MIDDLEWARE:
        # A header set here would replace the site's whole policy (script-src and all): extend it instead.
        config = dict(getattr(response, "_csp_config", None) or site_policy)
        config.setdefault("frame-ancestors", ["'none'"])
        response._csp_config = config  # type: ignore[attr-defined]
        return response
    response[CSP_HEADER] = FRAME_ANCESTORS_NONE
    return response


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
