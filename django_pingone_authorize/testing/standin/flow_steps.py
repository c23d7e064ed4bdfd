"""The flows API's steps in the stand-in, for sign-ons and transaction approvals alike, as PingOne documents them.

Each status offers its actions in the flow's ``_links`` (``links``); an action not on offer now is PingOne's
400 ``INVALID_REQUEST``. The sign-on policy is the environment's (``sign_on_policy``: username + password in one
step, or identifier-first) or named by ``acr_values`` (``Identifier_First``), and then the user's own:
``SIGN_ON_REQUIRED`` + ``user.lookup`` → ``PASSWORD_REQUIRED`` (or, ``passwordless``, straight to the devices);
after the password ``MUST_CHANGE_PASSWORD``, ``VERIFICATION_CODE_REQUIRED`` (``user.verify``), a one-time code,
or the user's MFA devices (``mfa``): ``DEVICE_SELECTION_REQUIRED`` (``device.select``; one device is selected at
once), ``OTP_REQUIRED`` (``otp.check``), ``PUSH_CONFIRMATION_REQUIRED`` (answered on the device's phone page,
looked at with GET), ``PUSH_CONFIRMATION_TIMED_OUT``; a denied push is ``FAILED`` (``access_denied`` at resume).
``env.otp_attempts`` wrong codes in a row lock the user's MFA for ``env.otp_lockout`` seconds: every code is
then refused with PingOne's lockout words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..flows import (
    ASSERTION_CHECK,
    ASSERTION_REQUIRED,
    COMPLETED,
    DEVICE_SELECT,
    DEVICE_SELECTION_REQUIRED,
    FAILED,
    IDENTIFIER_FIRST,
    IDENTIFIER_FIRST_POLICY,
    OTP_CHECK,
    OTP_REQUIRED,
    PASSWORD_REQUIRED,
    PASSWORD_RESET,
    PUSH_CONFIRMATION_REQUIRED,
    PUSH_CONFIRMATION_TIMED_OUT,
    SEND_VERIFICATION_CODE,
    SIGN_ON_REQUIRED,
    STATUS_LINKS,
    USER_LOOKUP,
    USER_VERIFY,
    USERNAME_PASSWORD_CHECK,
    USERNAME_PASSWORD_REQUIRED,
    FlowURLs,
    PingOneAPIError,
    StepFailed,
    flow_document,
    one_time_code_of,
    status_after_identification,
)
from ..records import PUSH_TYPE, AuthorizationRequest, Device, Flow, Push, User
from . import passkeys, self_service, sign_ons
from .devices import devices_of, render_template
from .environment import Environment
from .protocol import same_secret

MFA_STATUSES = (DEVICE_SELECTION_REQUIRED, OTP_REQUIRED, PUSH_CONFIRMATION_REQUIRED, PUSH_CONFIRMATION_TIMED_OUT)
LOCKED_OUT = "The user's one-time passcodes are locked after too many unsuccessful attempts. Try again later."


def first_status(env: Environment, auth_request: AuthorizationRequest) -> str:
    """Where a new sign-on starts: the username alone (identifier-first) or username and password."""
    if env.sign_on_policy == IDENTIFIER_FIRST or IDENTIFIER_FIRST_POLICY in auth_request.acr_values[:1]:
        return SIGN_ON_REQUIRED
    return USERNAME_PASSWORD_REQUIRED


def _user(env: Environment, flow: Flow) -> User | None:
    return env.users.get(flow.username) if flow.username else None


def links(env: Environment, flow: Flow) -> tuple[str, ...]:
    """The actions the flow offers now (its ``_links``)."""
    user = _user(env, flow)
    if user is not None and user.unsupported_status == flow.status:
        return ()  # a status the stand-in cannot get past: nothing to post
    offered = STATUS_LINKS.get(flow.status, ()) + self_service.offered(env, flow)
    devices = devices_of(env, flow.username or "")
    if flow.status in (OTP_REQUIRED, PUSH_CONFIRMATION_REQUIRED, ASSERTION_REQUIRED) and len(devices) < 2:
        offered = tuple(action for action in offered if action != DEVICE_SELECT)  # nothing else to switch to
    if flow.status == PUSH_CONFIRMATION_TIMED_OUT and not devices:
        offered = ()
    return offered


def document(env: Environment, flow: Flow) -> dict[str, Any]:
    """The flow object PingOne answers with, for this environment: its ``_links`` the actions on offer now."""
    refresh(env, flow)
    client = env.clients.get(flow.request.client_id)
    body = flow_document(
        flow,
        urls=FlowURLs(
            flow=env.flow_url(flow.flow_id),
            resume=env.resume_url(flow.flow_id),
            sign_on_page=env.sign_on_page_url(flow.flow_id),
        ),
        environment_id=env.env_id,
        application_name=client.name if client else "",
        user=_user(env, flow),
        providers=[
            (provider, env.authenticate_url(provider.provider_id, flow.flow_id)) for provider in env.providers.values()
        ],
        flow_ttl=env.flow_ttl,
        actions=links(env, flow),
    )
    extra = embedded(env, flow)
    if "devices" in extra:
        body["_embedded"]["devices"] = extra["devices"]
    if "selectedDevice" in extra:
        body["selectedDevice"] = extra["selectedDevice"]
    if flow.status == ASSERTION_REQUIRED and body["_links"].get(ASSERTION_CHECK):
        body[passkeys.OPTIONS_FIELD] = passkeys.request_options(env, flow)
    return body


def embedded(env: Environment, flow: Flow) -> dict[str, Any]:
    """What the MFA statuses add to the flow object: ``_embedded.devices`` and ``selectedDevice``."""
    if flow.status not in (*MFA_STATUSES, ASSERTION_REQUIRED):
        return {}
    user = _user(env, flow)
    if user is not None and user.unsupported_status == flow.status:
        return {}
    devices = devices_of(env, flow.username or "")
    extra: dict[str, Any] = {"devices": [device.embedded() for device in devices]} if devices else {}
    if flow.device_id is not None:
        extra["selectedDevice"] = {"id": flow.device_id}
    return extra


def refresh(env: Environment, flow: Flow) -> None:
    """A pending push: the phone's answer, or the timeout."""
    push = env.pushes.get(flow.flow_id)
    if flow.status != PUSH_CONFIRMATION_REQUIRED or push is None:
        return
    if push.decision == "approved":
        flow.amr.append("mfa")
        advance(env, flow, env.users[flow.username or ""])
    elif push.decision == "denied":
        flow.status = FAILED
        flow.error = ("access_denied", "The user denied the request on their device.")
    elif env.clock() - push.sent_at > env.push_timeout:
        flow.status = PUSH_CONFIRMATION_TIMED_OUT


