"""Self-service on the embedded sign-on pages (``EmbeddedSignOnView``), on the same flow pages and pending
sign-on: a forgotten password and, behind the alias option ``REGISTRATION`` (off by default), registration.

* Forgotten password: the sign-on page links to ``?step=forgot`` when the flow offers ``password.forgot``; the
  username goes to ``password.forgot``; ``RECOVERY_CODE_REQUIRED`` asks the code and a new password
  (``password.recover``; ``password.sendRecoveryCode`` sends a new code); PingOne's password-policy refusals are
  shown as they come (``provider/password_policy.py``); then the flow's next status: signed on, or another step.
* Registration: ``?step=register`` when the flow offers ``user.register`` and the alias has ``REGISTRATION``;
  ``user.register`` (username, email, password) then ``VERIFICATION_CODE_REQUIRED`` (``user.verify``,
  ``user.sendVerificationCode``), then signed on. The Django user comes from the ID token's (issuer, ``sub``)
  through the backend, as for any sign-on: never matched to an existing user by username or email.

The pages answer alike whether the account exists: PingOne refuses ``user.lookup`` (identifier-first) and
``password.forgot`` for an unknown user and ``user.register`` for a taken username or email, and the visitor then
sees the very page a known account would have brought ("pretend", kept with the pending sign-on): the password
page, "we sent a code". Every password or code typed there is "not right", as a wrong real one is (both say so
in the same words). What PingOne alone knows, it alone can give away (its lockout words after
too many wrong codes). Codes are never retried here; the pending sign-on is bound to the session that started
it, so a recovery or registration begun in one browser cannot be finished in another.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from typing import Any, NamedTuple

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.errors import SignOnError
from django_pingone_authorize.provider import flows_api
from django_pingone_authorize.provider.flows_api import StepAnswer
from django_pingone_authorize.sign_on.flow_steps import Step
from django_pingone_authorize.sign_on.pending import PendingSignOn
from django_pingone_authorize.views.flow_pages import FlowPagesView

logger = logging.getLogger("django_pingone_authorize")

TEMPLATES = "django_pingone_authorize/embedded/"
FORGOT, RECOVER, RESEND_RECOVERY = "password.forgot", "password.recover", "password.sendRecoveryCode"
REGISTER, VERIFY, RESEND_VERIFICATION = "user.register", "user.verify", "user.sendVerificationCode"
LOOKUP, CHECK_PASSWORD = "user.lookup", "usernamePassword.check"
RECOVERY_CODE_REQUIRED = "RECOVERY_CODE_REQUIRED"
VERIFICATION_CODE_REQUIRED = "VERIFICATION_CODE_REQUIRED"
# The forms asked for with ``?step=``: shown under a name no PingOne status has (PingOne's are upper case).
FORGOT_STEP, REGISTER_STEP = "step:forgot", "step:register"
PAGES = {
    RECOVERY_CODE_REQUIRED: Step(TEMPLATES + "recovery_code.html", (RECOVER, RESEND_RECOVERY)),
    FORGOT_STEP: Step(TEMPLATES + "forgot_password.html", (FORGOT,)),
    REGISTER_STEP: Step(TEMPLATES + "register.html", (REGISTER,)),
}
# The actions the sign-on statuses' page may also answer with (each when the flow offers it).
SIGN_ON_ACTIONS = (FORGOT, REGISTER)


class Form(NamedTuple):
    shown_as: str
    action: str


FORMS = {"forgot": Form(FORGOT_STEP, FORGOT), "register": Form(REGISTER_STEP, REGISTER)}
# A pretend step: shown as the status a real answer brings, answering the same actions.
PRETEND = {
    "lookup": ("PASSWORD_REQUIRED", (CHECK_PASSWORD,)),
    "forgot": (RECOVERY_CODE_REQUIRED, (RECOVER, RESEND_RECOVERY)),
    "register": (VERIFICATION_CODE_REQUIRED, (VERIFY, RESEND_VERIFICATION)),
}
CODE_TARGETS = frozenset({"recoveryCode", "verificationCode"})
WRONG_CODE = _("That code is not right. Please check it, or send a new code.")
WRONG_PASSWORD = _("The username or password is not right.")


def self_service_links(config: AliasConfig, entry: PendingSignOn, url: str) -> dict[str, str]:
    """The sign-on page's links: "Forgot your password?" and "Create an account", when on offer."""
    flow = entry.flow
    if flow is None:
        return {}
    links = {}
    if flow.offers(FORGOT):
        links["forgot_url"] = url + "?step=forgot"
    if flow.offers(REGISTER) and config.REGISTRATION:
        links["register_url"] = url + "?step=register"
    return links


