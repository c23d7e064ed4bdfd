"""Self-service in the stand-in's flows, as PingOne documents them: a forgotten password (``password.forgot`` →
``RECOVERY_CODE_REQUIRED``: ``password.recover``, ``password.sendRecoveryCode``) and registration
(``user.register`` → ``VERIFICATION_CODE_REQUIRED``: ``user.verify``, ``user.sendVerificationCode``).

Both are off until a test turns them on (``password_recovery``, ``registration``): the sign-on statuses then
offer ``password.forgot`` / ``user.register`` in their ``_links``. Codes are 8 letters and digits, "sent" to
``sent_codes`` (username → the last code), which tests read with ``last_code(username)``. ``code_attempts`` wrong
codes in a row use the code up (PingOne: 5 tries per code; a new code starts again). A new password shorter than
``password_min_length`` is refused with ``innerError.unsatisfiedRequirements: ["length"]``, and one containing
the username with ``excludesProfileData``. An unknown user at ``password.forgot`` is PingOne's ``NOT_FOUND``
(HTTP ``forgot_unknown_status``: 404 by default, 400 also plays what PingOne might answer); a username or email
already taken at ``user.register`` is ``UNIQUENESS_VIOLATION``. A person trying the demo reads the codes on the
mailbox page, ``/{envID}/mailbox`` (``mailbox_url``).
"""

from __future__ import annotations

import re
import secrets
import string
import uuid
from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING, Any

from ..flows import (
    PASSWORD_FORGOT,
    PASSWORD_RECOVER,
    PASSWORD_REQUIRED,
    RECOVERY_CODE_REQUIRED,
    SEND_RECOVERY_CODE,
    SIGN_ON_REQUIRED,
    USER_REGISTER,
    USERNAME_PASSWORD_REQUIRED,
    VERIFICATION_CODE_REQUIRED,
    PingOneAPIError,
    StepFailed,
)
from ..records import Flow, User
from ..server import Request, Response

if TYPE_CHECKING:
    from .environment import Environment

SELF_SERVICE_ACTIONS = (PASSWORD_FORGOT, PASSWORD_RECOVER, SEND_RECOVERY_CODE, USER_REGISTER)
CODE_ALPHABET = string.ascii_uppercase + string.digits
USED_UP = "The code was used too many times. Please send a new code."
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")


class SelfServiceEnvironment:
    """What ``Environment`` keeps for self-service (a mixin: the state lives on the environment)."""

    password_recovery: bool = False
    registration: bool = False
    code_attempts: int = 5
    password_min_length: int = 8
    forgot_unknown_status: int = 404
    sent_codes: dict[str, str]  # username -> the last recovery or verification code "sent"
    code_failures: dict[str, int]  # username -> wrong codes in a row for the current code
    users: dict[str, User]

    def reset_self_service(self) -> None:
        self.sent_codes, self.code_failures = {}, {}

    @property
    def mailbox_url(self) -> str:
        """The stand-in's page of the codes sent (``mailbox_page``)."""
        return f"{self.layout.environment}/mailbox"  # type: ignore[attr-defined]

    def last_code(self, username: str) -> str | None:
        """The last recovery or verification code sent to ``username`` (what their email would show)."""
        return self.sent_codes.get(username)


def offered(env: Environment, flow: Flow) -> tuple[str, ...]:
    """The self-service actions a sign-on status offers besides its own."""
    if flow.status not in (USERNAME_PASSWORD_REQUIRED, SIGN_ON_REQUIRED, PASSWORD_REQUIRED):
        return ()
    extra: tuple[str, ...] = (PASSWORD_FORGOT,) if env.password_recovery else ()
    if env.registration and flow.status != PASSWORD_REQUIRED:
        extra += (USER_REGISTER,)
    return extra


def send_code(env: Environment, username: str) -> str:
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    env.sent_codes[username] = code
    env.code_failures[username] = 0
    return code


