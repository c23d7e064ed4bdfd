"""The session lifecycle against the certified OP (panva's oidc-provider, tests/oidc_provider/server.mjs):
fresh access tokens by refresh with rotation and replay detection, the session check after a sign-off at the
OP, revocation at logout, and back-channel logout with the OP's own logout tokens.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
import requests
from django.test import Client

from django_pingone_authorize.provider import token_endpoint
from django_pingone_authorize.sessions.token_store import get_tokens
from tests.doubles.op_driver import sign_off_at_op, sign_on_at_op
from tests.doubles.op_server import OidcProvider
from tests.end_to_end.test_certified_op import alias_for, come_back, start

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.sessions.urls")]

BACKCHANNEL_PORT = 18008  # logout-client's backchannel_logout_uri in server.mjs
SESSION_CHECK = "django_pingone_authorize.middleware.SessionCheckMiddleware"


@pytest.fixture
def lifecycle(settings: Any, oidc_op: OidcProvider) -> Any:
    def configure(**options: Any) -> None:
        settings.PINGONE_AUTHORIZE = {
            "default": alias_for(oidc_op, "logout-client", STORE_TOKENS=True, CHANNEL_LOGOUT=True, **options),
        }
        if SESSION_CHECK not in settings.MIDDLEWARE:
            settings.MIDDLEWARE = [*settings.MIDDLEWARE, SESSION_CHECK]

    return configure


@pytest.fixture
def token_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every outbound call the refresh code makes (``what``)."""
    calls: list[str] = []
    real = token_endpoint.request_json  # every client-authenticated POST goes through post_authenticated

    def counting(*args: Any, **kwargs: Any) -> Any:
        if kwargs["what"] != "token request":  # the sign-on's code exchange is not the refresh code's
            calls.append(kwargs["what"])
        return real(*args, **kwargs)

    monkeypatch.setattr(token_endpoint, "request_json", counting)
    return calls


def signed_on(client: Client) -> requests.Session:
    browser = requests.Session()
    url, form = start(client)
    response = come_back(client, sign_on_at_op(browser, url, form=form))
    assert response.status_code == 302, response.content
    assert client.get("/home/").content == b"home: alice"
    return browser


def sign_off_at_the_op_only(client: Client, browser: requests.Session, oidc_op: OidcProvider) -> None:
    """The user signs off at the OP in another tab: the site is not involved."""
    id_token = get_tokens(client.session)["id_token"]
    query = urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": "http://testserver/"})
    assert sign_off_at_op(browser, f"{oidc_op.end_session_endpoint}?{query}") == "http://testserver/"


def introspect(oidc_op: OidcProvider, token: str) -> dict[str, Any]:
    answer = requests.post(
        f"{oidc_op.issuer}/introspect",
        data={"token": token},
        auth=("logout-client", "logout-client-secret"),
        timeout=10,
    )
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def test_steady_state_makes_no_call_and_expiry_refreshes_once_with_rotation(
    client: Client, lifecycle: Any, token_calls: list[str]
) -> None:
    lifecycle()
    signed_on(client)
    first = get_tokens(client.session)
    assert first["access_token"] and first["refresh_token"]

    for _ in range(3):
        assert client.get("/token/").json()["access_token"] == first["access_token"]
    assert token_calls == []  # steady state: nothing asked of anyone

    # The OP's access tokens live an hour: asking for two is "expires too soon", so the token is refreshed.
    refreshed = client.get("/token/", {"min_ttl": 7200}).json()
    assert refreshed["user"] == "alice"
    assert token_calls == ["token refresh"]
    second = get_tokens(client.session)
    assert refreshed["access_token"] == second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]  # rotated
    assert client.get("/token/").json()["access_token"] == second["access_token"]
    assert token_calls == ["token refresh"]


