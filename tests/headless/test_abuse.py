"""The headless API played by an attacker: each refusal is a JSON error with a stable code, nothing reaches
PingOne that should not, and nobody is signed on."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import signing
from django.test import Client

from django_pingone_authorize.headless.clients import TOKEN_SALT
from django_pingone_authorize.sign_on.flow_steps import POLL_INTERVAL
from django_pingone_authorize.testing import PingOneStandIn
from tests.headless.conftest import CODE, HeadlessClient, Seen, flow_calls

pytestmark = pytest.mark.django_db


def signed_on(client: HeadlessClient) -> bool:
    return bool(client.session().body["signed_on"]) if client.kind == "browser" or client.token else False


def test_a_step_answer_for_another_clients_flow(browser: HeadlessClient, standin: PingOneStandIn, seen: Seen) -> None:
    victim, attacker = browser, HeadlessClient("browser", standin, seen)
    first = victim.start()
    standin.reset_requests_seen()
    # No flow of its own: nothing to answer (the victim's step token names nothing here).
    stranger = attacker.answer(first, "usernamePassword.check", username="ida", password="ida-pw-123")
    assert stranger.status == 404 and stranger.body["error"] == "no_sign_on"
    # A flow of its own: the victim's step token is not its step.
    attacker.start()
    standin.reset_requests_seen()
    crossed = attacker.answer(first, "usernamePassword.check", username="ida", password="ida-pw-123")
    assert crossed.status == 409 and crossed.body["error"] == "stale_step"
    assert flow_calls(standin, "POST") == 0
    assert not signed_on(attacker) and not signed_on(victim)


def test_a_replayed_answer_is_refused_before_pingone(
    browser: HeadlessClient, standin: PingOneStandIn, identifier_first: PingOneStandIn
) -> None:
    first = browser.start()
    assert browser.answer(first, "user.lookup", username="ida").status == 200
    standin.reset_requests_seen()
    replayed = browser.answer(first, "user.lookup", username="ida")
    assert replayed.status == 409 and replayed.body["error"] == "stale_step"
    assert flow_calls(standin, "POST") == 0


def test_an_action_the_flow_does_not_offer(browser: HeadlessClient, standin: PingOneStandIn) -> None:
    first = browser.start()
    standin.reset_requests_seen()
    for action in ("user.lookup", "otp.check", "session.reset", "password.forgot", ""):
        refused = browser.answer(first, action, username="ida")
        assert refused.status == 409 and refused.body["error"] == "step_not_offered"
    odd = browser.answer(first, "usernamePassword.check", username="ida", password="x", extra="y")
    assert odd.status == 400 and odd.body["error"] == "flow_bad_input"
    empty = browser.answer(first, "usernamePassword.check", username="ida", password="")
    assert empty.status == 400 and empty.body["error"] == "flow_bad_input"
    assert flow_calls(standin, "POST") == 0


def test_bad_json_is_a_400(browser: HeadlessClient) -> None:
    csrf = {"X-CSRFToken": browser.csrf()}
    for data in ("{", "[]", '"x"', "x" * 20000):
        response = browser.django.generic(
            "POST", browser.url("signon/"), data, content_type="application/json", headers=csrf
        )
        answer = browser.check("POST", browser.url("signon/"), response)
        assert answer.status == 400 and answer.body["error"] == "bad_request"


def test_a_browser_request_without_csrf_is_refused_in_json(browser: HeadlessClient, standin: PingOneStandIn) -> None:
    standin.reset_requests_seen()
    refused = browser.call("POST", "signon/", {}, csrf=False)
    assert refused.status == 403 and refused.body["error"] == "csrf_failed"
    wrong = browser.call("POST", "signon/", {}, headers={"X-CSRFToken": "x" * 32})
    assert wrong.status == 403 and wrong.body["error"] == "csrf_failed"
    assert standin.requests_seen == []
    first = browser.start()
    for method, route in (
        ("POST", "signon/step/"),
        ("POST", "signon/poll/"),
        ("DELETE", "signon/"),
        ("DELETE", "session/"),
    ):
        answer = browser.call(method, route, {"step": first.body["step"], "action": "x"}, csrf=False)
        assert answer.status == 403 and answer.body["error"] == "csrf_failed"
    assert browser.step().status == 200  # still under way


def test_an_app_token_from_a_browser_and_a_browser_session_as_a_token(
    app: HeadlessClient, browser: HeadlessClient, standin: PingOneStandIn
) -> None:
    app.start()
    # The token as a header on the browser endpoints.
    mixed = browser.call("GET", "signon/", headers={"X-Session-Token": app.token})
    assert mixed.status == 400 and mixed.body["error"] == "wrong_client"
    # The app session's key as a browser's session cookie.
    key = signing.Signer(salt=TOKEN_SALT).unsign(app.token)
    browser.django.cookies[django_settings.SESSION_COOKIE_NAME] = key
    stolen = browser.call("GET", "signon/")
    assert stolen.status == 403 and stolen.body["error"] == "wrong_client"
    # A browser's session key as a token, signed or not by someone else.
    other = HeadlessClient("browser", standin, browser.seen)
    other.start()
    browser_key = other.django.cookies[django_settings.SESSION_COOKIE_NAME].value
    for token in (browser_key, signing.Signer(salt=TOKEN_SALT, key="another-key").sign(browser_key), "", "x" * 600):
        refused = app.call("GET", "signon/", headers={"X-Session-Token": token})
        assert refused.status == 401 and refused.body["error"] == "invalid_token"
    # Even signed by this site, a browser's session is not an app's.
    forged = app.call("GET", "session/", headers={"X-Session-Token": signing.Signer(salt=TOKEN_SALT).sign(browser_key)})
    assert forged.status == 401
    # The app endpoints never read cookies: a signed-on browser's cookie gives an app client nothing.
    assert app.call("GET", "signon/", headers={"X-Session-Token": app.token}).status == 200


def test_a_poll_flood_asks_pingone_at_most_every_two_seconds(
    browser: HeadlessClient, standin: PingOneStandIn, mia_devices: dict[str, str]
) -> None:
    first = browser.start()
    devices = browser.answer(first, "usernamePassword.check", username="mia", password="mfa-pw-123")
    browser.answer(devices, "device.select", device=mia_devices["MOBILE"])
    standin.reset_requests_seen()
    started = time.monotonic()
    statuses = [browser.poll().status for _ in range(30)]
    elapsed = time.monotonic() - started
    assert set(statuses) <= {200, 429} and 429 in statuses
    assert flow_calls(standin, "GET") <= 1 + int(elapsed / POLL_INTERVAL)
    assert not signed_on(browser)


def test_a_poll_outside_a_push_is_refused(browser: HeadlessClient, standin: PingOneStandIn) -> None:
    browser.start()
    standin.reset_requests_seen()
    refused = browser.poll()
    assert refused.status == 409 and refused.body["error"] == "not_waiting"
    assert flow_calls(standin, "GET") == 0


def test_the_lookup_step_does_not_tell_who_exists(
    browser: HeadlessClient, identifier_first: PingOneStandIn, standin: PingOneStandIn
) -> None:
    """PingOne moves a known user on to the password and refuses an unknown one: the refusal is all we can shape.
    It is one answer for every unknown name, without PingOne's "could not be found"."""

    def refusal(username: str) -> dict[str, Any]:
        first = browser.start()
        answer = browser.answer(first, "user.lookup", username=username)
        assert answer.status == 400
        body = dict(answer.body)
        body["step"] = {**body["step"], "step": "-", "username": "-"}
        return body

    one, other = refusal("nobody"), refusal("somebody-else@example.com")
    assert one == other
    assert "found" not in one["message"] and one["error"] == "step_refused"


