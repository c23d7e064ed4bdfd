"""The headless API's endpoints (``urls.py`` mounts each once per kind of client, ``clients.py``).

``SignOnView``: POST starts a sign-on for an alias, GET reads the step under way, DELETE cancels it.
``StepView``: POST answers the step (``{"step", "action", "fields"}``). ``PollView``: POST looks at a push.
``SessionView``: GET says who is signed on, DELETE logs out. Each answer is JSON; each refusal is a JSON error
with a stable code (``clients.error_response``) and a 4xx (PingOne down: 502/503), never a page, never a 500.

The steps are the HTML pages' (``sign_on/flow_steps.py``: the fields, the device check, the poll limit) and so
is the end: ``sign_on/complete.py``'s ``complete_sign_on`` and ``log_in`` (the backend, the ID token's checks
against what the sign-on asked, the session index, ``sign_on_succeeded``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

from django.contrib.auth import get_user, logout
from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import get_token
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import DEFAULT_ALIAS, PER_REQUEST_PARAMS, AliasConfig, get_alias
from django_pingone_authorize.errors import ProviderError, SignOnError
from django_pingone_authorize.headless import clients, steps
from django_pingone_authorize.headless.settings import APP, BROWSER, headless_settings
from django_pingone_authorize.oidc import authorize
from django_pingone_authorize.oidc.authorization_response import check_error
from django_pingone_authorize.provider import flows_api
from django_pingone_authorize.provider.discovery import get_metadata
from django_pingone_authorize.provider.flows_api import StepAnswer
from django_pingone_authorize.redirects import callback_uri, safe_next_url
from django_pingone_authorize.sessions import revocation
from django_pingone_authorize.sign_on import complete, pending
from django_pingone_authorize.sign_on.embedded import begin_flow
from django_pingone_authorize.sign_on.flow_steps import (
    ACTION_FIELDS,
    COMPLETED,
    FAILED,
    POLL_INTERVAL,
    PUSH,
    may_look,
    step_body,
)
from django_pingone_authorize.sign_on.pending import PendingSignOn
from django_pingone_authorize.sign_on.redeem import resumed
from django_pingone_authorize.sign_on.requirements import read_step_up
from django_pingone_authorize.signals import sign_on_failed

logger = logging.getLogger("django_pingone_authorize")

MAX_BODY = 16 * 1024
MAX_MOBILE_PAYLOAD = 8192
# A refused ``user.lookup`` (the username alone): one message whatever PingOne's reason, so that the answer does not
# tell whether the user exists.
LOOKUP_REFUSED = _("We could not continue with that username. Please check it and try again.")
# The statuses an error may answer with; any other status of a SignOnError is mapped onto these.
STATUSES = frozenset({400, 401, 403, 404, 409, 429, 502, 503})


class Refusal(Exception):
    """An API-level refusal (not a sign-on failure): answered as it is, nothing logged as a failed sign-on."""

    def __init__(self, status: int, code: str, message: object, **extra: Any) -> None:
        super().__init__(code)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def no_sign_on() -> Refusal:
    return Refusal(404, "no_sign_on", _("There is no sign-on under way. Please start again."))


def flow_config(alias: str) -> AliasConfig:
    """The alias as a headless sign-on runs it: always through PingOne's flows API (``pi.flow``)."""
    config = get_alias(alias)
    return config if config.RESPONSE_MODE == "pi.flow" else dataclasses.replace(config, RESPONSE_MODE="pi.flow")


