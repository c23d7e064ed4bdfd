"""The stand-in's own HTML pages: the sign-on page (``/{envID}/signon/``: password, change of password,
one-time code, cancel) and an external identity provider's page (``/{envID}/external/{id}/authenticate``)."""

from __future__ import annotations

from .. import pages
from ..flows import (
    COMPLETED,
    EXTERNAL_AUTHENTICATION_REQUIRED,
    MUST_CHANGE_PASSWORD,
    OTP_REQUIRED,
    STATUS_ACTIONS,
    USERNAME_PASSWORD_REQUIRED,
    StepFailed,
    needs_one_time_code,
)
from ..records import Flow
from ..server import Request, Response
from . import flow_steps, sign_ons
from .environment import Environment, with_query
from .protocol import ErrorPage, first, single


def _page_fields(request: Request) -> dict[str, str]:
    if request.method != "POST":
        return {}
    return single(request.form(), lambda name: ErrorPage(400, "Bad request", f"{name} is given more than once."))


def _expired_page() -> ErrorPage:
    return ErrorPage(404, "Sign-on expired", "This sign-on is unknown or has expired. Go back to the application.")


def sign_on_page(env: Environment, request: Request) -> Response:
    fields = _page_fields(request)
    flow = sign_ons.live_flow(env, fields.get("flowId") or first(request.query, "flowId"))
    if flow is None:
        raise _expired_page()
    if not sign_ons.owns(request, flow):
        raise sign_ons.missing_cookie_page()
    flow.last_activity = env.clock()
    error: str | None = None
    if request.method == "POST":
        action = fields.get("action", "")
        if action == "cancel":
            flow.error = ("access_denied", "The user cancelled the sign-on.")
            return Response.redirect(env.resume_url(flow.flow_id))
        if action not in STATUS_ACTIONS.values():
            raise ErrorPage(400, "Bad request", "The form has no known action.")
        if STATUS_ACTIONS.get(flow.status) == action:
            try:
                flow_steps.apply_action(env, flow, action, fields)
            except StepFailed as exc:
                error = exc.message
        if error is None:
            # Post/redirect/get: a reload of the next step does not post the password again.
            if flow.status == COMPLETED:
                return Response.redirect(env.resume_url(flow.flow_id))
            return Response(303, headers=[("Location", env.sign_on_page_url(flow.flow_id))])
    if flow.status == COMPLETED or flow.error is not None:
        return Response.redirect(env.resume_url(flow.flow_id))
    return Response.html(200, _step_page(env, flow, error, fields.get("username")))


def _step_page(env: Environment, flow: Flow, error: str | None, username: str | None = None) -> str:
    client = env.clients.get(flow.request.client_id)
    name = client.name if client else "Application"
    action_url = env.sign_on_action_url
    if flow.status == USERNAME_PASSWORD_REQUIRED:
        return pages.sign_on_page(
            action_url=action_url,
            flow_id=flow.flow_id,
            application_name=name,
            login_hint=username or flow.request.login_hint,
            providers=[
                (provider.provider_id, provider.name, env.authenticate_url(provider.provider_id, flow.flow_id))
                for provider in env.providers.values()
            ],
            error=error,
        )
    if flow.status == MUST_CHANGE_PASSWORD:
        return pages.change_password_page(
            action_url=action_url,
            flow_id=flow.flow_id,
            application_name=name,
            username=flow.username or "",
            error=error,
        )
    if flow.status == OTP_REQUIRED:
        return pages.otp_page(action_url=action_url, flow_id=flow.flow_id, application_name=name, error=error)
    return pages.unsupported_step_page(
        action_url=action_url, flow_id=flow.flow_id, application_name=name, status=flow.status
    )


def external_provider(env: Environment, request: Request, provider_id: str) -> Response:
    """The external identity provider's page. With ``external_links_cookie_bound`` (the default) only the
    browser holding the flow's ``ST`` cookie may use it; without, anyone holding the link may."""
    fields = _page_fields(request)
    provider = env.providers.get(provider_id)
    flow = sign_ons.live_flow(env, fields.get("flowId") or first(request.query, "flowId"))
    if provider is None or flow is None:
        raise _expired_page()
    if env.external_links_cookie_bound and not sign_ons.owns(request, flow):
        raise sign_ons.missing_cookie_page()
    flow.last_activity = env.clock()
    action_url = env.authenticate_url(provider_id, flow.flow_id)
    if request.method == "GET":
        if flow.status not in (USERNAME_PASSWORD_REQUIRED, EXTERNAL_AUTHENTICATION_REQUIRED):
            raise ErrorPage(400, "Sign-on in progress", "This sign-on is not waiting for an identity provider.")
        flow.status, flow.provider_id = EXTERNAL_AUTHENTICATION_REQUIRED, provider_id
        page = pages.external_provider_page(
            action_url=action_url, flow_id=flow.flow_id, provider_name=provider.name, username=provider.username
        )
        return Response.html(200, page)
    if flow.status != EXTERNAL_AUTHENTICATION_REQUIRED or flow.provider_id != provider_id:
        raise ErrorPage(400, "Sign-on in progress", "This sign-on is not waiting for this identity provider.")
    action = fields.get("action")
    if action == "external.cancel":
        flow.status, flow.provider_id = USERNAME_PASSWORD_REQUIRED, None
    elif action == "external.continue":
        user = env.users.get(fields.get("username", ""))
        if user is None:
            page = pages.external_provider_page(
                action_url=action_url,
                flow_id=flow.flow_id,
                provider_name=provider.name,
                username=fields.get("username", ""),
                error="There is no such user at the stand-in.",
            )
            return Response.html(200, page)
        flow.username, flow.amr = user.username, ["fed"]
        if needs_one_time_code(user, flow):  # e.g. Multi_Factor: PingOne still asks for the second factor
            flow.status = OTP_REQUIRED
        else:
            sign_ons.complete(env, flow, user)
    else:
        raise ErrorPage(400, "Bad request", "The form has no known action.")
    if flow.request.response_mode == "pi.flow":
        # Back to the app, which looks the flow up again (GET /flows/{flowId}) to see where it stands.
        if flow.request.redirect_uri is None:
            return Response.html(200, pages.message_page("Signed on", "Go back to the application."))
        return Response.redirect(with_query(flow.request.redirect_uri, {"flowId": flow.flow_id}))
    if flow.status == COMPLETED:
        return Response.redirect(env.resume_url(flow.flow_id))
    return Response.redirect(env.sign_on_page_url(flow.flow_id))
