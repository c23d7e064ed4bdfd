"""Embedded sign-on (``pi.flow``) driven by the flow's ``_links``, over real HTTP against the stand-in: every
password and MFA policy PingOne documents completes on the site's own pages, and each abuse is a clear 4xx page
with nobody signed on."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import pytest
import requests
from django.test import Client

from django_pingone_authorize.sign_on.flow_steps import POLL_INTERVAL
from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.flows import IDENTIFIER_FIRST
from django_pingone_authorize.views import flow_pages
from tests.doubles.hostile_provider import reason
from tests.doubles.html_forms import parse_page

pytestmark = pytest.mark.django_db

CALLBACK = "http://127.0.0.1:8000/pingone/callback/"
CODE = "246810"
SECRETS = ("ida-pw-123", "mfa-pw-123", CODE, "VERIFY12")


@pytest.fixture
def standin(pingone_standin: PingOneStandIn, settings: Any) -> PingOneStandIn:
    pingone_standin.add_user("ida", "ida-pw-123", sub="ida-sub", claims={"preferred_username": "ida"})
    pingone_standin.add_user("mia", "mfa-pw-123", sub="mia-sub", mfa=True, claims={"preferred_username": "mia"})
    pingone_standin.add_user(
        "pat", "unused-pw-1", sub="pat-sub", passwordless=True, claims={"preferred_username": "pat"}
    )
    pingone_standin.add_user(
        "val", "val-pw-1234", sub="val-sub", verification_code="VERIFY12", claims={"preferred_username": "val"}
    )
    pingone_standin.add_device("pat", "EMAIL", nickname="Pat's email", otp=CODE)
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK)}
    return pingone_standin


@pytest.fixture
def mia_devices(standin: PingOneStandIn) -> dict[str, str]:
    return {
        "EMAIL": standin.add_device("mia", "EMAIL", nickname="Work email", otp=CODE),
        "SMS": standin.add_device("mia", "SMS", nickname="Mobile", otp=CODE),
        "MOBILE": standin.add_device("mia", "MOBILE", nickname="Mia's phone"),
    }


def start(client: Client) -> str:
    response = client.post("/pingone/login/")
    assert response.status_code == 302, response.content
    return str(response["Location"])


def page(client: Client, url: str) -> tuple[int, str]:
    response = client.get(url)
    return response.status_code, response.content.decode()


def status_of(html: str) -> str:
    found = re.search(r'data-status="([A-Z_]+)"', html)
    return found.group(1) if found else ""


def signed_on_as(client: Client) -> str:
    return client.get("/home/").content.decode().removeprefix("home: ")


def flow_calls(standin: PingOneStandIn, method: str) -> int:
    base = standin.paths.flows_base + "/"
    return sum(1 for seen, path in standin.requests_seen if seen == method and path.startswith(base))


def password_step(client: Client, url: str, username: str, password: str) -> Any:
    return client.post(url, {"action": "usernamePassword.check", "username": username, "password": password})


def answer_push(standin: PingOneStandIn, device: str, decision: str) -> None:
    (flow_id,) = standin.pushes
    answered = requests.post(
        standin.phone_url(device), data={"flowId": flow_id, "decision": decision}, timeout=5, allow_redirects=False
    )
    assert answered.status_code == 302


# -- every policy ----------------------------------------------------------------------------------------


def test_identifier_first_then_password(client: Client, standin: PingOneStandIn, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    standin.sign_on_policy = IDENTIFIER_FIRST
    url = start(client)
    code, html = page(client, url)
    assert code == 200 and status_of(html) == "SIGN_ON_REQUIRED"
    form = parse_page(html).form("pingone-sign-on")
    assert form.fields["action"] == "user.lookup" and "password" not in form.fields  # the username alone
    assert parse_page(html).has_form("pingone-provider")  # external identity providers still offered
    # An unknown username (PingOne refuses the lookup) answers as a known one: its password is asked.
    unknown = client.post(url, {"action": "user.lookup", "username": "nobody", "status": "SIGN_ON_REQUIRED"})
    assert unknown.status_code == 302 and unknown["Location"] == url
    code, html = page(client, url)
    assert status_of(html) == "PASSWORD_REQUIRED" and "Signing on as nobody" in html
    wrong = password_step(client, url, "nobody", "nope")
    assert wrong.status_code == 400 and "The username or password is not right." in wrong.content.decode()
    looked_up = client.post(url, {"action": "user.lookup", "username": "ida", "status": "SIGN_ON_REQUIRED"})
    assert looked_up.status_code == 302 and looked_up["Location"] == url
    code, html = page(client, url)
    assert status_of(html) == "PASSWORD_REQUIRED" and "Signing on as ida" in html
    form = parse_page(html).form("pingone-sign-on")
    assert form.fields["action"] == "usernamePassword.check" and form.fields["username"] == "ida"
    wrong = password_step(client, url, "ida", "nope")
    assert wrong.status_code == 400 and "Signing on as ida" in wrong.content.decode()
    done = password_step(client, url, "ida", "ida-pw-123")
    assert done.status_code == 302
    assert signed_on_as(client) == "ida"
    assert not any(secret in record.getMessage() for record in caplog.records for secret in SECRETS)


def test_identifier_first_asked_by_the_sign_on_policy(client: Client, standin: PingOneStandIn, settings: Any) -> None:
    settings.PINGONE_AUTHORIZE = {
        "default": standin.settings(RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK, ACR_VALUES="Identifier_First")
    }
    url = start(client)
    assert status_of(page(client, url)[1]) == "SIGN_ON_REQUIRED"


def test_mfa_device_selection_then_one_time_code(
    client: Client, standin: PingOneStandIn, mia_devices: dict[str, str]
) -> None:
    url = start(client)
    assert password_step(client, url, "mia", "mfa-pw-123")["Location"] == url
    _code, html = page(client, url)
    assert status_of(html) == "DEVICE_SELECTION_REQUIRED"
    assert "m****@example.com" in html and "*******89" in html  # masked as PingOne gives them
    assert "Work email" in html and "Mia&#x27;s phone" in html
    chosen = client.post(
        url, {"action": "device.select", "device": mia_devices["SMS"], "status": "DEVICE_SELECTION_REQUIRED"}
    )
    assert chosen.status_code == 302
    _code, html = page(client, url)
    assert status_of(html) == "OTP_REQUIRED" and "*******89" in html  # where the code went
    assert parse_page(html).has_form("pingone-other-device")  # the flow offers device.select: another device
    assert client.post(url, {"action": "otp.check", "otp": CODE}).status_code == 302
    assert signed_on_as(client) == "mia"


def test_mfa_push_confirmed_on_the_phone(client: Client, standin: PingOneStandIn, mia_devices: dict[str, str]) -> None:
    url = start(client)
    password_step(client, url, "mia", "mfa-pw-123")
    client.post(url, {"action": "device.select", "device": mia_devices["MOBILE"]})
    code, html = page(client, url)
    assert code == 200 and status_of(html) == "PUSH_CONFIRMATION_REQUIRED"
    assert '<meta http-equiv="refresh" content="3">' in html and "<script" not in html
    answer_push(standin, mia_devices["MOBILE"], "approved")
    time.sleep(POLL_INTERVAL)
    confirmed = client.get(url)  # the page's own refresh
    assert confirmed.status_code == 302
    assert signed_on_as(client) == "mia"


def test_mfa_push_timed_out_then_try_again(
    client: Client, standin: PingOneStandIn, mia_devices: dict[str, str]
) -> None:
    url = start(client)
    password_step(client, url, "mia", "mfa-pw-123")
    client.post(url, {"action": "device.select", "device": mia_devices["MOBILE"]})
    standin.push_timeout = 0.1
    time.sleep(POLL_INTERVAL)
    code, html = page(client, url)
    assert status_of(page(client, url)[1]) in ("PUSH_CONFIRMATION_REQUIRED", "PUSH_CONFIRMATION_TIMED_OUT")
    time.sleep(POLL_INTERVAL)
    code, html = page(client, url)
    assert code == 200 and status_of(html) == "PUSH_CONFIRMATION_TIMED_OUT" and "timed out" in html
    again = parse_page(html).form("pingone-try-again")
    assert again.fields["action"] == "device.select"
    standin.push_timeout = 120
    retried = client.post(url, {"action": "device.select", "device": mia_devices["MOBILE"]})
    assert retried.status_code == 302
    assert status_of(page(client, url)[1]) == "PUSH_CONFIRMATION_REQUIRED"
    assert "_auth_user_id" not in client.session


def test_push_denied_is_pingones_oauth_error_on_the_failure_page(
    client: Client, standin: PingOneStandIn, mia_devices: dict[str, str]
) -> None:
    url = start(client)
    password_step(client, url, "mia", "mfa-pw-123")
    client.post(url, {"action": "device.select", "device": mia_devices["MOBILE"]})
    answer_push(standin, mia_devices["MOBILE"], "denied")
    failed = client.post(url, {"action": "check", "status": "PUSH_CONFIRMATION_REQUIRED"})  # FAILED: resumed
    assert failed.status_code == 403 and reason(failed) == "authorization_error"
    assert "access_denied" in failed.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(url).status_code == 400  # used up


def test_passwordless_lookup_then_one_time_code(client: Client, standin: PingOneStandIn) -> None:
    standin.sign_on_policy = IDENTIFIER_FIRST
    url = start(client)
    client.post(url, {"action": "user.lookup", "username": "pat"})
    _code, html = page(client, url)
    assert status_of(html) == "OTP_REQUIRED" and "p****@example.com" in html
    assert client.post(url, {"action": "otp.check", "otp": CODE}).status_code == 302
    assert signed_on_as(client) == "pat"


def test_verification_code(client: Client, standin: PingOneStandIn) -> None:
    url = start(client)
    password_step(client, url, "val", "val-pw-1234")
    _code, html = page(client, url)
    assert status_of(html) == "VERIFICATION_CODE_REQUIRED"
    assert parse_page(html).form("pingone-verification-code").fields["action"] == "user.verify"
    resent = client.post(url, {"action": "user.sendVerificationCode"})
    assert resent.status_code == 302
    wrong = client.post(url, {"action": "user.verify", "verification_code": "WRONG123"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()  # real and pretend codes alike
    assert client.post(url, {"action": "user.verify", "verification_code": "VERIFY12"}).status_code == 302
    assert signed_on_as(client) == "val"


def test_a_status_without_a_page_is_logged_once(client: Client, standin: PingOneStandIn, caplog: Any) -> None:
    standin.add_user("odd", "odd-pw-1234", unsupported_status="AGREEMENT_CONSENT_REQUIRED")
    flow_pages._logged_statuses.discard("AGREEMENT_CONSENT_REQUIRED")
    url = start(client)
    password_step(client, url, "odd", "odd-pw-1234")
    for _ in range(3):
        assert "cannot show here" in page(client, url)[1]
    warnings = [r for r in caplog.records if "AGREEMENT_CONSENT_REQUIRED" in r.getMessage()]
    assert len(warnings) == 1


# -- abuse -----------------------------------------------------------------------------------------------


def test_an_answer_for_a_status_the_flow_is_not_in_is_refused(client: Client, standin: PingOneStandIn) -> None:
    url = start(client)
    standin.reset_requests_seen()
    stale = client.post(url, {"action": "otp.check", "otp": CODE, "status": "OTP_REQUIRED"})
    assert stale.status_code == 400 and reason(stale) == "flow_bad_action"
    other = client.post(
        url,
        {
            "action": "usernamePassword.check",
            "username": "ida",
            "password": "ida-pw-123",
            "status": "PASSWORD_REQUIRED",
        },
    )
    assert other.status_code == 400 and reason(other) == "flow_bad_action"
    lookup = client.post(url, {"action": "user.lookup", "username": "ida"})  # not in this flow's _links
    assert lookup.status_code == 400 and reason(lookup) == "flow_bad_action"
    assert flow_calls(standin, "POST") == 0  # nothing posted that the flow does not offer
    assert "_auth_user_id" not in client.session


def test_an_answer_naming_another_flow_is_refused(client: Client, standin: PingOneStandIn) -> None:
    victim, attacker = Client(), client
    url = start(victim)
    response = password_step(attacker, url, "ida", "ida-pw-123")  # another session's sign-on
    assert response.status_code == 400 and reason(response) == "state_unknown"
    assert "_auth_user_id" not in attacker.session and "_auth_user_id" not in victim.session


def test_a_device_not_in_the_flow_is_refused(
    client: Client, standin: PingOneStandIn, mia_devices: dict[str, str]
) -> None:
    url = start(client)
    password_step(client, url, "mia", "mfa-pw-123")
    pats = next(device.device_id for device in standin.devices.values() if device.username == "pat")
    standin.reset_requests_seen()
    for device in (pats, "not-a-device", ""):
        refused = client.post(url, {"action": "device.select", "device": device})
        assert refused.status_code == 400 and reason(refused) == "flow_bad_input"
    assert flow_calls(standin, "POST") == 0
    assert "_auth_user_id" not in client.session


def test_a_poll_of_someone_elses_flow_is_refused(
    client: Client, standin: PingOneStandIn, mia_devices: dict[str, str]
) -> None:
    url = start(client)
    password_step(client, url, "mia", "mfa-pw-123")
    client.post(url, {"action": "device.select", "device": mia_devices["MOBILE"]})
    answer_push(standin, mia_devices["MOBILE"], "approved")
    standin.reset_requests_seen()
    stranger = Client()
    assert stranger.get(url).status_code == 400
    assert stranger.post(url, {"action": "check"}).status_code == 400
    assert flow_calls(standin, "GET") == 0
    assert "_auth_user_id" not in stranger.session and "_auth_user_id" not in client.session


def test_a_poll_flood_asks_pingone_at_most_every_two_seconds(
    client: Client, standin: PingOneStandIn, mia_devices: dict[str, str]
) -> None:
    url = start(client)
    password_step(client, url, "mia", "mfa-pw-123")
    client.post(url, {"action": "device.select", "device": mia_devices["MOBILE"]})
    standin.reset_requests_seen()
    started = time.monotonic()
    for look in range(30):
        response = client.get(url) if look % 2 else client.post(url, {"action": "check"})
        assert response.status_code == 200
    elapsed = time.monotonic() - started
    assert flow_calls(standin, "GET") <= 1 + int(elapsed / POLL_INTERVAL)
    html = client.get(url).content.decode()
    refresh = re.search(r'<meta http-equiv="refresh" content="(\d+)">', html)
    assert refresh is not None and int(refresh.group(1)) >= POLL_INTERVAL  # the page never looks more often


def test_one_time_code_brute_force_meets_pingones_lockout(
    client: Client, standin: PingOneStandIn, mia_devices: dict[str, str]
) -> None:
    url = start(client)
    password_step(client, url, "mia", "mfa-pw-123")
    client.post(url, {"action": "device.select", "device": mia_devices["EMAIL"]})
    standin.reset_requests_seen()
    answers = [client.post(url, {"action": "otp.check", "otp": f"{guess:06d}"}) for guess in range(5)]
    assert all(answer.status_code == 400 for answer in answers)
    assert flow_calls(standin, "POST") == 5  # the app never retries on its own
    assert "locked" in answers[-1].content.decode()  # PingOne's lockout message
    right = client.post(url, {"action": "otp.check", "otp": CODE})
    assert right.status_code == 400 and "locked" in right.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_standin_refuses_an_action_the_flow_does_not_offer(standin: PingOneStandIn) -> None:
    http = requests.Session()
    started = http.post(
        standin.authorization_endpoint,
        data={
            "response_type": "code",
            "client_id": "demo-client",
            "scope": "openid",
            "response_mode": "pi.flow",
            "redirect_uri": CALLBACK,
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        },
        timeout=5,
    )
    flow = started.json()
    assert flow["status"] == "USERNAME_PASSWORD_REQUIRED" and "usernamePassword.check" in flow["_links"]
    refused = http.post(
        flow["_links"]["self"]["href"],
        data=b'{"username": "ida"}',
        headers={"Content-Type": "application/vnd.pingidentity.user.lookup+json"},
        timeout=5,
    )
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "INVALID_REQUEST" and set(body) == {"id", "code", "message"}
