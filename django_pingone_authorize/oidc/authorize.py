"""The authorize request: fresh state, nonce and PKCE for each sign-on, the parameters PingOne documents,
optionally wrapped in a signed request object or pushed to ``/as/par`` first.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote_plus

import jwt
from django.utils.encoding import iri_to_uri
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import HMAC_ALGORITHMS, PER_REQUEST_PARAMS, PROMPT_VALUES, AliasConfig, policy_names
from django_pingone_authorize.errors import ProviderError, SignOnError
from django_pingone_authorize.provider import client_auth
from django_pingone_authorize.provider.discovery import ProviderMetadata
from django_pingone_authorize.provider.token_endpoint import post_authenticated

_JWT = re.compile(r"^[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*$")


def random_token() -> str:
    """256 bits from the OS CSPRNG, URL-safe (state, nonce)."""
    return secrets.token_urlsafe(32)


class AuthorizeInputs(Protocol):
    """What the authorize request is built from: a pending sign-on (``sign_on.pending.PendingSignOn``)."""

    @property
    def state(self) -> str: ...
    @property
    def nonce(self) -> str: ...
    @property
    def code_verifier(self) -> str: ...
    @property
    def redirect_uri(self) -> str: ...
    @property
    def prompt(self) -> str | None: ...
    @property
    def max_age(self) -> int | None: ...
    @property
    def acr_values(self) -> tuple[str, ...]: ...


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def code_challenge(verifier: str) -> str:
    """RFC 7636 S256: base64url(sha256(verifier)) without padding."""
    return _b64(hashlib.sha256(verifier.encode("ascii")).digest())


# The authorize parameters that say how strong and how fresh the authentication must be. The alias fixes
# them, a request may tighten them (never loosen), a step-up (the site's own code) may ask for more.
REQUIREMENT_PARAMS = ("prompt", "max_age", "acr_values")
# Parameters sent top-level even when a request object (or PAR) carries the rest too.
TOP_LEVEL_TOO = ("mobilePayload",)


@dataclass(frozen=True)
class SignOnRequirement:
    """What the site's own code asks of one sign-on (``sign_on/requirements.py``), trusted because it is signed by the
    site: its ``acr_values`` replace the alias's ``ACR_VALUES`` and need no ``ALLOWED_ACR_VALUES``; its
    ``max_age`` and ``prompt_login`` only ever tighten the alias's."""

    acr_values: tuple[str, ...] = ()
    max_age: int | None = None
    prompt_login: bool = False


@dataclass(frozen=True)
class Requested:
    """The merged ``prompt``, ``max_age`` and ``acr_values`` of one sign-on, as sent and as checked."""

    prompt: str | None
    max_age: int | None
    acr_values: tuple[str, ...]


_NO_REQUIREMENT = SignOnRequirement()


def _loosening(message: str | Promise) -> SignOnError:
    return SignOnError("bad_request_parameter", message)


# What an alias asks when neither the request nor a step-up asks anything: the same at every sign-on, so merged
# once per (PROMPT, MAX_AGE, ACR_VALUES). Few entries (one per alias and configuration), emptied past 64.
_ALIAS_ONLY: dict[tuple[object, ...], Requested] = {}


def requested(config: AliasConfig, extra: dict[str, str], site: SignOnRequirement | None = None) -> Requested:
    """Merge the alias's fixed values, a step-up's and the request's (``extra``, already validated).

    A request may only tighten: ``max_age`` no longer than the fixed one; ``prompt`` adds to the fixed
    values, never removes them (``none`` only where nothing else is asked); ``acr_values`` each in
    ``ALLOWED_ACR_VALUES`` and, when the alias (or a step-up) fixes policies, each among those. Anything
    else is refused (``SignOnError`` ``bad_request_parameter``, a 400), never silently dropped.
    """
    if site is None and not extra:
        key = (config.PROMPT, config.MAX_AGE, config.ACR_VALUES)
        try:
            found = _ALIAS_ONLY.get(key)
        except TypeError:  # an option of a type the checks refuse (pingone.E041-E043): merged each time
            return _merge(config, extra, _NO_REQUIREMENT)
        if found is None:
            found = _merge(config, extra, _NO_REQUIREMENT)
            if len(_ALIAS_ONLY) >= 64:
                _ALIAS_ONLY.clear()
            _ALIAS_ONLY[key] = found
        return found
    return _merge(config, extra, site or _NO_REQUIREMENT)


