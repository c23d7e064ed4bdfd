"""Embedded sign-on (``RESPONSE_MODE="pi.flow"``): the site's own sign-on page drives PingOne's flow API.

The login view asks ``/as/authorize`` server-side with ``response_mode=pi.flow`` and gets a flow object
(JSON) instead of a redirect. ``EmbeddedSignOnView`` (``pingone:signon``) shows the step the flow waits
for (username + password, change password, one-time code, external identity providers) and posts each
answer to ``{authPath}/{envID}/flows/{flowId}`` with the action as Content-Type. PingOne's cookies for
the flow (``ST``) are kept in the Django session, never given to the browser. When the flow is
``COMPLETED`` its ``resumeUrl`` gives the authorization code, which is finished by exactly the same
checks as a redirect sign-on (``CallbackView.complete``). Passwords and codes are never logged or stored.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from django_pingone_authorize import authorize, pending
from django_pingone_authorize.client import request_json
from django_pingone_authorize.conf import AliasConfig, get_alias
from django_pingone_authorize.errors import ProviderError, SignOnError
from django_pingone_authorize.pending import PendingSignOn
from django_pingone_authorize.provider import ProviderMetadata, get_metadata, is_safe_endpoint
from django_pingone_authorize.views.failure import failure_response

logger = logging.getLogger("django_pingone_authorize")

ACTION_MEDIA_TYPE = "application/vnd.pingidentity.{action}+json"
FLOW_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
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
}
EXPIRED_MESSAGE = "Your sign-on took too long and was restarted. Please try again."
FALLBACK_TEMPLATE = "django_pingone_authorize/embedded/fallback.html"


# -- the flow object -------------------------------------------------------------------------------


def _href(links: Any, name: str) -> str | None:
    link = links.get(name) if isinstance(links, dict) else None
    href = link.get("href") if isinstance(link, dict) else None
    return href if is_safe_endpoint(href) else None


def _same_origin(url: str | None, config: AliasConfig) -> bool:
    if not url:
        return False
    ours, theirs = urlsplit(config.AUTH_PATH), urlsplit(url)
    return (ours.scheme, ours.netloc) == (theirs.scheme, theirs.netloc)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def read_flow(config: AliasConfig, body: dict[str, Any]) -> dict[str, Any]:
    """The parts of PingOne's flow object the pages need, checked (ids, links and URLs from PingOne are
    not trusted blindly: the resume URL must be on PingOne's own origin)."""
    flow_id, status = body.get("id"), body.get("status")
    if not isinstance(flow_id, str) or not FLOW_ID.match(flow_id) or not isinstance(status, str):
        raise ProviderError("flow_malformed", "The identity provider's sign-on flow could not be read.")
    links = body.get("_links")
    embedded = _object(body.get("_embedded"))
    application = _object(embedded.get("application"))
    providers = []
    for provider in embedded.get("socialProviders") or []:
        if not isinstance(provider, dict):
            continue
        href = _href(provider.get("_links"), "authenticate")
        if href and isinstance(provider.get("name"), str):
            providers.append({"id": str(provider.get("id", "")), "name": provider["name"], "href": href})
    resume_url = body.get("resumeUrl")
    user = _object(embedded.get("user"))
    return {
        "id": flow_id,
        "status": status[:64],
        "resume_url": resume_url if isinstance(resume_url, str) and _same_origin(resume_url, config) else None,
        "application": str(application.get("name") or "")[:200],
        "providers": providers,
        "authenticate": _href(links, "authenticate"),
        "username": str(user.get("username") or "")[:200],
    }


def _cookies(sign_on: PendingSignOn) -> dict[str, str]:
    cookies = sign_on.extra.get("cookies")
    return dict(cookies) if isinstance(cookies, dict) else {}


def _keep_cookies(sign_on: PendingSignOn, response: Any) -> None:
    sign_on.extra["cookies"] = {**_cookies(sign_on), **response.cookies.get_dict()}


def api_error_message(body: dict[str, Any]) -> str:
    """PingOne's message for a refused step (its ``details`` are the most specific)."""
    details = body.get("details")
    if isinstance(details, list):
        for detail in details:
            text = detail.get("message") if isinstance(detail, dict) else None
            if isinstance(text, str):
                return text[:300]
    message = body.get("message")
    return message[:300] if isinstance(message, str) else "The identity provider refused this step."


# -- starting --------------------------------------------------------------------------------------


def signon_url(state: str) -> str:
    return reverse("pingone:signon", args=[state])