class HeadlessView(View):
    """Finds the client's session (``clients.py``) and turns every refusal into a JSON error."""

    client = BROWSER

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        headless = headless_settings()
        if headless is None or not headless.serves(self.client):
            return clients.error_response(404, "not_found", _("Not found."))
        self.new_token = False
        try:
            if self.client == BROWSER:
                if clients.TOKEN_HEADER in request.headers:
                    raise Refusal(400, "wrong_client", _("A browser client sends no session token."))
                if clients.is_app_session(request.session):
                    raise Refusal(403, "wrong_client", _("An app client's session cannot be used from a browser."))
                get_token(request)  # the CSRF cookie, for the script to send its value back (X-CSRFToken)
                return super().dispatch(request, *args, **kwargs)
            session = self.app_session(request)
            with clients.serving_app(request, session):
                response = super().dispatch(request, *args, **kwargs)
                # A new or rotated token (a new session, a sign-on's login()) in the header too; none after logout.
                if isinstance(response, JsonResponse) and request.session.session_key:
                    token = clients.app_token(request.session)
                    if token != request.headers.get(clients.TOKEN_HEADER):
                        response[clients.TOKEN_HEADER] = token
                return response
        except Refusal as refusal:
            response = clients.error_response(refusal.status, refusal.code, refusal.message, **refusal.extra)
            if refusal.status == 429:
                response["Retry-After"] = str(POLL_INTERVAL)
            return response

    def app_session(self, request: HttpRequest) -> Any:
        token = request.headers.get(clients.TOKEN_HEADER, "")
        if not token and self.starts_sessions(request):
            self.new_token = True
            return clients.new_app_session()
        session = clients.app_session(token)
        if session is None:
            raise Refusal(401, "invalid_token", _("The session token is missing, unknown or has ended."))
        return session

    def starts_sessions(self, request: HttpRequest) -> bool:
        """Whether a request without a token gets a new app session (starting a sign-on does)."""
        return False

    def body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            raw = request.body
        except RequestDataTooBig:
            raw = b"x" * (MAX_BODY + 1)
        if len(raw) > MAX_BODY:
            raise Refusal(400, "bad_request", _("The request is too large."))
        try:
            data = json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise Refusal(400, "bad_request", _("The request is not JSON.")) from None
        if not isinstance(data, dict):
            raise Refusal(400, "bad_request", _("The request must be a JSON object."))
        return data

    def failure(self, request: HttpRequest, error: SignOnError, alias: str | None, **extra: Any) -> HttpResponse:
        """A failed sign-on: logged and signalled as the pages do, answered with its reason and PingOne's words."""
        logger.warning("PingOne headless sign-on failed: %s (alias %s)", error.reason, alias or "unknown")
        sign_on_failed.send(sender=type(error), request=request, alias=alias, reason=error.reason)
        status = error.status if error.status in STATUSES else (502 if isinstance(error, ProviderError) else 400)
        if isinstance(error, ProviderError) and error.description:
            extra["provider_message"] = error.description[:300]
        return clients.error_response(status, error.reason, error.message, **extra)

    def answer(self, request: HttpRequest, body: dict[str, Any], status: int = 200) -> JsonResponse:
        if self.new_token:
            body = {**body, "session_token": clients.app_token(request.session)}
        response = JsonResponse(body, status=status)
        response["Cache-Control"] = "no-store"
        return response