def _merge(config: AliasConfig, extra: dict[str, str], site: SignOnRequirement) -> Requested:
    limits = [value for value in (config.MAX_AGE, site.max_age) if value is not None]
    max_age = min(limits) if limits else None
    if extra.get("max_age"):
        asked_age = int(extra["max_age"])
        if max_age is not None and asked_age > max_age:
            raise _loosening(_("The sign-on parameter 'max_age' cannot be longer than the site's."))
        max_age = asked_age

    fixed_prompt = [*str(config.PROMPT or "").split(), *(["login"] if site.prompt_login else [])]
    prompt = list(dict.fromkeys([*fixed_prompt, *extra.get("prompt", "").split()]))
    if "none" in prompt and len(prompt) > 1:
        raise _loosening(_("The sign-on parameter 'prompt' conflicts with the site's."))

    base = site.acr_values or config.fixed_acr_values
    acr_values = base
    if extra.get("acr_values"):
        asked_acr = tuple(dict.fromkeys(extra["acr_values"].split()))
        if any(value not in config.ALLOWED_ACR_VALUES for value in asked_acr):
            raise _loosening(_("The sign-on parameter 'acr_values' names a sign-on policy this site does not allow."))
        if base and any(value not in base for value in asked_acr):
            raise _loosening(_("The sign-on parameter 'acr_values' cannot replace the site's sign-on policy."))
        acr_values = asked_acr
    return Requested(" ".join(prompt) or None, max_age, acr_values)


def new_secrets() -> tuple[str, str, str]:
    """A fresh sign-on's ``state``, ``nonce`` and PKCE ``code_verifier``."""
    # One read of the OS CSPRNG for all three: 256 bits of state, 256 of nonce, 512 of PKCE verifier
    # (86 characters, within RFC 7636's 43..128 from the unreserved set).
    raw = secrets.token_bytes(128)
    return _b64(raw[:32]), _b64(raw[32:64]), _b64(raw[64:])


def clean_request_params(config: AliasConfig, given: dict[str, str]) -> dict[str, str]:
    """Per-request authorize parameters: only allow-listed names, each value validated.

    Raises ``SignOnError`` for a value that is present but malformed; ignores names not allowed.
    """
    allowed = [name for name in PER_REQUEST_PARAMS if name in config.REQUEST_PARAMS]
    cleaned: dict[str, str] = {}
    for name in allowed:
        value = given.get(name)
        if value is None or value == "":
            continue
        value = value.strip()
        ok = False
        if name == "prompt":
            ok = all(part in PROMPT_VALUES for part in value.split()) and bool(value.split())
            ok = ok and not ("none" in value.split() and len(value.split()) > 1)
        elif name == "max_age":
            ok = value.isascii() and value.isdigit() and len(value) <= 9
        elif name == "acr_values":
            ok = len(value) <= 256 and bool(policy_names(value))
        elif name == "login_hint":
            ok = 0 < len(value) <= 256 and value.isprintable()
        elif name == "login_hint_token":
            ok = len(value) <= 4096 and bool(_JWT.match(value))
        if not ok:
            raise SignOnError(
                "bad_request_parameter", format_lazy(_("The sign-on parameter {name} is not valid."), name=repr(name))
            )
        cleaned[name] = value
    return cleaned


def authorize_params(config: AliasConfig, pending: AuthorizeInputs, extra: dict[str, str]) -> dict[str, str]:
    """Every parameter of the authorize request, before any request object or PAR."""
    params: dict[str, str] = {
        "response_type": "code",
        "client_id": config.CLIENT_ID,
        "redirect_uri": pending.redirect_uri,
        "scope": config.SCOPE,
        "state": pending.state,
        "nonce": pending.nonce,
        "code_challenge": code_challenge(pending.code_verifier),
        "code_challenge_method": "S256",
    }
    if config.response_mode:
        params["response_mode"] = config.response_mode
    # What was asked of the authentication comes from the pending sign-on (merged and checked there, and
    # checked again against the ID token): ``extra`` can neither loosen it nor replace the parameters above.
    if pending.prompt:
        params["prompt"] = pending.prompt
    if pending.max_age is not None:
        params["max_age"] = str(pending.max_age)
    if pending.acr_values:
        params["acr_values"] = " ".join(pending.acr_values)
    for name, value in extra.items():
        if name not in params and name not in REQUIREMENT_PARAMS:
            params[name] = value
    return params


# Signed with the client secret or the private key; PAR carries the client's credentials: every local of
# these (and of the outbound call below them) stays out of error reports.
@sensitive_variables()
def request_object(
    config: AliasConfig,
    metadata: ProviderMetadata,
    params: dict[str, str],
    *,
    extra_claims: Mapping[str, object] | None = None,
    algorithm: str | None = None,
) -> str:
    """A signed request object (``request``): ``iss`` = client_id, ``aud`` = the issuer. ``extra_claims`` are
    PingOne's own (``pi.remoteIp``, ``pi.template``...); ``algorithm`` overrides REQUEST_OBJECT_ALGORITHM."""
    algorithm = algorithm or config.REQUEST_OBJECT_ALGORITHM or "RS256"
    now = int(time.time())
    claims: dict[str, object] = {
        **(extra_claims or {}),
        **params,
        "iss": config.CLIENT_ID,
        "aud": metadata.issuer,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": random_token(),
    }
    if "max_age" in params:
        claims["max_age"] = int(params["max_age"])  # a number inside the JWT
    if algorithm in HMAC_ALGORITHMS:
        return jwt.encode(claims, config.CLIENT_SECRET, algorithm=algorithm)
    headers = {"kid": config.PRIVATE_KEY_ID} if config.PRIVATE_KEY_ID else None
    return jwt.encode(
        claims, client_auth.load_private_key(config.PRIVATE_KEY or ""), algorithm=algorithm, headers=headers
    )


