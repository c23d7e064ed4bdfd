"""``pingone:approval``: the app's own pages for a transaction approval's MFA steps (``approval.py``).

One page per flow status, like the embedded sign-on's (``embedded.py``): choose a device
(``DEVICE_SELECTION_REQUIRED``), type a one-time code (``OTP_REQUIRED``), approve on your phone
(``PUSH_CONFIRMATION_REQUIRED``). The phone page polls PingOne (a GET of the flow) each time it is shown and
shows itself again every few seconds with ``<meta http-equiv="refresh">`` (no script: it works under a strict
CSP and without JavaScript); its "Check now" button polls at once. A denied or timed-out push, a cancel or an
expired flow end on the error page (4xx) with the way back. ``COMPLETED`` ends in ``complete_approval`` and a
redirect to the approval's ``next``. PingOne's flow id and cookies never reach the browser.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from django_pingone_authorize.approval import pending as approvals
from django_pingone_authorize.approval.complete import complete_approval
from django_pingone_authorize.approval.pending import PendingApproval
from django_pingone_authorize.approval.request import approval_url
from django_pingone_authorize.conf import AliasConfig, get_alias
from django_pingone_authorize.errors import SignOnError
from django_pingone_authorize.pages import failure_response, protect_page
from django_pingone_authorize.provider import flows_api
from django_pingone_authorize.provider.flows_api import Flow, StepAnswer

logger = logging.getLogger("django_pingone_authorize")

DEVICE_SELECTION = "DEVICE_SELECTION_REQUIRED"
ONE_TIME_CODE = ("OTP_REQUIRED",)
PUSH = "PUSH_CONFIRMATION_REQUIRED"
PUSH_TIMED_OUT = "PUSH_CONFIRMATION_TIMED_OUT"
# How PingOne ends a flow whose push was denied (unconfirmed: either status is read as a denial).
DENIED = ("FAILED", "PUSH_CONFIRMATION_DENIED")
COMPLETED = "COMPLETED"
# Seconds between two looks at a push confirmation (the page's meta refresh).
PUSH_REFRESH_SECONDS = 3
MAX_FIELD_LENGTH = 128

TEMPLATES = {
    DEVICE_SELECTION: "django_pingone_authorize/approval/device_selection.html",
    **dict.fromkeys(ONE_TIME_CODE, "django_pingone_authorize/approval/one_time_code.html"),
    PUSH: "django_pingone_authorize/approval/push.html",
}
# What the browser may ask, and the status it answers.
ACTIONS = {"device.select": (DEVICE_SELECTION,), "otp.check": ONE_TIME_CODE, "check": (PUSH,)}


@method_decorator([never_cache, csrf_protect, sensitive_post_parameters("otp")], name="dispatch")
class ApprovalView(View):
    """GET shows the step the approval's flow waits for (polling PingOne while a push is pending); POST
    answers it (``device.select``, ``otp.check``), checks a push now (``check``) or cancels."""

    http_method_names = ["get", "post"]
    back_url: str | None = None

    def get(self, request: HttpRequest, state: str) -> HttpResponse:
        approval, config = self.pending_approval(request, state)
        if approval is None or config is None:
            return self.unknown(request)
        if approval.approved_at is not None:
            return HttpResponseRedirect(approval.next_url)  # approved meanwhile (a second tab)
        assert approval.flow is not None
        try:
            if approval.flow.status == PUSH:
                return self.poll(request, config, approval)
            return self.show(request, config, approval)
        except SignOnError as error:
            return self.failure(request, error, config.alias)

    @sensitive_variables("fields")
    def post(self, request: HttpRequest, state: str) -> HttpResponse:
        approval, config = self.pending_approval(request, state)
        if approval is None or config is None or approval.flow is None:
            return self.unknown(request)
        action = request.POST.get("action", "")
        try:
            if action == "cancel":
                approvals.forget(request.session, approval.state)
                raise SignOnError("approval_cancelled", _("The approval was cancelled."), status=403)
            if action not in ACTIONS or approval.flow.status not in ACTIONS[action]:
                raise SignOnError(
                    "flow_bad_action", _("That approval step is not the one under way. Please try again.")
                )
            if action == "check":
                return self.poll(request, config, approval)
            if action == "device.select":
                device = self.field(request, "device")
                if device not in {choice.id for choice in approval.flow.devices}:
                    raise SignOnError("flow_bad_input", _("Please choose one of your devices."))
                fields: dict[str, Any] = {"device": {"id": device}}
            else:
                fields = {"otp": self.field(request, "otp")}
            step = flows_api.post_action(config, approval.flow, action, fields, approval.flow_cookies)
            return self.after(request, config, approval, step, action)
        except SignOnError as error:
            return self.failure(request, error, config.alias)

    # -- helpers -----------------------------------------------------------------------------------

    def pending_approval(self, request: HttpRequest, state: str) -> tuple[PendingApproval | None, AliasConfig | None]:
        approval = approvals.get(request.session, state)
        if approval is None:
            return None, None
        self.back_url = approval.back_url
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or str(user.pk) != approval.user_id:
            return None, None  # another user's approval is no approval at all
        try:
            return approval, get_alias(approval.alias)
        except ImproperlyConfigured:
            return None, None

    def unknown(self, request: HttpRequest) -> HttpResponse:
        error = SignOnError("approval_unknown", _("This approval has expired or was already used. Please try again."))
        return self.failure(request, error, None)

    def failure(self, request: HttpRequest, error: SignOnError, alias: str | None) -> HttpResponse:
        return failure_response(request, error, alias, back_url=self.back_url)

    @sensitive_variables("values")
    def field(self, request: HttpRequest, name: str) -> str:
        values = request.POST.getlist(name)
        if len(values) != 1 or not values[0] or len(values[0]) > MAX_FIELD_LENGTH:
            raise SignOnError("flow_bad_input", _("Please fill in every field."))
        return values[0]

    def show(
        self, request: HttpRequest, config: AliasConfig, approval: PendingApproval, status: int = 200
    ) -> HttpResponse:
        flow = approval.flow
        assert flow is not None
        template = TEMPLATES.get(flow.status)
        if template is None:
            logger.warning("PingOne approval flow status %s has no page here", flow.status)
            raise SignOnError("approval_unsupported_step", _("PingOne asked for a step this site cannot show."))
        context = {
            "flow": flow,
            "devices": flow.devices,
            "alias": config.alias,
            "application": flow.application or "this site",
            "message": approval.message,
            "template": approval.template,
            "variant": approval.variant,
            "variables": sorted(approval.variables.items()),
            "action_url": approval_url(approval.state),
            "back_url": approval.back_url,
            "refresh_seconds": PUSH_REFRESH_SECONDS,
        }
        response = render(request, template, context, status=status)
        # The forms post back here: ``same-origin`` keeps the URL (the state) from other sites and gives
        # Chromium's POSTs a real Origin for Django's CSRF check (as on the embedded sign-on pages).
        protect_page(response, referrer_policy="same-origin")
        return response

    @sensitive_variables()
    def poll(self, request: HttpRequest, config: AliasConfig, approval: PendingApproval) -> HttpResponse:
        """A look at the flow: still waiting (the phone page again), or where it went."""
        assert approval.flow is not None
        step = flows_api.poll(config, approval.flow, approval.flow_cookies)
        if step.flow is not None and step.flow.status == PUSH:
            approval.flow, approval.flow_cookies = step.flow, step.cookies
            approvals.save(request.session, approval)
            return self.show(request, config, approval)
        return self.after(request, config, approval, step, "poll")

    @sensitive_variables()
    def after(
        self, request: HttpRequest, config: AliasConfig, approval: PendingApproval, step: StepAnswer, action: str
    ) -> HttpResponse:
        """Go where PingOne's answer says: the same step again with its message, the next step, or the end."""
        approval.flow_cookies = step.cookies
        if step.expired:
            approvals.forget(request.session, approval.state)
            raise SignOnError("approval_expired", _("The approval took too long. Please try again."), status=403)
        if step.flow is None:
            logger.info("PingOne refused the %s step of an approval (alias %s)", action, config.alias)
            approval.message = step.refused
            approvals.save(request.session, approval)
            return self.show(request, config, approval, status=401 if step.status_code == 401 else 400)
        return self.advance(request, config, approval, step.flow)

    def advance(self, request: HttpRequest, config: AliasConfig, approval: PendingApproval, flow: Flow) -> HttpResponse:
        approval.flow, approval.message = flow, ""
        if flow.status == COMPLETED:
            complete_approval(request, config, approval)
            logger.info(
                "PingOne approved a %s/%s transaction (alias %s)", approval.template, approval.variant, config.alias
            )
            return HttpResponseRedirect(approval.next_url)
        if flow.status in (PUSH_TIMED_OUT, *DENIED):
            approvals.forget(request.session, approval.state)
            if flow.status == PUSH_TIMED_OUT:
                raise SignOnError(
                    "approval_timed_out",
                    _("The approval request on your phone timed out. Please try again."),
                    status=403,
                )
            raise SignOnError("approval_denied", _("The approval was denied on your device."), status=403)
        approvals.save(request.session, approval)
        return HttpResponseRedirect(approval_url(approval.state))  # post/redirect/get
