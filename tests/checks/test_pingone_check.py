"""``manage.py pingone_check``: asks the live environment, over real HTTP on loopback, whether it agrees with the
settings — against the PingOne stand-in, the certified OP, and a tiny provider of our own that can send a wrong
``Date`` header or symmetric-only keys."""

from __future__ import annotations

import email.utils
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from django_pingone_authorize.layout import PingOneLayout
from django_pingone_authorize.testing import PingOneStandIn
from tests.doubles.op_server import OidcProvider

ENV_ID = "5b0e1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
ROOT = Path(__file__).resolve().parents[2]


def run_check(*aliases: str) -> tuple[int, str]:
    """The command's exit status (0, or CommandError's returncode) and what it printed."""
    out = StringIO()
    try:
        call_command("pingone_check", *aliases, stdout=out, no_color=True)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def lines(output: str, level: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(level)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- a tiny provider: only discovery and a JWKS, with the Date header and the keys it is told ---------------


class TinyProvider:
    def __init__(self, keys: list[dict[str, Any]], clock_offset: float = 0.0, **document: Any) -> None:
        self.keys = keys
        self.clock_offset = clock_offset
        self.document = document
        tiny = self

        class Handler(BaseHTTPRequestHandler):
            def date_time_string(self, timestamp: float | None = None) -> str:
                return email.utils.formatdate(time.time() + tiny.clock_offset, usegmt=True)

            def do_GET(self) -> None:
                paths = PingOneLayout("", ENV_ID)  # no host: paths
                if self.path == paths.discovery_url:
                    body: Any = {
                        "issuer": tiny.layout.issuer,
                        "authorization_endpoint": tiny.layout.authorization_endpoint,
                        "token_endpoint": tiny.layout.token_endpoint,
                        "jwks_uri": tiny.layout.jwks_uri,
                        **tiny.document,
                    }
                elif self.path == paths.jwks_uri:
                    body = {"keys": tiny.keys}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.auth_path = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.layout = PingOneLayout(self.auth_path, ENV_ID)
        self.issuer = self.layout.issuer
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def settings(self, **options: Any) -> dict[str, Any]:
        return {"AUTH_PATH": self.auth_path, "ENV_ID": ENV_ID, "CLIENT_ID": "c", "CLIENT_SECRET": "s", **options}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tiny(pingone_standin: PingOneStandIn) -> Iterator[Any]:
    started: list[TinyProvider] = []

    def start(keys: list[dict[str, Any]] | None = None, **options: Any) -> TinyProvider:
        provider = TinyProvider(pingone_standin.jwks()["keys"] if keys is None else keys, **options)
        started.append(provider)
        return provider

    yield start
    for provider in started:
        provider.stop()


# -- the stand-in --------------------------------------------------------------------------------------------


def test_a_good_alias_passes_with_a_line_per_finding(settings: Any, pingone_standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings()}
    status, output = run_check()
    assert status == 0, output
    assert output.splitlines()[0] == "[default]"
    assert f"OK      discovery: {pingone_standin.discovery_url} is reachable" in output
    assert "OK      keys:" in output and "has a key for RS256" in output
    assert "OK      token endpoint auth: client_secret_basic is advertised" in output
    assert "OK      clock: within 60s" in output
    assert not lines(output, "ERROR") and not lines(output, "WARNING")
    assert "No problems found." in output


def test_every_feature_an_alias_uses_is_looked_for(settings: Any, pingone_standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE = {
        "embedded": pingone_standin.settings(RESPONSE_MODE="pi.flow"),
        "post": pingone_standin.settings(
            METHOD="POST", RESPONSE_MODE="form_post", USE_PAR=True, REQUEST_OBJECT_ALGORITHM="HS256"
        ),
    }
    status, output = run_check()
    assert status == 0, output
    assert "[embedded]" in output and "[post]" in output
    assert "OK      response mode: pi.flow is advertised" in output
    assert "OK      response mode: form_post is advertised" in output
    assert f"OK      PAR: pushed_authorization_request_endpoint is {pingone_standin.par_endpoint}" in output
    assert "OK      request object: HS256 is advertised" in output


def test_only_the_named_alias_is_checked(settings: Any, pingone_standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE = {
        "good": pingone_standin.settings(),
        "broken": pingone_standin.settings(ENV_ID=ENV_ID),
    }
    assert run_check("good")[0] == 0
    status, output = run_check("broken")
    assert status == 1 and "[good]" not in output


def test_a_wrong_environment_id_is_a_404_and_fails(settings: Any, pingone_standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(ENV_ID=ENV_ID)}
    status, output = run_check()
    assert status == 1
    assert lines(output, "ERROR") == [
        f"ERROR   discovery: {pingone_standin.auth_path}/{ENV_ID}/as/.well-known/openid-configuration"
        " answered HTTP 404 (check AUTH_PATH and ENV_ID)"
    ]
    assert output.rstrip().endswith("1 problem found.")


def test_an_issuer_other_than_the_settings_give_fails(settings: Any, pingone_standin: PingOneStandIn) -> None:
    # The same server, reached as "localhost": it names its issuer with 127.0.0.1, as a proxy or a pasted
    # custom domain would make PingOne name another issuer than the settings build.
    auth_path = pingone_standin.auth_path.replace("127.0.0.1", "localhost")
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(AUTH_PATH=auth_path)}
    status, output = run_check()
    assert status == 1
    [error] = lines(output, "ERROR")
    assert error == (
        f"ERROR   issuer: the provider says {pingone_standin.issuer!r}, the settings give "
        f"'{auth_path}/{pingone_standin.env_id}/as' (check AUTH_PATH and ENV_ID)"
    )


def test_an_unreachable_host_fails_quickly(settings: Any, pingone_standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(AUTH_PATH=f"http://127.0.0.1:{free_port()}")}
    started = time.monotonic()
    status, output = run_check()
    assert time.monotonic() - started < 5
    assert status == 1
    [error] = lines(output, "ERROR")
    assert error.startswith("ERROR   discovery: cannot reach http://127.0.0.1:") and "ConnectionError" in error


def test_an_unknown_alias_is_reported_not_raised(settings: Any, pingone_standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings()}
    status, output = run_check("staff")
    assert status == 1
    assert "ERROR   settings: PINGONE_AUTHORIZE has no alias 'staff'" in output


def test_features_the_provider_does_not_advertise_fail(settings: Any, tiny: Any) -> None:
    provider = tiny(
        token_endpoint_auth_methods_supported=["client_secret_basic"],
        response_modes_supported=["query"],
        request_object_signing_alg_values_supported=["RS256"],
    )
    settings.PINGONE_AUTHORIZE = {
        "default": provider.settings(
            TOKEN_ENDPOINT_AUTH_METHOD="client_secret_post",
            RESPONSE_MODE="form_post",
            USE_PAR=True,
            REQUEST_OBJECT_ALGORITHM="HS256",
        )
    }
    status, output = run_check()
    assert status == 1
    assert lines(output, "ERROR") == [
        "ERROR   token endpoint auth: client_secret_post is not advertised;"
        " token_endpoint_auth_methods_supported is ['client_secret_basic']",
        "ERROR   response mode: form_post is not advertised; response_modes_supported is ['query']",
        "ERROR   PAR: USE_PAR is on but no pushed_authorization_request_endpoint",
        "ERROR   request object: HS256 is not advertised; request_object_signing_alg_values_supported is ['RS256']",
    ]


def test_left_out_auth_methods_mean_client_secret_basic_only(settings: Any, tiny: Any) -> None:
    provider = tiny()
    settings.PINGONE_AUTHORIZE = {
        "basic": provider.settings(),
        "post": provider.settings(TOKEN_ENDPOINT_AUTH_METHOD="client_secret_post"),
    }
    assert run_check("basic")[0] == 0
    status, output = run_check("post")
    assert status == 1 and "client_secret_post is not advertised" in output


def test_symmetric_only_keys_leave_rs256_without_a_key(settings: Any, tiny: Any) -> None:
    provider = tiny(keys=[{"kty": "oct", "k": "c2VjcmV0", "kid": "hs", "alg": "HS256"}])
    settings.PINGONE_AUTHORIZE = {"default": provider.settings()}
    status, output = run_check()
    assert status == 1
    assert lines(output, "ERROR") == [f"ERROR   keys: {provider.layout.jwks_uri} has no RSA key for RS256"]
    assert lines(output, "WARNING") == [f"WARNING keys: {provider.layout.jwks_uri} publishes symmetric (oct) keys"]


def test_hs_id_tokens_need_no_published_key(settings: Any, tiny: Any) -> None:
    provider = tiny(keys=[])
    settings.PINGONE_AUTHORIZE = {"default": provider.settings(ID_TOKEN_ALGORITHMS=["HS256"])}
    status, output = run_check()
    assert status == 0, output
    assert "OK      keys: HS256 ID tokens are keyed with CLIENT_SECRET" in output


def test_no_accepted_algorithm_advertised_fails(settings: Any, tiny: Any) -> None:
    provider = tiny(id_token_signing_alg_values_supported=["ES256"])
    settings.PINGONE_AUTHORIZE = {"default": provider.settings()}
    status, output = run_check()
    assert status == 1
    assert "ERROR   ID token algorithms: ID_TOKEN_ALGORITHMS ['RS256'] has none of the advertised ['ES256']" in output


@pytest.mark.parametrize(("offset", "direction"), [(-300, "ahead of"), (300, "behind")])
def test_a_skewed_clock_past_leeway_is_a_problem(settings: Any, tiny: Any, offset: int, direction: str) -> None:
    provider = tiny(clock_offset=offset)
    settings.PINGONE_AUTHORIZE = {"default": provider.settings(), "lenient": provider.settings(LEEWAY=600)}
    status, output = run_check("default")
    assert status == 1
    [warning] = lines(output, "WARNING")
    match = re.match(r"WARNING clock: this machine is (\d+)s (ahead of|behind) the provider", warning)
    assert match and abs(int(match[1]) - 300) <= 2 and match[2] == direction, warning
    assert "past LEEWAY (60s)" in warning
    status, output = run_check("lenient")
    assert status == 0, output
    assert "OK      clock: within 600s of the provider's" in output


# -- the certified OP --------------------------------------------------------------------------------------


def op_alias(op: OidcProvider, client_id: str, **options: Any) -> dict[str, Any]:
    registered = op.clients[client_id]
    return {
        "AUTH_PATH": op.auth_path,
        "ENV_ID": op.env_id,
        "CLIENT_ID": client_id,
        "CLIENT_SECRET": registered.get("client_secret") or "",
        "TOKEN_ENDPOINT_AUTH_METHOD": registered["token_endpoint_auth_method"],
        **options,
    }


def test_the_certified_op_passes_for_every_auth_method(settings: Any, oidc_op: OidcProvider) -> None:
    clients = ["basic-client", "post-client", "jwt-client", "public-client"]
    settings.PINGONE_AUTHORIZE = {name: op_alias(oidc_op, name) for name in clients}
    settings.PINGONE_AUTHORIZE["par"] = op_alias(oidc_op, "par-client", USE_PAR=True, RESPONSE_MODE="form_post")
    status, output = run_check()
    assert status == 0, output
    for method in ["client_secret_basic", "client_secret_post", "client_secret_jwt", "none"]:
        assert f"OK      token endpoint auth: {method} is advertised" in output
    assert "OK      PAR: pushed_authorization_request_endpoint is" in output


def test_the_certified_op_has_no_pi_flow(settings: Any, oidc_op: OidcProvider) -> None:
    settings.PINGONE_AUTHORIZE = {"default": op_alias(oidc_op, "basic-client", RESPONSE_MODE="pi.flow")}
    status, output = run_check()
    assert status == 1
    [error] = lines(output, "ERROR")
    assert error.startswith("ERROR   response mode: pi.flow is not advertised; response_modes_supported is [")


def test_the_command_exits_non_zero_from_the_shell(tmp_path: Path, pingone_standin: PingOneStandIn) -> None:
    (tmp_path / "broken_settings.py").write_text(
        "from tests.settings import *\n"
        f"PINGONE_AUTHORIZE = {{'default': {pingone_standin.settings(ENV_ID=ENV_ID)!r}}}\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "django", "pingone_check", "--no-color", "--settings", "broken_settings"],
        cwd=ROOT,
        env={"PYTHONPATH": f"{tmp_path}:{ROOT}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "answered HTTP 404" in result.stdout
    assert "CommandError: 1 problem found." in result.stderr