class SignOnFlowView(HeadlessView):
    """What the sign-on endpoints share: the sign-on under way, the step answered, the end."""

    def under_way(self, request: HttpRequest) -> tuple[dict[str, str], PendingSignOn, AliasConfig]:
        record = steps.record_of(request.session, self.client)
        entry = pending.get(request.session, record["state"]) if record else None
        if record is None or entry is None or entry.flow is None:
            raise no_sign_on()
        try:
            return record, entry, flow_config(entry.alias)
        except ImproperlyConfigured:  # the alias was removed from the settings meanwhile
            raise no_sign_on() from None

    def step(self, request: HttpRequest, config: AliasConfig, entry: PendingSignOn, token: str) -> JsonResponse:
        return self.answer(request, steps.describe(config, entry, token, self.client))

    @sensitive_variables()  # PingOne's cookie, the password or code on the way
    def after(
        self,
        request: HttpRequest,
        record: dict[str, str],
        entry: PendingSignOn,
        config: AliasConfig,
        step: StepAnswer,
        typed_username: str = "",
    ) -> HttpResponse:
        """Where PingOne's answer leads: the step again with PingOne's message, the next step, or the end."""
        entry.flow_cookies = step.cookies
        if step.expired:
            pending.pop(request.session, entry.state)
            steps.forget(request.session)
            raise Refusal(409, "sign_on_expired", _("The sign-on took too long. Please start again."))
        token = steps.next_step(request.session, record)
        if step.flow is None:
            # PingOne's message, except for the username alone: whether that user exists is not told.
            assert entry.flow is not None
            looked_up = entry.flow.offers("user.lookup") and not entry.flow.offers("usernamePassword.check")
            entry.message = str(LOOKUP_REFUSED) if looked_up else step.refused
            entry.typed_username = typed_username[:200] or entry.typed_username  # never the password
            pending.update(request.session, entry)
            described = steps.describe(config, entry, token, self.client)
            status = 401 if step.status_code == 401 else 400
            return clients.error_response(status, "step_refused", entry.message, step=described)
        entry.flow, entry.message = step.flow, ""
        if step.flow.status == COMPLETED:
            return self.finish(request, config, entry)
        if step.flow.status == FAILED:
            return self.failed(request, config, entry)
        pending.update(request.session, entry)
        return self.step(request, config, entry, token)

    @sensitive_variables()  # the code, PingOne's cookie, the tokens
    def finish(self, request: HttpRequest, config: AliasConfig, entry: PendingSignOn) -> HttpResponse:
        """``COMPLETED``: the pages' own end (``complete_sign_on``, ``log_in``), then who signed on."""
        pending.pop(request.session, entry.state)  # single use, whatever happens next
        steps.forget(request.session)
        try:
            result = complete.complete_sign_on(request, config, entry, resumed(config, entry))
            redirect = complete.log_in(request, config, entry, result, sender=type(self))
        except SignOnError as error:
            return self.failure(request, error, config.alias)
        body: dict[str, Any] = {"status": COMPLETED, "user": user_of(result.user), "next": redirect["Location"]}
        if self.client == APP:  # login() gave the session a new key: the token rotates
            body["session_token"] = clients.app_token(request.session)
        return self.answer(request, body)

    def failed(self, request: HttpRequest, config: AliasConfig, entry: PendingSignOn) -> HttpResponse:
        """``FAILED``: PingOne's OAuth error from the resume URL."""
        pending.pop(request.session, entry.state)
        steps.forget(request.session)
        try:
            check_error(resumed(config, entry))
            raise SignOnError("flow_failed", _("The sign-on could not be completed. Please sign on again."))
        except SignOnError as error:
            return self.failure(request, error, config.alias)


def user_of(user: Any) -> dict[str, Any]:
    return {"id": str(user.pk), "username": user.get_username()}


class SignOnView(SignOnFlowView):
    http_method_names = ["get", "post", "delete"]

    def starts_sessions(self, request: HttpRequest) -> bool:
        return request.method == "POST"

    def get(self, request: HttpRequest) -> HttpResponse:
        record, entry, config = self.under_way(request)
        return self.step(request, config, entry, record["step"])

    def delete(self, request: HttpRequest) -> HttpResponse:
        record = steps.record_of(request.session, self.client)
        if record is None:
            raise no_sign_on()
        pending.pop(request.session, record["state"])
        steps.forget(request.session)
        return self.answer(request, {"status": "CANCELLED"})

    @sensitive_variables("sign_on", "extra", "data")  # the PKCE verifier, a login_hint_token, a mobile payload
    def post(self, request: HttpRequest) -> HttpResponse:
        data = self.body(request)
        alias = data.get("alias", DEFAULT_ALIAS)
        headless = headless_settings()
        assert headless is not None
        try:
            if not isinstance(alias, str) or not headless.allows(alias):
                raise ImproperlyConfigured(alias)
            config = flow_config(alias)
        except ImproperlyConfigured:
            raise Refusal(404, "unknown_alias", _("No such PingOne sign-on.")) from None
        try:
            sign_on, extra = self.new_sign_on(request, config, data)
            # One headless sign-on at a time per client: a new one ends the one before.
            record = steps.record_of(request.session, self.client)
            if record is not None:
                pending.pop(request.session, record["state"])
            begin_flow(request, config, get_metadata(config), sign_on, extra)
        except SignOnError as error:
            return self.failure(request, error, config.alias)
        token = steps.remember(request.session, self.client, sign_on.state)
        return self.step(request, config, sign_on, token)

    @sensitive_variables("data", "extra")
    def new_sign_on(
        self, request: HttpRequest, config: AliasConfig, data: dict[str, Any]
    ) -> tuple[PendingSignOn, dict[str, str]]:
        """The pending sign-on and its per-request parameters, by the login view's rules: only what the alias
        allows (``REQUEST_PARAMS``), each checked; a request may tighten what the alias asks, never loosen it."""
        given = {}
        for name in PER_REQUEST_PARAMS:
            value = data.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            if value is not None and not isinstance(value, str):
                raise SignOnError("bad_request_parameter", _("A sign-on parameter is not valid."))
            if value is not None:
                given[name] = value
        extra = authorize.clean_request_params(config, given)
        step_up = data.get("step_up")
        asked = authorize.requested(config, extra, read_step_up(step_up, config.alias) if step_up else None)
        extra = {name: value for name, value in extra.items() if name not in authorize.REQUIREMENT_PARAMS}
        if "mobilePayload" in data:
            extra["mobilePayload"] = self.mobile_payload(data["mobilePayload"])
        next_value = data.get("next")
        sign_on = pending.new_pending(
            config,
            redirect_uri=callback_uri(request, config),
            next_url=safe_next_url(request, next_value if isinstance(next_value, str) else None),
            max_age=asked.max_age,
            acr_values=asked.acr_values,
            prompt=asked.prompt,
        )
        return sign_on, extra

    def mobile_payload(self, value: Any) -> str:
        """PingOne's MFA SDK payload: an app client's own (a browser's would name a device it is not)."""
        if self.client != APP:
            raise Refusal(400, "mobile_payload_refused", _("Only an app client may send a mobile payload."))
        if not isinstance(value, str) or not 0 < len(value) <= MAX_MOBILE_PAYLOAD or not value.isascii():
            raise Refusal(400, "bad_request_parameter", _("The mobile payload is not valid."))
        if not value.isprintable() or " " in value:
            raise Refusal(400, "bad_request_parameter", _("The mobile payload is not valid."))
        return value


