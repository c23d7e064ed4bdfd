"""PingOne's flows API for ``response_mode=pi.flow`` (``/{envID}/flows/{flowId}``) and the resume endpoint
(``/as/resume?flowId=...``) that turns a completed flow into the authorization response."""

from __future__ import annotations

from ..flows import COMPLETED, PingOneAPIError, StepFailed, action_of, not_found, timestamp
from ..server import MalformedRequest, Request, Response
from . import flow_steps, sign_ons
from .environment import Environment
from .protocol import first


def flow_api(env: Environment, request: Request, flow_id: str) -> Response:
    """GET: the flow object. POST: one action, named by the Content-Type, with its JSON fields."""
    flow = sign_ons.live_flow(env, flow_id)
    if flow is None:
        raise not_found()
    if not sign_ons.owns(request, flow):
        raise sign_ons.missing_cookie_error()
    flow.last_activity = env.clock()
    flow_steps.refresh(env, flow)  # a pending push: the phone's answer, or the timeout
    if request.method == "POST":
        action = action_of(request.media_type)
        if action is None:
            raise PingOneAPIError(
                400,
                "INVALID_REQUEST",
                "The request could not be completed. The Content-Type must name a flow action, such as "
                "application/vnd.pingidentity.usernamePassword.check+json.",
            )
        try:
            fields = request.json()
        except MalformedRequest:
            fields = None
        if not isinstance(fields, dict):
            raise PingOneAPIError(
                400, "INVALID_DATA", "The request could not be completed. The body must be a JSON object."
            )
        try:
            flow_steps.apply_action(env, flow, action, fields)
        except StepFailed as exc:
            raise exc.api_error() from exc
    return Response.json(200, flow_steps.document(env, flow))


def resume(env: Environment, request: Request) -> Response:
    flow = sign_ons.live_flow(env, first(request.query, "flowId"))
    if flow is None:
        raise not_found()
    pi_flow = flow.request.response_mode == "pi.flow"
    if not sign_ons.owns(request, flow):
        if pi_flow:
            raise sign_ons.missing_cookie_error()
        raise sign_ons.missing_cookie_page()
    delivery = sign_ons.delivery_of(flow.request)
    if flow.error is not None:
        del env.flows[flow.flow_id]
        return sign_ons.deliver(env, delivery, sign_ons.error_params(*flow.error))
    if flow.status != COMPLETED:
        if pi_flow:
            raise PingOneAPIError(400, "INVALID_REQUEST", f"The flow is not completed: its status is {flow.status}.")
        return Response.redirect(env.sign_on_page_url(flow.flow_id))
    del env.flows[flow.flow_id]
    params = sign_ons.code_params(env, sign_ons.code_for_flow(env, flow), flow.request)
    if not pi_flow:
        return sign_ons.deliver(env, delivery, params)
    return Response.json(
        200,
        {
            "_links": {"self": {"href": env.flow_url(flow.flow_id)}},
            "id": flow.flow_id,
            "environment": {"id": env.env_id},
            "status": COMPLETED,
            "createdAt": timestamp(flow.created_at),
            "authorizeResponse": params,
        },
    )
