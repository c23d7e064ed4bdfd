"""Embedded sign-on (``RESPONSE_MODE="pi.flow"``): the site's own sign-on page drives PingOne's flow API.

The login view asks ``/as/authorize`` server-side with ``response_mode=pi.flow`` and gets a flow object
(JSON) instead of a redirect. ``EmbeddedSignOnView`` (``pingone:signon``) shows the step the flow waits for
and answers it through PingOne's flows API (``flows_api.py``), following the flow's ``_links``
(``flow_pages.py``): the status picks the page, the links say which actions it offers. Pages here:

* ``USERNAME_PASSWORD_REQUIRED`` (``usernamePassword.check``), identifier-first ``SIGN_ON_REQUIRED``
  (``user.lookup``: the username only, external identity providers still offered) then ``PASSWORD_REQUIRED``
  (``usernamePassword.check``, the typed username kept) — one template, ``username_password.html``;
* ``MUST_CHANGE_PASSWORD`` / ``PASSWORD_EXPIRED`` (``password.reset``);
* ``VERIFICATION_CODE_REQUIRED`` (``user.verify``, ``user.sendVerificationCode``);
* a forgotten password (``password.forgot``, ``RECOVERY_CODE_REQUIRED``) and registration (``user.register``,
  behind the alias option ``REGISTRATION``): ``self_service.py``;
* a passkey (``ASSERTION_REQUIRED``, ``assertion.check``): ``flow/passkey.html`` and ``passkey.js``;
* the MFA steps shared with transaction approval: ``DEVICE_SELECTION_REQUIRED``, ``OTP_REQUIRED``,
  ``PUSH_CONFIRMATION_REQUIRED``, ``PUSH_CONFIRMATION_TIMED_OUT``;
* ``COMPLETED`` (the resume URL gives the authorization response) and ``FAILED`` (the resume URL gives
  PingOne's OAuth error, shown on the error page).

Any other status (a DaVinci flow policy, anything PingOne adds later) offers PingOne's hosted page on purpose,
logged once per status. PingOne's cookies for the flow (``ST``) are kept in the Django session, never given to
the browser, and neither is the flow's id. A completed flow ends in ``complete``/``login_success``/
``login_failure``: the same methods as ``CallbackView``'s. Passwords and codes are never logged or stored.

External identity providers are never continued inside a server-held flow. The flow's cookie sits with this
server, so nothing would tie the browser that signs on at the provider to the browser that finishes here:
an attacker could send a victim the provider's link for the attacker's flow and then finish it as the victim.
Their buttons (and any flow that asks for external authentication) start a redirect sign-on instead, whose
``state``, ``nonce`` and PKCE verifier are bound to this browser, and whose PingOne cookie is the browser's.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from django_pingone_authorize.conf import AliasConfig, get_alias
from django_pingone_authorize.errors import SignOnError
from django_pingone_authorize.oidc.authorization_response import check_error
from django_pingone_authorize.pages import failure_response, protect_page
from django_pingone_authorize.sign_on import pending
from django_pingone_authorize.sign_on.embedded import carried_requirement, restart, signon_url
from django_pingone_authorize.sign_on.flow_steps import MFA_STEPS, SENSITIVE_FIELDS, SIGN_ON_STEP, SIGN_ON_STEPS
from django_pingone_authorize.sign_on.pending import PendingSignOn
from django_pingone_authorize.sign_on.redeem import resumed
from django_pingone_authorize.views.flow_pages import log_no_page
from django_pingone_authorize.views.self_service import PAGES as SELF_SERVICE_PAGES
from django_pingone_authorize.views.self_service import SIGN_ON_ACTIONS, SelfServicePagesView, self_service_links
from django_pingone_authorize.views.sign_on_steps import SignOnStepsMixin

logger = logging.getLogger(__name__)

TEMPLATES = "django_pingone_authorize/embedded/"
# The sign-on's own steps (``sign_on/flow_steps.py``), whose first page also offers the self-service links.
SIGN_ON_PAGE = SIGN_ON_STEP._replace(actions=(*SIGN_ON_STEP.actions, *SIGN_ON_ACTIONS))
PAGES = {
    **{status: SIGN_ON_PAGE if step is SIGN_ON_STEP else step for status, step in SIGN_ON_STEPS.items()},
    **MFA_STEPS,
    **SELF_SERVICE_PAGES,  # a forgotten password, registration (``self_service.py``)
}
EXPIRED_MESSAGE = _("Your sign-on took too long and was restarted. Please try again.")
FALLBACK_TEMPLATE = TEMPLATES + "fallback.html"


@method_decorator([never_cache, csrf_protect, sensitive_post_parameters(*SENSITIVE_FIELDS)], name="dispatch")
class EmbeddedSignOnView(SignOnStepsMixin, SelfServicePagesView):
    """``pingone:signon``: the site's own sign-on page for one pi.flow flow (GET shows, POST answers).

    A completed flow ends in ``complete``, ``login_success`` and ``login_failure``: the same methods, with
    the same signatures, as ``CallbackView``'s. A site that customises one customises it on both views."""

    pages = PAGES
    frame_template = TEMPLATES + "base.html"

    def pending(self, request: HttpRequest, state: str) -> tuple[PendingSignOn | None, AliasConfig | None]:
        sign_on = pending.get(request.session, state)
        if sign_on is None or sign_on.flow is None:
            return None, None
        self.back_url = sign_on.next_url
        try:
            return sign_on, get_alias(sign_on.alias)
        except ImproperlyConfigured:  # the alias was removed from the settings meanwhile
            return None, None

    def save(self, request: HttpRequest, entry: PendingSignOn) -> None:
        pending.update(request.session, entry)

    def forget(self, request: HttpRequest, entry: PendingSignOn) -> None:
        pending.pop(request.session, entry.state)

    def page_url(self, entry: PendingSignOn) -> str:
        return signon_url(entry.state)

    def unknown(self, request: HttpRequest) -> HttpResponse:
        self.back_url = None
        error = SignOnError("state_unknown", _("This sign-on has expired or was already used. Please sign on again."))
        return self.login_failure(request, error, None)

    def cancelled(self) -> SignOnError:
        return SignOnError("cancelled", _("The sign-on was cancelled."), status=403)

    def failure(self, request: HttpRequest, error: SignOnError, alias: str | None) -> HttpResponse:
        return self.login_failure(request, error, alias)

    def refused(self, entry: PendingSignOn, fields: dict[str, Any]) -> None:
        # The form again, with what the person typed as their username (never the password).
        username = fields.get("username")
        entry.typed_username = username[:200] if isinstance(username, str) else entry.typed_username

    def expired(self, request: HttpRequest, config: AliasConfig, entry: PendingSignOn) -> HttpResponse:
        logger.info("PingOne flow expired; starting a new one (alias %s)", config.alias)
        try:
            sign_on = restart(request, config, entry, force_str(EXPIRED_MESSAGE))  # kept in the session: text
        except SignOnError as error:
            return failure_response(request, error, config.alias, back_url=entry.next_url)
        return HttpResponseRedirect(signon_url(sign_on.state))

    def extra_context(self, config: AliasConfig, entry: PendingSignOn) -> dict[str, Any]:
        flow = entry.flow
        assert flow is not None
        return {
            # "Sign on to {application}": German wants the dative here, hence the context.
            "application": flow.application or pgettext_lazy("Sign on to ...", "this site"),
            "username": entry.typed_username,
            # Identifier-first (``SIGN_ON_REQUIRED`` offering only ``user.lookup``): the username alone.
            "identifier_only": flow.offers("user.lookup") and not flow.offers("usernamePassword.check"),
            "code_button": _("Verify"),
            "hosted_url": reverse("pingone:login", args=[config.alias]),
            "next": entry.next_url or "",
            # The hosted-page fallback and the provider buttons start a new (redirect) sign-on: it must ask
            # at least what this one asks, so what was merged here travels along, signed by this site.
            "step_up": carried_requirement(config, entry),
            **self_service_links(config, entry, self.page_url(entry)),
        }

    def no_page(self, request: HttpRequest, config: AliasConfig, entry: PendingSignOn, status: int) -> HttpResponse:
        """A status without a page here (or whose actions the flow does not offer): PingOne's hosted page."""
        assert entry.flow is not None
        log_no_page(entry.flow.status, "offering the hosted sign-on page")
        context = {"frame": self.frame_template, "flow": entry.flow, "message": entry.message}
        context |= self.extra_context(config, entry)
        response = render(request, FALLBACK_TEMPLATE, context, status=status)
        protect_page(response, referrer_policy="same-origin")
        return response

    # -- the end -----------------------------------------------------------------------------------

    @sensitive_variables()  # the code, PingOne's cookie, the tokens
    def finish(self, request: HttpRequest, config: AliasConfig, entry: PendingSignOn) -> HttpResponse:
        """``COMPLETED``: fetch the authorization response from the resume URL and finish like a callback."""
        pending.pop(request.session, entry.state)  # single use, whatever happens next
        try:
            result = self.complete(request, config, entry, resumed(config, entry))
        except SignOnError as error:
            return self.login_failure(request, error, config.alias)
        return self.login_success(request, config, entry, result)

    def failed(self, request: HttpRequest, config: AliasConfig, entry: PendingSignOn) -> HttpResponse:
        """``FAILED``: the resume URL gives PingOne's OAuth error; the error page says it."""
        pending.pop(request.session, entry.state)
        try:
            check_error(resumed(config, entry))
            raise SignOnError("flow_failed", _("The sign-on could not be completed. Please sign on again."))
        except SignOnError as error:
            return self.login_failure(request, error, config.alias)
