"""``pingone:logout_everywhere`` (GET: what it ends; POST: end every session of the signed-on user) and
``pingone:session_ended`` (the page a visitor lands on when their PingOne session ended and
``SessionCheckMiddleware`` logged them out)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render, resolve_url
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import DEFAULT_ALIAS, aliases
from django_pingone_authorize.pages import protect_page
from django_pingone_authorize.sessions.logout_everywhere import ends_pingone_sessions, logout_everywhere
from django_pingone_authorize.sessions.token_store import get_tokens
from django_pingone_authorize.views.logout import LogoutView


@method_decorator([never_cache, csrf_protect], name="dispatch")
class LogoutEverywhereView(LogoutView):
    """GET: the page that says what "log out everywhere" ends, and what it cannot (other browsers' PingOne
    sessions, without the site's worker credentials), with its button. POST, with the CSRF token: ends every
    session of the user, revoking their tokens, this one too, then signs this browser off at PingOne (as
    ``pingone:logout`` does) on its way to ``LOGOUT_REDIRECT_URL``. Anonymous visitors are just sent there."""

    http_method_names = ["get", "post"]
    template_name = "django_pingone_authorize/logout_everywhere.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return HttpResponseRedirect(resolve_url(settings.LOGOUT_REDIRECT_URL or "/"))
        context = {"ends_pingone_sessions": ends_pingone_sessions(request.user), "action_url": request.path}
        return protect_page(render(request, self.template_name, context), referrer_policy="same-origin")

    @sensitive_variables("record", "signoff")  # the ID token, also in the sign-off URL
    def post(self, request: HttpRequest) -> HttpResponse:
        ended, signoff = 0, None
        after = resolve_url(settings.LOGOUT_REDIRECT_URL or "/")
        if request.user.is_authenticated:
            record = get_tokens(request.session)
            ended = logout_everywhere(request.user, request)
            signoff = self.signoff_url(request, record, after)
        if request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse({"ended": ended, "signoff_url": signoff})
        return HttpResponseRedirect(signoff or after)


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