class SelfServicePagesView(FlowPagesView[PendingSignOn]):
    """``EmbeddedSignOnView``'s base: the flow pages with the ``?step=`` forms, the pretend steps, and
    ``user.register`` only where the alias allows it."""

    registration_allowed = False

    def get(self, request: HttpRequest, state: str) -> HttpResponse:
        step = request.GET.get("step")
        if step is None:
            return super().get(request, state)
        entry, config = self.pending(request, state)
        if entry is None or config is None or entry.flow is None:
            return self.unknown(request)
        form = FORMS.get(step[:20])
        self.registration_allowed = config.REGISTRATION
        if form is None or entry.pretend not in ("", "lookup") or not self.answerable(entry.flow, form.action):
            error = SignOnError("flow_bad_action", _("That step is not the one under way. Please try again."))
            return self.failure(request, error, config.alias)
        return self.show_as(request, config, entry, form.shown_as, (form.action,))

    @sensitive_variables("fields")
    def post(self, request: HttpRequest, state: str) -> HttpResponse:
        entry, config = self.pending(request, state)
        if entry is None or config is None or entry.flow is None:
            return super().post(request, state)
        self.registration_allowed = config.REGISTRATION
        action = request.POST.get("action", "")
        if entry.pretend in PRETEND and action != "cancel":
            if action in PRETEND[entry.pretend][1]:
                return self.pretend_answer(request, config, entry, action)
            entry.pretend = ""  # another page of this sign-on (an older tab): the flow as it is
            self.save(request, entry)
        return super().post(request, state)

    def answerable(self, flow: flows_api.Flow, action: str) -> bool:
        if action == REGISTER and not self.registration_allowed:
            return False
        return super().answerable(flow, action)

    def show(self, request: HttpRequest, config: AliasConfig, entry: PendingSignOn, status: int = 200) -> HttpResponse:
        if entry.pretend in PRETEND and entry.flow is not None:
            shown_as, actions = PRETEND[entry.pretend]
            return self.show_as(request, config, entry, shown_as, actions, status)
        return super().show(request, config, entry, status)

    def show_as(
        self,
        request: HttpRequest,
        config: AliasConfig,
        entry: PendingSignOn,
        shown_as: str,
        actions: tuple[str, ...],
        status: int = 200,
    ) -> HttpResponse:
        """The page of status ``shown_as`` offering ``actions``, for a flow in another status (a ``?step=``
        form, a pretend step)."""
        assert entry.flow is not None
        shown = copy.copy(entry)
        shown.flow = dataclasses.replace(entry.flow, status=shown_as, actions=actions)
        if entry.pretend == "lookup":  # the password page of an account PingOne knows: the name typed, no
            # providers (PingOne lists them at the first step), "Forgot your password?" if the flow offers it
            offers = actions + ((FORGOT,) if entry.flow.offers(FORGOT) else ())
            shown.flow = dataclasses.replace(shown.flow, username=entry.typed_username, providers=(), actions=offers)
        return super().show(request, config, shown, status)

    @sensitive_variables("fields")
    def pretend_answer(
        self, request: HttpRequest, config: AliasConfig, entry: PendingSignOn, action: str
    ) -> HttpResponse:
        """A pretend step's answer (``action``, one of the step's): checked as a real one is, then "sent" (a new
        code) or "not right" (a code)."""
        assert entry.flow is not None
        shown_as, actions = PRETEND[entry.pretend]
        try:
            answered = request.POST.get("status")
            if answered is not None and answered != shown_as:
                raise SignOnError("flow_bad_action", _("That step is not the one under way. Please try again."))
            shown = dataclasses.replace(entry.flow, status=shown_as, actions=actions)
            self.step_fields(request, shown, action)
        except SignOnError as error:
            return self.failure(request, error, config.alias)
        logger.info("A pretend %s step answered %s (alias %s)", entry.pretend, action, config.alias)
        if action in (RESEND_RECOVERY, RESEND_VERIFICATION):
            entry.message = ""
            self.save(request, entry)
            return HttpResponseRedirect(self.page_url(entry))
        entry.message = force_str(WRONG_PASSWORD if action == CHECK_PASSWORD else WRONG_CODE)
        self.save(request, entry)
        return self.show(request, config, entry, status=400)

    @sensitive_variables()  # the password or code, PingOne's cookie
    def after(
        self,
        request: HttpRequest,
        config: AliasConfig,
        entry: PendingSignOn,
        step: StepAnswer,
        action: str,
        fields: dict[str, Any],
    ) -> HttpResponse:
        """PingOne's answer to a self-service step; every other answer as ``FlowPagesView.after`` goes."""
        if step.flow is None and action == LOOKUP and step.status_code == 400:
            self.refused(entry, fields)  # the name typed, shown on the password page
            return self.start_pretend(request, entry, step, "lookup")  # an unknown username: its password asked
        if step.flow is None and action == FORGOT:
            assert entry.flow is not None
            if step.expired and flows_api.poll(config, entry.flow, step.cookies).expired:
                return super().after(request, config, entry, step, action, fields)
            return self.start_pretend(request, entry, step, "forgot")  # an unknown account: as if a code was sent
        if step.flow is None and action == REGISTER:
            if step.refused_code == "UNIQUENESS_VIOLATION":
                return self.start_pretend(request, entry, step, "register")  # a taken account: the same
            if not step.expired:
                entry.flow_cookies, entry.message = step.cookies, step.refused
                self.refused(entry, fields)
                self.save(request, entry)
                return self.show_as(request, config, entry, REGISTER_STEP, (REGISTER,), status=400)
        if step.flow is None and step.refused_target in CODE_TARGETS and step.refused_code != "REQUEST_LIMITED":
            step = dataclasses.replace(step, refused=force_str(WRONG_CODE))  # real and pretend codes alike
        if step.flow is None and action == CHECK_PASSWORD and step.refused_code == "INVALID_CREDENTIALS":
            step = dataclasses.replace(step, refused=force_str(WRONG_PASSWORD))  # and wrong passwords
        return super().after(request, config, entry, step, action, fields)

    def start_pretend(self, request: HttpRequest, entry: PendingSignOn, step: StepAnswer, kind: str) -> HttpResponse:
        logger.info("PingOne refused a %s step for the account; the page answers as if it went on", kind)
        entry.flow_cookies, entry.pretend, entry.message = step.cookies, kind, ""
        self.save(request, entry)
        return HttpResponseRedirect(self.page_url(entry))
