"""Embedded sign-on (``RESPONSE_MODE="pi.flow"``): the site's own sign-on page drives PingOne's flow API.

The login view asks ``/as/authorize`` server-side with ``response_mode=pi.flow`` and gets a flow object
(JSON) instead of a redirect. ``EmbeddedSignOnView`` (``pingone:signon``) shows the step the flow waits
for (username + password, change password, one-time code) and answers it through PingOne's flows API
(``flows_api.py``). PingOne's cookies for the flow (``ST``) are kept in the Django session, never given to
the browser, and neither is the flow's id. When the flow is ``COMPLETED`` its resume URL gives the
authorization response, which the sign-on core (``signon.py``) finishes exactly as it finishes a redirect
sign-on, through this view's ``complete``/``login_success``/``login_failure`` (the same methods as
``CallbackView``'s: a site that customises them subclasses both views, or uses the backend's hooks and the
signals). Passwords and codes are never logged or stored.

External identity providers are never continued inside a server-held flow. The flow's cookie sits with this
server, so nothing would tie the browser that signs on at the provider to the browser that finishes here:
an attacker could send a victim the provider's link for the attacker's flow and then finish it as the victim.
Their buttons (and any flow that asks for external authentication) start a redirect sign-on instead, whose
``state``, ``nonce`` and PKCE verifier are bound to this browser, and whose PingOne cookie is the browser's.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from django_pingone_authorize.conf import AliasConfig, get_alias
from django_pingone_authorize.errors import SignOnError
from django_pingone_authorize.oidc.authorization_response import check_state
from django_pingone_authorize.pages import protect_page
from django_pingone_authorize.provider import flows_api
from django_pingone_authorize.provider.flows_api import Flow
from django_pingone_authorize.sign_on import pending
from django_pingone_authorize.sign_on.embedded import carried_requirement, restart, signon_url
from django_pingone_authorize.sign_on.pending import PendingSignOn
from django_pingone_authorize.views.sign_on_steps import SignOnStepsMixin

logger = logging.getLogger(__name__)

MAX_FIELD_LENGTH = 1024

USERNAME_PASSWORD = ("USERNAME_PASSWORD_REQUIRED", "SIGN_ON_REQUIRED", "PASSWORD_REQUIRED")
CHANGE_PASSWORD = ("MUST_CHANGE_PASSWORD", "PASSWORD_EXPIRED")
ONE_TIME_CODE = ("OTP_REQUIRED", "VERIFICATION_CODE_REQUIRED")
EXTERNAL = "EXTERNAL_AUTHENTICATION_REQUIRED"
COMPLETED = "COMPLETED"

# What the browser may ask us to do, the status it answers, and the fields PingOne wants.
ACTIONS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "usernamePassword.check": (USERNAME_PASSWORD, {"username": "username", "password": "password"}),
    "password.reset": (CHANGE_PASSWORD, {"current_password": "currentPassword", "new_password": "newPassword"}),
    "otp.check": (ONE_TIME_CODE, {"otp": "otp"}),
}
SENSITIVE_FIELDS = ("password", "current_password", "new_password", "otp")

TEMPLATES = {
    **dict.fromkeys(USERNAME_PASSWORD, "django_pingone_authorize/embedded/username_password.html"),
    **dict.fromkeys(CHANGE_PASSWORD, "django_pingone_authorize/embedded/change_password.html"),
    **dict.fromkeys(ONE_TIME_CODE, "django_pingone_authorize/embedded/one_time_code.html"),
    # Never continued here (see the module docstring): the page offers PingOne's hosted sign-on instead.
    EXTERNAL: "django_pingone_authorize/embedded/external.html",
}
EXPIRED_MESSAGE = _("Your sign-on took too long and was restarted. Please try again.")
FALLBACK_TEMPLATE = "django_pingone_authorize/embedded/fallback.html"
# -- each step -------------------------------------------------------------------------------------


@method_decorator([never_cache, csrf_protect, sensitive_post_parameters(*SENSITIVE_FIELDS)], name="dispatch")
class EmbeddedSignOnView(SignOnStepsMixin, View):
    """``pingone:signon``: the site's own sign-on page for one pi.flow flow (GET shows, POST answers).

    A completed flow ends in ``complete``, ``login_success`` and ``login_failure``: the same methods, with
    the same signatures, as ``CallbackView``'s. A site that customises one customises it on both views."""

    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest, state: str) -> HttpResponse:
        sign_on, config = self.pending_sign_on(request, state)
        if sign_on is None or config is None:
            return self.unknown(request)
        return self.show(request, config, sign_on)

    @sensitive_variables("fields")
    def post(self, request: HttpRequest, state: str) -> HttpResponse:
        sign_on, config = self.pending_sign_on(request, state)
        if sign_on is None or config is None or sign_on.flow is None:
            return self.unknown(request)
        action = request.POST.get("action", "")
        try:
            if action == "cancel":
                pending.pop(request.session, sign_on.state)
                raise SignOnError("cancelled", _("The sign-on was cancelled."), status=403)
            if action not in ACTIONS or sign_on.flow.status not in ACTIONS[action][0]:
                raise SignOnError("flow_bad_action", _("That sign-on step is not the one under way. Please try again."))
            fields = self.step_fields(request, action)
            return self.answer(request, config, sign_on, action, fields)
        except SignOnError as error:
            return self.login_failure(request, error, config.alias)

    # -- helpers -----------------------------------------------------------------------------------

    def pending_sign_on(self, request: HttpRequest, state: str) -> tuple[PendingSignOn | None, AliasConfig | None]:
        sign_on = pending.get(request.session, state)
        if sign_on is None or sign_on.flow is None:
            return None, None
        self.back_url = sign_on.next_url
        try:
            return sign_on, get_alias(sign_on.alias)
        except ImproperlyConfigured:  # the alias was removed from the settings meanwhile
            return None, None

    def unknown(self, request: HttpRequest) -> HttpResponse:
        self.back_url = None
        error = SignOnError("state_unknown", _("This sign-on has expired or was already used. Please sign on again."))
        return self.login_failure(request, error, None)

    @sensitive_variables("fields", "values")
    def step_fields(self, request: HttpRequest, action: str) -> dict[str, str]:
        fields: dict[str, str] = {}
        for form_name, api_name in ACTIONS[action][1].items():
            values = request.POST.getlist(form_name)
            if len(values) != 1 or not values[0] or len(values[0]) > MAX_FIELD_LENGTH:
                raise SignOnError("flow_bad_input", _("Please fill in every field."))
            fields[api_name] = values[0]
        return fields

    def show(
        self, request: HttpRequest, config: AliasConfig, sign_on: PendingSignOn, status: int = 200
    ) -> HttpResponse:
        flow = sign_on.flow
        assert flow is not None  # pending_sign_on returns only sign-ons with a flow
        template = TEMPLATES.get(flow.status, FALLBACK_TEMPLATE)
        if template == FALLBACK_TEMPLATE:
            logger.warning("PingOne flow status %s has no page here; offering the hosted sign-on page", flow.status)
        context = {
            "flow": flow,
            "alias": config.alias,
            # "Sign on to {application}": German wants the dative here, hence the context.
            "application": flow.application or pgettext_lazy("Sign on to ...", "this site"),
            "message": sign_on.message,
            "username": sign_on.typed_username,
            "action_url": signon_url(sign_on.state),
            "hosted_url": reverse("pingone:login", args=[config.alias]),
            "next": sign_on.next_url or "",
            # The hosted-page fallback and the provider buttons start a new (redirect) sign-on: it must ask
            # at least what this one asks, so what was merged here travels along, signed by this site.
            "step_up": carried_requirement(config, sign_on),
        }
        response = render(request, template, context, status=status)
        # The page's forms post back to this site: ``same-origin`` keeps its URL (the state) from any other
        # site while Chromium still sends a real ``Origin`` that Django's CSRF check accepts.
        # (``no-referrer`` makes Chromium send ``Origin: null``, and Django refuses every post.)
        protect_page(response, referrer_policy="same-origin")
        return response

    def save(self, request: HttpRequest, sign_on: PendingSignOn) -> None:
        pending.update(request.session, sign_on)

    @sensitive_variables()  # the password or code, and PingOne's cookie, down through the outbound call
    def answer(
        self, request: HttpRequest, config: AliasConfig, sign_on: PendingSignOn, action: str, fields: dict[str, str]
    ) -> HttpResponse:
        assert sign_on.flow is not None  # post() answers only a sign-on with a flow
        step = flows_api.post_action(config, sign_on.flow, action, fields, sign_on.flow_cookies)
        sign_on.flow_cookies = step.cookies
        if step.expired:
            logger.info("PingOne flow expired; starting a new one (alias %s)", config.alias)
            return restart(request, config, sign_on, force_str(EXPIRED_MESSAGE))  # kept in the session: text
        if step.flow is None:
            # A refused step (wrong password, bad code): the same form again with PingOne's message.
            logger.info("PingOne refused the %s step (alias %s)", action, config.alias)
            sign_on.message = step.refused
            # The form again, with what the person typed as their username (never the password).
            sign_on.typed_username = fields.get("username", "")[:200]
            self.save(request, sign_on)
            return self.show(request, config, sign_on, status=400 if step.status_code != 401 else 401)
        return self.advance(request, config, sign_on, step.flow)

    def advance(self, request: HttpRequest, config: AliasConfig, sign_on: PendingSignOn, flow: Flow) -> HttpResponse:
        """Go where the flow's new status says. A flow that wants an external identity provider is shown the
        page that offers PingOne's hosted sign-on (a browser-bound redirect), never the provider's link."""
        sign_on.flow, sign_on.message, sign_on.typed_username = flow, "", ""
        if flow.status == COMPLETED:
            return self.finish(request, config, sign_on)
        self.save(request, sign_on)
        return HttpResponseRedirect(signon_url(sign_on.state))  # post/redirect/get

    # -- the end -----------------------------------------------------------------------------------

    @sensitive_variables()  # the code, PingOne's cookie, the tokens
    def finish(self, request: HttpRequest, config: AliasConfig, sign_on: PendingSignOn) -> HttpResponse:
        """``COMPLETED``: fetch the authorization response from the resume URL and finish like a callback."""
        assert sign_on.flow is not None
        pending.pop(request.session, sign_on.state)  # single use, whatever happens next
        try:
            params = flows_api.resume(config, sign_on.flow, sign_on.flow_cookies)
            check_state(params, sign_on.state)
            result = self.complete(request, config, sign_on, params)
        except SignOnError as error:
            return self.login_failure(request, error, config.alias)
        return self.login_success(request, config, sign_on, result)