def test_a_reused_refresh_token_revokes_the_grant_and_logs_the_user_out(
    client: Client, lifecycle: Any, oidc_op: OidcProvider
) -> None:
    lifecycle()
    signed_on(client)
    old = get_tokens(client.session)["refresh_token"]
    assert client.get("/token/", {"min_ttl": 7200}).json()["access_token"]  # rotates: `old` is used up
    replay = requests.post(
        oidc_op.token_endpoint,
        data={"grant_type": "refresh_token", "refresh_token": old},
        auth=("logout-client", "logout-client-secret"),
        timeout=10,
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # The replay revoked everything issued from the grant: the site's next refresh is refused, and it logs out.
    answer = client.get("/token/", {"min_ttl": 7200}).json()
    assert answer == {"user": None, "access_token": None}
    assert client.get("/home/").content == b"home: anonymous"


@pytest.mark.parametrize("script", [False, True])
def test_signed_off_at_the_op_means_signed_out_here_after_the_interval(
    client: Client, lifecycle: Any, oidc_op: OidcProvider, script: bool
) -> None:
    lifecycle(SESSION_CHECK_INTERVAL=1)
    browser = signed_on(client)
    time.sleep(1.1)
    assert client.get("/home/").content == b"home: alice"  # checked: still signed on at the OP
    sign_off_at_the_op_only(client, browser, oidc_op)
    assert client.get("/home/").content == b"home: alice"  # within the interval: not asked again
    time.sleep(1.1)
    if script:
        response = client.post("/home/", HTTP_ACCEPT="application/json", HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        assert response.status_code == 401
        assert response.json()["error"] == "session_ended"
    else:
        response = client.get("/home/?page=2")
        assert response.status_code == 303
        assert response["Location"] == "/pingone/session-ended/?alias=default&next=%2Fhome%2F%3Fpage%3D2"
        page = client.get(response["Location"])
        assert b"pingone-session-ended" in page.content
        assert b'<input type="hidden" name="next" value="/home/?page=2">' in page.content  # the button's
    assert client.get("/home/").content == b"home: anonymous"


def test_logout_revokes_the_refresh_and_access_tokens(client: Client, lifecycle: Any, oidc_op: OidcProvider) -> None:
    lifecycle(SIGNOFF=False)
    signed_on(client)
    tokens = get_tokens(client.session)
    assert introspect(oidc_op, tokens["refresh_token"])["active"] is True
    assert client.post("/pingone/logout/").status_code == 302
    assert introspect(oidc_op, tokens["refresh_token"])["active"] is False
    assert introspect(oidc_op, tokens["access_token"])["active"] is False


class _Recorder(http.server.BaseHTTPRequestHandler):
    received: list[dict[str, list[str]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.received.append(parse_qs(self.rfile.read(length).decode()))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def backchannel_recorder() -> Iterator[list[dict[str, list[str]]]]:
    """What the OP POSTs to logout-client's back-channel logout URI (the test hands it on to the site)."""
    _Recorder.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", BACKCHANNEL_PORT), _Recorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield _Recorder.received
    finally:
        server.shutdown()
        server.server_close()


def test_backchannel_logout_with_the_ops_logout_token(
    client: Client, lifecycle: Any, oidc_op: OidcProvider, backchannel_recorder: list[dict[str, list[str]]]
) -> None:
    lifecycle()
    browser = signed_on(client)
    other_device = Client()
    signed_on(other_device)  # another Django session: a new PingOne session too (another browser)
    sign_off_at_the_op_only(client, browser, oidc_op)
    assert len(backchannel_recorder) == 1
    logout_token = backchannel_recorder[0]["logout_token"][0]

    answer = Client().post("/pingone/logout/backchannel/", {"logout_token": logout_token})
    assert answer.status_code == 200
    assert answer["Cache-Control"] == "no-store"
    assert client.get("/home/").content == b"home: anonymous"
    assert other_device.get("/home/").content == b"home: alice"  # another PingOne session (sid): untouched

    replayed = Client().post("/pingone/logout/backchannel/", {"logout_token": logout_token})
    assert replayed.status_code == 400
    assert replayed.json() == {"error": "invalid_request", "error_description": "logout_token_replayed"}


@pytest.mark.parametrize(
    "token",
    ["", "not-a-jwt", "a.b.c", "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0."],
)
def test_backchannel_logout_refuses_what_is_no_logout_token(client: Client, lifecycle: Any, token: str) -> None:
    lifecycle()
    answer = client.post("/pingone/logout/backchannel/", {"logout_token": token} if token else {})
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


def test_an_id_token_is_no_logout_token(client: Client, lifecycle: Any) -> None:
    lifecycle()
    signed_on(client)
    id_token = get_tokens(client.session)["id_token"]
    answer = Client().post("/pingone/logout/backchannel/", {"logout_token": id_token})
    assert answer.status_code == 400
    assert client.get("/home/").content == b"home: alice"
