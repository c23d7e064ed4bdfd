"""What the error page says happened: a cancel is not a failure, an unreachable PingOne is PingOne's fault
(502/503, not the visitor's 400). Over real HTTP against the stand-in and a port nobody listens on."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import requests
from django.test import Client

from django_pingone_authorize.errors import PROVIDER_DOWN_STATUS, ProviderError, SignOnError
from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import sign_on

pytestmark = pytest.mark.django_db

CALLBACK = "http://127.0.0.1:8000/pingone/callback/"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_cancel_at_pingone_is_a_neutral_page(settings: Any, pingone_standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(REDIRECT_URI=CALLBACK)}
    client = Client()
    started = client.post("/pingone/login/")
    answer = sign_on(requests.Session(), started["Location"], cancel=True)
    assert answer.params.get("error") == "access_denied"
    response = client.get("/pingone/callback/", answer.params)
    page = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Sign on cancelled</h1>" in page and "Sign on failed" not in page
    assert "The sign-on was cancelled." in page


def test_unreachable_pingone_is_a_503_saying_so(settings: Any) -> None:
    settings.PINGONE_AUTHORIZE = {
        "default": {
            "AUTH_PATH": f"http://127.0.0.1:{closed_port()}",
            "ENV_ID": "env",
            "CLIENT_ID": "c",
            "CLIENT_SECRET": "s",
        }
    }
    response = Client(raise_request_exception=False).post("/pingone/login/")
    page = response.content.decode()
    assert response.status_code == 503
    assert 'data-reason="provider_unreachable"' in page
    assert "<h1>Sign on is unavailable</h1>" in page
    assert "PingOne, the sign-on service, cannot be reached right now." in page


@pytest.mark.parametrize(("reason", "status"), sorted(PROVIDER_DOWN_STATUS.items()))
def test_provider_down_reasons_have_their_status(reason: str, status: int) -> None:
    error = ProviderError(reason, "m")
    assert (error.status, error.provider_down, error.cancelled) == (status, True, False)


def test_other_errors_keep_theirs() -> None:
    assert ProviderError("provider_refused", "m").status == 400
    assert ProviderError("provider_timeout", "m", status=504).status == 504  # a caller's own status wins
    assert SignOnError("cancelled", "m", status=403).cancelled
    assert not SignOnError("provider_timeout", "m").provider_down  # only PingOne's answers are
