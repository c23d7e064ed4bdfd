"""Settings: the ``PINGONE_AUTHORIZE`` dict, read lazily, one alias per PingOne environment/application.

Every option and its default is declared once, as a field of ``AliasConfig`` (``DEFAULTS`` is read off the
fields), and normalised in one place, ``normalise()``, which the checks use too. ``get_alias()`` returns a
frozen ``AliasConfig``; it is cached until Django's ``setting_changed`` signal fires, so ``override_settings``
works in tests. Unknown keys raise ``ImproperlyConfigured`` naming the key (``checks/`` reports the
same problems at start-up, with hints).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext_noop
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.layout import PingOneLayout  # a plain value, no package imports of its own

SETTING_NAME = "PINGONE_AUTHORIZE"
DEFAULT_ALIAS = "default"

METHODS = ("GET", "POST")
RESPONSE_MODES = (None, "query", "form_post", "pi.flow")
TOKEN_ENDPOINT_AUTH_METHODS = (
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "none",
)
HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")
# The shortest client secret an HS256 request object is signed with (RFC 7518 §3.2: the hash's size).
MIN_HMAC_SECRET_BYTES = 32
RSA_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
ASYMMETRIC_ALGORITHMS = (*RSA_ALGORITHMS, "ES256", "ES384", "ES512")
# What PingOne accepts: request objects HS256/384/512 or RS256/384/512; private_key_jwt assertions RS* or ES*.
REQUEST_OBJECT_ALGORITHMS = (*HMAC_ALGORITHMS, "RS256", "RS384", "RS512")
PRIVATE_KEY_JWT_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")
# Parameters a caller may set per request (``?prompt=login`` on the login URL, or the template tag).
# Anything outside this list is ignored; the alias's REQUEST_PARAMS narrows it further.
PER_REQUEST_PARAMS = ("prompt", "max_age", "acr_values", "login_hint", "login_hint_token")
# OpenID Connect Core §3.1.2.1's ``prompt`` values.
PROMPT_VALUES = frozenset({"none", "login", "consent", "select_account"})
# A PingOne sign-on policy name (or DaVinci policy ID), as ``acr_values`` carries it: the one pattern the
# settings, the checks, a view's step-up and a request's ``acr_values`` are held to.
POLICY_NAME = re.compile(r"^[A-Za-z0-9._:/\-]{1,128}$")


def policy_names(value: Any) -> list[str] | None:
    """The policy names in ``value`` (a space-separated string, or a list of them), or None when any is not one."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(item, str) for item in items):
        return None
    names = [name for item in items for name in item.split()]
    return names if all(POLICY_NAME.match(name) for name in names) else None


REQUIRED = ("CLIENT_ID",)