def start_embedded_sign_on(
    request: HttpRequest,
    config: AliasConfig,
    metadata: ProviderMetadata,
    sign_on: PendingSignOn,
    extra: dict[str, str],
    *,
    message: str = "",
) -> HttpResponse:
    """Ask PingOne for a pi.flow flow, remember it with the pending sign-on, show its first step."""
    try:
        params = authorize.build(config, metadata, sign_on, extra).params
        body, response = request_json(
            "POST",
            metadata.authorization_endpoint,
            timeout=config.TIMEOUT,
            what="embedded sign-on request",
            data=params,
        )
        flow = read_flow(config, body)
    except SignOnError as error:
        return failure_response(request, error, config.alias)
    sign_on.extra = {"flow": flow, "cookies": {}, "message": message}
    _keep_cookies(sign_on, response)
    pending.add(request.session, sign_on, ttl=config.PENDING_TTL, cap=config.PENDING_MAX)
    return HttpResponseRedirect(signon_url(sign_on.state))


def restart(request: HttpRequest, config: AliasConfig, old: PendingSignOn, message: str) -> HttpResponse:
    """A flow PingOne no longer knows (expired after 15 minutes): start a new one for the same alias."""
    pending.pop(request.session, old.state)
    metadata = get_metadata(config)
    sign_on = authorize.new_pending(config, redirect_uri=old.redirect_uri, next_url=old.next_url, max_age=old.max_age)
    return start_embedded_sign_on(request, config, metadata, sign_on, {}, message=message)


# -- each step -------------------------------------------------------------------------------------


@method_decorator([never_cache, csrf_protect, sensitive_post_parameters(*SENSITIVE_FIELDS)], name="dispatch")
class EmbeddedSignOnView(View):
    """``pingone:signon``: the site's own sign-on page for one pi.flow flow (GET shows, POST answers)."""

    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest, state: str) -> HttpResponse:
        sign_on, config = self.pending_sign_on(request, state)
        if sign_on is None or config is None:
            return self.unknown(request)
        return self.show(request, config, sign_on)

    def post(self, request: HttpRequest, state: str) -> HttpResponse:
        sign_on, config = self.pending_sign_on(request, state)
        if sign_on is None or config is None:
            return self.unknown(request)
        action = request.POST.get("action", "")
        try:
            if action == "cancel":
                pending.pop(request.session, sign_on.state)
                raise SignOnError("cancelled", "The sign-on was cancelled.", status=403)
            if action not in ACTIONS or sign_on.extra["flow"]["status"] not in ACTIONS[action][0]:
                raise SignOnError("flow_bad_action", "That sign-on step is not the one under way. Please try again.")
            fields = self.step_fields(request, action)
            return self.answer(request, config, sign_on, action, fields)
        except SignOnError as error:
            return failure_response(request, error, config.alias)

    # -- helpers -----------------------------------------------------------------------------------

    def pending_sign_on(self, request: HttpRequest, state: str) -> tuple[PendingSignOn | None, AliasConfig | None]:
        sign_on = pending.get(request.session, state)
        if sign_on is None or not isinstance(sign_on.extra.get("flow"), dict):
            return None, None
        try:
            return sign_on, get_alias(sign_on.alias)
        except ImproperlyConfigured:  # the alias was removed from the settings meanwhile
            return None, None

    def unknown(self, request: HttpRequest) -> HttpResponse:
        error = SignOnError("state_unknown", "This sign-on has expired or was already used. Please sign on again.")
        return failure_response(request, error, None)

    def step_fields(self, request: HttpRequest, action: str) -> dict[str, str]:
        fields: dict[str, str] = {}
        for form_name, api_name in ACTIONS[action][1].items():
            values = request.POST.getlist(form_name)
            if len(values) != 1 or not values[0] or len(values[0]) > MAX_FIELD_LENGTH:
                raise SignOnError("flow_bad_input", "Please fill in every field.")
            fields[api_name] = values[0]
        return fields

    def show(
        self, request: HttpRequest, config: AliasConfig, sign_on: PendingSignOn, status: int = 200
    ) -> HttpResponse:
        flow = sign_on.extra["flow"]
        template = TEMPLATES.get(flow["status"], FALLBACK_TEMPLATE)
        if template == FALLBACK_TEMPLATE:
            logger.warning("PingOne flow status %s has no page here; offering the hosted sign-on page", flow["status"])
        context = {
            "flow": flow,
            "alias": config.alias,
            "application": flow["application"] or "this site",
            "message": sign_on.extra.get("message", ""),
            "action_url": signon_url(sign_on.state),
            "hosted_url": reverse("pingone:login", args=[config.alias]),
            "next": sign_on.next_url or "",
        }
        response = render(request, template, context, status=status)
        response["Referrer-Policy"] = "no-referrer"
        return response

    def save(self, request: HttpRequest, sign_on: PendingSignOn) -> None:
        pending.update(request.session, sign_on)

    def answer(
        self, request: HttpRequest, config: AliasConfig, sign_on: PendingSignOn, action: str, fields: dict[str, str]
    ) -> HttpResponse:
        flow_id = sign_on.extra["flow"]["id"]
        body, response = request_json(
            "POST",
            f"{config.flows_base}/{flow_id}",
            timeout=config.TIMEOUT,
            what="sign-on step",
            headers={"Content-Type": ACTION_MEDIA_TYPE.format(action=action)},
            json_body=fields,
            cookies=_cookies(sign_on),
            expect=(200, 400, 401, 404),
        )
        _keep_cookies(sign_on, response)
        if response.status_code == 404:
            logger.info("PingOne flow expired; starting a new one (alias %s)", config.alias)
            return restart(request, config, sign_on, EXPIRED_MESSAGE)
        if response.status_code != 200:
            # A refused step (wrong password, bad code): the same form again with PingOne's message.
            logger.info("PingOne refused the %s step (alias %s)", action, config.alias)
            sign_on.extra["message"] = api_error_message(body)
            self.save(request, sign_on)
            return self.show(request, config, sign_on, status=400 if response.status_code != 401 else 401)
        return self.advance(request, config, sign_on, read_flow(config, body))

    def advance(
        self, request: HttpRequest, config: AliasConfig, sign_on: PendingSignOn, flow: dict[str, Any]
    ) -> HttpResponse:
        """Go where the flow's new status says."""
        sign_on.extra["flow"] = flow
        sign_on.extra["message"] = ""
        if flow["status"] == COMPLETED:
            return finish_flow(request, config, sign_on)
        if flow["status"] == EXTERNAL and flow["authenticate"]:
            self.save(request, sign_on)
            return HttpResponseRedirect(flow["authenticate"])
        self.save(request, sign_on)
        return HttpResponseRedirect(signon_url(sign_on.state))  # post/redirect/get


