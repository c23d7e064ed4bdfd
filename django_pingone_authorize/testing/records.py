"""What the stand-in keeps: its applications, users and identity providers, and the state of sign-ons."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

# MFA device types the stand-in plays; a ``MOBILE`` device is approved by push, a ``FIDO2`` one with a passkey
# (``standin/passkeys.py``: registered with ``add_passkey``).
DEVICE_TYPES = ("EMAIL", "SMS", "MOBILE", "FIDO2")
PUSH_TYPE = "MOBILE"

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none")
PKCE_ENFORCEMENTS = ("OPTIONAL", "REQUIRED", "S256_REQUIRED")

# Which user claims each OIDC scope releases (OIDC Core 5.4). Claims in none of these sets are custom
# attributes, which PingOne maps into tokens whatever the scope, and so does the stand-in.
SCOPE_CLAIMS: dict[str, frozenset[str]] = {
    "profile": frozenset(
        {
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        }
    ),
    "email": frozenset({"email", "email_verified"}),
    "address": frozenset({"address"}),
    "phone": frozenset({"phone_number", "phone_number_verified"}),
}
_SCOPED_CLAIMS = frozenset().union(*SCOPE_CLAIMS.values())


def is_loopback_url(url: str) -> bool:
    """An http(s) URL without fragment on 127.0.0.0/8, ``localhost`` or ``[::1]``."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or parts.fragment or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _redirect_uri_matches(registered: str, given: str) -> bool:
    """PingOne's rule: the exact URI, except that a loopback IP address registered without a port accepts any
    port (RFC 8252 §7.3). ``localhost`` and ``127.0.0.1`` are different hosts: one never stands for the other."""
    if registered == given:
        return True
    try:
        ours, theirs = urlsplit(registered), urlsplit(given)
        their_port = theirs.port
        if ours.port is not None or their_port is None or ours.hostname in (None, "localhost"):
            return False
        loopback_ip = ipaddress.ip_address(ours.hostname or "").is_loopback
    except ValueError:
        return False
    return loopback_ip and ours._replace(netloc=theirs.netloc) == theirs and ours.hostname == theirs.hostname


@dataclass
class Client:
    """A PingOne application (OIDC client)."""

    client_id: str
    client_secret: str | None
    redirect_uris: list[str] | None
    post_logout_redirect_uris: list[str] | None
    token_endpoint_auth_method: str
    public_jwk: dict[str, Any] | None
    pkce: str
    par_required: bool
    request_object_required: bool
    name: str
    # Also accept any loopback URL (the stand-in's old leniency; real PingOne accepts only registered URIs).
    any_loopback_redirect_uri: bool = False

    def allows_redirect_uri(self, uri: str) -> bool:
        if (self.redirect_uris is None or self.any_loopback_redirect_uri) and is_loopback_url(uri):
            return True
        return any(_redirect_uri_matches(registered, uri) for registered in self.redirect_uris or ())

    def allows_post_logout_redirect_uri(self, uri: str) -> bool:
        if self.post_logout_redirect_uris is None:
            return is_loopback_url(uri)
        return uri in self.post_logout_redirect_uris


@dataclass
class User:
    username: str
    password: str
    sub: str
    claims: dict[str, Any]
    must_change_password: bool = False
    otp: str | None = None
    # The code of the user's MFA device, asked only when the sign-on policy is ``Multi_Factor`` (``otp``
    # above is asked at every sign-on).
    mfa_otp: str | None = None
    # A flow status the stand-in cannot get past (e.g. DEVICE_SELECTION_REQUIRED), reached once the
    # password and any one-time code are right, so that an app's handling of unknown statuses can be tested.
    unsupported_status: str | None = None
    # The user's own sign-on policy (``standin/flow_steps.py``): ``mfa`` asks for one of the user's devices
    # after the password; ``passwordless`` signs on with a device instead of the password (identifier-first);
    # ``verification_code`` (while set) is asked once, after the password (``VERIFICATION_CODE_REQUIRED``).
    mfa: bool = False
    passwordless: bool = False
    verification_code: str | None = None
    # Wrong one-time codes in a row, and until when the user's MFA is locked after too many.
    otp_failures: int = 0
    locked_until: float = 0.0

    def claims_for(self, scopes: tuple[str, ...]) -> dict[str, Any]:
        released: dict[str, Any] = {}
        for name, value in self.claims.items():
            if name not in _SCOPED_CLAIMS or any(name in SCOPE_CLAIMS.get(scope, ()) for scope in scopes):
                released[name] = value
        released["sub"] = self.sub
        return released


