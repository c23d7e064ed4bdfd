"""Issue 22, items 3 and 12: "log out everywhere" leaves an attacker no way back, and revocation as PingOne has it.

Against the stand-in over real HTTP. Without worker credentials every ended session's refresh token is revoked
and this browser is signed off at PingOne (the page says plainly that other browsers' PingOne sessions live
on); with them, the user's PingOne sessions are listed, expired ones skipped, the rest deleted, past a refusal.
The stand-in's ``/as/revoke`` refuses what PingOne refuses, and a refusal at logout is logged, never a failure.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
import requests
from django.test import Client

from django_pingone_authorize.sessions.token_store import get_tokens
from django_pingone_authorize.testing import DEMO_SUB, PingOneStandIn
from tests.api.support import client_credentials
from tests.sessions import test_lifecycle_standin as lifecycle_tests
from tests.sessions.test_lifecycle_standin import active, signed_on, token_endpoint_refresh

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.sessions.urls")]

EVERYWHERE = "/pingone/logout/everywhere/"
lifecycle = lifecycle_tests.lifecycle  # the fixture that configures the stand-in's default alias


def test_without_a_worker_every_refresh_token_is_revoked_and_this_browser_signs_off(
    client: Client, lifecycle: Any, pingone_standin: PingOneStandIn
) -> None:
    lifecycle()
    signed_on(client)
    attacker = Client()  # the attacker's browser, signed on with the stolen password
    signed_on(attacker)
    tokens = [get_tokens(c.session) for c in (client, attacker)]
    response = client.post(EVERYWHERE)
    assert response.status_code == 302
    assert response["Location"].startswith(pingone_standin.end_session_endpoint)  # as pingone:logout does
    for device in (client, attacker):
        assert device.get("/home/").content == b"home: anonymous"
    for token_set in tokens:  # no way back through a refresh token
        assert token_endpoint_refresh(pingone_standin, token_set["refresh_token"]).json()["error"] == "invalid_grant"


def test_the_page_says_what_it_cannot_end(client: Client, lifecycle: Any, pingone_standin: PingOneStandIn) -> None:
    lifecycle()
    signed_on(client)
    page = client.get(EVERYWHERE)
    assert page.status_code == 200 and page["X-Frame-Options"] == "DENY"
    html = page.content.decode()
    assert "are not ended" in html and "without a password" in html
    assert 'id="pingone-logout-everywhere-button"' in html
    pingone_standin.add_client("worker-app", "worker-secret")
    lifecycle(WORKER_CLIENT_ID="worker-app", WORKER_CLIENT_SECRET="worker-secret")
    assert "are ended too" in client.get(EVERYWHERE).content.decode()
    assert Client().get(EVERYWHERE).status_code == 302  # nothing to end for an anonymous visitor


def test_with_a_worker_expired_sessions_are_skipped_and_a_refusal_is_passed(
    client: Client, lifecycle: Any, pingone_standin: PingOneStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    pingone_standin.add_client("worker-app", "worker-secret")
    lifecycle(WORKER_CLIENT_ID="worker-app", WORKER_CLIENT_SECRET="worker-secret")
    signed_on(client)
    phone = Client()
    phone_browser = signed_on(phone)
    first, second = [session.sid for session in pingone_standin.sessions.values() if session.username]
    pingone_standin.undeletable_sessions.add(first)  # PingOne: "the current session" cannot be deleted
    pingone_standin.expired_sessions[DEMO_SUB] = [("expired-session", "2026-01-01T00:00:00.000Z")]
    pingone_standin.reset_requests_seen()
    caplog.set_level(logging.INFO)
    assert client.post(EVERYWHERE).status_code == 302
    deletes = [path.rsplit("/", 1)[1] for method, path in pingone_standin.requests_seen if method == "DELETE"]
    assert deletes == [first, second]  # the refused one did not stop the next; the expired one was skipped
    assert "refused to end one session" in caplog.text
    started = Client().post("/pingone/login/", {"next": "/home/"})
    assert "password" in phone_browser.get(started["Location"]).text.lower()  # its PingOne session is gone


# -- revocation as PingOne has it (item 12) -----------------------------------------------------------------


def revoke(standin: PingOneStandIn, token: str) -> requests.Response:
    return requests.post(standin.revocation_endpoint, data={"token": token}, auth=("demo-client", "demo-secret"))


def test_the_standin_refuses_what_pingone_cannot_revoke(
    client: Client, lifecycle: Any, pingone_standin: PingOneStandIn
) -> None:
    pingone_standin.add_resource("https://orders.example.com", ["orders:read"])
    without_sid = client_credentials(pingone_standin)
    refused = revoke(pingone_standin, without_sid)
    assert refused.status_code == 400 and refused.json()["error"] == "unsupported_token_type"
    lifecycle()  # openid profile email offline_access: an access token for PingOne's own API
    signed_on(client)
    tokens = get_tokens(client.session)
    own_api = revoke(pingone_standin, tokens["access_token"])
    assert own_api.status_code == 400 and own_api.json()["error"] == "unsupported_token_type"
    assert active(pingone_standin, tokens["access_token"])
    # The refresh token (it has a sid) can be revoked, and takes the tokens issued from it along.
    assert revoke(pingone_standin, tokens["refresh_token"]).status_code == 200
    assert not active(pingone_standin, tokens["access_token"])


def test_a_refused_revocation_at_logout_is_logged_not_a_failure(
    client: Client, lifecycle: Any, pingone_standin: PingOneStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    lifecycle(SCOPE="openid profile email")  # no refresh token: only the access token, for PingOne's own API
    signed_on(client)
    tokens = get_tokens(client.session)
    caplog.set_level(logging.INFO)
    response = client.post("/pingone/logout/")
    assert response.status_code == 302 and response["Location"].startswith(pingone_standin.end_session_endpoint)
    assert "PingOne refused to revoke a access_token" in caplog.text
    assert "unsupported_token_type" in caplog.text
    assert client.get("/home/").content == b"home: anonymous"
    assert all(tokens["access_token"] not in record.getMessage() for record in caplog.records)