def check_code(env: Environment, username: str, given: str, expected: str | None, target: str) -> None:
    """A recovery or verification code: right, wrong (counted), or used up after ``code_attempts`` wrong ones."""
    failures = env.code_failures.get(username, 0)
    if failures >= env.code_attempts:
        raise StepFailed(target, USED_UP, code="REQUEST_LIMITED")
    if expected is None or not secrets.compare_digest(given.encode(), expected.encode()):
        env.code_failures[username] = failures + 1
        raise StepFailed(target, f"The {'recovery' if target == 'recoveryCode' else 'verification'} code is invalid.")
    env.code_failures[username] = 0


def check_password(env: Environment, username: str, password: str, target: str) -> None:
    unmet = []
    if len(password) < env.password_min_length:
        unmet.append("length")
    if username and username.lower() in password.lower():
        unmet.append("excludesProfileData")
    if unmet:
        raise StepFailed(
            target,
            "User password did not satisfy password policy requirements",
            inner_error={"unsatisfiedRequirements": unmet},
        )


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or not value:
        raise StepFailed(name, f"{name} is required.", code="REQUIRED_VALUE")
    return value


def apply(env: Environment, flow: Flow, action: str, fields: Mapping[str, Any]) -> User | None:
    """Carry out a self-service action. Returns the user to go on with (``flow_steps.advance``) once the flow
    may move past them, else None (the flow waits for a code)."""
    if action == PASSWORD_FORGOT:
        user = env.users.get(_text(fields, "username"))
        if user is None:
            raise PingOneAPIError(env.forgot_unknown_status, "NOT_FOUND", "The user could not be found.")
        flow.username, flow.status = user.username, RECOVERY_CODE_REQUIRED
        send_code(env, user.username)
        return None
    if action == SEND_RECOVERY_CODE:
        send_code(env, flow.username or "")
        return None
    if action == PASSWORD_RECOVER:
        user = env.users[flow.username or ""]
        code, new = _text(fields, "recoveryCode"), _text(fields, "newPassword")
        check_code(env, user.username, code, env.sent_codes.get(user.username), "recoveryCode")
        check_password(env, user.username, new, "newPassword")
        user.password, user.must_change_password = new, False
        del env.sent_codes[user.username]
        flow.amr = ["pwd"]
        return user
    # USER_REGISTER
    username, email, password = _text(fields, "username"), _text(fields, "email"), _text(fields, "password")
    if not EMAIL.match(email):
        raise StepFailed("email", "The email address is not valid.")
    check_password(env, username, password, "password")
    taken = username in env.users or any(u.claims.get("email") == email for u in env.users.values())
    if taken:
        raise StepFailed("username", "The username or email is already in use.", code="UNIQUENESS_VIOLATION")
    env.users[username] = User(
        username=username,
        password=password,
        sub=str(uuid.uuid4()),
        claims={"preferred_username": username, "email": email, "email_verified": False},
        verification_code=send_code(env, username),
    )
    flow.username, flow.status, flow.amr = username, VERIFICATION_CODE_REQUIRED, ["pwd"]
    return None


def mailbox_page(env: Environment, request: Request) -> Response:
    """``/{envID}/mailbox``: the codes "emailed" (the last one per user), for a person trying the demo."""
    rows = "".join(
        f'<li data-username="{escape(name)}">{escape(name)}: <code>{escape(code)}</code></li>'
        for name, code in sorted(env.sent_codes.items())
    )
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Mailbox</title></head><body>'
        '<h1>Mailbox</h1><p class="note">PingOne stand-in: the last recovery or verification code sent to each '
        f'user.</p><ul id="codes">{rows or "<li>No codes sent.</li>"}</ul></body></html>'
    )
    return Response.html(200, page)


__all__ = [
    *("SELF_SERVICE_ACTIONS", "SelfServiceEnvironment", "apply", "check_code", "mailbox_page", "offered"),
    "send_code",
]