# -- the end ---------------------------------------------------------------------------------------


def finish_flow(request: HttpRequest, config: AliasConfig, sign_on: PendingSignOn) -> HttpResponse:
    """``COMPLETED``: fetch the authorization response from the resume URL and finish like a callback."""
    from django_pingone_authorize.views.callback import CallbackView

    view = CallbackView()
    pending.pop(request.session, sign_on.state)  # single use, whatever happens next
    try:
        resume_url = sign_on.extra["flow"].get("resume_url")
        if not resume_url:
            raise ProviderError("flow_no_resume", "The identity provider's sign-on flow could not be resumed.")
        body, _ = request_json(
            "GET", resume_url, timeout=config.TIMEOUT, what="resume request", cookies=_cookies(sign_on)
        )
        answer = body.get("authorizeResponse")
        if not isinstance(answer, dict):
            raise ProviderError("flow_no_code", "The identity provider's sign-on flow ended without a code.")
        params = {k: v for k, v in answer.items() if isinstance(k, str) and isinstance(v, str)}
        if not constant_time_compare(params.get("state", ""), sign_on.state):
            raise SignOnError("state_mismatch", "The sign-on response did not match this sign-on.")
        user, claims, tokens = view.complete(request, config, sign_on, params)
    except SignOnError as error:
        return failure_response(request, error, config.alias)
    return view.login_success(request, config, sign_on, user, claims, tokens)


def resume_after_external(request: HttpRequest, flow_id: str) -> HttpResponse:
    """Back from an external identity provider (``?flowId=`` on the callback): look the flow up again."""
    match = None
    for candidate in pending.all_live(request.session):
        flow = candidate.extra.get("flow")
        if isinstance(flow, dict) and constant_time_compare(str(flow.get("id", "")), flow_id):
            match = candidate
    if match is None:
        error = SignOnError("state_unknown", "This sign-on has expired or was started in another browser.")
        return failure_response(request, error, None)
    config = get_alias(match.alias)
    try:
        body, response = request_json(
            "GET",
            f"{config.flows_base}/{match.extra['flow']['id']}",
            timeout=config.TIMEOUT,
            what="sign-on flow request",
            cookies=_cookies(match),
            expect=(200, 404),
        )
        if response.status_code == 404:
            return restart(request, config, match, EXPIRED_MESSAGE)
        _keep_cookies(match, response)
        flow = read_flow(config, body)
    except SignOnError as error:
        return failure_response(request, error, config.alias)
    return EmbeddedSignOnView().advance(request, config, match, flow)
