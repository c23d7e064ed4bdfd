"""``pingone:logout_everywhere`` (POST: end every session of the signed-on user) and ``pingone:session_ended``
(the page a visitor lands on when their PingOne session ended and ``SessionCheckMiddleware`` logged them out)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render, resolve_url
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from django_pingone_authorize.conf import DEFAULT_ALIAS, aliases
from django_pingone_authorize.pages import protect_page
from django_pingone_authorize.sessions.logout_everywhere import logout_everywhere


@method_decorator([never_cache, csrf_protect], name="dispatch")
class LogoutEverywhereView(View):
    """POST only, with the CSRF token: ends every session of the user, this one too, then goes to
    ``LOGOUT_REDIRECT_URL``. Anonymous visitors are just sent there (nothing to end)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        ended = 0
        if request.user.is_authenticated:
            ended = logout_everywhere(request.user, request)
        if request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse({"ended": ended})
        return HttpResponseRedirect(resolve_url(settings.LOGOUT_REDIRECT_URL or "/"))


@method_decorator(never_cache, name="dispatch")
class SessionEndedView(View):
    http_method_names = ["get"]
    template_name = "django_pingone_authorize/session_ended.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        next_url = request.GET.get("next", "")
        safe = url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        alias = request.GET.get("alias", "")
        context = {
            "next_url": next_url if next_url and safe else resolve_url(settings.LOGIN_REDIRECT_URL),
            "alias": alias if alias in aliases() else DEFAULT_ALIAS,
        }
        response = render(request, self.template_name, context)
        # The button posts back to the site: same-origin keeps Chromium's Origin header for the CSRF check.
        return protect_page(response, referrer_policy="same-origin")
