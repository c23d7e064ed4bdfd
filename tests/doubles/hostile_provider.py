"""A hostile OpenID Provider for the attack and certification tests.

``HostileProvider`` is a real HTTP server (``http.server.ThreadingHTTPServer`` in a thread, 127.0.0.1, a
free port) laid out like PingOne: issuer ``http://127.0.0.1:PORT/{envID}/as`` with discovery, ``/jwks``,
``/token``, ``/userinfo``, ``/signoff`` and ``/authorize`` under it.

By default it is a strict, correct OP: ``authorize()`` (called in-process with the URL the app redirected
to) issues a single-use code bound to the redirect URI, the PKCE S256 challenge and the nonce; ``/token``
checks the client's credentials, the redirect URI and the ``code_verifier``, and answers an RS256 ID token
signed with its own key. Then the knobs make it misbehave:

* ``id_token_claims`` / ``id_token_header``: overrides merged into the ID token (``DROP`` removes a claim);
  ``sign_alg`` / ``sign_key``: what really signs it (the header may say otherwise);
* ``token_overrides``: merged into the token endpoint's JSON; ``userinfo_overrides``, ``discovery_overrides``
  likewise; ``keys`` / ``active_key``: the published JWKS and the key that signs;
* ``answer_acr``: answer ``acr`` = the first ``acr_values`` asked (on by default, as PingOne does);
* ``replies[name]``: a ``Reply`` (or a callable taking the ``Call`` and returning one) that replaces an
  endpoint's answer entirely (``"discovery"``, ``"jwks"``, ``"token"``, ``"userinfo"``, ``"signoff"``).

Every request the app makes is counted in ``hits``. The fixtures ``hostile_server`` (session) and
``hostile`` (per test: state reset, caches cleared, the ``default`` alias pointed at the server) are
registered through ``tests/conftest.py``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.cache import caches
from django.http import HttpResponse
from django.test import Client
from jwt.algorithms import ECAlgorithm, RSAAlgorithm, get_default_algorithms

from django_pingone_authorize.errors import PROVIDER_DOWN_STATUS
from django_pingone_authorize.layout import PingOneLayout
from django_pingone_authorize.provider import discovery
from django_pingone_authorize.provider import signing_keys as jwks

ENV_ID = "0d5e3c1a-7a41-4e43-9c55-3f0c5b3c7e11"
CLIENT_ID = "hostile-tests-client"
# Long enough for HS256/384/512 without PyJWT's short-key warning (the suite turns warnings into errors).
CLIENT_SECRET = "hostile-tests-client-secret-0123456789abcdefghijklmnopqrstuvwxyz"
SUBJECT = "c3f1a2b4-user-0001"
CALLBACK = "/pingone/callback/"
LOGIN = "/pingone/login/"


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP: Any = _Drop()
"""Use as a value in an override mapping to remove that member."""


def merged(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for name, value in overrides.items():
        if value is DROP:
            result.pop(name, None)
        else:
            result[name] = value
    return result


# -- JOSE helpers ---------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def json_segment(value: Any) -> str:
    if isinstance(value, (bytes, str)):
        raw = value.encode() if isinstance(value, str) else value
    else:
        raw = json.dumps(value, separators=(",", ":")).encode()
    return b64url(raw)


def sign_jws(header: Any, payload: Any, *, alg: str, key: Any) -> str:
    """A compact JWS with exactly this header and payload (dicts, or raw str/bytes), signed with ``alg``.

    ``alg`` is what really signs it, whatever the header says; ``"none"`` leaves the signature empty.
    HS* signs with ``key`` as raw bytes (so a PEM public key works as an HMAC secret: algorithm confusion).
    """
    signing_input = f"{json_segment(header)}.{json_segment(payload)}"
    if alg == "none":
        return f"{signing_input}."
    algorithm = get_default_algorithms()[alg]
    if alg.startswith("HS"):
        secret = key.encode() if isinstance(key, str) else key
        signature = algorithm.sign(signing_input.encode(), secret)
    else:
        signature = algorithm.sign(signing_input.encode(), key)
    return f"{signing_input}.{b64url(signature)}"


def left_hash(value: str, alg: str = "RS256") -> str:
    """``at_hash``: left half of the SHA-2 digest matching ``alg``'s size, base64url."""
    hash_function = {"384": hashlib.sha384, "512": hashlib.sha512}.get(alg[-3:], hashlib.sha256)
    digest = hash_function(value.encode()).digest()
    return b64url(digest[: len(digest) // 2])


@dataclass
class SigningKey:
    kid: str | None
    private: Any
    alg: str = "RS256"
    publish_alg: bool = True

    @property
    def public(self) -> Any:
        return self.private.public_key()

    def jwk(self) -> dict[str, Any]:
        if isinstance(self.private, rsa.RSAPrivateKey):
            data = RSAAlgorithm.to_jwk(self.public, as_dict=True)
        else:
            data = ECAlgorithm.to_jwk(self.public, as_dict=True)
        data["use"] = "sig"
        if self.kid is not None:
            data["kid"] = self.kid
        if self.publish_alg:
            data["alg"] = self.alg
        return data

    def public_pem(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@cache
def _rsa_private(index: int) -> rsa.RSAPrivateKey:
    """RSA keys are slow to make: a few per test session, shared."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def _ec_private(index: int) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def rsa_key(index: int = 0, kid: str | None = "__auto__", alg: str = "RS256", publish_alg: bool = True) -> SigningKey:
    return SigningKey(f"rsa-{index}" if kid == "__auto__" else kid, _rsa_private(index), alg, publish_alg)


def ec_key(index: int = 0, kid: str | None = "__auto__", alg: str = "ES256") -> SigningKey:
    return SigningKey(f"ec-{index}" if kid == "__auto__" else kid, _ec_private(index), alg)


# -- the server ----------------------------------------------------------------------------------


@dataclass
class Reply:
    """One HTTP answer. ``body``: dict/list/other JSON values are serialised, str/bytes sent as they are."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    delay: float = 0.0
    # Misbehaving transports: close without answering, or announce the whole body and send half of it.
    hang_up: bool = False
    truncate: bool = False

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, self.content_type or "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode(), self.content_type or "text/plain; charset=utf-8"
        if self.body is None:
            return b"", self.content_type or "application/json"
        return json.dumps(self.body).encode(), self.content_type or "application/json"


@dataclass
class Call:
    """A request the app made to the provider."""

    method: str
    path: str
    endpoint: str | None
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    headers: dict[str, str]
    grant: Grant | None = None

    def one(self, name: str) -> str | None:
        values = self.form.get(name)
        return values[0] if values and len(values) == 1 else None


@dataclass
class Grant:
    """What the OP remembers of one authorization request (and its code)."""

    code: str
    client_id: str
    redirect_uri: str
    state: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    scope: str
    max_age: int | None
    params: dict[str, str]
    sub: str = SUBJECT
    used: bool = False
    access_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    id_token: str | None = None
    # The app's PKCE verifier for this sign-on (read from its session, to check it never leaks).
    code_verifier: str | None = None

    def sensitive(self) -> tuple[str | None, ...]:
        """Values that must never appear in a log."""
        return (self.code, self.access_token, self.id_token, self.code_verifier)

    def callback_params(self, issuer: str) -> dict[str, str]:
        return {"code": self.code, "state": self.state, "iss": issuer}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    hostile: HostileProvider

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up on a slow or huge answer is expected here


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no delayed-ACK stalls

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True) if raw else {}
        call = Call(
            method=method,
            path=parts.path,
            endpoint=None,
            query=parse_qs(parts.query, keep_blank_values=True),
            form=form,
            headers={k.lower(): v for k, v in self.headers.items()},
        )
        try:
            reply = self.server.hostile.handle(call)
        except Exception as exc:  # a bug in the fixture itself: fail the test that hit it
            self.server.hostile.errors.append(f"{method} {parts.path}: {exc!r}")
            reply = Reply(599, {"error": "fixture_error"})
        if reply.delay:
            time.sleep(reply.delay)
        if reply.hang_up:
            self.close_connection = True
            return
        body, content_type = reply.encoded()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if reply.truncate else body)
        except (BrokenPipeError, ConnectionResetError):
            pass


def endpoint_paths(env_id: str) -> dict[str, str]:
    """Path -> endpoint name, from PingOne's layout (a layout without a host gives paths)."""
    paths = PingOneLayout("", env_id)
    return {
        paths.discovery_url: "discovery",
        paths.jwks_uri: "jwks",
        paths.token_endpoint: "token",
        paths.userinfo_endpoint: "userinfo",
        paths.end_session_endpoint: "signoff",
        paths.authorization_endpoint: "authorize",
        paths.resume_endpoint: "resume",
    }


def flows_path(env_id: str) -> re.Pattern[str]:
    """PingOne's flows API sits beside the issuer: {authPath}/{envID}/flows/{flowId} (endpoint "flows")."""
    return re.compile(re.escape(PingOneLayout("", env_id).flows_base) + r"/[^/?]+")


class HostileProvider:
    env_id = ENV_ID
    client_id = CLIENT_ID
    client_secret = CLIENT_SECRET

    def __init__(self) -> None:
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.settings: Any = None
        self.reset()

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> HostileProvider:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.hostile = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="hostile-op", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def reset(self) -> None:
        """Back to a correct OP with no history (every test starts here)."""
        with self._lock:
            self.hits: list[Call] = []
            self.grants: dict[str, Grant] = {}
            self.errors: list[str] = []
        self.keys: list[SigningKey] = [rsa_key(0)]
        self.active_key: SigningKey = self.keys[0]
        self.sign_alg: str | None = None
        self.sign_key: Any = None
        self.id_token_claims: dict[str, Any] = {}
        self.id_token_header: dict[str, Any] = {}
        self.token_overrides: dict[str, Any] = {}
        self.userinfo_overrides: dict[str, Any] = {}
        self.discovery_overrides: dict[str, Any] = {}
        self.iss_parameter_supported = True
        self.replies: dict[str, Reply | Callable[[Call], Reply]] = {}
        self.check_pkce = True
        self.single_use_codes = True
        # Answer ``acr`` = the first policy the authorize request asked for (as PingOne does).
        self.answer_acr = True

    # -- addresses -------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._server is not None, "the hostile provider is not running"
        return int(self._server.server_address[1])

    @property
    def auth_path(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def layout(self) -> PingOneLayout:
        return PingOneLayout(self.auth_path, self.env_id)

    @property
    def issuer(self) -> str:
        return self.layout.issuer

    def alias(self, **options: Any) -> dict[str, Any]:
        """A ``PINGONE_AUTHORIZE`` alias for this provider, with ``options`` on top."""
        return {
            "AUTH_PATH": self.auth_path,
            "ENV_ID": self.env_id,
            "CLIENT_ID": self.client_id,
            "CLIENT_SECRET": self.client_secret,
            "TIMEOUT": 5.0,
            "CHANNEL_LOGOUT": True,  # a generic OpenID provider, which may call front- and back-channel logout
            **options,
        }

    def configure(self, **options: Any) -> None:
        """Point the ``default`` alias at this provider (through pytest-django's ``settings``)."""
        assert self.settings is not None
        self.settings.PINGONE_AUTHORIZE = {"default": self.alias(**options)}

    # -- counting --------------------------------------------------------------------------------

    def count(self, endpoint: str | None = None) -> int:
        with self._lock:
            return sum(1 for call in self.hits if endpoint is None or call.endpoint == endpoint)

    def endpoints_hit(self) -> list[str]:
        with self._lock:
            return [f"{call.method} {call.endpoint or call.path}" for call in self.hits]

    # -- the OP's front channel (in-process: the browser's part) ---------------------------------

    def authorize(self, location: str, *, sub: str = SUBJECT) -> Grant:
        """Accept the authorize request the app redirected to and issue a code."""
        parts = urlsplit(location)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == self.layout.authorization_endpoint, location
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        assert query.get("response_type") == "code"
        max_age = query.get("max_age")
        grant = Grant(
            code=secrets.token_urlsafe(24),
            client_id=query["client_id"],
            redirect_uri=query["redirect_uri"],
            state=query["state"],
            nonce=query.get("nonce"),
            code_challenge=query.get("code_challenge"),
            code_challenge_method=query.get("code_challenge_method"),
            scope=query.get("scope", ""),
            max_age=int(max_age) if max_age is not None else None,
            params=query,
            sub=sub,
        )
        with self._lock:
            self.grants[grant.code] = grant
        return grant

    # -- tokens ----------------------------------------------------------------------------------

    def claims_for(self, grant: Grant | None, access_token: str | None = None) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": grant.sub if grant else SUBJECT,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 3600,
            "auth_time": now - 5,
            "email": "alice@example.com",
            "email_verified": True,
            "preferred_username": "alice",
        }
        if grant is not None and grant.nonce is not None:
            claims["nonce"] = grant.nonce
        if grant is not None and self.answer_acr and grant.params.get("acr_values"):
            claims["acr"] = grant.params["acr_values"].split()[0]
        if access_token is not None:
            claims["at_hash"] = left_hash(access_token, self.sign_alg or self.active_key.alg)
        return merged(claims, self.id_token_claims)

    def mint(
        self,
        grant: Grant | None,
        access_token: str | None = None,
        *,
        claims: Mapping[str, Any] | None = None,
        header: Mapping[str, Any] | None = None,
        alg: str | None = None,
        key: Any = None,
    ) -> str:
        """An ID token as the knobs say (``claims``/``header`` replace the knob's overrides when given)."""
        signing = self.active_key
        sign_alg = alg or self.sign_alg or signing.alg
        base_header: dict[str, Any] = {"alg": sign_alg, "typ": "JWT"}
        if signing.kid is not None:
            base_header["kid"] = signing.kid
        the_header = merged(base_header, self.id_token_header if header is None else header)
        the_claims = self.claims_for(grant, access_token) if claims is None else dict(claims)
        if key is None:
            key = self.sign_key
        if key is None:
            key = self.client_secret if sign_alg.startswith("HS") else signing.private
        return sign_jws(the_header, the_claims, alg=sign_alg, key=key)

    def good_token_body(self, grant: Grant | None) -> dict[str, Any]:
        access_token = grant.access_token if grant else secrets.token_urlsafe(32)
        id_token = self.mint(grant, access_token)
        if grant is not None:
            grant.id_token = id_token
        body = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": grant.scope if grant else "openid",
            "id_token": id_token,
        }
        return merged(body, self.token_overrides)

    # -- request handling ------------------------------------------------------------------------

    def handle(self, call: Call) -> Reply:
        endpoint = endpoint_paths(self.env_id).get(call.path)
        if endpoint is None and flows_path(self.env_id).fullmatch(call.path):
            endpoint = "flows"
        call.endpoint = endpoint
        code = call.one("code")
        with self._lock:
            self.hits.append(call)
            call.grant = self.grants.get(code) if code else None
        if endpoint is None:
            return Reply(404, {"error": "not_found"})
        scripted = self.replies.get(endpoint)
        if scripted is not None:
            return scripted(call) if callable(scripted) else scripted
        handler = getattr(self, f"_{endpoint}")
        reply: Reply = handler(call)
        return reply

    def discovery_document(self) -> dict[str, Any]:
        layout = self.layout
        document = {
            "issuer": layout.issuer,
            "authorization_endpoint": layout.authorization_endpoint,
            "token_endpoint": layout.token_endpoint,
            "jwks_uri": layout.jwks_uri,
            "userinfo_endpoint": layout.userinfo_endpoint,
            "end_session_endpoint": layout.end_session_endpoint,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "form_post"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "profile", "email"],
            "authorization_response_iss_parameter_supported": self.iss_parameter_supported,
        }
        return merged(document, self.discovery_overrides)

    def _discovery(self, call: Call) -> Reply:
        return Reply(body=self.discovery_document())

    def _jwks(self, call: Call) -> Reply:
        return Reply(body={"keys": [key.jwk() for key in self.keys]})

    def _client_ok(self, call: Call) -> bool:
        authorization = call.headers.get("authorization", "")
        if authorization.startswith("Basic "):
            try:
                raw = base64.b64decode(authorization[6:], validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return False
            client_id, _, secret = raw.partition(":")
            return unquote_plus(client_id) == self.client_id and unquote_plus(secret) == self.client_secret
        return call.one("client_id") == self.client_id and call.one("client_secret") == self.client_secret

    def token_error(self, call: Call) -> str | None:
        """Why a strict OP refuses this token request (None: it does not)."""
        if not self._client_ok(call):
            return "invalid_client"
        if call.one("grant_type") != "authorization_code":
            return "unsupported_grant_type"
        grant = call.grant
        if grant is None or grant.client_id != self.client_id:
            return "invalid_grant"
        if self.single_use_codes and grant.used:
            return "invalid_grant"
        if call.one("redirect_uri") != grant.redirect_uri:
            return "invalid_grant"
        if self.check_pkce:
            verifier = call.one("code_verifier") or ""
            challenge = b64url(hashlib.sha256(verifier.encode()).digest())
            if (
                grant.code_challenge_method != "S256"
                or not re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", verifier)
                or challenge != grant.code_challenge
            ):
                return "invalid_grant"
        return None

    def _token(self, call: Call) -> Reply:
        if call.method != "POST":
            return Reply(405, {"error": "invalid_request"})
        error = self.token_error(call)
        if error is not None:
            if call.grant is not None:
                call.grant.used = True  # RFC 6749 §4.1.2: a misused code is burnt
            return Reply(401 if error == "invalid_client" else 400, {"error": error})
        assert call.grant is not None
        call.grant.used = True
        return Reply(body=self.good_token_body(call.grant))

    def _userinfo(self, call: Call) -> Reply:
        authorization = call.headers.get("authorization", "")
        with self._lock:
            grant = next((g for g in self.grants.values() if authorization == f"Bearer {g.access_token}"), None)
        if grant is None:
            return Reply(401, {"error": "invalid_token"}, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        body = {"sub": grant.sub, "email": "alice@example.com", "email_verified": True, "given_name": "Alice"}
        return Reply(body=merged(body, self.userinfo_overrides))

    def _signoff(self, call: Call) -> Reply:
        return Reply(body="signed off", content_type="text/html")

    def _resume(self, call: Call) -> Reply:  # pi.flow only: scripted through ``replies["resume"]``
        return Reply(404, {"code": "NOT_FOUND", "message": "The requested resource was not found."})

    def _flows(self, call: Call) -> Reply:  # pi.flow only: scripted through ``replies["flows"]``
        return Reply(404, {"code": "NOT_FOUND", "message": "The requested resource was not found."})

    def _authorize(self, call: Call) -> Reply:
        query = urlencode({k: v[0] for k, v in call.query.items()})
        grant = self.authorize(f"{self.layout.authorization_endpoint}?{query}")
        target = f"{grant.redirect_uri}?{urlencode(grant.callback_params(self.issuer))}"
        return Reply(302, headers={"Location": target})

    # -- driving a sign-on through the app (Django test client) ----------------------------------

    def login(self, client: Client, query: Mapping[str, str] | None = None, *, sub: str = SUBJECT) -> Grant:
        """``GET /pingone/login/`` and the OP's authorize step: the grant (its code and the app's state)."""
        response = client.get(LOGIN, dict(query or {}))
        assert response.status_code == 302, (response.status_code, reason(response))
        grant = self.authorize(response["Location"], sub=sub)
        entry = client.session.get("_pingone_pending", {}).get(grant.state)
        grant.code_verifier = entry["code_verifier"] if isinstance(entry, dict) else None
        return grant

    def callback(
        self,
        client: Client,
        grant: Grant | None = None,
        *,
        method: str = "get",
        raw: str | None = None,
        **params: str | None,
    ) -> HttpResponse:
        """The browser's return to the callback: ``code``/``state``/``iss`` from ``grant``, then
        ``params`` on top (None removes one). ``raw`` sends that exact query string/body instead."""
        if raw is not None:
            if method == "get":
                return client.get(f"{CALLBACK}?{raw}")
            return client.post(CALLBACK, raw, content_type="application/x-www-form-urlencoded")
        values: dict[str, Any] = grant.callback_params(self.issuer) if grant else {}
        values = {k: v for k, v in {**values, **params}.items() if v is not None}
        if method == "get":
            return client.get(CALLBACK, values)
        return client.post(CALLBACK, values)

    def sign_on(self, client: Client, query: Mapping[str, str] | None = None, **params: str | None) -> HttpResponse:
        """A whole sign-on; returns the callback's response."""
        return self.callback(client, self.login(client, query), **params)


# -- assertions shared by the test modules --------------------------------------------------------

_REASON = re.compile(r"Reason: <code>([^<]*)</code>")


def reason(response: HttpResponse) -> str | None:
    match = _REASON.search(response.content.decode("utf-8", "replace"))
    return match.group(1) if match else None


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def assert_refused(
    response: HttpResponse, client: Client, expected_reason: str | None = None, *, status: int | None = None
) -> None:
    """A clear error page, and nobody signed on: a 4xx, or the 502/503 of a PingOne that cannot be reached."""
    if expected_reason in PROVIDER_DOWN_STATUS:
        assert response.status_code == PROVIDER_DOWN_STATUS[expected_reason], (response.status_code, reason(response))
    else:
        assert 400 <= response.status_code < 500, (response.status_code, reason(response))
    if status is not None:
        assert response.status_code == status, (response.status_code, reason(response))
    if expected_reason is not None:
        assert reason(response) == expected_reason, response.content.decode()[:2000]
    assert not logged_in(client)


def assert_signed_on(response: HttpResponse, client: Client, to: str = "/home/") -> None:
    assert response.status_code == 302, (response.status_code, reason(response))
    assert response["Location"] == to
    assert logged_in(client)


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        if record.exc_text:
            lines.append(record.exc_text)
    return "\n".join(lines)


def assert_logged_without_secrets(
    caplog: pytest.LogCaptureFixture, *secrets_: str | None, expect: str | None = None
) -> None:
    """A failure was logged (``expect`` appears, if given) and none of ``secrets_`` did."""
    text = log_text(caplog)
    warnings = [r for r in caplog.records if r.name.startswith("django_pingone_authorize") and r.levelno >= 30]
    assert warnings, "the failure was not logged"
    if expect is not None:
        assert expect in text, text
    for secret in (CLIENT_SECRET, *secrets_):
        if secret:
            assert secret not in text, f"a secret leaked into the log: {secret[:12]}..."


def expect_refused(
    hostile: HostileProvider,
    client: Client,
    caplog: pytest.LogCaptureFixture,
    expected_reason: str | None,
    *,
    query: Mapping[str, str] | None = None,
    status: int | None = None,
    **params: str | None,
) -> HttpResponse:
    """A whole sign-on that must end on the error page: 4xx, no login, logged without secrets."""
    grant = hostile.login(client, query)
    response = hostile.callback(client, grant, **params)
    assert_refused(response, client, expected_reason, status=status)
    assert_logged_without_secrets(caplog, *grant.sensitive(), expect=expected_reason)
    return response


def expect_signed_on(
    hostile: HostileProvider,
    client: Client,
    caplog: pytest.LogCaptureFixture | None = None,
    *,
    query: Mapping[str, str] | None = None,
    to: str = "/home/",
    **params: str | None,
) -> Grant:
    """A whole sign-on that must succeed (and log no secret)."""
    grant = hostile.login(client, query)
    response = hostile.callback(client, grant, **params)
    assert_signed_on(response, client, to)
    if caplog is not None:
        text = log_text(caplog)
        for secret in (CLIENT_SECRET, *grant.sensitive()):
            assert not secret or secret not in text
    return grant


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def hostile_server() -> Iterator[HostileProvider]:
    server = HostileProvider().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def hostile(
    hostile_server: HostileProvider, settings: Any, caplog: pytest.LogCaptureFixture
) -> Iterator[HostileProvider]:
    """The hostile provider, reset, with cold caches and the ``default`` alias pointed at it."""
    hostile_server.reset()
    for each in caches.all():
        each.clear()
    discovery.reset_caches()
    jwks.reset_caches()
    hostile_server.settings = settings
    hostile_server.configure()
    caplog.set_level(logging.DEBUG)
    yield hostile_server
    assert not hostile_server.errors, hostile_server.errors
