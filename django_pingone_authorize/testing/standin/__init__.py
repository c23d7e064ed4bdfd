"""The PingOne stand-in: a local OpenID Provider on loopback that answers with PingOne's URLs and formats.

Start one with ``PingOneStandIn().start()`` (or ``with PingOneStandIn() as standin:``), point the app at
``standin.settings()`` and sign on through its pages (``testing.driver``) or its flows API (pi.flow).
Everything lives in memory; ``reset()`` brings back the default applications, users and key.

One concern a module:

* ``environment`` -- what it keeps (applications, users, resources, providers, sessions, flows, codes, tokens,
  keys), the configuration API and its URLs (``PingOneLayout``);
* ``router`` -- ``PingOneStandIn``: paths and methods to handlers, errors to responses, start and stop;
* ``protocol`` -- the error answers and parameter reading every handler shares;
* ``sign_ons`` -- sessions, flows, codes, authorization responses (authorize, flows API and hosted pages
  share them);
* ``flow_steps`` -- the flows API's steps as PingOne documents them: each status's ``_links``, the sign-on
  policies (username + password, identifier-first, passwordless, verification code, MFA with the user's devices),
  one-time code lockout;
* ``passkeys`` and ``passkey_registration`` -- users' FIDO2 credentials, ``ASSERTION_REQUIRED`` and
  ``assertion.check`` verified with py_webauthn, and a page that registers a passkey in the browser;
* ``self_service`` -- a forgotten password and registration (``password.forgot``, ``RECOVERY_CODE_REQUIRED``,
  ``user.register``), their codes (``last_code``, the mailbox page) and PingOne's limit on wrong codes;
* ``client_auth`` -- client authentication at the back-channel endpoints;
* ``devices`` and ``transaction_approval`` -- users' MFA devices, the phone page of a push device, and flows
  started with a ``login_hint_token`` (straight to the MFA steps, ``pi.template``, ``pi.remoteIp``);
* handlers: ``discovery`` (+ JWKS), ``authorize`` (+ request objects, PAR), ``flows_api`` (+ resume),
  ``hosted_pages`` (sign-on and external provider pages), ``token``, ``userinfo``, ``signoff``,
  ``introspection`` (+ revocation).
"""

from __future__ import annotations

from ..flows import ACTIONS as FLOW_ACTIONS
from .authorize import PROMPTS, REQUEST_OBJECT_REGISTERED_CLAIMS, AuthorizationProblem
from .client_auth import ASSERTION_MAX_LIFETIME, CLIENT_AUTH_PARAMS, JWT_BEARER
from .discovery import CLAIMS_SUPPORTED, SCOPES_SUPPORTED
from .environment import DEFAULT_ENV_ID, DEMO_PROVIDER_ID, DEMO_SUB, REDIRECT_URI_MISMATCH, Environment, Resource
from .protocol import LEEWAY, PKCE_VALUE, ErrorPage, OAuthError
from .router import PingOneStandIn
from .sign_ons import RESPONSE_MODES, SESSION_COOKIE, Delivery

__all__ = [
    "ASSERTION_MAX_LIFETIME",
    "CLAIMS_SUPPORTED",
    "CLIENT_AUTH_PARAMS",
    "DEFAULT_ENV_ID",
    "DEMO_PROVIDER_ID",
    "DEMO_SUB",
    "FLOW_ACTIONS",
    "JWT_BEARER",
    "LEEWAY",
    "PKCE_VALUE",
    "PROMPTS",
    "REDIRECT_URI_MISMATCH",
    "REQUEST_OBJECT_REGISTERED_CLAIMS",
    "RESPONSE_MODES",
    "SCOPES_SUPPORTED",
    "SESSION_COOKIE",
    "AuthorizationProblem",
    "Delivery",
    "Environment",
    "ErrorPage",
    "OAuthError",
    "PingOneStandIn",
    "Resource",
]
