"""Embedded sign-on (``RESPONSE_MODE="pi.flow"``) against the PingOne stand-in over real HTTP: every
status gets its page, PingOne's cookies stay server-side, and the end is the same login as a redirect."""

from __future__ import annotations

import logging
import re
import time
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client

from django_pingone_authorize.pending import SESSION_KEY
from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import parse_autosubmit_form

pytestmark = pytest.mark.django_db

CALLBACK = "http://127.0.0.1:8000/pingone/callback/"
SECRETS = ("demo-pw-9", "123456", "n3w-Passw0rd!")


@pytest.fixture
def standin(pingone_standin: PingOneStandIn, settings: Any) -> PingOneStandIn:
    pingone_standin.add_user(
        "ann",
        "demo-pw-9",
        sub="ann-sub",
        claims={"email": "ann@example.com", "email_verified": True, "preferred_username": "ann"},
    )
    pingone_standin.add_user(
        "carl", "old-pw-123", sub="carl-sub", must_change_password=True, claims={"preferred_username": "carl"}
    )
    pingone_standin.add_user("olga", "olga-pw-123", sub="olga-sub", otp="123456", claims={"preferred_username": "olga"})
    pingone_standin.add_user("dev", "dev-pw-1234", sub="dev-sub", unsupported_status="DEVICE_SELECTION_REQUIRED")
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK)}
    return pingone_standin


