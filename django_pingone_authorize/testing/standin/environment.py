"""The stand-in's PingOne environment: everything it keeps in memory, and the API that configures it.

Applications, users, custom resources and external identity providers (what a test sets up), the state of
sign-ons (browser sessions, flows, codes, pushed requests, tokens, client assertions seen) and the signing keys.
Its URLs come from ``PingOneLayout``. The endpoint handlers read and change this state; none of them keeps any
of its own.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, overload
from urllib.parse import urlencode, urlsplit

from ...layout import PingOneLayout
from ..flows import COMPLETED, EXTERNAL_AUTHENTICATION_REQUIRED, STATUS_ACTIONS, USERNAME_PASSWORD
from ..jose import SigningKey, load_public_jwk, pooled_signing_key
from ..records import (
    AUTH_METHODS,
    DEVICE_TYPES,
    PKCE_ENFORCEMENTS,
    PUSH_TYPE,
    ApprovalFlow,
    AuthorizationCode,
    BrowserSession,
    Client,
    Device,
    ExternalProvider,
    Flow,
    IssuedToken,
    Push,
    PushedRequest,
    Resource,
    User,
    example_claims,
)
from .passkeys import PasskeyEnvironment
from .self_service import SelfServiceEnvironment

DEFAULT_ENV_ID = "8c3b5a4e-1f2d-4b6a-9c7e-0d1e2f3a4b5c"
DEMO_SUB = "5f0c2d8e-7a41-4b9c-8e3d-2a6b1c9f0e47"
DEMO_PROVIDER_ID = "0b7e4c1a-9d2f-4e6b-a8c3-5f1d2e3a4b6c"

#: What PingOne answers when the authorize request's ``redirect_uri`` is not one the application registered.
REDIRECT_URI_MISMATCH = "Redirect URI mismatch"


def with_query(url: str, params: Mapping[str, str], separator: str | None = None) -> str:
    """``url`` with ``params`` added to its query (or after ``separator``, e.g. ``#`` for a fragment)."""
    if separator is None:
        separator = "&" if urlsplit(url).query else "?"
    return f"{url}{separator}{urlencode(params)}"


class LayoutURL:
    """An environment's URL read from its ``layout`` (``PingOneLayout``): ``LayoutURL("issuer")`` reads
    ``layout.issuer``."""

    def __init__(self, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, environment: None, owner: type) -> LayoutURL: ...
    @overload
    def __get__(self, environment: Environment, owner: type | None = None) -> str: ...
    def __get__(self, environment: Environment | None, owner: type | None = None) -> str | LayoutURL:
        return self if environment is None else str(getattr(environment.layout, self.name))


# The lifetimes and switches a test may set on an instance (``reset()`` restores the class's).
RESETTABLE = (
    *("flow_ttl", "code_ttl", "par_ttl", "token_ttl", "external_links_cookie_bound", "push_timeout"),
    *("sign_on_policy", "otp_attempts", "otp_lockout", "passkey_rp_id", "passkey_origins"),
    *("password_recovery", "registration", "code_attempts", "password_min_length", "forgot_unknown_status"),
)

__all__ = ["DEFAULT_ENV_ID", "DEMO_PROVIDER_ID", "DEMO_SUB", "REDIRECT_URI_MISMATCH", "Environment", "Resource"]


class Environment(PasskeyEnvironment, SelfServiceEnvironment):
    """One PingOne environment in memory: its configuration, the state of its sign-ons, its keys and URLs."""

    # Lifetimes in seconds; set them on an instance to change them (``reset()`` restores these).
    flow_ttl: float = 900.0
    code_ttl: float = 60.0
    par_ttl: float = 60.0
    token_ttl: int = 3600
    # Whether an external identity provider's ``authenticate`` link wants the flow's ``ST`` cookie, so that only
    # the browser that started the flow can go through the provider. PingOne does not document it either way;
    # ``False`` plays a PingOne whose links are not cookie-bound (the hijack tests set it).
    external_links_cookie_bound: bool = True
    # Seconds a push to a phone waits for an answer before the flow is PUSH_CONFIRMATION_TIMED_OUT.
    push_timeout: float = 120.0
    # The sign-on policy: USERNAME_PASSWORD or IDENTIFIER_FIRST (``acr_values=Identifier_First`` asks it too).
    sign_on_policy: str = USERNAME_PASSWORD
    # Wrong one-time codes in a row before the user's codes are locked, and for how many seconds.
    otp_attempts: int = 3
    otp_lockout: float = 900.0

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        env_id: str = DEFAULT_ENV_ID,
        *,
        redirect_uris: Sequence[str] | None = None,
        any_loopback_redirect_uri: bool | None = None,
    ) -> None:
        """``redirect_uris``: the redirect URIs registered for the default applications, which then accept only
        those, as PingOne does (``localhost`` is not ``127.0.0.1``), unless ``any_loopback_redirect_uri`` keeps
        accepting any loopback URL too. Without ``redirect_uris`` they accept any loopback URL."""
        self.host = host
        self.port = port
        self.env_id = env_id
        self.default_redirect_uris = list(redirect_uris) if redirect_uris is not None else None
        self.default_any_loopback = any_loopback_redirect_uri
        self.requests_seen: list[tuple[str, str]] = []
        self.clock: Callable[[], float] = time.time
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Back to the state after construction: default applications, users, provider and signing key;
        no sessions, flows, codes or tokens; default lifetimes and clock; ``requests_seen`` emptied."""
        with self.lock:
            for name in RESETTABLE:
                self.__dict__.pop(name, None)
            self.clock = time.time
            self.requests_seen.clear()
            # What a test configures.
            self.clients: dict[str, Client] = {}
            self.users: dict[str, User] = {}
            self.providers: dict[str, ExternalProvider] = {}
            self.resources: dict[str, Resource] = {}
            # The state of sign-ons.
            self.sessions: dict[str, BrowserSession] = {}  # ST cookie -> session
            self.flows: dict[str, Flow] = {}
            self.codes: dict[str, AuthorizationCode] = {}
            self.pushed: dict[str, PushedRequest] = {}  # request_uri -> request
            self.access_tokens: dict[str, IssuedToken] = {}
            self.refresh_tokens: dict[str, IssuedToken] = {}
            self.token_claims: dict[str, dict[str, Any]] = {}  # access token -> what introspection tells
            self.assertion_ids: dict[tuple[str, str], float] = {}  # (client_id, jti) -> until
            # session_lifecycle.py: token -> family; used refresh token -> family.
            self.token_families: dict[str, str] = {}
            self.used_refresh_tokens: dict[str, str] = {}
            # Transaction approval: users' MFA devices, pushes sent, approval flows, every pi.remoteIp received.
            self.devices: dict[str, Device] = {}
            self.pushes: dict[str, Push] = {}  # flow id -> push
            self.approvals: dict[str, ApprovalFlow] = {}  # flow id -> what the approval asked
            self.remote_ips_seen: list[str] = []
            self.reset_passkeys()  # passkeys.py: registered credentials, the flows' challenges
            self.reset_self_service()  # self_service.py: the codes sent, wrong codes counted
            # Every ``mobilePayload`` received on /as/authorize: ("query" | "request", value).
            self.mobile_payloads_seen: list[tuple[str, str]] = []
            # Management API (management_api.py): sessions PingOne still lists after they expired (user id ->
            # [(session id, expiresAt)]), and sessions whose deletion PingOne refuses ("the current session").
            self.expired_sessions: dict[str, list[tuple[str, str]]] = {}
            self.undeletable_sessions: set[str] = set()
            # Keys.
            self._key_index = 0
            self.signing_key: SigningKey = pooled_signing_key(0)
            self.retired_keys: list[SigningKey] = []
            self._add_defaults()

    def reset_requests_seen(self) -> None:
        with self.lock:
            self.requests_seen.clear()

    def _add_defaults(self) -> None:
        uris, any_loopback = self.default_redirect_uris, self.default_any_loopback
        self.add_client("demo-client", "demo-secret", redirect_uris=uris, any_loopback_redirect_uri=any_loopback)
        self.add_client(
            "demo-public",
            token_endpoint_auth_method="none",
            name="Demo Public App",
            redirect_uris=uris,
            any_loopback_redirect_uri=any_loopback,
        )
        self.add_user(
            "demo",
            "demo",
            sub=DEMO_SUB,
            claims={
                "email": "demo@example.com",
                "email_verified": True,
                "given_name": "Demo",
                "family_name": "User",
                "name": "Demo User",
                "preferred_username": "demo",
            },
            mfa_otp="123456",  # asked only under the Multi_Factor policy
        )
        self.add_user("change", "change", claims=example_claims("change", "Change"), must_change_password=True)
        self.add_user("otp", "otp", claims=example_claims("otp", "Otp"), otp="123456")
        self.add_user(
            "device",
            "device",
            claims=example_claims("device", "Device"),
            unsupported_status="DEVICE_SELECTION_REQUIRED",
        )
        self.add_external_provider("Stand-in IdP", provider_id=DEMO_PROVIDER_ID, username="demo")

    # -- Configuration ---------------------------------------------------------------------------------

    def add_client(
        self,
        client_id: str,
        client_secret: str | None = None,
        *,
        redirect_uris: Sequence[str] | None = None,
        post_logout_redirect_uris: Sequence[str] | None = None,
        any_loopback_redirect_uri: bool | None = None,
        token_endpoint_auth_method: str = "client_secret_basic",  # noqa: S107 -- a method name
        public_jwk: Mapping[str, Any] | None = None,
        pkce: str = "S256_REQUIRED",
        par_required: bool = False,
        request_object_required: bool = False,
        name: str = "Demo App",
    ) -> None:
        """Register (or replace) an application. ``redirect_uris=None`` accepts any loopback http(s) URL;
        so does ``post_logout_redirect_uris=None`` for sign-off. Given ``redirect_uris``, only those are
        accepted (PingOne's "Redirect URI mismatch" otherwise), unless ``any_loopback_redirect_uri`` is true."""
        if token_endpoint_auth_method not in AUTH_METHODS:
            raise ValueError(f"token_endpoint_auth_method must be one of {', '.join(AUTH_METHODS)}")
        if pkce not in PKCE_ENFORCEMENTS:
            raise ValueError(f"pkce must be one of {', '.join(PKCE_ENFORCEMENTS)}")
        needs_secret = ("client_secret_basic", "client_secret_post", "client_secret_jwt")
        if token_endpoint_auth_method in needs_secret and not client_secret:
            raise ValueError(f"{token_endpoint_auth_method} needs a client_secret")
        if token_endpoint_auth_method == "private_key_jwt" and public_jwk is None:
            raise ValueError("private_key_jwt needs the client's public_jwk")
        if public_jwk is not None:
            load_public_jwk(public_jwk)  # raises ValueError for anything but an RSA or EC public key
        with self.lock:
            self.clients[client_id] = Client(
                client_id=client_id,
                client_secret=client_secret,
                redirect_uris=list(redirect_uris) if redirect_uris is not None else None,
                any_loopback_redirect_uri=(
                    redirect_uris is None if any_loopback_redirect_uri is None else any_loopback_redirect_uri
                ),
                post_logout_redirect_uris=(
                    list(post_logout_redirect_uris) if post_logout_redirect_uris is not None else None
                ),
                token_endpoint_auth_method=token_endpoint_auth_method,
                public_jwk=dict(public_jwk) if public_jwk is not None else None,
                pkce=pkce,
                par_required=par_required,
                request_object_required=request_object_required,
                name=name,
            )

    def add_user(
        self,
        username: str,
        password: str,
        *,
        sub: str | None = None,
        claims: Mapping[str, Any] | None = None,
        must_change_password: bool = False,
        otp: str | None = None,
        unsupported_status: str | None = None,
        mfa_otp: str | None = None,
        mfa: bool = False,
        passwordless: bool = False,
        verification_code: str | None = None,
    ) -> None:
        """Register (or replace) a user. ``otp`` is the one-time code asked after the password; ``mfa_otp``
        the code asked only when the sign-on policy (``acr_values``) is ``Multi_Factor``;
        ``unsupported_status`` (e.g. ``DEVICE_SELECTION_REQUIRED``) is a flow status the sign-on then stops
        at for good, to test an app's handling of statuses it does not know (no action offered there).
        The user's own policy (``flow_steps.py``): ``mfa`` (one of their devices after the password),
        ``passwordless`` (a device instead of the password, identifier-first), ``verification_code``."""
        if unsupported_status in (*STATUS_ACTIONS, COMPLETED, EXTERNAL_AUTHENTICATION_REQUIRED):
            raise ValueError(f"{unsupported_status} is a status the stand-in carries out")
        with self.lock:
            self.users[username] = User(
                username=username,
                password=password,
                sub=sub or str(uuid.uuid5(uuid.NAMESPACE_URL, f"pingone-standin:user:{username}")),
                claims=dict(claims) if claims is not None else {"preferred_username": username},
                must_change_password=must_change_password,
                otp=otp,
                mfa_otp=mfa_otp,
                unsupported_status=unsupported_status,
                mfa=mfa,
                passwordless=passwordless,
                verification_code=verification_code,
            )

    def add_external_provider(
        self,
        name: str,
        *,
        provider_id: str | None = None,
        type: str = "OPENID_CONNECT",
        username: str = "demo",
    ) -> str:
        """Register an external identity provider that signs users on as ``username`` (the page it shows
        lets the tester change that). Returns the provider's id."""
        provider_id = provider_id or str(uuid.uuid4())
        if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", provider_id):
            raise ValueError("provider_id may hold letters, digits and dashes only")
        with self.lock:
            self.providers[provider_id] = ExternalProvider(provider_id, name, type, username)
        return provider_id

    def add_device(
        self,
        username: str,
        type: str,
        *,
        nickname: str | None = None,
        otp: str | None = "123456",
        device_id: str | None = None,
    ) -> str:
        """Give ``username`` an MFA device (``EMAIL``/``SMS`` with its one-time code, or ``MOBILE``: a push
        device whose phone page is ``phone_url(device_id)``). Returns the device's id."""
        if type not in DEVICE_TYPES or username not in self.users:
            raise ValueError(f"type must be one of {', '.join(DEVICE_TYPES)}, for a user added first")
        device_id = device_id or str(uuid.uuid4())
        with self.lock:
            self.devices[device_id] = Device(
                device_id, username, type, nickname or type.title(), otp if type != PUSH_TYPE else None
            )
        return device_id

    def phone_url(self, device_id: str) -> str:
        """The stand-in's page of a push device's phone: pending pushes, with approve and deny buttons."""
        return f"{self.layout.environment}/devices/{device_id}/phone"

    def remove_external_providers(self) -> None:
        with self.lock:
            self.providers.clear()

    def add_resource(
        self, audience: str, scopes: Sequence[str], *, typ: str | None = "at+jwt", opaque: bool = False
    ) -> None:
        """Register (or replace) a custom resource. Asking for its scopes (at authorize, with ``openid``; or with
        ``client_credentials``) gives an access token with ``aud`` = ``audience`` and ``scope``; scopes of two
        resources in one request are refused (``invalid_scope``), as PingOne does."""
        with self.lock:
            self.resources[audience] = Resource(audience, frozenset(scopes), typ, opaque)

    def rotate_keys(self) -> None:
        """Sign with a new RSA key under a new ``kid``; the old key leaves the JWKS."""
        with self.lock:
            self.retired_keys.append(self.signing_key)
            self._key_index += 1
            self.signing_key = pooled_signing_key(self._key_index)

    def settings(self, client_id: str = "demo-client", **overrides: Any) -> dict[str, Any]:
        """A ``PINGONE_AUTHORIZE`` alias for the app, pointing at this stand-in and one of its applications."""
        client = self.clients.get(client_id)
        if client is None:
            raise ValueError(f"no application {client_id!r}: add_client() it first")
        return {
            "AUTH_PATH": self.auth_path,
            "ENV_ID": self.env_id,
            "CLIENT_ID": client_id,
            "CLIENT_SECRET": client.client_secret or "",
            "TOKEN_ENDPOINT_AUTH_METHOD": client.token_endpoint_auth_method,
            **overrides,
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.signing_key.public_jwk()]}

    @property
    def signing_kid(self) -> str:
        return self.signing_key.kid

    # -- URLs (PingOne's layout, plus the stand-in's own pages) ----------------------------------------

    @property
    def auth_path(self) -> str:
        """``http://127.0.0.1:PORT``: what PingOne calls the authPath (its regional host)."""
        if self.port == 0:
            raise RuntimeError("start() the stand-in first: its port is chosen when it starts")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def layout(self) -> PingOneLayout:
        return PingOneLayout(self.auth_path, self.env_id)

    @property
    def paths(self) -> PingOneLayout:
        """The layout without a host: the paths the stand-in serves (known before the port is)."""
        return PingOneLayout("", self.env_id)

    # PingOne's URLs for this environment (``PingOneLayout``'s, with the stand-in's host and port).
    issuer = LayoutURL("issuer")
    discovery_url = LayoutURL("discovery_url")
    authorization_endpoint = LayoutURL("authorization_endpoint")
    token_endpoint = LayoutURL("token_endpoint")
    userinfo_endpoint = LayoutURL("userinfo_endpoint")
    jwks_uri = LayoutURL("jwks_uri")
    end_session_endpoint = LayoutURL("end_session_endpoint")
    par_endpoint = LayoutURL("pushed_authorization_request_endpoint")
    introspection_endpoint = LayoutURL("introspection_endpoint")
    revocation_endpoint = LayoutURL("revocation_endpoint")

    def flow_url(self, flow_id: str) -> str:
        return self.layout.flow_url(flow_id)

    def resume_url(self, flow_id: str) -> str:
        return self.layout.resume_url(flow_id)

    def authorize_url(self, client_id: str = "demo-client", **params: str) -> str:
        """An authorize URL with ``response_type=code`` and ``scope=openid`` unless given."""
        query = {"response_type": "code", "client_id": client_id, "scope": "openid", **params}
        return with_query(self.authorization_endpoint, query)

    # The stand-in's hosted pages (PingOne's own are elsewhere and not part of its API).

    @property
    def sign_on_action_url(self) -> str:
        return f"{self.layout.environment}/signon/"

    def sign_on_page_url(self, flow_id: str) -> str:
        return with_query(self.sign_on_action_url, {"flowId": flow_id})

    def authenticate_url(self, provider_id: str, flow_id: str) -> str:
        """An external identity provider's ``authenticate`` link for one flow."""
        return with_query(f"{self.layout.environment}/external/{provider_id}/authenticate", {"flowId": flow_id})
