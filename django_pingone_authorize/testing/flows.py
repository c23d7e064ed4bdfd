"""PingOne's flows API formats: flow statuses, the JSON flow object, and PingOne's API error bodies."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .records import ExternalProvider, Flow, User

USERNAME_PASSWORD_REQUIRED = "USERNAME_PASSWORD_REQUIRED"
SIGN_ON_REQUIRED = "SIGN_ON_REQUIRED"
PASSWORD_REQUIRED = "PASSWORD_REQUIRED"
MUST_CHANGE_PASSWORD = "MUST_CHANGE_PASSWORD"
VERIFICATION_CODE_REQUIRED = "VERIFICATION_CODE_REQUIRED"
DEVICE_SELECTION_REQUIRED = "DEVICE_SELECTION_REQUIRED"
OTP_REQUIRED = "OTP_REQUIRED"
PUSH_CONFIRMATION_REQUIRED = "PUSH_CONFIRMATION_REQUIRED"
PUSH_CONFIRMATION_TIMED_OUT = "PUSH_CONFIRMATION_TIMED_OUT"
EXTERNAL_AUTHENTICATION_REQUIRED = "EXTERNAL_AUTHENTICATION_REQUIRED"
ASSERTION_REQUIRED = "ASSERTION_REQUIRED"
RECOVERY_CODE_REQUIRED = "RECOVERY_CODE_REQUIRED"
COMPLETED = "COMPLETED"
FAILED = "FAILED"

ACTION_MEDIA_TYPE_PREFIX = "application/vnd.pingidentity."
ACTION_MEDIA_TYPE_SUFFIX = "+json"

USERNAME_PASSWORD_CHECK = "usernamePassword.check"
USER_LOOKUP = "user.lookup"
PASSWORD_RESET = "password.reset"
OTP_CHECK = "otp.check"
DEVICE_SELECT = "device.select"
USER_VERIFY = "user.verify"
SEND_VERIFICATION_CODE = "user.sendVerificationCode"
ASSERTION_CHECK = "assertion.check"
PASSWORD_FORGOT = "password.forgot"
PASSWORD_RECOVER = "password.recover"
SEND_RECOVERY_CODE = "password.sendRecoveryCode"
USER_REGISTER = "user.register"
ACTIONS = (
    USERNAME_PASSWORD_CHECK,
    USER_LOOKUP,
    PASSWORD_RESET,
    OTP_CHECK,
    DEVICE_SELECT,
    USER_VERIFY,
    SEND_VERIFICATION_CODE,
    ASSERTION_CHECK,
    PASSWORD_FORGOT,
    PASSWORD_RECOVER,
    SEND_RECOVERY_CODE,
    USER_REGISTER,
)

# The hosted sign-on page's form for each status it shows (the stand-in's own pages, not PingOne's API).
STATUS_ACTIONS = {
    USERNAME_PASSWORD_REQUIRED: USERNAME_PASSWORD_CHECK,
    MUST_CHANGE_PASSWORD: PASSWORD_RESET,
    OTP_REQUIRED: OTP_CHECK,
}

# The actions a flow offers in each status (its ``_links``), as PingOne's "PingOne Flows" pages list them;
# ``device.select`` where the user has devices to choose from (``flow_steps.links``).
STATUS_LINKS: dict[str, tuple[str, ...]] = {
    USERNAME_PASSWORD_REQUIRED: (USERNAME_PASSWORD_CHECK,),
    SIGN_ON_REQUIRED: (USER_LOOKUP,),
    PASSWORD_REQUIRED: (USERNAME_PASSWORD_CHECK,),
    MUST_CHANGE_PASSWORD: (PASSWORD_RESET,),
    VERIFICATION_CODE_REQUIRED: (USER_VERIFY, SEND_VERIFICATION_CODE),
    DEVICE_SELECTION_REQUIRED: (DEVICE_SELECT,),
    OTP_REQUIRED: (OTP_CHECK, DEVICE_SELECT),
    PUSH_CONFIRMATION_REQUIRED: (DEVICE_SELECT,),
    PUSH_CONFIRMATION_TIMED_OUT: (DEVICE_SELECT,),
    ASSERTION_REQUIRED: (ASSERTION_CHECK, DEVICE_SELECT),
    RECOVERY_CODE_REQUIRED: (PASSWORD_RECOVER, SEND_RECOVERY_CODE),
}

# The environment's sign-on policy (``Environment.sign_on_policy``): its first step.
USERNAME_PASSWORD = "USERNAME_PASSWORD"
IDENTIFIER_FIRST = "IDENTIFIER_FIRST"


def action_of(media_type: str) -> str | None:
    """``usernamePassword.check`` from ``application/vnd.pingidentity.usernamePassword.check+json``.

    Media types are case-insensitive, so the action is matched without case and given back as PingOne
    spells it."""
    lowered = media_type.lower()
    if lowered.startswith(ACTION_MEDIA_TYPE_PREFIX) and lowered.endswith(ACTION_MEDIA_TYPE_SUFFIX):
        action = media_type[len(ACTION_MEDIA_TYPE_PREFIX) : -len(ACTION_MEDIA_TYPE_SUFFIX)]
        for known in ACTIONS:
            if known.lower() == action.lower():
                return known
        return action or None
    return None


# Sign-on policies the stand-in plays (``acr_values`` picks one, the first asked; any other name is played
# as a password-only policy of that name). ``Multi_Factor`` wants the one-time code after the password.
SINGLE_FACTOR = "Single_Factor"
MULTI_FACTOR = "Multi_Factor"
# Named in ``acr_values``: the username first (``SIGN_ON_REQUIRED``), whatever the environment's policy.
IDENTIFIER_FIRST_POLICY = "Identifier_First"


def policy_of(acr_values: Sequence[str]) -> str | None:
    """The sign-on policy a request picks (None: the application's default)."""
    return acr_values[0] if acr_values else None


def needs_one_time_code(user: User, flow: Flow) -> bool:
    """The code is still to be given: the user always has one, or the policy is ``Multi_Factor``."""
    wanted = user.otp is not None or policy_of(flow.request.acr_values) == MULTI_FACTOR
    return wanted and "otp" not in flow.amr


def one_time_code_of(user: User) -> str | None:
    return user.otp if user.otp is not None else user.mfa_otp


def acr_of(acr_values: Sequence[str], amr: Sequence[str]) -> str:
    """The ``acr`` PingOne answers: the policy that was satisfied."""
    return policy_of(acr_values) or (MULTI_FACTOR if "otp" in amr or "mfa" in amr else SINGLE_FACTOR)


def status_after_identification(user: User, flow: Flow) -> str:
    """Where a flow goes once the user is known and each step so far is done (``DEVICE_SELECTION_REQUIRED``:
    the user's MFA devices, ``flow_steps.py`` picks the one device when there is only one)."""
    if user.must_change_password:
        return MUST_CHANGE_PASSWORD
    if user.verification_code is not None:
        return VERIFICATION_CODE_REQUIRED
    if needs_one_time_code(user, flow):
        return OTP_REQUIRED
    if (user.mfa or user.passwordless) and "mfa" not in flow.amr and "otp" not in flow.amr:
        return DEVICE_SELECTION_REQUIRED
    if user.unsupported_status:
        return user.unsupported_status
    return COMPLETED


def timestamp(seconds: float) -> str:
    """PingOne's time format: ISO 8601 UTC with milliseconds, e.g. ``2024-05-01T12:00:00.000Z``."""
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class FlowURLs:
    flow: str
    resume: str
    sign_on_page: str


def flow_document(
    flow: Flow,
    *,
    urls: FlowURLs,
    environment_id: str,
    application_name: str,
    user: User | None,
    providers: Iterable[tuple[ExternalProvider, str]],
    flow_ttl: float,
    actions: Sequence[str] = (),
) -> dict[str, Any]:
    """The flow object PingOne answers with (``response_mode=pi.flow`` and the flows API)."""
    links: dict[str, dict[str, str]] = {"self": {"href": urls.flow}}
    embedded: dict[str, Any] = {"application": {"name": application_name}}
    for action in actions:
        links[action] = {"href": urls.flow}
    if flow.status not in (COMPLETED, FAILED):
        links["signOnPage"] = {"href": urls.sign_on_page}
    if flow.status in (USERNAME_PASSWORD_REQUIRED, SIGN_ON_REQUIRED):
        embedded["socialProviders"] = [
            {
                "id": provider.provider_id,
                "name": provider.name,
                "type": provider.type,
                "_links": {"authenticate": {"href": authenticate_url}},
            }
            for provider, authenticate_url in providers
        ]
    if flow.status == EXTERNAL_AUTHENTICATION_REQUIRED:
        for provider, authenticate_url in providers:
            if provider.provider_id == flow.provider_id:
                embedded["identityProvider"] = {"id": provider.provider_id, "name": provider.name}
                links["authenticate"] = {"href": authenticate_url}
    if user is not None and flow.status not in (USERNAME_PASSWORD_REQUIRED, SIGN_ON_REQUIRED):
        embedded["user"] = {"id": user.sub, "username": user.username}
    return {
        "_links": links,
        "_embedded": embedded,
        "id": flow.flow_id,
        "environment": {"id": environment_id},
        "resumeUrl": urls.resume,
        "status": flow.status,
        "createdAt": timestamp(flow.created_at),
        "expiresAt": timestamp(flow.last_activity + flow_ttl),
    }


@dataclass(frozen=True)
class ErrorDetail:
    code: str
    target: str
    message: str
    inner_error: dict[str, Any] | None = None  # ``innerError`` (e.g. ``unsatisfiedRequirements``)


class PingOneAPIError(Exception):
    """An error the flows API answers with PingOne's error body."""

    def __init__(self, status: int, code: str, message: str, details: Sequence[ErrorDetail] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = tuple(details)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": str(uuid.uuid4()), "code": self.code, "message": self.message}
        if self.details:
            body["details"] = [
                {"code": detail.code, "target": detail.target, "message": detail.message}
                | ({"innerError": detail.inner_error} if detail.inner_error else {})
                for detail in self.details
            ]
        return body


def not_found() -> PingOneAPIError:
    return PingOneAPIError(
        404, "NOT_FOUND", "The request could not be completed. The requested resource was not found."
    )


class StepFailed(Exception):
    """A flow step whose input was wrong (bad password, code...): the flow stays where it was."""

    def __init__(
        self, target: str, message: str, code: str = "INVALID_VALUE", inner_error: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.target = target
        self.message = message
        self.code = code
        self.inner_error = inner_error

    def api_error(self) -> PingOneAPIError:
        return PingOneAPIError(
            400,
            "INVALID_DATA",
            "The request could not be completed. One or more validation errors were in the request.",
            [ErrorDetail(self.code, self.target, self.message, self.inner_error)],
        )