@sensitive_variables()
def push(config: AliasConfig, metadata: ProviderMetadata, params: dict[str, str]) -> str:
    """RFC 9126: send the parameters to the PAR endpoint; returns the single-use ``request_uri``."""
    endpoint = metadata.pushed_authorization_request_endpoint
    if not endpoint:
        raise ProviderError(
            "par_unsupported", _("The identity provider does not accept pushed authorization requests.")
        )
    body = post_authenticated(
        config, endpoint, params, what="pushed authorization request", audience=metadata.issuer, expect=(200, 201)
    )
    request_uri = body.get("request_uri")
    if not isinstance(request_uri, str) or not request_uri or len(request_uri) > 2048:
        raise ProviderError("par_bad_response", _("The identity provider's answer to the pushed request was unusable."))
    return request_uri


@dataclass(frozen=True)
class AuthorizeRequest:
    """Where the browser goes and what it carries (as a query for GET, as form fields for POST)."""

    endpoint: str
    params: dict[str, str]

    @property
    def url(self) -> str:
        return f"{_endpoint_uri(self.endpoint)}?{query_string(self.params)}"


@functools.lru_cache(maxsize=16)
def _endpoint_uri(endpoint: str) -> str:
    return iri_to_uri(endpoint)


# What form-encoding leaves as it is (``quote_plus``'s always-safe characters): the state, nonce and PKCE
# challenge (base64url), the client ID, the parameter names and most fixed values.
_FORM_SAFE = re.compile(r"[A-Za-z0-9_.~-]*")

# Parameters whose values repeat from one sign-on to the next (the alias's, the callback URL per host, a
# validated requirement): each ``name=value`` is encoded once. The rest (state, nonce, challenge, hints) each time.
_REPEATING = frozenset(
    {"response_type", "client_id", "redirect_uri", "scope", "code_challenge_method", "response_mode"}
)


def _form_quote(text: str) -> str:
    return text if _FORM_SAFE.fullmatch(text) else quote_plus(text)


@functools.lru_cache(maxsize=128)
def _repeating_pair(name: str, value: str) -> str:
    return f"{name}={_form_quote(value)}"


def query_string(params: Mapping[str, str]) -> str:
    """The authorize query string (``application/x-www-form-urlencoded``), what ``urlencode`` gives, character
    for character; it skips quoting what needs none, most of the request (``tests/oidc/test_authorize_url.py``)."""
    return "&".join(
        _repeating_pair(name, value) if name in _REPEATING else f"{_form_quote(name)}={_form_quote(value)}"
        for name, value in params.items()
    )


def build(
    config: AliasConfig,
    metadata: ProviderMetadata,
    pending: AuthorizeInputs,
    extra: dict[str, str],
    *,
    remote_ip: str | None = None,
) -> AuthorizeRequest:
    """The complete authorize request for ``pending`` (pushes it first when ``USE_PAR`` is on). ``remote_ip``
    (an embedded sign-on's end user, ``client_ip.py``) goes into a signed request object as ``pi.remoteIp``:
    an embedded sign-on signs one by default (``embedded_request_algorithm``), since PingOne sees only this
    server's address otherwise."""
    params = authorize_params(config, pending, extra)
    embedded = config.response_mode == "pi.flow"
    algorithm = config.embedded_request_algorithm if embedded else config.REQUEST_OBJECT_ALGORITHM
    if algorithm:
        extra_claims = {"pi.remoteIp": remote_ip} if remote_ip else None
        # The signed object carries every parameter; the plain ones repeated outside must match it,
        # and OAuth requires response_type, client_id (and scope for OIDC) outside too.
        params = {
            "client_id": config.CLIENT_ID,
            "response_type": "code",
            "scope": config.SCOPE,
            "request": request_object(config, metadata, params, extra_claims=extra_claims, algorithm=algorithm),
        }
    if config.USE_PAR:
        params = {"client_id": config.CLIENT_ID, "request_uri": push(config, metadata, params)}
    # A native app's ``mobilePayload`` (PingOne's MFA SDK: the app itself as the user's device) goes top-level
    # as well: where PingOne reads it beside a request object is not documented (PINGONE.md).
    for name in TOP_LEVEL_TOO:
        if name in extra and name not in params:
            params[name] = extra[name]
    return AuthorizeRequest(metadata.authorization_endpoint, params)