def advance(env: Environment, flow: Flow, user: User) -> None:
    """The next step once the user is known, or the end."""
    status = status_after_identification(user, flow)
    if status == COMPLETED:
        sign_ons.complete(env, flow, user)
    elif status == DEVICE_SELECTION_REQUIRED and user.unsupported_status != status:
        to_devices(env, flow)
    else:
        flow.status = status


def to_devices(env: Environment, flow: Flow) -> None:
    """The MFA step: choose among the user's devices, or the only one at once; no device, its own code."""
    devices = devices_of(env, flow.username or "")
    if len(devices) == 1:
        select(env, flow, devices[0])
    elif devices:
        flow.status = DEVICE_SELECTION_REQUIRED
    else:
        flow.status = OTP_REQUIRED


def select(env: Environment, flow: Flow, device: Device) -> None:
    flow.device_id = device.device_id
    if device.type == PUSH_TYPE:
        approval = env.approvals.get(flow.flow_id)
        text = render_template(approval.template if approval is not None else {"name": "sign_on", "variant": "login"})
        env.pushes[flow.flow_id] = Push(flow.flow_id, device.device_id, text, env.clock())
        flow.status = PUSH_CONFIRMATION_REQUIRED
    elif device.type == passkeys.FIDO2_TYPE:
        passkeys.start_assertion(env, flow)
    else:
        flow.status = OTP_REQUIRED


