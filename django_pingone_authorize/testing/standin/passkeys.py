"""Passkeys (FIDO2) in the stand-in: a user's registered credentials, the ``ASSERTION_REQUIRED`` step's request
options, and ``assertion.check`` verified with py_webauthn (``webauthn`` on PyPI, imported only here and only
when an assertion is checked: the rest of the stand-in runs without it).

As PingOne's FIDO policy does, the environment names one RP ID (``passkey_rp_id``) and the origins it accepts
(``passkey_origins``; ``None``: any origin whose host is the RP ID or under it). ``assertion.check`` is refused
when the posted ``origin`` is not accepted, the signature does not verify for the flow's own challenge (an
assertion made for another flow), or the credential belongs to another user than the flow's.

Registering a passkey: ``add_passkey(username, cose_public_key, credential_id)`` (the key from a
``testing.passkeys.SoftPasskey``, which a browser test also gives Chromium's virtual authenticator through
``WebAuthn.addCredential``), or ``new_passkey(username)`` which makes and registers one.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..flows import StepFailed
from ..passkeys import SoftPasskey, b64url
from ..records import Device, Flow, User

if TYPE_CHECKING:
    from .environment import Environment

FIDO2_TYPE = "FIDO2"
ASSERTION_REQUIRED = "ASSERTION_REQUIRED"
ASSERTION_CHECK = "assertion.check"
OPTIONS_FIELD = "publicKeyCredentialRequestOptions"


@dataclass
class Passkey:
    credential_id: bytes
    username: str
    public_key: bytes  # COSE_Key, CBOR
    sign_count: int = 0


class PasskeyEnvironment:
    """What ``Environment`` keeps and offers for passkeys (a mixin: the state lives on the environment)."""

    passkey_rp_id: str = "localhost"
    passkey_origins: tuple[str, ...] | None = None
    passkeys: dict[bytes, Passkey]
    challenges: dict[str, bytes]  # flow id -> the challenge of its ASSERTION_REQUIRED step
    registration_challenges: dict[str, bytes]  # username -> the challenge of a registration under way
    users: dict[str, User]
    devices: dict[str, Device]
    lock: threading.RLock

    def reset_passkeys(self) -> None:
        self.passkeys, self.challenges, self.registration_challenges = {}, {}, {}

    def add_passkey(self, username: str, public_key: bytes, credential_id: bytes, *, nickname: str = "Passkey") -> str:
        """Register a FIDO2 credential for ``username`` (a user added first): a ``FIDO2`` device in the user's
        devices. Returns the device's id."""
        if username not in self.users:
            raise ValueError("add the user first")
        with self.lock:
            self.passkeys[credential_id] = Passkey(credential_id, username, public_key)
            device_id = next(
                (d.device_id for d in self.devices.values() if d.username == username and d.type == FIDO2_TYPE),
                None,
            )
            if device_id is None:
                device_id = str(uuid.uuid4())
                self.devices[device_id] = Device(device_id, username, FIDO2_TYPE, nickname, None)
        return device_id

    @property
    def passkey_registration_url(self) -> str:
        """The stand-in's page that registers a passkey in the browser (``passkey_registration.py``)."""
        return f"{self.layout.environment}/passkeys/register"  # type: ignore[attr-defined]

    def new_passkey(self, username: str, *, rp_id: str | None = None) -> SoftPasskey:
        """A software passkey for ``username``, registered here (its public key) and returned (its private key)."""
        passkey = SoftPasskey(rp_id or self.passkey_rp_id)
        self.add_passkey(username, passkey.cose_public_key, passkey.credential_id)
        return passkey


def start_assertion(env: Environment, flow: Flow) -> None:
    """``device.select`` of a FIDO2 device: a new challenge for this flow, the status ``ASSERTION_REQUIRED``."""
    env.challenges[flow.flow_id] = secrets.token_bytes(32)
    flow.status = ASSERTION_REQUIRED


def request_options(env: Environment, flow: Flow) -> str:
    """``publicKeyCredentialRequestOptions`` as Ping's sample reads it: a JSON string, byte fields as arrays of
    byte values."""
    challenge = env.challenges.get(flow.flow_id, b"")
    credentials = [p for p in env.passkeys.values() if p.username == flow.username]
    return json.dumps(
        {
            "challenge": list(challenge),
            "timeout": 120000,
            "rpId": env.passkey_rp_id,
            "allowCredentials": [{"type": "public-key", "id": list(p.credential_id)} for p in credentials],
            "userVerification": "preferred",
        }
    )


def accepted_origin(env: Environment, origin: str) -> bool:
    if env.passkey_origins is not None:
        return origin in env.passkey_origins
    host = urlsplit(origin).hostname or ""
    return host == env.passkey_rp_id or host.endswith("." + env.passkey_rp_id)


def _base64url(value: Any) -> Any:
    return value.replace("+", "-").replace("/", "_").rstrip("=") if isinstance(value, str) else value


def check_assertion(env: Environment, flow: Flow, fields: Mapping[str, Any]) -> None:
    """``assertion.check``: the posted origin accepted, the credential the flow user's, the signature over this
    flow's challenge verified (py_webauthn). ``StepFailed`` otherwise; the flow stays where it is."""
    from webauthn import verify_authentication_response
    from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidJSONStructure

    origin, text = fields.get("origin"), fields.get("assertion")
    if not isinstance(origin, str) or not isinstance(text, str):
        raise StepFailed("assertion", "origin and assertion are required.", code="REQUIRED_VALUE")
    if not accepted_origin(env, origin):
        raise StepFailed("origin", "The origin is not allowed by the FIDO policy.")
    try:
        answer = json.loads(text)
        raw_id = answer["rawId"]
        credential_id = base64.b64decode(raw_id.replace("-", "+").replace("_", "/") + "=" * (-len(raw_id) % 4))
        response = {name: _base64url(value) for name, value in dict(answer["response"]).items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise StepFailed("assertion", "The assertion could not be read.") from None
    passkey = env.passkeys.get(credential_id)
    if passkey is None or passkey.username != flow.username:
        raise StepFailed("assertion", "The credential is not registered to the user.")
    challenge = env.challenges.get(flow.flow_id)
    if challenge is None:
        raise StepFailed("assertion", "No assertion is expected now.")
    credential: dict[str, Any] = {"id": b64url(credential_id), "rawId": b64url(credential_id), "type": "public-key"}
    credential["response"] = response
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=env.passkey_rp_id,
            expected_origin=origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
        )
    except (InvalidAuthenticationResponse, InvalidJSONStructure, ValueError, TypeError) as exc:
        raise StepFailed("assertion", f"The assertion could not be verified: {exc}") from None
    passkey.sign_count = verified.new_sign_count
    del env.challenges[flow.flow_id]
