"""The headless API over real HTTP against the stand-in: every policy the HTML pages drive completes as JSON, for
a browser client and an app client, and ends exactly as the pages end (the backend, ``sign_on_succeeded``, the
session index). Every answer is checked against the OpenAPI description and for leaked secrets (conftest)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from django.test import Client

from django_pingone_authorize.models import PingOneSession
from django_pingone_authorize.sign_on.flow_steps import POLL_INTERVAL
from django_pingone_authorize.signals import sign_on_succeeded
from django_pingone_authorize.testing import PingOneStandIn
from tests.headless.conftest import CODE, HeadlessClient

pytestmark = pytest.mark.django_db


def actions(step: Any) -> list[str]:
    return [entry["action"] for entry in step.body["actions"]]


def answer_push(standin: PingOneStandIn, device: str, decision: str) -> None:
    (flow_id,) = standin.pushes
    answered = requests.post(
        standin.phone_url(device), data={"flowId": flow_id, "decision": decision}, timeout=5, allow_redirects=False
    )
    assert answered.status_code == 302


def test_username_and_password_as_a_browser_client(browser: HeadlessClient) -> None:
    received: list[dict[str, Any]] = []

    def record(sender: Any, **kwargs: Any) -> None:
        received.append({"sender": sender, **kwargs})

    sign_on_succeeded.connect(record)
    try:
        first = browser.start(next="/home/")
        assert first.status == 200 and first.body["status"] == "USERNAME_PASSWORD_REQUIRED"
        assert actions(first) == ["usernamePassword.check"] and first.body["supported"] is True
        fields = first.body["actions"][0]["fields"]
        assert fields == [{"name": "username", "kind": "text"}, {"name": "password", "kind": "secret"}]
        assert browser.step().body == first.body  # reading the step changes nothing
        done = browser.answer(first, "usernamePassword.check", username="ida", password="ida-pw-123")
    finally:
        sign_on_succeeded.disconnect(record)
    assert done.status == 200 and done.body["status"] == "COMPLETED"
    assert done.body["user"]["username"] == "ida" and done.body["next"] == "/home/"
    assert "session_token" not in done.body
    assert browser.django.get("/home/").content == b"home: ida"  # the Django session cookie
    assert browser.session().body["signed_on"] is True
    assert len(received) == 1 and received[0]["alias"] == "default"
    assert PingOneSession.objects.count() == 1  # the session index, as after the pages
    assert browser.step().status == 404  # used up


def test_identifier_first_then_password(browser: HeadlessClient, identifier_first: PingOneStandIn) -> None:
    first = browser.start()
    assert first.body["status"] == "SIGN_ON_REQUIRED" and actions(first) == ["user.lookup"]
    assert [provider["name"] for provider in first.body["providers"]]  # external identity providers named
    looked_up = browser.answer(first, "user.lookup", username="ida")
    assert looked_up.body["status"] == "PASSWORD_REQUIRED" and looked_up.body["username"] == "ida"
    wrong = browser.answer(looked_up, "usernamePassword.check", username="ida", password="nope")
    assert wrong.status == 400 and wrong.body["error"] == "step_refused"
    assert "incorrect" in wrong.body["message"]  # PingOne's message
    done = browser.answer(wrong, "usernamePassword.check", username="ida", password="ida-pw-123")
    assert done.body["status"] == "COMPLETED"


def test_device_selection_then_one_time_code(browser: HeadlessClient, mia_devices: dict[str, str]) -> None:
    first = browser.start()
    devices = browser.answer(first, "usernamePassword.check", username="mia", password="mfa-pw-123")
    assert devices.body["status"] == "DEVICE_SELECTION_REQUIRED" and actions(devices) == ["device.select"]
    shown = {device["label"]: device["masked"] for device in devices.body["devices"]}
    assert shown["Work email"] == "m****@example.com" and shown["Mobile"] == "*******89"  # as PingOne masks them
    code = browser.answer(devices, "device.select", device=mia_devices["SMS"])
    assert code.body["status"] == "OTP_REQUIRED" and actions(code) == ["otp.check", "device.select"]
    assert [device["selected"] for device in code.body["devices"] if device["id"] == mia_devices["SMS"]] == [True]
    wrong = browser.answer(code, "otp.check", otp="000000")
    assert wrong.status == 400 and wrong.body["step"]["status"] == "OTP_REQUIRED"
    done = browser.answer(wrong, "otp.check", otp=CODE)
    assert done.body["status"] == "COMPLETED" and done.body["user"]["username"] == "mia"


def test_push_confirmed_on_the_phone(
    browser: HeadlessClient, standin: PingOneStandIn, mia_devices: dict[str, str]
) -> None:
    first = browser.start()
    devices = browser.answer(first, "usernamePassword.check", username="mia", password="mfa-pw-123")
    push = browser.answer(devices, "device.select", device=mia_devices["MOBILE"])
    assert push.body["status"] == "PUSH_CONFIRMATION_REQUIRED" and push.body["poll_after"] == POLL_INTERVAL
    time.sleep(POLL_INTERVAL)
    waiting = browser.poll()
    assert waiting.status == 200 and waiting.body["status"] == "PUSH_CONFIRMATION_REQUIRED"
    answer_push(standin, mia_devices["MOBILE"], "approved")
    too_soon = browser.poll()
    assert too_soon.status == 429 and too_soon.body["error"] == "poll_too_soon"
    assert too_soon.headers["Retry-After"] == str(POLL_INTERVAL)
    time.sleep(POLL_INTERVAL)
    done = browser.poll()
    assert done.status == 200 and done.body["status"] == "COMPLETED"
    assert browser.django.get("/home/").content == b"home: mia"


def test_push_denied_is_pingones_oauth_error(
    browser: HeadlessClient, standin: PingOneStandIn, mia_devices: dict[str, str]
) -> None:
    first = browser.start()
    devices = browser.answer(first, "usernamePassword.check", username="mia", password="mfa-pw-123")
    browser.answer(devices, "device.select", device=mia_devices["MOBILE"])
    answer_push(standin, mia_devices["MOBILE"], "denied")
    time.sleep(POLL_INTERVAL)
    denied = browser.poll()
    assert denied.status == 403 and denied.body["error"] == "authorization_error"
    assert "denied" in denied.body["provider_message"]
    assert browser.session().body["signed_on"] is False
    assert browser.step().status == 404


def test_passwordless_lookup_then_one_time_code(browser: HeadlessClient, identifier_first: PingOneStandIn) -> None:
    code = browser.answer(browser.start(), "user.lookup", username="pat")
    assert code.body["status"] == "OTP_REQUIRED" and code.body["devices"][0]["masked"] == "p****@example.com"
    assert browser.answer(code, "otp.check", otp=CODE).body["status"] == "COMPLETED"


def test_verification_code(browser: HeadlessClient) -> None:
    verify = browser.answer(browser.start(), "usernamePassword.check", username="val", password="val-pw-1234")
    assert verify.body["status"] == "VERIFICATION_CODE_REQUIRED"
    assert actions(verify) == ["user.verify", "user.sendVerificationCode"]
    resent = browser.answer(verify, "user.sendVerificationCode")
    assert resent.body["status"] == "VERIFICATION_CODE_REQUIRED"
    done = browser.answer(resent, "user.verify", verification_code="VERIFY12")
    assert done.body["status"] == "COMPLETED"


def test_cancel(browser: HeadlessClient) -> None:
    browser.start()
    assert browser.cancel().body == {"status": "CANCELLED"}
    assert browser.step().status == 404 and browser.cancel().status == 404


def test_a_status_without_a_step_here_points_at_the_redirect_sign_on(
    browser: HeadlessClient, standin: PingOneStandIn
) -> None:
    standin.add_user("odd", "odd-pw-1234", unsupported_status="AGREEMENT_CONSENT_REQUIRED")
    odd = browser.answer(browser.start(next="/home/"), "usernamePassword.check", username="odd", password="odd-pw-1234")
    assert odd.body["supported"] is False and odd.body["actions"] == []
    assert odd.body["redirect_sign_on_url"] == "/pingone/login/default/?hosted=1&next=%2Fhome%2F"


# -- the app client ----------------------------------------------------------------------------------------------


PAYLOAD = "eyJhcHAiOiJwYXlsb2FkIn0.mobile-sdk_payload"


def test_the_mobile_payload_goes_top_level_without_a_request_object(app: HeadlessClient, standin: Any) -> None:
    assert app.start(mobilePayload=PAYLOAD).status == 200
    assert standin.mobile_payloads_seen == [("query", PAYLOAD)]


def test_app_client_signs_on_with_a_mobile_payload_and_a_rotating_token(
    app: HeadlessClient, standin: PingOneStandIn, mia_devices: dict[str, str], settings: Any
) -> None:
    # A secret long enough for HS256: the embedded sign-on then signs a request object by default.
    standin.add_client(
        "app-client", "an-app-client-secret-of-40-characters-xx", redirect_uris=["http://testserver/pingone/callback/"]
    )
    settings.PINGONE_AUTHORIZE = {
        "default": standin.settings(
            "app-client", RESPONSE_MODE="pi.flow", REDIRECT_URI="http://testserver/pingone/callback/"
        )
    }
    assert app.session().status == 401  # no token yet
    first = app.start(mobilePayload=PAYLOAD)
    assert first.status == 200 and first.body["session_token"]
    started_with = app.token
    # Sent to PingOne top-level and inside the signed request object.
    assert standin.mobile_payloads_seen == [("query", PAYLOAD), ("request", PAYLOAD)]
    devices = app.answer(first, "usernamePassword.check", username="mia", password="mfa-pw-123")
    code = app.answer(devices, "device.select", device=mia_devices["EMAIL"])
    done = app.answer(code, "otp.check", otp=CODE)
    assert done.body["status"] == "COMPLETED" and done.body["session_token"] != started_with  # rotated
    assert done.headers["X-Session-Token"] == done.body["session_token"]
    assert "X-Session-Token" not in code.headers  # unchanged between steps
    assert app.session().body["user"]["username"] == "mia"
    old = app.call("GET", "session/", headers={"X-Session-Token": started_with})
    assert old.status == 401 and old.body["error"] == "invalid_token"  # the token before sign-on is gone
    assert app.logout().body["signed_on"] is False
    after = app.session()
    assert after.status == 401  # the token ended at logout
    assert Client().get("/home/").content == b"home: anonymous"


def test_app_client_identifier_first(app: HeadlessClient, identifier_first: PingOneStandIn) -> None:
    first = app.start(login_hint="ida")
    looked_up = app.answer(first, "user.lookup", username="ida")
    done = app.answer(looked_up, "usernamePassword.check", username="ida", password="ida-pw-123")
    assert done.body["status"] == "COMPLETED"
    assert app.session().body["signed_on"] is True


def test_per_request_parameters_follow_the_aliass_rules(app: HeadlessClient, settings: Any, standin: Any) -> None:
    settings.PINGONE_AUTHORIZE = {
        "default": standin.settings(
            RESPONSE_MODE="pi.flow", REDIRECT_URI="http://testserver/pingone/callback/", MAX_AGE=600
        )
    }
    looser = app.start(max_age=3600)
    assert looser.status == 400 and looser.body["error"] == "bad_request_parameter"  # never loosens
    assert app.start(max_age=60).status == 200  # may tighten
    assert app.start(prompt="nonsense").status == 400
    assert app.start(login_hint_token="not-a-jwt").status == 200  # not allowed by the alias: ignored, as on the pages


def test_a_step_up_from_the_site_is_carried_and_one_for_another_alias_refused(
    app: HeadlessClient, standin: PingOneStandIn
) -> None:
    from django_pingone_authorize.oidc.authorize import SignOnRequirement
    from django_pingone_authorize.sign_on.requirements import make_step_up

    other = app.start(step_up=make_step_up("other", SignOnRequirement(prompt_login=True)))
    assert other.status == 400 and other.body["error"] == "bad_step_up"
    fresh = app.start(step_up=make_step_up("default", SignOnRequirement(max_age=60, prompt_login=True)))
    assert fresh.status == 200
    # What the sign-on asked travels with its redirect fallback too (signed), as on the pages.
    assert "step_up=" in fresh.body["redirect_sign_on_url"]
    done = app.answer(fresh, "usernamePassword.check", username="ida", password="ida-pw-123")
    assert done.body["status"] == "COMPLETED"  # the ID token's auth_time checked against prompt=login, max_age