class Page(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self.links: dict[str, str] = {}
        self._form: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = a.get("id") or a.get("class") or "form"
            self.forms[self._form] = {"_action": a.get("action", "")}
        elif tag == "input" and self._form and a.get("name"):
            self.forms[self._form][a["name"]] = a.get("value", "")
        elif tag == "a" and "data-provider" in a:
            self.links[a["data-provider"]] = a["href"]


def start(client: Client, **data: str) -> str:
    response = client.post("/pingone/login/", data)
    assert response.status_code == 302, response.content
    location = response["Location"]
    assert re.fullmatch(r"/pingone/signon/[A-Za-z0-9_-]{43}/", location)
    return location


def step(client: Client, url: str, action: str, **fields: str) -> Any:
    return client.post(url, {"action": action, **fields})


def signed_on_as(client: Client) -> str:
    return client.get("/home/").content.decode().removeprefix("home: ")


def test_username_and_password_signs_on(client: Client, standin: PingOneStandIn, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    url = start(client, next="/home/?from=embedded")
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sign on to Demo App" in html  # the application's name from the flow object
    parsed = Page(html)
    assert parsed.forms["pingone-sign-on"]["action"] == "usernamePassword.check"
    assert parsed.forms["pingone-hosted"]["hosted"] == "1"  # the hosted-page fallback
    assert parsed.links  # the external identity provider's authenticate link
    assert page["Referrer-Policy"] == "no-referrer"
    response = step(client, url, "usernamePassword.check", username="ann", password="demo-pw-9")
    assert response.status_code == 302
    assert response["Location"] == "/home/?from=embedded"
    assert signed_on_as(client) == "ann"
    # PingOne's cookies never reached the browser; the pending entry is gone.
    assert set(client.cookies) <= {"sessionid", "csrftoken"}
    assert client.session.get(SESSION_KEY) == {}
    assert not any(secret in record.getMessage() for record in caplog.records for secret in SECRETS)


def test_wrong_password_shows_pingones_message_then_succeeds(client: Client, standin: PingOneStandIn) -> None:
    url = start(client)
    wrong = step(client, url, "usernamePassword.check", username="ann", password="nope")
    assert wrong.status_code == 400
    assert 'role="alert"' in wrong.content.decode()
    assert "_auth_user_id" not in client.session
    assert "pingone-sign-on" in Page(wrong.content.decode()).forms  # the form again
    ok = step(client, url, "usernamePassword.check", username="ann", password="demo-pw-9")
    assert ok.status_code == 302
    assert signed_on_as(client) == "ann"


def test_must_change_password(client: Client, standin: PingOneStandIn) -> None:
    url = start(client)
    response = step(client, url, "usernamePassword.check", username="carl", password="old-pw-123")
    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url).content.decode()
    assert 'data-status="MUST_CHANGE_PASSWORD"' in page
    assert Page(page).forms["pingone-change-password"]["action"] == "password.reset"
    done = step(client, url, "password.reset", current_password="old-pw-123", new_password="n3w-Passw0rd!")
    assert done.status_code == 302
    assert signed_on_as(client) == "carl"


def test_one_time_code(client: Client, standin: PingOneStandIn, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    url = start(client)
    step(client, url, "usernamePassword.check", username="olga", password="olga-pw-123")
    page = client.get(url).content.decode()
    assert 'data-status="OTP_REQUIRED"' in page
    wrong = step(client, url, "otp.check", otp="000000")
    assert wrong.status_code == 400
    assert "_auth_user_id" not in client.session
    done = step(client, url, "otp.check", otp="123456")
    assert done.status_code == 302
    assert signed_on_as(client) == "olga"
    assert not any("123456" in record.getMessage() for record in caplog.records)


def test_external_identity_provider(client: Client, standin: PingOneStandIn) -> None:
    url = start(client)
    (href,) = Page(client.get(url).content.decode()).links.values()
    browser = requests.Session()
    idp_page = browser.get(href)
    assert idp_page.status_code == 200
    action, fields = parse_autosubmit_form(idp_page.text)
    back = browser.post(action, {**fields, "action": "external.continue"}, allow_redirects=False)
    assert back.status_code in (302, 303)
    target = urlsplit(back.headers["Location"])
    assert target.path == "/pingone/callback/"
    response = client.get(target.path + "?" + target.query)
    assert response.status_code == 302, response.content
    assert signed_on_as(client) == "demo"


def test_external_return_in_another_browser_is_refused(client: Client, standin: PingOneStandIn) -> None:
    url = start(client)
    (href,) = Page(client.get(url).content.decode()).links.values()
    browser = requests.Session()
    action, fields = parse_autosubmit_form(browser.get(href).text)
    back = urlsplit(
        browser.post(action, {**fields, "action": "external.continue"}, allow_redirects=False).headers["Location"]
    )
    stranger = Client()
    response = stranger.get(back.path + "?" + back.query)
    assert response.status_code == 400
    assert b"state_unknown" in response.content
    assert "_auth_user_id" not in stranger.session


def test_unknown_status_falls_back_to_the_hosted_page(client: Client, standin: PingOneStandIn) -> None:
    url = start(client)
    step(client, url, "usernamePassword.check", username="dev", password="dev-pw-1234")
    page = client.get(url).content.decode()
    assert "DEVICE_SELECTION_REQUIRED" in page
    assert "cannot show here" in page
    hosted = Page(page).forms["pingone-hosted"]
    response = client.post(hosted["_action"], {"hosted": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith(standin.authorization_endpoint + "?")  # a redirect sign-on
    assert "response_mode" not in response["Location"]


def test_expired_flow_restarts_cleanly(client: Client, standin: PingOneStandIn) -> None:
    standin.flow_ttl = 0.3
    url = start(client)
    time.sleep(0.5)
    response = step(client, url, "usernamePassword.check", username="ann", password="demo-pw-9")
    assert response.status_code == 302
    new_url = response["Location"]
    assert new_url != url and new_url.startswith("/pingone/signon/")
    page = client.get(new_url).content.decode()
    assert "restarted" in page
    assert client.get(url).status_code == 400  # the old one is gone
    standin.flow_ttl = 900
    assert step(client, new_url, "usernamePassword.check", username="ann", password="demo-pw-9").status_code == 302
    assert signed_on_as(client) == "ann"


@pytest.mark.parametrize(
    "data",
    [
        {"action": "usernamePassword.check", "username": "ann"},  # no password
        {"action": "otp.check", "otp": "1"},  # not the step under way
        {"action": "user.register", "username": "x"},  # not an action we offer
        {"action": "usernamePassword.check", "username": "ann", "password": "x" * 5000},
    ],
)
def test_bad_input_is_a_4xx(client: Client, standin: PingOneStandIn, data: dict[str, str]) -> None:
    url = start(client)
    response = client.post(url, data)
    assert 400 <= response.status_code < 500
    assert "_auth_user_id" not in client.session


def test_csrf_and_unknown_state(standin: PingOneStandIn, client: Client) -> None:
    assert client.get("/pingone/signon/" + "A" * 43 + "/").status_code == 400
    strict = Client(enforce_csrf_checks=True)
    strict.get("/home/")
    assert strict.post("/pingone/signon/" + "A" * 43 + "/", {"action": "cancel"}).status_code == 403


def test_cancel(client: Client, standin: PingOneStandIn) -> None:
    url = start(client)
    response = step(client, url, "cancel")
    assert response.status_code == 403
    assert client.get(url).status_code == 400


def test_provider_down_is_a_clean_4xx(client: Client, standin: PingOneStandIn, settings: Any) -> None:
    settings.PINGONE_AUTHORIZE = {
        "default": {**standin.settings(RESPONSE_MODE="pi.flow"), "AUTH_PATH": "http://127.0.0.1:9", "DISCOVERY": False}
    }
    response = client.post("/pingone/login/")
    assert response.status_code == 400
    assert b"provider_unreachable" in response.content


def test_steady_state_calls(client: Client, standin: PingOneStandIn) -> None:
    """Warm: authorize (pi.flow), one flows call, resume, token — and no discovery or JWKS fetch."""
    first = start(client)
    step(client, first, "usernamePassword.check", username="ann", password="demo-pw-9")
    other = Client()
    standin.reset_requests_seen()
    url = start(other)
    step(other, url, "usernamePassword.check", username="ann", password="demo-pw-9")
    assert signed_on_as(other) == "ann"
    paths = [(method, path.removeprefix(f"/{standin.env_id}")) for method, path in standin.requests_seen]
    assert [m for m, _ in paths] == ["POST", "POST", "GET", "POST"]
    assert [
        p.split("/")[1] + "/" + p.split("/")[2].split("?")[0] if p.startswith("/as") else p.split("/")[1]
        for _, p in paths
    ] == ["as/authorize", "flows", "as/resume", "as/token"]
