"""Where a redirect sign-on ends: PingOne sends the browser back here with ``code`` and ``state`` (query, or
a ``form_post`` POST). The view reads the response (``authorization_response.py``), finds the sign-on it
answers by its state, and hands it to the sign-on core (``sign_on/complete.py``), which checks and exchanges it and
logs the user in. Every failure is a 4xx page (``pages.py``), never a login.

To change what happens after a sign-on, use the backend's hooks or the signals; a subclass of this view's
``complete``/``login_success``/``login_failure`` must be matched on ``EmbeddedSignOnView`` (``embedded.py``),
which ends embedded (``pi.flow``) sign-ons through the same methods.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.debug import SafeExceptionReporterFilter
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from django_pingone_authorize.conf import get_alias
from django_pingone_authorize.errors import SignOnError
from django_pingone_authorize.oidc.authorization_response import RESPONSE_PARAMS, response_params
from django_pingone_authorize.pages import never_cached, protect_page
from django_pingone_authorize.sign_on import completed, pending
from django_pingone_authorize.views.sign_on_steps import SignOnStepsMixin

logger = logging.getLogger(__name__)

HOP_FIELD = "_pingone_hop"
CLEANSED = SafeExceptionReporterFilter.cleansed_substitute  # what Django's error reports show for a secret


def hide_code_from_error_reports(request: HttpRequest) -> None:
    """Blank a query's ``code`` in the request an unexpected error is about to be reported with.

    Django's error report (``AdminEmailHandler``, error trackers) shows the request URL, its GET parameters
    and its META as they are; ``sensitive_post_parameters`` only covers POST and ``QueryDict`` locals.
    """
    if not request.GET.get("code"):
        return
    hidden = request.GET.copy()
    hidden.setlist("code", [CLEANSED] * len(hidden.getlist("code")))
    query, new_query = request.META.get("QUERY_STRING", ""), hidden.urlencode(safe="*")
    request.GET = QueryDict(new_query)
    for key, value in list(request.META.items()):
        if query and isinstance(value, str) and query in value:
            request.META[key] = value.replace(query, new_query)


class CallbackView(SignOnStepsMixin, View):
    """``pingone:callback``: GET (query) and POST (``form_post``; CSRF-exempt, protected by state)."""

    http_method_names = ["get", "post"]
    hop_template_name = "django_pingone_authorize/callback_hop.html"

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., HttpResponseBase]:
        # Instead of @method_decorator([never_cache, csrf_exempt, sensitive_post_parameters("code")],
        # name="dispatch"), which re-applies them on every request: once, to the view function.
        return csrf_exempt(never_cached(sensitive_post_parameters("code")(super().as_view(**initkwargs))))

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return super().dispatch(request, *args, **kwargs)
        except Exception:
            hide_code_from_error_reports(request)
            raise

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.finish(request, request.GET)

    def post(self, request: HttpRequest) -> HttpResponse:
        if self.needs_same_site_hop(request):
            return self.same_site_hop(request)
        return self.finish(request, request.POST)

    # -- form_post without the session cookie ------------------------------------------------------

    def needs_same_site_hop(self, request: HttpRequest) -> bool:
        """A cross-site ``form_post`` carries no ``SameSite=Lax`` session cookie: re-post it from our site.

        The hop page is not tied to the session and must not touch it (that would start a new session
        and replace the user's cookie). The second POST is same-site, so the cookie comes along.
        """
        return settings.SESSION_COOKIE_NAME not in request.COOKIES and HOP_FIELD not in request.POST

    @sensitive_variables("fields")
    def same_site_hop(self, request: HttpRequest) -> HttpResponse:
        fields = [(name, request.POST[name]) for name in RESPONSE_PARAMS if name in request.POST]
        response = render(
            request,
            self.hop_template_name,
            {"action": request.path, "fields": [*fields, (HOP_FIELD, "1")]},
        )
        # It posts back to the (CSRF-exempt) callback, and its fields are the code: no Referer at all.
        return protect_page(response, referrer_policy="no-referrer")

    # -- the callback proper -----------------------------------------------------------------------

    @sensitive_variables("params", "sign_on", "result")
    def finish(self, request: HttpRequest, data: QueryDict) -> HttpResponse:
        alias: str | None = None
        try:
            params = response_params(data)
            state = params.get("state")
            if not state and "flowId" in data:
                # A return that names a PingOne flow instead of our state: embedded sign-ons never continue
                # a server-held flow after an external identity provider (views/embedded.py says why).
                raise SignOnError(
                    "flow_return_refused", _("This sign-on cannot be finished from this link. Please sign on again.")
                )
            if not state:
                raise SignOnError("state_missing", _("The sign-on response was incomplete. Please sign on again."))
            sign_on = pending.pop(request.session, state)
            if sign_on is None and request.user.is_authenticated:
                replayed_to = completed.next_url_of(request.session, state)
                if replayed_to is not None:
                    return self.already_signed_on(request, replayed_to)
            if sign_on is None:
                raise SignOnError(
                    "state_unknown",
                    _(
                        "This sign-on has expired, was already used, or was started in another browser. "
                        "Please sign on again (cookies must be enabled)."
                    ),
                )
            alias, self.back_url = sign_on.alias, sign_on.next_url
            try:
                config = get_alias(alias)
            except ImproperlyConfigured:
                raise SignOnError("alias_unknown", _("This sign-on is no longer configured.")) from None
            result = self.complete(request, config, sign_on, params)
        except SignOnError as error:
            return self.login_failure(request, error, alias)
        return self.login_success(request, config, sign_on, result)

    def already_signed_on(self, request: HttpRequest, next_url: str) -> HttpResponse:
        """A callback this session already finished (Back, history): on to where that sign-on went.
        Nobody is logged in by this and the code is not exchanged again."""
        logger.info("PingOne callback replayed after its sign-on; sent on")
        return HttpResponseRedirect(next_url)