@dataclass(frozen=True)
class AliasConfig:
    """One configured PingOne environment/application: every option, its default and its meaning, once.

    ``DEFAULTS`` (below) is derived from these fields; the README's settings reference lists them too.
    """

    alias: str
    # Where PingOne is. AUTH_PATH is the regional host (https://auth.pingone.com, .eu, .ca, .com.au, .sg,
    # .asia) or a custom domain; ENV_ID is the environment ID (leave empty with a custom domain).
    AUTH_PATH: str = field(default="https://auth.pingone.com")
    ENV_ID: str = field(default="")
    CLIENT_ID: str = field(default="")
    # Secrets stay out of the repr: it ends up in error reports' local variables and in debug logs.
    CLIENT_SECRET: str = field(default="", repr=False)
    # Read endpoints from {issuer}/.well-known/openid-configuration (cached) instead of PingOne's layout.
    DISCOVERY: bool = field(default=True)
    # How the browser reaches /as/authorize: "GET" (302 redirect) or "POST" (auto-submitting form).
    METHOD: str = field(default="GET")
    # None (query), "query", "form_post" or "pi.flow" (embedded sign-on page).
    RESPONSE_MODE: str | None = field(default=None)
    SCOPE: str = field(default="openid profile email")
    # Absolute redirect URI; None builds it from the request and the pingone:callback URL.
    REDIRECT_URI: str | None = field(default=None)
    # Allow starting a sign-on with GET /pingone/login/ (the button always POSTs with a CSRF token).
    ALLOW_GET_LOGIN: bool = field(default=True)
    # Fixed authorize parameters (None: not sent).
    PROMPT: str | None = field(default=None)
    MAX_AGE: int | None = field(default=None)
    ACR_VALUES: str | None = field(default=None)
    # Sign-on policies a request's ``acr_values`` may name (each must be listed; with a fixed ACR_VALUES,
    # each must also be one of those: a request may narrow the fixed choice, never widen it). () = none.
    ALLOWED_ACR_VALUES: tuple[str, ...] = field(default=())
    # Which of PER_REQUEST_PARAMS a request may set (validated); () allows none.
    REQUEST_PARAMS: tuple[str, ...] = field(default=("prompt", "max_age", "acr_values", "login_hint"))
    # Send the authorize parameters as a signed request object: None, HS256/384/512 (client secret) or
    # RS256/384/512 (PRIVATE_KEY): what PingOne accepts.
    REQUEST_OBJECT_ALGORITHM: str | None = field(default=None)
    # Embedded (pi.flow) sign-ons: sign the request object even without REQUEST_OBJECT_ALGORITHM (HS256 with a
    # client secret of 32 bytes or more, else RS256 with PRIVATE_KEY), so that it carries the end user's IP
    # (pi.remoteIp): every call to PingOne comes from this server. False sends the plain parameters.
    SIGN_EMBEDDED_REQUESTS: bool = field(default=True)
    # Push the authorize parameters to /as/par first and send only the request_uri.
    USE_PAR: bool = field(default=False)
    # PEM private key (and its key ID) for RS* request objects and private_key_jwt.
    PRIVATE_KEY: str | None = field(default=None, repr=False)
    PRIVATE_KEY_ID: str | None = field(default=None)
    TOKEN_ENDPOINT_AUTH_METHOD: str = field(default="client_secret_basic")
    # Algorithm for client_secret_jwt / private_key_jwt assertions.
    TOKEN_ENDPOINT_AUTH_ALGORITHM: str | None = field(default=None)
    # ID token signature algorithms accepted (never taken from the token). HS* are keyed with the secret.
    ID_TOKEN_ALGORITHMS: tuple[str, ...] = field(default=("RS256",))
    # Extra audiences trusted in an ID token besides CLIENT_ID.
    TRUSTED_AUDIENCES: tuple[str, ...] = field(default=())
    # Clock leeway for exp/iat/nbf, in seconds.
    LEEWAY: int = field(default=60)
    # Largest age of an ID token's iat, in seconds.
    ID_TOKEN_MAX_AGE: int = field(default=600)
    # Refuse a callback without ``iss`` (RFC 9207): "auto" = when discovery advertises it; True; False.
    REQUIRE_ISS: bool | str = field(default="auto")
    # Timeout of every outbound HTTP call, in seconds.
    TIMEOUT: float = field(default=10.0)
    # Also call the userinfo endpoint and merge its claims (its sub must equal the ID token's).
    USERINFO: bool = field(default=False)
    # Users.
    CREATE_USERS: bool = field(default=True)
    LINK_BY_VERIFIED_EMAIL: bool = field(default=False)
    USERNAME_CLAIM: str = field(default="preferred_username")
    # Keep the access and refresh tokens in the session (the ID token is always kept, for sign-off).
    STORE_TOKENS: bool = field(default=False)
    # Logout: also sign off at PingOne, and where PingOne sends the browser afterwards.
    SIGNOFF: bool = field(default=True)
    POST_LOGOUT_REDIRECT_URI: str | None = field(default=None)
    # Logout: revoke the refresh and access tokens at /as/revoke first (RFC 7009); sign off through
    # /as/idpSignoff (also ends the session at an external identity provider) instead of /as/signoff.
    REVOKE_ON_LOGOUT: bool = field(default=True)
    # /as/idpSignoff needs the application's idpSignoff setting turned on in PingOne.
    IDP_SIGNOFF: bool = field(default=False)
    # OpenID Connect front- and back-channel logout (pingone:frontchannel_logout, pingone:backchannel_logout) for
    # this alias's provider. PingOne's applications have no such URIs (PingOne never calls them): off, the
    # endpoints answer 404; turn it on for another OpenID provider that calls them.
    CHANNEL_LOGOUT: bool = field(default=False)
    # The embedded sign-on (pi.flow) offers registration (user.register) when PingOne's flow does. Off: the page
    # never shows nor posts it, whatever the flow offers.
    REGISTRATION: bool = field(default=False)
    # SessionCheckMiddleware: seconds after which a signed-on request asks PingOne (by a refresh) whether the
    # user's PingOne session still lives; None: never.
    SESSION_CHECK_INTERVAL: int | None = field(default=None)
    # "Log out everywhere" at PingOne too (management_api.py): a worker application's credentials, and the
    # management API's base URL (None: the regional https://api.pingone.* that goes with AUTH_PATH).
    WORKER_CLIENT_ID: str = field(default="")
    WORKER_CLIENT_SECRET: str = field(default="", repr=False)
    MANAGEMENT_API_PATH: str | None = field(default=None)
    # Pending sign-ons kept in the session: lifetime (seconds) and how many at once (tabs).
    PENDING_TTL: int = field(default=600)
    PENDING_MAX: int = field(default=8)
    # Django cache alias and lifetime (seconds) of discovery documents and JWKS.
    CACHE: str = field(default="default")
    CACHE_TTL: int = field(default=3600)
    # Text of the login button, translated at render time (the default is in the app's catalogue).
    LABEL: str = field(default=gettext_noop("Sign on with PingOne"))
    # Protecting an API with PingOne access tokens (access_tokens.py). API_AUDIENCE: the custom resource's
    # audience(s) a token must carry; API_INTROSPECT: False (validate JWTs locally, no call), "opaque" (introspect
    # only tokens that are not JWTs) or True (introspect every token); API_REQUIRE_TYP: refuse a JWT without
    # RFC 9068's typ "at+jwt" (True), never (False), or "auto": once a token of the issuer has shown it;
    # API_INTROSPECTION_MAX_CACHE: seconds an introspection answer may be reused;
    # API_CLIENT_ID/API_CLIENT_SECRET: the resource's introspection credentials ("" = the application's).
    API_AUDIENCE: tuple[str, ...] = field(default=())
    API_INTROSPECT: bool | str = field(default=False)
    API_REQUIRE_TYP: bool | str = field(default="auto")
    API_INTROSPECTION_MAX_CACHE: int = field(default=60)
    API_CLIENT_ID: str = field(default="")
    API_CLIENT_SECRET: str = field(default="", repr=False)
    # How the resource authenticates at introspection (PingOne's introspectEndpointAuthMethod): one of
    # TOKEN_ENDPOINT_AUTH_METHODS; None: client_secret_basic with API_CLIENT_ID, else TOKEN_ENDPOINT_AUTH_METHOD.
    API_INTROSPECTION_AUTH_METHOD: str | None = field(default=None)
    # The Django admin's login page (admin_login.py): False, True (also offer this alias's sign-on button) or
    # "only" (only the button: the admin's password login is refused).
    ADMIN_LOGIN: bool | str = field(default=False)
    # Groups and staff flags from a claim, synced at every sign-on (backends.PingOneBackend.sync_groups).
    # GROUPS_CLAIM: the claim carrying group names (None: nothing is synced); GROUP_MAP: claim value -> Django
    # group name (only mapped groups are added or removed; kept read-only, left out of the hash);
    # STAFF_GROUPS / SUPERUSER_GROUPS: claim values that make a user staff / superuser.
    GROUPS_CLAIM: str | None = field(default=None)
    GROUP_MAP: Mapping[str, str] | None = field(default=None, hash=False)
    STAFF_GROUPS: tuple[str, ...] = field(default=())
    SUPERUSER_GROUPS: tuple[str, ...] = field(default=())
    # Transaction approval (approval.py): the sign-on policy it asks for (None: ACR_VALUES) and how long, in
    # seconds, an approval stays usable once PingOne approved it.
    APPROVAL_ACR_VALUES: str | None = field(default=None)
    APPROVAL_TTL: int = field(default=300)
    # Reverse proxies (IPs or CIDR networks) whose X-Forwarded-For gives the end user's IP (client_ip.py),
    # sent to PingOne as pi.remoteIp. () = none: REMOTE_ADDR only, the header is never read.
    TRUSTED_PROXIES: tuple[str, ...] = field(default=())

    @property
    def layout(self) -> PingOneLayout:
        """Where this environment's endpoints are (``layout.py``)."""
        return PingOneLayout(self.AUTH_PATH, self.ENV_ID)

    @property
    def issuer(self) -> str:
        """PingOne's issuer: ``{authPath}/{envID}/as``, or ``{customDomain}/as`` without an envID."""
        return self.layout.issuer

    @property
    def flows_base(self) -> str:
        """Base of PingOne's flows API (``{authPath}/{envID}/flows``)."""
        return self.layout.flows_base

    @property
    def fixed_acr_values(self) -> tuple[str, ...]:
        """``ACR_VALUES`` as a tuple of policy names (empty when not fixed)."""
        return tuple(str(self.ACR_VALUES).split()) if self.ACR_VALUES else ()

    @property
    def response_mode(self) -> str | None:
        """``response_mode`` to send: None means the default (query)."""
        return None if self.RESPONSE_MODE in (None, "query") else self.RESPONSE_MODE

    @property
    def embedded_request_algorithm(self) -> str | None:
        """How an embedded (``pi.flow``) sign-on's request object is signed, so that it can carry ``pi.remoteIp``:
        REQUEST_OBJECT_ALGORITHM, else HS256 with a secret long enough for it (RFC 7518 §3.2: 32 bytes), else
        RS256 with PRIVATE_KEY; None when SIGN_EMBEDDED_REQUESTS is off or nothing can sign."""
        if self.REQUEST_OBJECT_ALGORITHM:
            return self.REQUEST_OBJECT_ALGORITHM
        if not self.SIGN_EMBEDDED_REQUESTS:
            return None
        if len(self.CLIENT_SECRET.encode()) >= MIN_HMAC_SECRET_BYTES:
            return "HS256"
        return "RS256" if self.PRIVATE_KEY else None

    @property
    def token_auth_algorithm(self) -> str:
        if self.TOKEN_ENDPOINT_AUTH_ALGORITHM:
            return self.TOKEN_ENDPOINT_AUTH_ALGORITHM
        return "RS256" if self.TOKEN_ENDPOINT_AUTH_METHOD == "private_key_jwt" else "HS256"


