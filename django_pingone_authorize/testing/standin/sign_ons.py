"""A sign-on's way through the stand-in, shared by the authorize endpoint, the flows API and the hosted pages.

Browser sessions (the ``ST`` cookie), flows (created, looked up, owned, stepped through, completed), the
authorization codes they end in, and sending the authorization response back to the client.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .. import pages
from ..flows import COMPLETED, PingOneAPIError, acr_of
from ..records import AuthorizationCode, AuthorizationRequest, BrowserSession, Flow, User
from ..server import Request, Response
from .environment import Environment, with_query
from .protocol import ErrorPage

SESSION_COOKIE = "ST"
RESPONSE_MODES = ("query", "fragment", "form_post", "pi.flow")


# -- Sessions -------------------------------------------------------------------------------------------


def session_of(env: Environment, request: Request) -> BrowserSession | None:
    token = request.cookies.get(SESSION_COOKIE)
    return env.sessions.get(token) if token else None


def new_session(env: Environment) -> BrowserSession:
    session = BrowserSession(token=secrets.token_urlsafe(32), sid=str(uuid.uuid4()))
    env.sessions[session.token] = session
    return session


def session_cookie(env: Environment, session: BrowserSession) -> tuple[str, str]:
    return ("Set-Cookie", f"{SESSION_COOKIE}={session.token}; Path=/{env.env_id}; HttpOnly; SameSite=Lax")


def session_cookie_removal(env: Environment) -> tuple[str, str]:
    return ("Set-Cookie", f"{SESSION_COOKIE}=; Path=/{env.env_id}; Max-Age=0; HttpOnly; SameSite=Lax")


# -- Flows ----------------------------------------------------------------------------------------------


def new_flow(env: Environment, session: BrowserSession, auth_request: AuthorizationRequest, status: str) -> Flow:
    now = env.clock()
    for flow_id in [key for key, flow in env.flows.items() if now - flow.last_activity > env.flow_ttl]:
        del env.flows[flow_id]
    flow = Flow(str(uuid.uuid4()), session.token, auth_request, status, now, now)
    env.flows[flow.flow_id] = flow
    return flow


def live_flow(env: Environment, flow_id: str | None) -> Flow | None:
    """The flow, unless it is unknown or has expired (then it is forgotten)."""
    flow = env.flows.get(flow_id) if flow_id else None
    if flow is not None and env.clock() - flow.last_activity > env.flow_ttl:
        del env.flows[flow.flow_id]
        return None
    return flow


def owns(request: Request, flow: Flow) -> bool:
    """Whether the request carries the ``ST`` cookie of the session that started the flow."""
    token = request.cookies.get(SESSION_COOKIE)
    return token is not None and hmac.compare_digest(token.encode(), flow.session_token.encode())


def missing_cookie_error() -> PingOneAPIError:
    return PingOneAPIError(
        403,
        "ACCESS_FAILED",
        "The request could not be completed. The flow's session cookie (ST) is missing or does not match.",
    )


def missing_cookie_page() -> ErrorPage:
    return ErrorPage(
        403,
        "Cookies needed",
        "The sign-on session cookie is missing. Allow cookies, then sign on again from the application.",
    )


def complete(env: Environment, flow: Flow, user: User) -> None:
    """The user is signed on: the flow is done and its browser session knows who it is."""
    flow.status = COMPLETED
    flow.username = user.username
    flow.auth_time = int(env.clock())
    session = env.sessions.get(flow.session_token)
    if session is not None:
        session.username, session.auth_time, session.amr = user.username, flow.auth_time, tuple(flow.amr)


# -- Codes ----------------------------------------------------------------------------------------------


def issue_code(
    env: Environment,
    auth_request: AuthorizationRequest,
    username: str,
    auth_time: int,
    amr: Sequence[str],
    sid: str,
) -> str:
    now = env.clock()
    for stale in [key for key, record in env.codes.items() if now > record.expires_at + 600]:
        del env.codes[stale]
    acr = acr_of(auth_request.acr_values, amr)
    code = secrets.token_urlsafe(32)
    env.codes[code] = AuthorizationCode(
        code, auth_request, username, auth_time, tuple(amr), acr, sid, expires_at=now + env.code_ttl
    )
    return code


def code_for_flow(env: Environment, flow: Flow) -> str:
    session = env.sessions.get(flow.session_token)
    sid = session.sid if session is not None else str(uuid.uuid4())
    assert flow.username is not None and flow.auth_time is not None
    return issue_code(env, flow.request, flow.username, flow.auth_time, flow.amr, sid)


# -- Authorization responses ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """Where and how an authorization response goes back to the client."""

    redirect_uri: str | None
    response_mode: str
    state: str | None


def delivery_of(auth_request: AuthorizationRequest) -> Delivery:
    return Delivery(auth_request.redirect_uri, auth_request.response_mode, auth_request.state)


def code_params(env: Environment, code: str, auth_request: AuthorizationRequest) -> dict[str, str]:
    params = {"code": code}
    if auth_request.state is not None:
        params["state"] = auth_request.state
    params["iss"] = env.issuer
    return params


def error_params(error: str, description: str) -> dict[str, str]:
    return {"error": error, "error_description": description}


def deliver(env: Environment, delivery: Delivery, params: Mapping[str, str]) -> Response:
    """Send an authorization response (``params``: code or error) back as the response mode says."""
    params = dict(params)
    if delivery.state is not None:
        params.setdefault("state", delivery.state)
    params.setdefault("iss", env.issuer)
    if delivery.response_mode == "pi.flow" or delivery.redirect_uri is None:
        return Response.json(400 if "error" in params else 200, params)
    if delivery.response_mode == "form_post":
        return Response.html(200, pages.form_post_page(delivery.redirect_uri, params))
    separator = "#" if delivery.response_mode == "fragment" else None
    return Response.redirect(with_query(delivery.redirect_uri, params, separator))
