"""The session lifecycle against the PingOne stand-in: fresh access tokens (one outbound call per refresh, none in
steady state), refresh-token rotation with replay detection, tokens encrypted at rest, the session check after
a sign-off at PingOne, revocation and ``/as/idpSignoff`` at logout, front-channel logout, "log out everywhere".
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client, override_settings

from django_pingone_authorize.sessions.session_index import PingOneSession
from django_pingone_authorize.sessions.token_store import SESSION_KEY, get_tokens
from django_pingone_authorize.testing import DEMO_SUB, PingOneStandIn, sign_on

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.sessions.urls")]

SESSION_CHECK = "django_pingone_authorize.middleware.SessionCheckMiddleware"
OFFLINE = "openid profile email offline_access"
ENGINES = ["db", "cache", "cached_db"]  # the session index works with each


@pytest.fixture
def lifecycle(settings: Any, pingone_standin: PingOneStandIn) -> Any:
    def configure(**options: Any) -> None:
        options = {"STORE_TOKENS": True, "SCOPE": OFFLINE, **options}
        settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(**options)}
        if SESSION_CHECK not in settings.MIDDLEWARE:
            settings.MIDDLEWARE = [*settings.MIDDLEWARE, SESSION_CHECK]

    return configure


def signed_on(client: Client) -> requests.Session:
    browser = requests.Session()
    started = client.post("/pingone/login/", {"next": "/home/"})
    answer = sign_on(browser, started["Location"])
    finished = client.get("/pingone/callback/", answer.params)
    assert finished.status_code == 302 and finished["Location"] == "/home/", finished.content
    assert client.get("/home/").content == b"home: demo"
    return browser


def calls(standin: PingOneStandIn, endpoint: str) -> int:
    return sum(1 for method, path in standin.requests_seen if path.endswith(endpoint))


def token_endpoint_refresh(standin: PingOneStandIn, refresh_token: str) -> requests.Response:
    return requests.post(
        standin.token_endpoint,
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=("demo-client", "demo-secret"),
        timeout=10,
    )


def active(standin: PingOneStandIn, token: str) -> bool:
    answer = requests.post(
        standin.introspection_endpoint, data={"token": token}, auth=("demo-client", "demo-secret"), timeout=10
    )
    return bool(answer.json()["active"])


# -- fresh access tokens ------------------------------------------------------------------------------------


def test_no_outbound_call_in_steady_state_and_exactly_one_per_refresh(
    client: Client, lifecycle: Any, pingone_standin: PingOneStandIn
) -> None:
    lifecycle()
    signed_on(client)
    token = get_tokens(client.session)["access_token"]
    pingone_standin.reset_requests_seen()
    for _ in range(5):
        assert client.get("/token/").json()["access_token"] == token
    assert pingone_standin.requests_seen == []

    refreshed = client.get("/token/", {"min_ttl": 7200}).json()["access_token"]  # the stand-in's live an hour
    assert pingone_standin.requests_seen == [("POST", urlsplit(pingone_standin.token_endpoint).path)]
    assert client.get("/token/").json()["access_token"] == refreshed
    assert len(pingone_standin.requests_seen) == 1
    assert refreshed != token and active(pingone_standin, refreshed)


def test_without_store_tokens_there_is_no_access_token(client: Client, lifecycle: Any) -> None:
    lifecycle(STORE_TOKENS=False)
    signed_on(client)
    assert client.get("/token/").json() == {"user": "demo", "access_token": None}


def test_the_standin_rotates_refresh_tokens_and_a_replay_revokes_the_family(
    client: Client, lifecycle: Any, pingone_standin: PingOneStandIn
) -> None:
    lifecycle()
    signed_on(client)
    tokens = get_tokens(client.session)
    first = token_endpoint_refresh(pingone_standin, tokens["refresh_token"])
    assert first.status_code == 200
    second_refresh, second_access = first.json()["refresh_token"], first.json()["access_token"]
    assert second_refresh != tokens["refresh_token"]
    replay = token_endpoint_refresh(pingone_standin, tokens["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # Everything issued from the first refresh token is gone: the rotated one and its access token too.
    assert token_endpoint_refresh(pingone_standin, second_refresh).json()["error"] == "invalid_grant"
    assert not active(pingone_standin, second_access)
    # The site's own refresh is refused now: the user is logged out.
    assert client.get("/token/", {"min_ttl": 7200}).json() == {"user": None, "access_token": None}
    assert client.get("/home/").content == b"home: anonymous"


def test_a_stale_session_copy_reads_the_rotated_tokens(
    client: Client, lifecycle: Any, pingone_standin: PingOneStandIn
) -> None:
    """Two requests of one session: the second began before the first refreshed (its session copy is older)."""
    lifecycle()
    signed_on(client)
    stale_session = Session.objects.get().session_data  # what a concurrent request loaded
    pingone_standin.token_ttl = 7200
    refreshed = client.get("/token/", {"min_ttl": 3700}).json()["access_token"]
    Session.objects.update(session_data=stale_session)  # that request saves its copy last
    pingone_standin.reset_requests_seen()
    # The stale copy's token is too old for this view, the cache's refreshed one is not: no second refresh.
    assert client.get("/token/", {"min_ttl": 3700}).json()["access_token"] == refreshed
    assert pingone_standin.requests_seen == []
    # And the refresh token the cache had is the rotated one: refreshing again works (a replay would not).
    again = client.get("/token/", {"min_ttl": 7300}).json()
    assert again["user"] == "demo" and again["access_token"] != refreshed


# -- tokens at rest -----------------------------------------------------------------------------------------


def test_tokens_are_encrypted_in_the_session_and_the_cache(client: Client, lifecycle: Any) -> None:
    lifecycle()
    signed_on(client)
    client.get("/token/", {"min_ttl": 7200})
    tokens = get_tokens(client.session)
    stored = Session.objects.get()
    raw = stored.session_data + repr(stored.get_decoded())
    cached = repr(list(cache._cache.values()))  # type: ignore[attr-defined]  # locmem: pickled values
    for name in ("id_token", "access_token", "refresh_token"):
        assert tokens[name]
        assert tokens[name] not in raw
        assert tokens[name] not in cached
    assert "id_token" not in stored.get_decoded()[SESSION_KEY]
    index = PingOneSession.objects.get()
    assert stored.session_key not in repr(index.__dict__)  # the index keeps the key encrypted


def test_a_rotated_secret_key_still_reads_the_tokens(client: Client, lifecycle: Any) -> None:
    lifecycle()
    signed_on(client)
    before = get_tokens(client.session)["refresh_token"]
    with override_settings(SECRET_KEY="rotated-" + "x" * 40, SECRET_KEY_FALLBACKS=["tests-only-not-secret"]):
        assert get_tokens(client.session)["refresh_token"] == before
    with override_settings(SECRET_KEY="another-" + "y" * 40, SECRET_KEY_FALLBACKS=[]):
        assert "refresh_token" not in get_tokens(client.session)


# -- a Django session that ends when PingOne's does ------------------------------------------------------


def sign_off_at_the_standin(client: Client, browser: requests.Session, standin: PingOneStandIn) -> None:
    """The user signs off at PingOne in another tab (another application's logout): the site is not involved."""
    id_token = get_tokens(client.session)["id_token"]
    answer = browser.get(standin.end_session_endpoint, params={"id_token_hint": id_token}, timeout=10)
    assert answer.status_code == 200


@pytest.mark.parametrize("script", [False, True])
def test_signed_off_at_pingone_means_signed_out_here_after_the_interval(
    client: Client, lifecycle: Any, pingone_standin: PingOneStandIn, script: bool
) -> None:
    lifecycle(SESSION_CHECK_INTERVAL=1)
    browser = signed_on(client)
    time.sleep(1.1)
    pingone_standin.reset_requests_seen()
    assert client.get("/home/").content == b"home: demo"  # past the interval: asked PingOne, still signed on
    assert calls(pingone_standin, "/as/token") == 1
    sign_off_at_the_standin(client, browser, pingone_standin)
    assert client.get("/home/").content == b"home: demo"  # within the interval: not asked
    time.sleep(1.1)
    if script:
        response = client.post("/home/", HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        assert response.status_code == 401 and response.json()["error"] == "session_ended"
    else:
        response = client.get("/home/")
        assert response.status_code == 303 and response["Location"].startswith("/pingone/session-ended/")
    assert client.get("/home/").content == b"home: anonymous"


def test_no_session_check_without_the_interval(client: Client, lifecycle: Any, pingone_standin: PingOneStandIn) -> None:
    lifecycle()
    signed_on(client)
    pingone_standin.reset_requests_seen()
    assert client.get("/home/").content == b"home: demo"
    assert pingone_standin.requests_seen == []


# -- logout that reaches everywhere --------------------------------------------------------------------------


def test_logout_revokes_both_tokens_before_signing_off(
    client: Client, lifecycle: Any, pingone_standin: PingOneStandIn
) -> None:
    lifecycle()
    signed_on(client)
    tokens = get_tokens(client.session)
    pingone_standin.reset_requests_seen()
    response = client.post("/pingone/logout/")
    assert response.status_code == 302 and response["Location"].startswith(pingone_standin.end_session_endpoint)
    assert calls(pingone_standin, "/as/revoke") == 2
    assert not active(pingone_standin, tokens["access_token"])
    assert token_endpoint_refresh(pingone_standin, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_idp_signoff(client: Client, lifecycle: Any, pingone_standin: PingOneStandIn) -> None:
    lifecycle(IDP_SIGNOFF=True, POST_LOGOUT_REDIRECT_URI="http://127.0.0.1:8000/")
    browser = signed_on(client)
    response = client.post("/pingone/logout/")
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{pingone_standin.issuer}/idpSignoff"
    assert "id_token_hint" in parse_qs(target.query)
    signed_off = browser.get(response["Location"], allow_redirects=False)
    assert signed_off.status_code == 302 and signed_off.headers["Location"] == "http://127.0.0.1:8000/"


@pytest.mark.parametrize("engine", ENGINES)
def test_front_channel_logout_ends_the_sessions_of_that_pingone_session(
    client: Client, lifecycle: Any, pingone_standin: PingOneStandIn, settings: Any, engine: str
) -> None:
    """PingOne never calls front-channel logout (issue 22, item 9): here the test plays another OpenID provider
    that does, with the endpoint turned on (CHANNEL_LOGOUT)."""
    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{engine}"
    lifecycle(CHANNEL_LOGOUT=True)
    signed_on(client)
    sid = PingOneSession.objects.get().sid
    other_device = Client()
    signed_on(other_device)
    url = f"/pingone/logout/frontchannel/?iss={pingone_standin.issuer}&sid={sid}"
    params = parse_qs(urlsplit(url).query)
    assert params["iss"] == [pingone_standin.issuer] and params["sid"]
    page = Client().get(url)  # what the provider's iframe loads: the site's cookies do not come along
    assert page.status_code == 200
    assert "X-Frame-Options" not in page
    assert "no-store" in page["Cache-Control"]
    assert client.get("/home/").content == b"home: anonymous"
    assert other_device.get("/home/").content == b"home: demo"


def test_front_channel_logout_refuses_an_unknown_issuer(client: Client, lifecycle: Any) -> None:
    lifecycle(CHANNEL_LOGOUT=True)
    signed_on(client)
    response = client.get("/pingone/logout/frontchannel/", {"iss": "https://evil.example/as", "sid": "x"})
    assert response.status_code == 400
    assert client.get("/home/").content == b"home: demo"


@pytest.mark.parametrize("engine", ENGINES)
def test_logout_everywhere(client: Client, lifecycle: Any, settings: Any, engine: str) -> None:
    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{engine}"
    lifecycle()
    signed_on(client)
    laptop, phone = Client(), Client()
    signed_on(laptop)
    signed_on(phone)
    assert PingOneSession.objects.count() == 3
    response = laptop.post("/pingone/logout/everywhere/")
    assert response.status_code == 302
    for device in (client, laptop, phone):
        assert device.get("/home/").content == b"home: anonymous"
    assert PingOneSession.objects.count() == 0
    assert Client(enforce_csrf_checks=True).post("/pingone/logout/everywhere/").status_code == 403


def test_logout_drops_the_sessions_index_row(client: Client, lifecycle: Any) -> None:
    lifecycle(SIGNOFF=False)
    signed_on(client)
    assert PingOneSession.objects.get().sid
    client.post("/pingone/logout/")
    assert PingOneSession.objects.count() == 0


def test_logout_everywhere_ends_the_pingone_sessions_too_with_a_worker(
    client: Client, lifecycle: Any, pingone_standin: PingOneStandIn
) -> None:
    pingone_standin.add_client("worker-app", "worker-secret")
    lifecycle(WORKER_CLIENT_ID="worker-app", WORKER_CLIENT_SECRET="worker-secret")
    laptop_browser = signed_on(client)
    phone = Client()
    phone_browser = signed_on(phone)
    refresh_tokens = [get_tokens(c.session)["refresh_token"] for c in (client, phone)]
    pingone_standin.reset_requests_seen()
    assert client.post("/pingone/logout/everywhere/").status_code == 302
    sessions_path = f"/v1/environments/{pingone_standin.env_id}/users/{DEMO_SUB}/sessions"
    assert ("GET", sessions_path) in pingone_standin.requests_seen
    assert sum(1 for method, path in pingone_standin.requests_seen if method == "DELETE") == 2
    for device in (client, phone):
        assert device.get("/home/").content == b"home: anonymous"
    for token in refresh_tokens:  # PingOne's sessions ended: their tokens with them
        assert token_endpoint_refresh(pingone_standin, token).json()["error"] == "invalid_grant"
    # Both browsers must sign on at PingOne again (their PingOne sessions are gone).
    for browser in (laptop_browser, phone_browser):
        started = Client().post("/pingone/login/", {"next": "/home/"})
        page = browser.get(started["Location"], allow_redirects=True)
        assert "password" in page.text.lower()


def test_logout_everywhere_without_a_worker_asks_pingone_nothing(
    client: Client, lifecycle: Any, pingone_standin: PingOneStandIn
) -> None:
    lifecycle()
    signed_on(client)
    pingone_standin.reset_requests_seen()
    client.post("/pingone/logout/everywhere/")
    assert not [path for _, path in pingone_standin.requests_seen if path.startswith("/v1/")]