# Every option with its default, read off ``AliasConfig``: for the checks' hints and anything wanting a mapping.
DEFAULTS: Mapping[str, Any] = MappingProxyType({f.name: f.default for f in fields(AliasConfig) if f.name != "alias"})

# Options given as a sequence: a single string is one item; kept as tuples so ``AliasConfig`` stays hashable.
SEQUENCE_OPTIONS = tuple(name for name, default in DEFAULTS.items() if isinstance(default, tuple))


def _as_tuple(value: Any) -> Any:
    if isinstance(value, str):
        return (value,)
    if value is None:
        return ()
    return tuple(value) if isinstance(value, (list, tuple, set, frozenset)) else value


def normalise(options: Mapping[str, Any]) -> dict[str, Any]:
    """An alias's options as written, merged with the defaults and put in the form ``AliasConfig`` holds.

    The one place options are normalised: ``get_alias`` builds its config from this, and the checks check it.
    Unknown keys are left out (the caller reports them); a value of the wrong type is passed through as it is,
    for the checks to report.
    """
    values = {name: options.get(name, default) for name, default in DEFAULTS.items()}
    for name in SEQUENCE_OPTIONS:
        values[name] = _as_tuple(values[name])
    allowed = values["ALLOWED_ACR_VALUES"]
    if isinstance(allowed, tuple):
        # Policy names never hold spaces: "A B" is two of them, as in acr_values.
        values["ALLOWED_ACR_VALUES"] = tuple(
            name for item in allowed for name in (item.split() if isinstance(item, str) else (item,))
        )
    if isinstance(values["GROUP_MAP"], Mapping):
        values["GROUP_MAP"] = MappingProxyType(dict(values["GROUP_MAP"]))  # frozen, like the rest
    if values["RESPONSE_MODE"] == "query":
        values["RESPONSE_MODE"] = None
    if isinstance(values["METHOD"], str):
        values["METHOD"] = values["METHOD"].upper()
    return values


