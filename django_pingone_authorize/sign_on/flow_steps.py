"""One flow step's checks, for every face that drives a PingOne flow (``pi.flow``): the HTML flow pages
(``views/flow_pages.py``) and the headless JSON API (``headless/``).

* ``ACTION_FIELDS``: each action's body, from the answer's field names to PingOne's;
* ``step_body``: the action's body from an answer, each field once, filled in and not too long, a device only
  among the flow's (a refusal is a ``SignOnError``, before anything reaches PingOne);
* ``may_look``: the poll limit of a push wait: PingOne is asked at most once per ``POLL_INTERVAL`` seconds per
  flow, whatever the client sends (the entry's record, and an atomic ``add`` in the alias's cache across workers).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.errors import SignOnError
from django_pingone_authorize.provider import shared_cache
from django_pingone_authorize.provider.flows_api import Flow
from django_pingone_authorize.sign_on.pending_store import PendingAuthorization

logger = logging.getLogger("django_pingone_authorize")

COMPLETED = "COMPLETED"
FAILED = "FAILED"
PUSH = "PUSH_CONFIRMATION_REQUIRED"
PUSH_TIMED_OUT = "PUSH_CONFIRMATION_TIMED_OUT"
DEVICE_SELECT = "device.select"
# The least time between two looks at PingOne for one flow, whatever the client does.
POLL_INTERVAL = 2
MAX_FIELD_LENGTH = 1024
# What the answers may carry that must stay out of error reports.
SENSITIVE_FIELDS = (
    *("password", "current_password", "new_password", "otp", "verification_code", "recovery_code", "assertion"),
)
ASSERTION_CHECK = "assertion.check"

# Each action's body: answer field -> PingOne's field (``device.select`` is built in ``step_body``).
ACTION_FIELDS: dict[str, dict[str, str]] = {
    "usernamePassword.check": {"username": "username", "password": "password"},
    "user.lookup": {"username": "username"},
    "password.reset": {"current_password": "currentPassword", "new_password": "newPassword"},
    "otp.check": {"otp": "otp"},
    "user.verify": {"verification_code": "verificationCode"},
    "user.sendVerificationCode": {},
    DEVICE_SELECT: {"device": "device"},
    ASSERTION_CHECK: {},  # built by the page (``views/flow_pages.py``): the site's origin, the authenticator's answer
    # Self-service (``views/self_service.py``): a forgotten password, a registration.
    "password.forgot": {"username": "username"},
    "password.recover": {"recovery_code": "recoveryCode", "new_password": "newPassword"},
    "password.sendRecoveryCode": {},
    "user.register": {"username": "username", "email": "email", "password": "password"},
}


class Step(NamedTuple):
    """The page a status is shown on and the actions it can answer with (each only when the flow offers it).
    ``always``: shown even when none of them is on offer (a push wait, the external identity provider page)."""

    template: str
    actions: tuple[str, ...]
    always: bool = False


# The one step table: each status a sign-on or an approval is answered in, for the HTML pages
# (``views/flow_pages.py``, ``views/embedded.py``, which add the self-service actions) and the headless API
# (``headless/steps.py``, which answers all of them but a passkey).
ASSERTION_REQUIRED = "ASSERTION_REQUIRED"
EXTERNAL = "EXTERNAL_AUTHENTICATION_REQUIRED"
_PAGES = "django_pingone_authorize/"
SIGN_ON_STEP = Step(_PAGES + "embedded/username_password.html", ("usernamePassword.check", "user.lookup"))
CHANGE_PASSWORD_STEP = Step(_PAGES + "embedded/change_password.html", ("password.reset",))
VERIFICATION_CODE_STEP = Step(_PAGES + "embedded/verification_code.html", ("user.verify", "user.sendVerificationCode"))
# A sign-on's own statuses.
SIGN_ON_STEPS = {
    "USERNAME_PASSWORD_REQUIRED": SIGN_ON_STEP,
    "SIGN_ON_REQUIRED": SIGN_ON_STEP,
    "PASSWORD_REQUIRED": SIGN_ON_STEP,
    "MUST_CHANGE_PASSWORD": CHANGE_PASSWORD_STEP,
    "PASSWORD_EXPIRED": CHANGE_PASSWORD_STEP,
    "VERIFICATION_CODE_REQUIRED": VERIFICATION_CODE_STEP,
    "VERIFICATION_REQUIRED": VERIFICATION_CODE_STEP,  # named so on PingOne's "Verify User" page
    # Never continued in a server-held flow (``views/embedded.py``): a redirect sign-on is offered instead.
    EXTERNAL: Step(_PAGES + "embedded/external.html", (), always=True),
}
# The steps a sign-on (MFA) and a transaction approval both show.
MFA_STEPS = {
    "DEVICE_SELECTION_REQUIRED": Step(_PAGES + "flow/device_selection.html", (DEVICE_SELECT,)),
    "OTP_REQUIRED": Step(_PAGES + "flow/one_time_code.html", ("otp.check", DEVICE_SELECT)),
    PUSH: Step(_PAGES + "flow/push.html", (DEVICE_SELECT,), always=True),
    PUSH_TIMED_OUT: Step(_PAGES + "flow/timed_out.html", (DEVICE_SELECT,), always=True),
    # A passkey (FIDO2): ``passkey.js`` runs WebAuthn and posts the answer; the other ways stay on the page.
    ASSERTION_REQUIRED: Step(_PAGES + "flow/passkey.html", (ASSERTION_CHECK, DEVICE_SELECT)),
}


def now() -> float:
    """The flow steps' clock (one seam for tests)."""
    return time.time()


@sensitive_variables("fields", "values")
def step_body(flow: Flow, action: str, values_of: Callable[[str], list[Any]]) -> dict[str, Any]:
    """``action``'s body for PingOne from an answer (``values_of(name)``: every value the answer gives ``name``):
    each field once, a non-empty string, not too long; a device among the flow's."""
    fields: dict[str, Any] = {}
    for answer_name, api_name in ACTION_FIELDS[action].items():
        values = values_of(answer_name)
        if len(values) != 1 or not isinstance(values[0], str) or not values[0] or len(values[0]) > MAX_FIELD_LENGTH:
            raise SignOnError("flow_bad_input", _("Please fill in every field."))
        fields[api_name] = values[0]
    if action == DEVICE_SELECT:
        if fields["device"] not in {device.id for device in flow.devices}:
            logger.info("A flow step chose a device the flow does not list")
            raise SignOnError("flow_bad_input", _("Please choose one of your devices."))
        fields = {"device": {"id": fields["device"]}}
    return fields


def may_look(config: AliasConfig, entry: PendingAuthorization) -> bool:
    """Whether PingOne may be asked about ``entry``'s flow now: not within ``POLL_INTERVAL`` of this entry's
    last look, and the first look in ``POLL_INTERVAL`` across workers (a cache that cannot answer leaves the
    entry's record to decide alone). A look allowed is recorded in the entry (``polled_at``): save it."""
    flow = entry.flow
    assert flow is not None
    moment = now()
    if moment - entry.polled_at < POLL_INTERVAL:
        return False
    key = "pingone:flow-poll:" + hashlib.sha256(flow.id.encode("ascii", "replace")).hexdigest()
    if shared_cache.add(config.CACHE, key, True, timeout=POLL_INTERVAL) is False:
        return False
    entry.polled_at = moment
    return True
