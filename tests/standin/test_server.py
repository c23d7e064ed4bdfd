"""The stand-in as a server: what it received, its settings, configuration mistakes refused, standalone
run, restart and SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
import requests

from django_pingone_authorize.layout import PingOneLayout
from django_pingone_authorize.testing import DEFAULT_ENV_ID, PingOneStandIn

# -- The rest of the API ------------------------------------------------------------------------------


def test_requests_seen_and_settings(pingone_standin: PingOneStandIn) -> None:
    requests.get(pingone_standin.discovery_url, params={"secret": "x"}, timeout=5)
    assert pingone_standin.requests_seen == [("GET", pingone_standin.paths.discovery_url)]
    pingone_standin.reset_requests_seen()
    assert pingone_standin.requests_seen == []

    assert pingone_standin.settings() == {
        "AUTH_PATH": pingone_standin.auth_path,
        "ENV_ID": pingone_standin.env_id,
        "CLIENT_ID": "demo-client",
        "CLIENT_SECRET": "demo-secret",
        "TOKEN_ENDPOINT_AUTH_METHOD": "client_secret_basic",
    }
    public = pingone_standin.settings("demo-public", RESPONSE_MODE="pi.flow")
    assert public["CLIENT_SECRET"] == "" and public["TOKEN_ENDPOINT_AUTH_METHOD"] == "none"
    assert public["RESPONSE_MODE"] == "pi.flow"
    with pytest.raises(ValueError, match="add_client"):
        pingone_standin.settings("nobody")


def test_configuration_mistakes_are_refused(pingone_standin: PingOneStandIn) -> None:
    with pytest.raises(ValueError, match="token_endpoint_auth_method"):
        pingone_standin.add_client("x", "s", token_endpoint_auth_method="magic")
    with pytest.raises(ValueError, match="needs a client_secret"):
        pingone_standin.add_client("x")
    with pytest.raises(ValueError, match="public_jwk"):
        pingone_standin.add_client("x", token_endpoint_auth_method="private_key_jwt")
    with pytest.raises(ValueError, match="RSA"):
        pingone_standin.add_client("x", "s", public_jwk={"kty": "oct", "k": "abc"})
    with pytest.raises(ValueError, match="carries out"):
        pingone_standin.add_user("x", "y", unsupported_status="OTP_REQUIRED")


def test_standalone_server_and_restart() -> None:
    standin = PingOneStandIn(env_id="11111111-2222-3333-4444-555555555555")
    with pytest.raises(RuntimeError, match="start"):
        _ = standin.auth_path
    with standin:
        assert requests.get(standin.jwks_uri, timeout=5).status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.get(standin.jwks_uri, timeout=5)
    with standin:  # the same port again
        assert requests.get(standin.jwks_uri, timeout=5).status_code == 200


def test_main_serves_until_sigterm() -> None:
    command = [sys.executable, "-m", "django_pingone_authorize.testing", "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                break
        output = "".join(lines)
        auth_path = next(line.split()[1] for line in lines if line.strip().startswith("AUTH_PATH"))
        assert "demo / demo" in output and "issuer" in output
        discovery = requests.get(PingOneLayout(auth_path, DEFAULT_ENV_ID).discovery_url, timeout=5)
        assert discovery.status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
