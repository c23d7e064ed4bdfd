"""Run a certified OpenID Provider (panva's oidc-provider) on loopback for tests.

The OP is laid out like PingOne: its issuer is ``http://127.0.0.1:PORT/{envID}/as``
and its endpoints are ``{issuer}/authorize``, ``/token``, ``/jwks``, ``/userinfo``,
``/signoff`` and ``/par``. See ``tests/oidc_provider/server.mjs``.

Use the session fixture ``oidc_op`` (register this module as a pytest plugin:
``pytest_plugins = ["tests.doubles.op_server"]``), or start an instance of your own with
:func:`start_oidc_provider` when you need other redirect URIs.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from django_pingone_authorize.layout import PingOneLayout

NODE_PROJECT = Path(__file__).resolve().parents[1] / "oidc_provider"
SERVER_SCRIPT = NODE_PROJECT / "server.mjs"

DEFAULT_ENV_ID = "abbaf00d-0000-4000-8000-000000000001"
CALLBACK_PATH = "/pingone/callback/"
#: Loopback ports that live-server fixtures may use; the session OP accepts
#: redirect URIs on all of them.
LOOPBACK_PORTS: tuple[int, ...] = (8000, *range(18000, 18010))
CLIENT_KEY_ID = "test-client-key"
STARTUP_TIMEOUT = 15.0

#: Test users at the OP: username -> (password, sub).
USERS: dict[str, tuple[str, str]] = {
    "alice": ("alice-pw", "alice-sub"),
    "bob": ("bob-pw", "bob-sub"),
}

MISSING_NODE_MODULES = (
    "The test OpenID Provider is not installed: tests/oidc_provider/node_modules is "
    "missing. Run `make test` (it runs `npm ci --prefix tests/oidc_provider`) "
    "instead of calling pytest directly, or run that npm command once."
)


class OidcProviderUnavailable(RuntimeError):
    """The OP cannot be started (Node.js or its npm packages are missing)."""


def default_redirect_uris() -> list[str]:
    """Callback URIs for the Django test client and live servers on LOOPBACK_PORTS."""
    uris = [f"http://testserver{CALLBACK_PATH}"]
    for port in LOOPBACK_PORTS:
        uris.append(f"http://127.0.0.1:{port}{CALLBACK_PATH}")
        uris.append(f"http://localhost:{port}{CALLBACK_PATH}")
    return uris


def default_post_logout_redirect_uris() -> list[str]:
    uris = ["http://testserver/"]
    for port in LOOPBACK_PORTS:
        uris.append(f"http://127.0.0.1:{port}/")
        uris.append(f"http://localhost:{port}/")
    return uris


@lru_cache(maxsize=1)
def _client_key_pem() -> str:
    """One RSA key per test process for pkjwt-client and ro-client."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _public_jwk(private_key_pem: str, kid: str) -> dict[str, Any]:
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    jwk: dict[str, Any] = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update(kid=kid, alg="RS256", use="sig")
    return jwk