def test_a_wrong_password_and_an_unknown_user_answer_alike(browser: HeadlessClient) -> None:
    def refusal(username: str) -> dict[str, Any]:
        answer = browser.answer(browser.start(), "usernamePassword.check", username=username, password="wrong-pw-1")
        body = dict(answer.body)
        assert body["step"]["username"] == username  # what was typed, kept for the form
        body["step"] = {**body["step"], "step": "-", "username": "-"}
        return {"status": answer.status, **body}

    assert refusal("ida") == refusal("nobody")


def test_a_mobile_payload_from_a_browser_is_refused(browser: HeadlessClient, standin: PingOneStandIn) -> None:
    standin.reset_requests_seen()
    refused = browser.start(mobilePayload="eyJhIjoiYiJ9.payload")
    assert refused.status == 400 and refused.body["error"] == "mobile_payload_refused"
    assert standin.requests_seen == [] and standin.mobile_payloads_seen == []


@pytest.mark.parametrize("payload", ["", "a b", "x" * 9000, 12, "é"])
def test_a_malformed_mobile_payload_is_refused(app: HeadlessClient, standin: PingOneStandIn, payload: Any) -> None:
    refused = app.start(mobilePayload=payload)
    assert refused.status == 400 and refused.body["error"] == "bad_request_parameter"
    assert standin.mobile_payloads_seen == []


def test_the_one_time_code_lockout_is_pingones(
    app: HeadlessClient, standin: PingOneStandIn, mia_devices: dict[str, str]
) -> None:
    first = app.start()
    devices = app.answer(first, "usernamePassword.check", username="mia", password="mfa-pw-123")
    step: Any = app.answer(devices, "device.select", device=mia_devices["EMAIL"])
    standin.reset_requests_seen()
    for guess in range(5):
        step = app.answer(step, "otp.check", otp=f"{guess:06d}")
        assert step.status == 400
    assert flow_calls(standin, "POST") == 5  # never retried on its own
    assert "locked" in step.body["message"]
    assert app.answer(step, "otp.check", otp=CODE).status == 400


def test_an_unknown_or_disallowed_alias_is_a_404(app: HeadlessClient, settings: Any) -> None:
    assert app.start(alias="nope").body["error"] == "unknown_alias"
    settings.PINGONE_AUTHORIZE_HEADLESS = {"ALIASES": ["other"]}
    assert app.start().status == 404


def test_pingone_down_is_a_503(app: HeadlessClient, settings: Any, standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE = {
        "default": {**standin.settings(RESPONSE_MODE="pi.flow"), "AUTH_PATH": "http://127.0.0.1:9", "TIMEOUT": 1}
    }
    down = app.start()
    assert down.status in (502, 503) and down.body["error"].startswith("provider_")


def test_off_by_default_and_per_client(settings: Any, standin: PingOneStandIn, db: None) -> None:
    del settings.PINGONE_AUTHORIZE_HEADLESS
    client = Client()
    for url in (
        "/pingone/headless/openapi.json",
        "/pingone/headless/browser/signon/",
        "/pingone/headless/app/session/",
    ):
        response = client.get(url)
        assert response.status_code == 404 and response.json()["error"] == "not_found"
    settings.PINGONE_AUTHORIZE_HEADLESS = {"CLIENTS": ["app"]}
    assert client.get("/pingone/headless/browser/session/").status_code == 404
    assert client.get("/pingone/headless/app/session/").status_code == 401