def _text_field(fields: Mapping[str, object], name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or not value:
        raise StepFailed(name, f"{name} is required.", code="REQUIRED_VALUE")
    return value


def _flow_user(env: Environment, flow: Flow) -> User:
    user = _user(env, flow)
    if user is None:
        raise PingOneAPIError(400, "INVALID_REQUEST", "The flow's user no longer exists.")
    return user


def apply_action(env: Environment, flow: Flow, action: str, fields: Mapping[str, Any]) -> None:
    """Carry out one flow action; ``StepFailed`` when its input is wrong (the flow stays put), PingOne's
    ``INVALID_REQUEST`` when the flow does not offer the action now."""
    refresh(env, flow)
    if action not in links(env, flow):
        raise PingOneAPIError(
            400,
            "INVALID_REQUEST",
            f"The request could not be completed. Action {action} is not valid in status {flow.status}.",
        )
    if action in self_service.SELF_SERVICE_ACTIONS:
        recovered = self_service.apply(env, flow, action, fields)
        if recovered is not None:
            advance(env, flow, recovered)
        return
    if action == USER_LOOKUP:
        user = env.users.get(_text_field(fields, "username"))
        if user is None:
            raise StepFailed("username", "The user could not be found.", code="INVALID_VALUE")
        flow.username = user.username
        if user.passwordless:
            to_devices(env, flow)
        else:
            flow.status = PASSWORD_REQUIRED
        return
    if action == USERNAME_PASSWORD_CHECK:
        username, password = _text_field(fields, "username"), _text_field(fields, "password")
        if flow.status == PASSWORD_REQUIRED and username != flow.username:
            raise StepFailed("username", "The username must be the one looked up.", code="INVALID_VALUE")
        user = env.users.get(username)
        if user is None or not same_secret(password, user.password):
            raise StepFailed("password", "The username or password is incorrect.", code="INVALID_CREDENTIALS")
        flow.username, flow.amr = user.username, ["pwd"]
    elif action == PASSWORD_RESET:
        current, new = _text_field(fields, "currentPassword"), _text_field(fields, "newPassword")
        user = _flow_user(env, flow)
        if not same_secret(current, user.password):
            raise StepFailed("currentPassword", "The current password is incorrect.")
        if new == current:
            raise StepFailed("newPassword", "The new password must differ from the current one.")
        user.password, user.must_change_password = new, False
    elif action == USER_VERIFY:
        user = _flow_user(env, flow)
        given = _text_field(fields, "verificationCode")
        self_service.check_code(env, user.username, given, user.verification_code, "verificationCode")
        user.verification_code = None
    elif action == SEND_VERIFICATION_CODE:
        user = _flow_user(env, flow)
        if user.username in env.sent_codes:  # a registration's code: a new one; a test's fixed code: the same
            user.verification_code = self_service.send_code(env, user.username)
        else:
            env.code_failures[user.username] = 0
        return
    elif action == DEVICE_SELECT:
        device = fields.get("device")
        device_id = device.get("id") if isinstance(device, dict) else None
        chosen = env.devices.get(device_id) if isinstance(device_id, str) else None
        if chosen is None or chosen.username != flow.username:
            raise StepFailed("device.id", "The device is not one of the user's.")
        select(env, flow, chosen)
        return
    elif action == ASSERTION_CHECK:
        user = _flow_user(env, flow)
        passkeys.check_assertion(env, flow, fields)
        flow.amr.append("mfa")
    else:  # OTP_CHECK
        user = _flow_user(env, flow)
        _check_code(env, flow, user, _text_field(fields, "otp"))
        flow.amr.append("otp")
    advance(env, flow, user)


def _check_code(env: Environment, flow: Flow, user: User, otp: str) -> None:
    """The selected device's code (or the user's own); too many wrong ones lock the user's codes."""
    now = env.clock()
    if user.locked_until > now:
        raise StepFailed("otp", LOCKED_OUT, code="REQUEST_LIMITED")
    device = env.devices.get(flow.device_id) if flow.device_id else None
    expected = device.otp if device is not None else one_time_code_of(user)
    if not same_secret(otp, expected):
        user.otp_failures += 1
        if user.otp_failures >= env.otp_attempts:
            user.otp_failures, user.locked_until = 0, now + env.otp_lockout
            raise StepFailed("otp", LOCKED_OUT, code="REQUEST_LIMITED")
        raise StepFailed("otp", "The one-time passcode is incorrect.")
    user.otp_failures = 0


__all__ = ["OTP_CHECK", "apply_action", "document", "first_status", "links", "refresh", "select", "to_devices"]