class OidcProvider:
    """One oidc-provider process, PingOne-shaped.

    After :meth:`start`:

    * ``issuer`` -- ``http://127.0.0.1:PORT/{env_id}/as``
    * ``auth_path`` -- ``http://127.0.0.1:PORT`` (PingOne's "auth path" setting)
    * ``env_id``, ``port``
    * ``clients`` -- client_id -> {client_id, client_secret (None if none),
      token_endpoint_auth_method, id_token_signed_response_alg, and for
      pkjwt-client / ro-client: private_key_pem, kid}
    """

    def __init__(
        self,
        redirect_uris: Iterable[str],
        post_logout_redirect_uris: Iterable[str],
        *,
        env_id: str = DEFAULT_ENV_ID,
        port: int = 0,
        require_pkce: bool = True,
        secure_cookies: bool = False,
        host: str = "127.0.0.1",
    ) -> None:
        self.redirect_uris = list(redirect_uris)
        self.post_logout_redirect_uris = list(post_logout_redirect_uris)
        self.env_id = env_id
        self.port = port
        self.require_pkce = require_pkce
        self.secure_cookies = secure_cookies
        self.host = host  # the host in the issuer URL; the OP always listens on 127.0.0.1
        self.client_private_key_pem = _client_key_pem()
        self.client_public_jwk = _public_jwk(self.client_private_key_pem, CLIENT_KEY_ID)
        self.issuer = ""
        self.auth_path = ""
        self.clients: dict[str, dict[str, Any]] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    # -- endpoints (PingOne's layout) -----------------------------------------
    @property
    def layout(self) -> PingOneLayout:
        return PingOneLayout(self.auth_path, self.env_id)

    @property
    def discovery_url(self) -> str:
        return self.layout.discovery_url

    @property
    def authorization_endpoint(self) -> str:
        return self.layout.authorization_endpoint

    @property
    def token_endpoint(self) -> str:
        return self.layout.token_endpoint

    @property
    def jwks_uri(self) -> str:
        return self.layout.jwks_uri

    @property
    def userinfo_endpoint(self) -> str:
        return self.layout.userinfo_endpoint

    @property
    def end_session_endpoint(self) -> str:
        return self.layout.end_session_endpoint

    @property
    def par_endpoint(self) -> str:
        return self.layout.pushed_authorization_request_endpoint

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # -- life cycle ----------------------------------------------------------
    def start(self) -> OidcProvider:
        if self._process is not None:
            raise RuntimeError("OidcProvider already started")
        node = shutil.which("node")
        if node is None:
            raise OidcProviderUnavailable("Node.js (`node`) is not on PATH; the test OpenID Provider needs it.")
        if not (NODE_PROJECT / "node_modules" / "oidc-provider").is_dir():
            raise OidcProviderUnavailable(MISSING_NODE_MODULES)

        config = {
            "port": self.port,
            "host": self.host,
            "listen_host": "127.0.0.1",
            "env_id": self.env_id,
            "redirect_uris": self.redirect_uris,
            "post_logout_redirect_uris": self.post_logout_redirect_uris,
            "client_public_jwk": self.client_public_jwk,
            "require_pkce": self.require_pkce,
            "secure_cookies": self.secure_cookies,
            "exit_with_stdin": True,
        }
        env = dict(os.environ)
        env.pop("NODE_OPTIONS", None)
        env["NODE_NO_WARNINGS"] = "1"
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives until stop()
        self._process = subprocess.Popen(
            [node, str(SERVER_SCRIPT), json.dumps(config)],
            cwd=NODE_PROJECT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
        )
        try:
            ready = self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.issuer = ready["issuer"]
        self.port = ready["port"]
        self.auth_path = ready["auth_path"]
        self.clients = ready["clients"]
        if self.issuer != self.layout.issuer:
            self.stop()
            raise RuntimeError(f"the test OP's issuer {self.issuer} is not PingOne's layout ({self.layout.issuer})")
        for client_id in ("pkjwt-client", "ro-client"):
            if client_id in self.clients:
                self.clients[client_id]["private_key_pem"] = self.client_private_key_pem
                self.clients[client_id]["kid"] = CLIENT_KEY_ID
        return self

    def _wait_ready(self) -> dict[str, Any]:
        assert self._process is not None and self._process.stdout is not None
        stdout = self._process.stdout
        deadline = time.monotonic() + STARTUP_TIMEOUT
        buffer = b""
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f"test OpenID Provider did not start in {STARTUP_TIMEOUT:.0f}s{self._stderr_tail()}")
            readable, _, _ = select.select([stdout], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(stdout.fileno(), 65536)
            if not chunk:
                self._process.wait(timeout=5)
                raise RuntimeError(
                    "test OpenID Provider exited during start-up "
                    f"(exit code {self._process.returncode}){self._stderr_tail()}"
                )
            buffer += chunk
        line = buffer.split(b"\n", 1)[0].decode()
        if not line.startswith("READY "):
            raise RuntimeError(f"unexpected output from the test OP: {line!r}")
        ready: dict[str, Any] = json.loads(line[len("READY ") :])
        return ready

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        text = self._stderr.read().decode(errors="replace").strip()
        return f"\n--- OP stderr ---\n{text[-4000:]}" if text else ""

    def stderr_output(self) -> str:
        """What the OP wrote to stderr so far (errors only)."""
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    pipe.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> OidcProvider:
        return self if self.running else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<OidcProvider issuer={self.issuer or '(not started)'}>"


def start_oidc_provider(
    redirect_uris: Iterable[str],
    post_logout_redirect_uris: Iterable[str],
    **options: Any,
) -> OidcProvider:
    """Start an OP registering these URIs for every client; call ``.stop()`` after.

    ``options`` go to :class:`OidcProvider` (env_id, port, require_pkce,
    secure_cookies, host -- e.g. ``host="localhost"`` to put the OP on another
    site than a relying party on 127.0.0.1).
    """
    return OidcProvider(redirect_uris, post_logout_redirect_uris, **options).start()


@pytest.fixture(scope="session")
def oidc_op() -> Iterator[OidcProvider]:
    """The session's OP: testserver and LOOPBACK_PORTS callbacks registered."""
    try:
        op = start_oidc_provider(default_redirect_uris(), default_post_logout_redirect_uris())
    except OidcProviderUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield op
    finally:
        op.stop()
