"""Registered redirect URIs at the stand-in, as PingOne has them: a URI that is not registered is refused with
PingOne's "Redirect URI mismatch", and ``localhost`` is not ``127.0.0.1`` — the mistake a first set-up makes."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.test import Client

from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import sign_on
from django_pingone_authorize.testing.standin import REDIRECT_URI_MISMATCH

pytestmark = pytest.mark.django_db

REGISTERED = "http://127.0.0.1:8000/pingone/callback/"
LOCALHOST = "http://localhost:8000/pingone/callback/"


def authorize(standin: PingOneStandIn, redirect_uri: str) -> requests.Response:
    url = standin.authorize_url(
        redirect_uri=redirect_uri,
        response_type="code",
        scope="openid",
        state="s" * 43,
        nonce="n" * 43,
        code_challenge="c" * 43,
        code_challenge_method="S256",
    )
    return requests.get(url, allow_redirects=False, timeout=10)


def test_a_strict_application_refuses_localhost_when_127_0_0_1_is_registered(
    pingone_standin: PingOneStandIn,
) -> None:
    pingone_standin.add_client("demo-client", "demo-secret", redirect_uris=[REGISTERED])
    refused = authorize(pingone_standin, LOCALHOST)
    assert refused.status_code == 400
    assert "Location" not in refused.headers  # never sent to an unregistered URI
    assert f"{REDIRECT_URI_MISMATCH} (invalid_request)" in refused.text
    assert REDIRECT_URI_MISMATCH == "Redirect URI mismatch"
    assert authorize(pingone_standin, REGISTERED).status_code in (200, 302)


def test_the_site_on_localhost_meets_the_mismatch(
    client: Client, settings: Any, pingone_standin: PingOneStandIn
) -> None:
    """The whole rehearsal: the console has 127.0.0.1, the site is opened as localhost."""
    pingone_standin.add_client("demo-client", "demo-secret", redirect_uris=[REGISTERED])
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(REDIRECT_URI=LOCALHOST)}
    response = client.post("/pingone/login/")
    assert response.status_code == 302
    page = requests.get(response["Location"], allow_redirects=False, timeout=10)
    assert page.status_code == 400 and REDIRECT_URI_MISMATCH in page.text


def test_a_loopback_ip_registered_without_a_port_takes_any_port(pingone_standin: PingOneStandIn) -> None:
    pingone_standin.add_client("demo-client", "demo-secret", redirect_uris=["http://127.0.0.1/pingone/callback/"])
    assert authorize(pingone_standin, "http://127.0.0.1:8123/pingone/callback/").status_code in (200, 302)
    for other in (
        "http://localhost:8123/pingone/callback/",
        "http://127.0.0.1:8123/other/",
        "https://127.0.0.1:8123/pingone/callback/",
    ):
        assert REDIRECT_URI_MISMATCH in authorize(pingone_standin, other).text, other


def test_the_fixture_registers_the_test_clients_callback(
    client: Client, settings: Any, pingone_standin: PingOneStandIn
) -> None:
    """No REDIRECT_URI: the app builds http://testserver/pingone/callback/, which the fixture registered."""
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings()}
    response = client.post("/pingone/login/", {"next": "/home/"})
    assert "redirect_uri=http%3A%2F%2Ftestserver%2Fpingone%2Fcallback%2F" in response["Location"]
    answer = sign_on(requests.Session(), response["Location"])
    assert answer.url.startswith("http://testserver/pingone/callback/?code=")
    back = client.get("/pingone/callback/", answer.params)
    assert back.status_code == 302 and back["Location"] == "/home/"
    assert client.get("/home/").content == b"home: demo"
    # ...and any loopback URI is still accepted, as the rest of the suite expects.
    assert authorize(pingone_standin, "http://localhost:18001/pingone/callback/").status_code in (200, 302)


def test_a_strict_standin_by_construction() -> None:
    with PingOneStandIn(redirect_uris=[REGISTERED]) as standin:
        assert REDIRECT_URI_MISMATCH in authorize(standin, LOCALHOST).text
        assert authorize(standin, REGISTERED).status_code in (200, 302)
        standin.reset()  # the registration survives a reset
        assert REDIRECT_URI_MISMATCH in authorize(standin, LOCALHOST).text


@pytest.fixture
def standin_process() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "django_pingone_authorize.testing", "--port", "0", "--redirect-uri", REGISTERED],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = "".join(process.stdout.readline() for _ in range(6))
        yield process, banner
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_the_command_line_registers_redirect_uris(standin_process: tuple[subprocess.Popen[str], str]) -> None:
    _, banner = standin_process
    assert f"redirect URIs: {REGISTERED}" in banner
    auth_path = re.search(r"AUTH_PATH\s+(\S+)", banner)
    env_id = re.search(r"ENV_ID\s+(\S+)", banner)
    assert auth_path and env_id
    standin = PingOneStandIn(env_id=env_id[1])
    standin.port = int(auth_path[1].rsplit(":", 1)[1])  # the process's server, addressed through its URLs
    assert REDIRECT_URI_MISMATCH in authorize(standin, LOCALHOST).text
    assert authorize(standin, REGISTERED).status_code in (200, 302)
