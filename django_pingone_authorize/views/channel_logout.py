"""Logout that an OpenID provider starts: front-channel (a hidden iframe in the browser) and back-channel (a POST
from the provider's server). Both end every Django session the provider's session opened, found in
``session_index``.

PingOne never calls either: its OpenID Connect applications have no front- or back-channel logout URI. Both
endpoints answer 404 unless an alias turns them on (``CHANNEL_LOGOUT``, for another OpenID provider), and only
that alias's issuer is heard. What ends a Django session when a PingOne session ends is the session check
(``SESSION_CHECK_INTERVAL``: a refresh that PingOne refuses) and a sign-off from this site.

* ``pingone:frontchannel_logout`` (OpenID Connect Front-Channel Logout 1.0): ``GET ?iss=...&sid=...``. The page
  is loaded in PingOne's iframe, so this one view may be framed (no ``X-Frame-Options: DENY``); it is never
  cached. The browser's own session cookie does not come along (``SameSite=Lax`` in a third-party iframe), so
  the sessions are found by (``iss``, ``sid``), and ``iss`` must be a configured alias's issuer.
* ``pingone:backchannel_logout`` (OpenID Connect Back-Channel Logout 1.0): ``POST logout_token=...``, validated
  by ``logout_token.py``; 200 when done, 400 ``invalid_request`` (JSON) when the token is refused, both
  ``Cache-Control: no-store`` (§2.8). CSRF-exempt: the caller is a server, authenticated by the token's
  signature.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters

from django_pingone_authorize.conf import aliases, get_alias
from django_pingone_authorize.errors import ProviderError
from django_pingone_authorize.oidc.logout_token import LogoutTokenError, validate_logout_token
from django_pingone_authorize.sessions import session_index

logger = logging.getLogger(__name__)

MAX_PARAMETER_LENGTH = 1024


def configured_issuers() -> set[str]:
    """The issuers of the aliases that turned front- and back-channel logout on (``CHANNEL_LOGOUT``)."""
    issuers = set()
    for name in aliases():
        try:
            config = get_alias(name)
        except ImproperlyConfigured:
            continue
        if config.CHANNEL_LOGOUT:
            issuers.add(config.issuer)
    return issuers


def require_channel_logout() -> None:
    """404 unless an alias turned front- and back-channel logout on (PingOne calls neither)."""
    if not configured_issuers():
        raise Http404("Front- and back-channel logout are off (CHANNEL_LOGOUT).")


@method_decorator([never_cache, xframe_options_exempt], name="dispatch")
class FrontChannelLogoutView(View):
    http_method_names = ["get"]
    template_name = "django_pingone_authorize/frontchannel_logout.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        require_channel_logout()
        iss, sid = request.GET.get("iss", ""), request.GET.get("sid", "")
        valid = (
            0 < len(iss) <= MAX_PARAMETER_LENGTH
            and 0 < len(sid) <= MAX_PARAMETER_LENGTH
            and len(request.GET.getlist("iss")) == 1
            and len(request.GET.getlist("sid")) == 1
            and iss in configured_issuers()
        )
        if not valid:
            # §3: without iss and sid the RP may only end the browser's own session, which is not sent here.
            logger.warning("Front-channel logout refused: no known iss with a sid")
            return self.page(request, ended=0, status=400)
        ended = session_index.end_pingone_session(iss, sid=sid, how="front_channel", request=request)
        logger.info("Front-channel logout ended %d session(s)", ended)
        return self.page(request, ended=ended, status=200)

    def page(self, request: HttpRequest, *, ended: int, status: int) -> HttpResponse:
        response = render(request, self.template_name, {"ended": ended}, status=status)
        response["Cache-Control"] = "no-cache, no-store"  # §3 (and never_cache adds must-revalidate)
        response["Referrer-Policy"] = "no-referrer"
        return response


# No never_cache here: §2.8 asks for exactly "Cache-Control: no-store", set on every answer below.
@method_decorator([csrf_exempt, sensitive_post_parameters("logout_token")], name="dispatch")
class BackChannelLogoutView(View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        require_channel_logout()
        tokens = request.POST.getlist("logout_token")
        if len(tokens) != 1:
            return self.refused("logout_token_missing")
        try:
            logout = validate_logout_token(tokens[0])
        except LogoutTokenError as error:
            return self.refused(error.reason)
        except ProviderError as error:
            # The keys could not be fetched: the provider may retry (§2.8 allows any 5xx).
            logger.warning("Back-channel logout could not be checked: %s", error.reason)
            return self.answer({"error": "temporarily_unavailable"}, status=503)
        if logout.sid:
            ended = session_index.end_pingone_session(
                logout.issuer, sid=logout.sid, subject=logout.subject, alias=logout.alias, request=request
            )
        else:
            ended = session_index.end_pingone_session(
                logout.issuer, subject=logout.subject, alias=logout.alias, request=request
            )
        logger.info("Back-channel logout (alias %s) ended %d session(s)", logout.alias, ended)
        return self.answer(None, status=200)

    def refused(self, reason: str) -> HttpResponse:
        logger.warning("Back-channel logout refused: %s", reason)
        return self.answer({"error": "invalid_request", "error_description": reason}, status=400)

    @staticmethod
    def answer(body: dict[str, str] | None, *, status: int) -> HttpResponse:
        response: HttpResponse = JsonResponse(body, status=status) if body is not None else HttpResponse(status=status)
        response["Cache-Control"] = "no-store"
        return response