@dataclass
class ExternalProvider:
    """An external identity provider (PingOne "social provider") that signs users on as ``username``."""

    provider_id: str
    name: str
    type: str
    username: str


@dataclass(frozen=True)
class Resource:
    """A PingOne custom resource: an API with its ``audience`` and scopes. ``typ`` is the JWT header of its
    access tokens (None: none, as PingOne before March 2027 may send); ``opaque`` issues opaque tokens instead,
    which only introspection can read."""

    audience: str
    scopes: frozenset[str]
    typ: str | None = "at+jwt"
    opaque: bool = False


@dataclass
class Device:
    """A user's MFA device: an email or SMS one-time code (``otp``, fixed by the test) or a push (``MOBILE``)."""

    device_id: str
    username: str
    type: str
    nickname: str
    otp: str | None  # the code an EMAIL/SMS device "sends"

    def embedded(self) -> dict[str, Any]:
        """The device as a flow's ``_embedded.devices`` lists it, masked as in PingOne's examples
        (``j****@pingidentity.com``, ``*******01``)."""
        entry: dict[str, Any] = {"id": self.device_id, "type": self.type, "status": "ACTIVE", "nickname": self.nickname}
        if self.type == "EMAIL":
            entry["email"] = f"{self.username[:1]}****@example.com"
        elif self.type == "SMS":
            entry["phone"] = "*******89"
        return entry


@dataclass
class Push:
    """One push notification: to which device, for which flow, what it says, and the phone's answer."""

    flow_id: str
    device_id: str
    text: str
    sent_at: float
    decision: str | None = None  # "approved" | "denied"


@dataclass
class ApprovalFlow:
    """What the stand-in keeps of one transaction approval flow besides the flow itself."""

    template: dict[str, Any] | None
    remote_ip: str | None


@dataclass(frozen=True)
class AuthorizationRequest:
    """A validated authorization request."""

    client_id: str
    redirect_uri: str | None
    response_mode: str
    scopes: tuple[str, ...]
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    prompt: frozenset[str] = frozenset()
    max_age: int | None = None
    acr_values: tuple[str, ...] = ()
    login_hint: str | None = None
    # Transaction approval (``standin/transaction_approval.py``): the user a ``login_hint_token`` names, and
    # from a signed request object ``pi.template`` (as JSON text) and ``pi.remoteIp``.
    login_hint_user: str | None = None
    template: str | None = None
    remote_ip: str | None = None
    # ``mobilePayload`` as received: ("query" | "request", value) for each place it came in.
    mobile_payloads: tuple[tuple[str, str], ...] = ()


@dataclass
class BrowserSession:
    """What the ``ST`` cookie points at: one browser (or API caller), signed on or not yet."""

    token: str
    sid: str
    username: str | None = None
    auth_time: int | None = None
    amr: tuple[str, ...] = ()


@dataclass
class Flow:
    flow_id: str
    session_token: str
    request: AuthorizationRequest
    status: str
    created_at: float
    last_activity: float
    username: str | None = None
    auth_time: int | None = None
    amr: list[str] = field(default_factory=list)
    provider_id: str | None = None
    device_id: str | None = None  # the MFA device selected (``selectedDevice``)
    # Set when the user cancels on the sign-on page: sent back to the client as an OAuth error.
    error: tuple[str, str] | None = None


@dataclass
class AuthorizationCode:
    code: str
    request: AuthorizationRequest
    username: str
    auth_time: int
    amr: tuple[str, ...]
    acr: str
    sid: str
    expires_at: float
    used: bool = False
    issued_tokens: list[str] = field(default_factory=list)


@dataclass
class IssuedToken:
    """An access or refresh token."""

    token: str
    client_id: str
    username: str
    scopes: tuple[str, ...]
    auth_time: int
    amr: tuple[str, ...]
    acr: str
    sid: str
    expires_at: float | None


@dataclass
class PushedRequest:
    request: AuthorizationRequest
    expires_at: float


def example_claims(username: str, given_name: str) -> dict[str, Any]:
    return {
        "email": f"{username}@example.com",
        "email_verified": True,
        "given_name": given_name,
        "family_name": "User",
        "name": f"{given_name} User",
        "preferred_username": username,
    }
