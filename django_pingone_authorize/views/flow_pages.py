"""One set of flow pages: the view base shared by the embedded sign-on (``embedded.py``) and transaction
approval (``approval.py``), which both drive a PingOne flow (``pi.flow``) from the site's own pages.

**The flow's ``_links`` drive each step.** The flow's status picks the page (``Step``: a template and the
actions it can answer with); the page offers, and the view ever posts, only the actions that are in the flow's
``_links`` at that moment. A page with none of its actions on offer is not shown (``no_page``: the sign-on
falls back to PingOne's hosted page, logged once per status). The shared step pages (``flow/*.html``, framed by
each side's base template) are: choose a device (``DEVICE_SELECTION_REQUIRED``), type a one-time code
(``OTP_REQUIRED``), wait for a push (``PUSH_CONFIRMATION_REQUIRED``) and a timed-out push (try again).

A push is waited for by showing the page again (``<meta http-equiv="refresh">``, no script: it works under a
strict CSP and without JavaScript) every ``PUSH_REFRESH_SECONDS``; each showing may look at the flow, but the
server asks PingOne at most once per ``POLL_INTERVAL`` seconds per flow, whatever the browser sends (the
session's record, and an atomic ``add`` in the alias's cache across workers).

Every refusal is a ``SignOnError`` page (4xx): an action the flow does not offer now, a form answering a status
the flow is not in, a device that is not among the flow's, a field missing or too long, another session's state.
PingOne's flow id and cookies never reach the browser; passwords and codes are never logged.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Generic, TypeVar

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.errors import SignOnError
from django_pingone_authorize.pages import failure_response, protect_page
from django_pingone_authorize.provider import flows_api, passkeys
from django_pingone_authorize.provider.flows_api import Flow, StepAnswer
from django_pingone_authorize.sign_on.flow_steps import (
    ACTION_FIELDS,
    ASSERTION_CHECK,
    ASSERTION_REQUIRED,
    COMPLETED,
    FAILED,
    MFA_STEPS,
    PUSH,
    Step,
    may_look,
    step_body,
)
from django_pingone_authorize.sign_on.pending_store import PendingAuthorization

logger = logging.getLogger("django_pingone_authorize")

# Seconds between two showings of the push page (its meta refresh); PingOne itself is asked at most once per
# ``POLL_INTERVAL`` per flow (``sign_on/flow_steps.py``), whatever the browser does.
PUSH_REFRESH_SECONDS = 3

_logged_statuses: set[str] = set()
_logged_rp_ids: set[str] = set()


def passkey_context(request: HttpRequest, flow: Flow) -> dict[str, Any]:
    """``ASSERTION_REQUIRED``: the request options for ``passkey.js`` when a browser on this host may use
    PingOne's RP ID; otherwise none (the page offers the other ways), logged once per RP ID."""
    if flow.status != ASSERTION_REQUIRED or not flow.passkey_options:
        return {}
    rp_id, host = passkeys.rp_id_of(flow.passkey_options), request.get_host().rsplit(":", 1)[0].strip("[]")
    if not passkeys.rp_id_fits(rp_id, host):
        if rp_id not in _logged_rp_ids:
            _logged_rp_ids.add(rp_id)
            logger.warning(
                "PingOne's FIDO policy names the RP ID %r, which a browser on %r cannot use: passkeys are not "
                "offered on the site's own page (see the embedded sign-on docs: custom domain, RP ID)",
                rp_id[:100],
                host[:100],
            )
        return {"passkey_mismatch": True}
    return {"passkey_options": json.loads(flow.passkey_options)}


def log_no_page(status: str, what: str) -> None:
    """A status without a page here is logged once per status (per process), not at every showing."""
    if status not in _logged_statuses:
        _logged_statuses.add(status)
        logger.warning("PingOne flow status %s has no page here; %s", status[:64], what)


_Entry = TypeVar("_Entry", bound=PendingAuthorization)


