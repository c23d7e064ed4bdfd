"""``pingone:approval``: the app's own pages for a transaction approval's MFA steps (``approval/``).

The pages and their checks are the embedded sign-on's (``flow_pages.py``): choose a device
(``DEVICE_SELECTION_REQUIRED``), type a one-time code (``OTP_REQUIRED``), approve on your phone
(``PUSH_CONFIRMATION_REQUIRED``, shown again every few seconds without script; PingOne asked at most once per
two seconds per flow), each offering only the actions in the flow's ``_links``. A denied or timed-out push, a
cancel or an expired flow end on the error page (4xx) with the way back. ``COMPLETED`` ends in
``complete_approval`` and a redirect to the approval's ``next``. PingOne's flow id and cookies never reach the
browser.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from django_pingone_authorize.approval import pending as approvals
from django_pingone_authorize.approval.complete import complete_approval
from django_pingone_authorize.approval.pending import PendingApproval
from django_pingone_authorize.approval.request import approval_url
from django_pingone_authorize.conf import AliasConfig, get_alias
from django_pingone_authorize.errors import SignOnError
from django_pingone_authorize.provider.flows_api import Flow
from django_pingone_authorize.sign_on.flow_steps import PUSH_TIMED_OUT, SENSITIVE_FIELDS
from django_pingone_authorize.views.flow_pages import FlowPagesView, log_no_page

logger = logging.getLogger("django_pingone_authorize")


@method_decorator([never_cache, csrf_protect, sensitive_post_parameters(*SENSITIVE_FIELDS)], name="dispatch")
class ApprovalView(FlowPagesView[PendingApproval]):
    """GET shows the step the approval's flow waits for (looking at PingOne while a push is pending); POST
    answers it (``device.select``, ``otp.check``), checks a push now (``check``) or cancels."""

    frame_template = "django_pingone_authorize/approval/base.html"

    def pending(self, request: HttpRequest, state: str) -> tuple[PendingApproval | None, AliasConfig | None]:
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

    def get(self, request: HttpRequest, state: str) -> HttpResponse:
        approval, _config = self.pending(request, state)
        if approval is not None and approval.approved_at is not None:
            return HttpResponseRedirect(approval.next_url)  # approved meanwhile (a second tab)
        return super().get(request, state)

    def save(self, request: HttpRequest, entry: PendingApproval) -> None:
        approvals.save(request.session, entry)

    def forget(self, request: HttpRequest, entry: PendingApproval) -> None:
        approvals.forget(request.session, entry.state)

    def page_url(self, entry: PendingApproval) -> str:
        return approval_url(entry.state)

    def unknown(self, request: HttpRequest) -> HttpResponse:
        error = SignOnError("approval_unknown", _("This approval has expired or was already used. Please try again."))
        return self.failure(request, error, None)

    def cancelled(self) -> SignOnError:
        return SignOnError("approval_cancelled", _("The approval was cancelled."), status=403)

    def expired(self, request: HttpRequest, config: AliasConfig, entry: PendingApproval) -> HttpResponse:
        self.forget(request, entry)
        raise SignOnError("approval_expired", _("The approval took too long. Please try again."), status=403)

    def extra_context(self, config: AliasConfig, entry: PendingApproval) -> dict[str, Any]:
        return {
            "application": (entry.flow.application if entry.flow else "") or "this site",
            "template": entry.template,
            "variant": entry.variant,
            "variables": sorted(entry.variables.items()),
            "back_url": entry.back_url,
            "code_button": _("Approve"),
        }

    def no_page(self, request: HttpRequest, config: AliasConfig, entry: PendingApproval, status: int) -> HttpResponse:
        assert entry.flow is not None
        log_no_page(entry.flow.status, "the approval cannot continue")
        raise SignOnError("approval_unsupported_step", _("PingOne asked for a step this site cannot show."))

    def advance(self, request: HttpRequest, config: AliasConfig, entry: PendingApproval, flow: Flow) -> HttpResponse:
        if flow.status == PUSH_TIMED_OUT:
            self.forget(request, entry)
            raise SignOnError(
                "approval_timed_out", _("The approval request on your phone timed out. Please try again."), status=403
            )
        return super().advance(request, config, entry, flow)

    def finish(self, request: HttpRequest, config: AliasConfig, entry: PendingApproval) -> HttpResponse:
        complete_approval(request, config, entry)
        logger.info("PingOne approved a %s/%s transaction (alias %s)", entry.template, entry.variant, config.alias)
        return HttpResponseRedirect(entry.next_url)

    def failed(self, request: HttpRequest, config: AliasConfig, entry: PendingApproval) -> HttpResponse:
        # How PingOne ends a flow whose push was denied (there is no documented "denied" status).
        self.forget(request, entry)
        raise SignOnError("approval_denied", _("The approval was denied on your device."), status=403)