_cache: dict[str, AliasConfig] = {}


def raw_settings() -> Mapping[str, Any]:
    """The ``PINGONE_AUTHORIZE`` setting as written (empty when absent)."""
    value = getattr(settings, SETTING_NAME, {})
    return value if isinstance(value, Mapping) else {}


def suggest_key(key: str) -> str | None:
    """The known option closest to a misspelt one (``CLIENTID`` -> ``CLIENT_ID``)."""
    match = difflib.get_close_matches(key.upper(), DEFAULTS.keys(), n=1, cutoff=0.6)
    return match[0] if match else None


def aliases() -> list[str]:
    return [str(name) for name in raw_settings()]


@sensitive_variables("options")
def get_alias(alias: str = DEFAULT_ALIAS) -> AliasConfig:
    """The configuration of ``alias``; raises ``ImproperlyConfigured`` when it is unknown or broken."""
    try:
        return _cache[alias]
    except KeyError:
        pass
    options = raw_settings().get(alias)
    if not isinstance(options, Mapping):
        known = ", ".join(repr(a) for a in aliases()) or "none"
        raise ImproperlyConfigured(f"{SETTING_NAME} has no alias {alias!r} (configured: {known}).")
    unknown = [key for key in options if key not in DEFAULTS]
    if unknown:
        key = unknown[0]
        hint = suggest_key(str(key))
        did_you_mean = f" Did you mean {hint!r}?" if hint else ""
        raise ImproperlyConfigured(f"{SETTING_NAME}[{alias!r}] has an unknown key {key!r}.{did_you_mean}")
    missing = [key for key in REQUIRED if not options.get(key)]
    if missing:
        raise ImproperlyConfigured(f"{SETTING_NAME}[{alias!r}] needs {missing[0]!r}.")
    config = AliasConfig(alias=alias, **normalise(options))
    _cache[alias] = config
    return config


Reset = TypeVar("Reset", bound=Callable[[], None])


def resets_on(*names: str) -> Callable[[Reset], Reset]:
    """Run the decorated ``reset_caches`` whenever Django's ``setting_changed`` fires for one of these settings
    (``override_settings``): what a process keeps is forgotten with the settings it came from."""

    def decorate(reset: Reset) -> Reset:
        def reset_if_named(*, setting: str, **kwargs: Any) -> None:
            if setting in names:
                reset()

        setting_changed.connect(reset_if_named, weak=False, dispatch_uid=f"{reset.__module__}.{reset.__qualname__}")
        return reset

    return decorate


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: Any) -> None:
    # Each module clears its own caches on this signal (discovery, jwks, ...): nothing else is imported here.
    if setting == SETTING_NAME:
        _cache.clear()