class StepView(SignOnFlowView):
    http_method_names = ["post"]

    @sensitive_variables("data", "fields", "answer")
    def post(self, request: HttpRequest) -> HttpResponse:
        data = self.body(request)
        record, entry, config = self.under_way(request)
        assert entry.flow is not None
        if not steps.same_step(record, data.get("step")):
            raise Refusal(409, "stale_step", _("That answer is not for the step under way."))
        action, fields = data.get("action"), data.get("fields", {})
        if not isinstance(action, str) or action not in steps.offered(entry.flow):
            raise Refusal(409, "step_not_offered", _("That step is not the one under way. Please try again."))
        if not isinstance(fields, dict) or any(name not in ACTION_FIELDS[action] for name in fields):
            raise Refusal(400, "flow_bad_input", _("Please fill in every field."))
        try:
            answer = step_body(entry.flow, action, lambda name: [fields[name]] if name in fields else [])
            step = flows_api.post_action(config, entry.flow, action, answer, entry.flow_cookies)
            typed = answer.get("username")
            return self.after(request, record, entry, config, step, typed if isinstance(typed, str) else "")
        except SignOnError as error:
            return self.failure(request, error, config.alias)


class PollView(SignOnFlowView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        record, entry, config = self.under_way(request)
        assert entry.flow is not None
        if entry.flow.status != PUSH:
            raise Refusal(409, "not_waiting", _("The sign-on is not waiting for a push confirmation."))
        if not may_look(config, entry):
            raise Refusal(429, "poll_too_soon", _("Please wait before asking again."), retry_after=POLL_INTERVAL)
        pending.update(request.session, entry)  # the look, recorded
        try:
            step = flows_api.poll(config, entry.flow, entry.flow_cookies)
            if step.flow is not None and step.flow.status == PUSH:
                entry.flow, entry.flow_cookies = step.flow, step.cookies
                pending.update(request.session, entry)
                return self.step(request, config, entry, record["step"])
            return self.after(request, record, entry, config, step)
        except SignOnError as error:
            return self.failure(request, error, config.alias)


class SessionView(HeadlessView):
    http_method_names = ["get", "delete"]

    def get(self, request: HttpRequest) -> HttpResponse:
        user = get_user(request)
        return self.answer(
            request, {"signed_on": user.is_authenticated, "user": user_of(user) if user.is_authenticated else None}
        )

    def delete(self, request: HttpRequest) -> HttpResponse:
        """Log out: the tokens revoked (``REVOKE_ON_LOGOUT``), the Django session ended (an app's token too)."""
        revocation.revoke_session_tokens(request.session)
        if not hasattr(request, "user") or self.client == APP:
            request.user = get_user(request)
        logout(request)
        return self.answer(request, {"signed_on": False, "user": None})
