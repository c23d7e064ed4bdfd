"""Transaction approval in the stand-in: an authorize request with a ``login_hint_token`` (and a signed
``request`` object carrying ``pi.template``/``pi.remoteIp``) starts a flow for that user with no
username/password step, straight to MFA, whose steps are a sign-on's (``flow_steps.py``): choose a device
(``DEVICE_SELECTION_REQUIRED``, ``device.select``), type its one-time code (``OTP_REQUIRED``, ``otp.check``) or
approve on the phone (``PUSH_CONFIRMATION_REQUIRED``, polled with GET; ``PUSH_CONFIRMATION_TIMED_OUT`` after
``env.push_timeout``; a denied push ends the flow as ``FAILED`` with ``access_denied``); the push shows the
``pi.template`` text. ``env.remote_ips_seen`` records every ``pi.remoteIp`` received.
"""

from __future__ import annotations

import json
from typing import Any

from ..flows import DEVICE_SELECTION_REQUIRED
from ..jose import InvalidJWT, parse_jws, verify_hmac
from ..records import ApprovalFlow, AuthorizationRequest, Client
from ..server import Request, Response
from . import flow_steps, sign_ons
from .environment import Environment
from .protocol import LEEWAY, audience_ok, is_number

__all__ = ["ApprovalFlow", "hinted_user", "start", "template_of"]


def hinted_user(env: Environment, client: Client, token: str) -> str:
    """The username a ``login_hint_token`` names; ``ValueError`` with PingOne-like words when it is not valid
    (HS256 with the client's secret, ``iss`` = client_id, ``aud`` = the issuer, not expired, ``sub`` a user)."""
    try:
        parsed = parse_jws(token)
        if parsed.alg != "HS256" or not client.client_secret:
            raise InvalidJWT("the login_hint_token must be signed HS256 with the client secret")
        verify_hmac(parsed, client.client_secret)
    except InvalidJWT as exc:
        raise ValueError(f"The login_hint_token is not valid: {exc}.") from exc
    claims, now = parsed.claims, env.clock()
    if claims.get("iss") != client.client_id:
        raise ValueError("The login_hint_token's iss must be the client_id.")
    if not audience_ok(claims.get("aud"), {env.issuer}):
        raise ValueError("The login_hint_token's aud must be the issuer.")
    if not is_number(claims.get("exp")) or claims["exp"] < now - LEEWAY:
        raise ValueError("The login_hint_token has expired.")
    for user in env.users.values():
        if user.sub == claims.get("sub"):
            return user.username
    raise ValueError("The login_hint_token's sub is not a user of this environment.")


def template_of(text: str | None) -> dict[str, Any] | None:
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def start(env: Environment, request: Request, auth_request: AuthorizationRequest) -> Response:
    """A flow for the hinted user, at the MFA step (never answered from the browser's session: an approval
    is always a new authentication)."""
    username = auth_request.login_hint_user
    assert username is not None
    session = sign_ons.session_of(env, request) or sign_ons.new_session(env)
    flow = sign_ons.new_flow(env, session, auth_request, DEVICE_SELECTION_REQUIRED)
    flow.username = username
    env.approvals[flow.flow_id] = ApprovalFlow(template_of(auth_request.template), auth_request.remote_ip)
    # One device is selected at once; none: the user's own code (``otp``/``mfa_otp``), as for sign-on.
    flow_steps.to_devices(env, flow)
    cookie = sign_ons.session_cookie(env, session)
    return Response.json(200, flow_steps.document(env, flow), [cookie])