class FlowPagesView(View, Generic[_Entry]):
    """GET shows the step the flow waits for (a push wait looks at PingOne, throttled); POST answers it with one
    of the actions the flow offers, checks a push now (``check``) or cancels. Subclasses say where entries live
    (``pending``, ``save``, ``forget``), what frames the pages, and how the flow ends (``finish``, ``failed``)."""

    http_method_names = ["get", "post"]
    pages: dict[str, Step] = MFA_STEPS
    frame_template = ""
    # Where the visitor came from, once the entry is known: the error page links there.
    back_url: str | None = None

    # -- what each side says ---------------------------------------------------------------------------

    def pending(self, request: HttpRequest, state: str) -> tuple[_Entry | None, AliasConfig | None]:
        raise NotImplementedError

    def save(self, request: HttpRequest, entry: _Entry) -> None:
        raise NotImplementedError

    def forget(self, request: HttpRequest, entry: _Entry) -> None:
        raise NotImplementedError

    def page_url(self, entry: _Entry) -> str:
        raise NotImplementedError

    def unknown(self, request: HttpRequest) -> HttpResponse:
        raise NotImplementedError

    def cancelled(self) -> SignOnError:
        raise NotImplementedError

    def expired(self, request: HttpRequest, config: AliasConfig, entry: _Entry) -> HttpResponse:
        raise NotImplementedError

    def finish(self, request: HttpRequest, config: AliasConfig, entry: _Entry) -> HttpResponse:
        raise NotImplementedError

    def failed(self, request: HttpRequest, config: AliasConfig, entry: _Entry) -> HttpResponse:
        raise NotImplementedError

    def no_page(self, request: HttpRequest, config: AliasConfig, entry: _Entry, status: int) -> HttpResponse:
        raise NotImplementedError

    def extra_context(self, config: AliasConfig, entry: _Entry) -> dict[str, Any]:
        return {}

    def refused(self, entry: _Entry, fields: dict[str, Any]) -> None:
        """A refused step: what to keep of the answer for the form shown again (nothing by default)."""

    def failure(self, request: HttpRequest, error: SignOnError, alias: str | None) -> HttpResponse:
        return failure_response(request, error, alias, back_url=self.back_url)

    # -- the requests ----------------------------------------------------------------------------------

    def get(self, request: HttpRequest, state: str) -> HttpResponse:
        entry, config = self.pending(request, state)
        if entry is None or config is None or entry.flow is None:
            return self.unknown(request)
        try:
            if entry.flow.status == PUSH:
                return self.poll(request, config, entry)
            return self.show(request, config, entry)
        except SignOnError as error:
            return self.failure(request, error, config.alias)

    @sensitive_variables("fields")
    def post(self, request: HttpRequest, state: str) -> HttpResponse:
        entry, config = self.pending(request, state)
        if entry is None or config is None or entry.flow is None:
            return self.unknown(request)
        flow, action = entry.flow, request.POST.get("action", "")
        try:
            if action == "cancel":
                self.forget(request, entry)
                raise self.cancelled()
            answered = request.POST.get("status")
            if answered is not None and answered != flow.status:
                logger.info("A flow page answered status %r, not the flow's (alias %s)", answered[:64], config.alias)
                raise SignOnError("flow_bad_action", _("That step is not the one under way. Please try again."))
            if action == "check" and flow.status == PUSH:
                return self.poll(request, config, entry)
            if not self.answerable(flow, action):
                raise SignOnError("flow_bad_action", _("That step is not the one under way. Please try again."))
            fields = self.step_fields(request, flow, action)
            step = flows_api.post_action(config, flow, action, fields, entry.flow_cookies)
            return self.after(request, config, entry, step, action, fields)
        except SignOnError as error:
            return self.failure(request, error, config.alias)

    # -- the steps -------------------------------------------------------------------------------------

    def page_for(self, flow: Flow) -> Step | None:
        """The page of the flow's status, when it can be shown (one of its actions on offer, or ``always``)."""
        page = self.pages.get(flow.status)
        if page is None or not (page.always or any(flow.offers(action) for action in page.actions)):
            return None
        return page

    def answerable(self, flow: Flow, action: str) -> bool:
        """Whether the browser may answer with ``action``: the status's page offers it and so does the flow."""
        page = self.page_for(flow)
        return page is not None and action in page.actions and action in ACTION_FIELDS and flow.offers(action)

    def step_fields(self, request: HttpRequest, flow: Flow, action: str) -> dict[str, Any]:
        """The action's body from the form: each field once, filled in, not too long; a device among the flow's."""
        if action == ASSERTION_CHECK:
            # The origin is this site's, as Django computed it for this request; never one the browser sent.
            origin = f"{request.scheme}://{request.get_host()}"
            return passkeys.assertion_body(origin, request.POST.getlist("assertion"))
        return step_body(flow, action, request.POST.getlist)

    def show(self, request: HttpRequest, config: AliasConfig, entry: _Entry, status: int = 200) -> HttpResponse:
        flow = entry.flow
        assert flow is not None  # only entries with a flow get here
        page = self.page_for(flow)
        if page is None:
            return self.no_page(request, config, entry, status)
        context = {
            "frame": self.frame_template,
            "flow": flow,
            "devices": flow.devices,
            # The actions this page offers now: each form and button only when the flow has its link.
            "offers": [action for action in page.actions if flow.offers(action)],
            "alias": config.alias,
            "message": entry.message,
            "action_url": self.page_url(entry),
            "refresh_seconds": PUSH_REFRESH_SECONDS,
            **passkey_context(request, flow),
            **self.extra_context(config, entry),
        }
        response = render(request, page.template, context, status=status)
        # The forms post back here: ``same-origin`` keeps the URL (the state) from other sites while Chromium
        # still sends a real ``Origin`` that Django's CSRF check accepts (``no-referrer`` gives ``Origin: null``).
        protect_page(response, referrer_policy="same-origin")
        return response

    @sensitive_variables()  # PingOne's cookie
    def poll(self, request: HttpRequest, config: AliasConfig, entry: _Entry) -> HttpResponse:
        """A look at a push: still waiting (the page again), or where the flow went. PingOne is asked at most
        once per ``POLL_INTERVAL`` per flow; a look sooner shows the page as it was."""
        flow = entry.flow
        assert flow is not None
        if not may_look(config, entry):
            return self.show(request, config, entry)
        step = flows_api.poll(config, flow, entry.flow_cookies)
        if step.flow is not None and step.flow.status == PUSH:
            entry.flow, entry.flow_cookies = step.flow, step.cookies
            self.save(request, entry)
            return self.show(request, config, entry)
        return self.after(request, config, entry, step, "poll", {})

    @sensitive_variables()  # the password or code, PingOne's cookie
    def after(
        self,
        request: HttpRequest,
        config: AliasConfig,
        entry: _Entry,
        step: StepAnswer,
        action: str,
        fields: dict[str, Any],
    ) -> HttpResponse:
        """Go where PingOne's answer says: the same step again with its message, the next step, or the end.
        A refusal is never retried here: the visitor sees PingOne's message (a wrong code, a lockout)."""
        entry.flow_cookies = step.cookies
        if step.expired:
            return self.expired(request, config, entry)
        if step.flow is None:
            logger.info("PingOne refused the %s step (alias %s)", action, config.alias)
            entry.message = step.refused
            self.refused(entry, fields)
            self.save(request, entry)
            return self.show(request, config, entry, status=401 if step.status_code == 401 else 400)
        return self.advance(request, config, entry, step.flow)

    def advance(self, request: HttpRequest, config: AliasConfig, entry: _Entry, flow: Flow) -> HttpResponse:
        entry.flow, entry.message = flow, ""
        if flow.status == COMPLETED:
            return self.finish(request, config, entry)
        if flow.status == FAILED:
            return self.failed(request, config, entry)
        self.save(request, entry)
        return HttpResponseRedirect(self.page_url(entry))  # post/redirect/get
