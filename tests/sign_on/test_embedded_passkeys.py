"""Passkeys (FIDO2, ``ASSERTION_REQUIRED`` / ``assertion.check``) on the embedded pages, over real HTTP against
the stand-in, which verifies assertions with py_webauthn. The authenticator is a software passkey
(``testing.passkeys.SoftPasskey``); the browser side is in ``tests/browser/test_embedded_passkeys.py``.

The attacker's tries: an assertion made for another flow, a credential of another user, an origin the page was
not on, a posted ``origin`` field, garbage, and ``assertion.check`` when the flow does not offer it."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from django.test import Client

from django_pingone_authorize.testing import PingOneStandIn
from tests.doubles.hostile_provider import reason
from tests.sign_on.test_embedded_policies import flow_calls, page, password_step, signed_on_as, start, status_of

pytestmark = pytest.mark.django_db

CALLBACK = "http://127.0.0.1:8000/pingone/callback/"
ORIGIN = "http://testserver"  # Django's test client: the origin the site computes for its own requests


@pytest.fixture
def standin(pingone_standin: PingOneStandIn, settings: Any) -> PingOneStandIn:
    pingone_standin.passkey_rp_id = "testserver"
    for name in ("pia", "max"):
        pingone_standin.add_user(
            name, f"{name}-pw-123", sub=f"{name}-sub", mfa=True, claims={"preferred_username": name}
        )
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK)}
    return pingone_standin


def options_of(html: str) -> dict[str, Any]:
    found = re.search(r'<script id="pingone-passkey-options" type="application/json">(.*?)</script>', html, re.S)
    assert found, html
    return dict(json.loads(found.group(1)))


def at_passkey_step(client: Client, name: str) -> tuple[str, dict[str, Any]]:
    url = start(client)
    assert password_step(client, url, name, f"{name}-pw-123")["Location"] == url
    code, html = page(client, url)
    assert code == 200 and status_of(html) == "ASSERTION_REQUIRED", html
    assert "/pingone/passkey.js" in html  # the external script; no inline one
    return url, options_of(html)


def answer(client: Client, url: str, assertion: str, **extra: str) -> Any:
    return client.post(
        url, {"action": "assertion.check", "status": "ASSERTION_REQUIRED", "assertion": assertion, **extra}
    )


def test_signs_on_with_a_passkey(client: Client, standin: PingOneStandIn, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    passkey = standin.new_passkey("pia")
    url, options = at_passkey_step(client, "pia")
    # PingOne's byte arrays reach the page as base64url, with the RP ID and the user's credential.
    assert options["rpId"] == "testserver" and len(options["allowCredentials"]) == 1
    assertion = passkey.assertion(options, ORIGIN)
    done = answer(client, url, assertion)
    assert done.status_code == 302, done.content
    assert signed_on_as(client) == "pia"
    assert not any(assertion in record.getMessage() for record in caplog.records)


def test_an_assertion_for_another_flow_is_refused(standin: PingOneStandIn) -> None:
    passkey = standin.new_passkey("pia")
    first, second = Client(), Client()
    _url, first_options = at_passkey_step(first, "pia")
    url, _options = at_passkey_step(second, "pia")
    refused = answer(second, url, passkey.assertion(first_options, ORIGIN))  # signed over the other challenge
    assert refused.status_code == 400 and 'role="alert"' in refused.content.decode()
    assert status_of(refused.content.decode()) == "ASSERTION_REQUIRED"
    assert "_auth_user_id" not in second.session


def test_another_users_passkey_is_refused(client: Client, standin: PingOneStandIn) -> None:
    standin.new_passkey("pia")
    theirs = standin.new_passkey("max")
    url, options = at_passkey_step(client, "pia")
    refused = answer(client, url, theirs.assertion(options, ORIGIN))
    assert refused.status_code == 400
    assert "_auth_user_id" not in client.session


def test_the_origin_sent_is_the_sites_own(client: Client, standin: PingOneStandIn) -> None:
    passkey = standin.new_passkey("pia")
    standin.passkey_origins = (ORIGIN,)  # PingOne's FIDO policy allows this site's origin only
    url, options = at_passkey_step(client, "pia")
    # A page on another origin (a phishing site relaying the challenge): the signed origin is not ours.
    phished = answer(client, url, passkey.assertion(options, "http://evil.example"), origin="http://evil.example")
    assert phished.status_code == 400
    assert "_auth_user_id" not in client.session
    standin.passkey_origins = ("http://evil.example",)  # a posted origin is never forwarded
    refused = answer(client, url, passkey.assertion(options, "http://evil.example"), origin="http://evil.example")
    assert refused.status_code == 400
    standin.passkey_origins = (ORIGIN,)
    assert answer(client, url, passkey.assertion(options, ORIGIN)).status_code == 302
    assert signed_on_as(client) == "pia"


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not json",
        "[]",
        '{"type": "public-key"}',
        '{"id": "x", "type": "public-key", "response": {"signature": "**"}}',
    ],
)
def test_garbage_is_a_clear_page_and_never_reaches_pingone(
    client: Client, standin: PingOneStandIn, garbage: str
) -> None:
    standin.new_passkey("pia")
    url, _options = at_passkey_step(client, "pia")
    before = flow_calls(standin, "POST")
    refused = answer(client, url, garbage)
    assert refused.status_code == 400 and reason(refused) == "flow_bad_input"
    assert flow_calls(standin, "POST") == before
    assert status_of(page(client, url)[1]) == "ASSERTION_REQUIRED"  # the sign-on goes on


def test_assertion_check_only_when_the_flow_offers_it(client: Client, standin: PingOneStandIn) -> None:
    passkey = standin.new_passkey("pia")
    url = start(client)  # USERNAME_PASSWORD_REQUIRED: no assertion.check in its _links
    options = {"challenge": "AAAA", "rpId": "testserver"}
    refused = client.post(url, {"action": "assertion.check", "assertion": passkey.assertion(options, ORIGIN)})
    assert refused.status_code == 400 and reason(refused) == "flow_bad_action"


def test_another_device_is_offered_beside_the_passkey(client: Client, standin: PingOneStandIn) -> None:
    standin.new_passkey("pia")
    email = standin.add_device("pia", "EMAIL", nickname="Pia's email", otp="112233")
    url = start(client)
    password_step(client, url, "pia", "pia-pw-123")
    assert status_of(page(client, url)[1]) == "DEVICE_SELECTION_REQUIRED"
    (passkey_device,) = [d for d, dev in standin.devices.items() if dev.type == "FIDO2"]
    client.post(url, {"action": "device.select", "device": passkey_device, "status": "DEVICE_SELECTION_REQUIRED"})
    _code, html = page(client, url)
    assert status_of(html) == "ASSERTION_REQUIRED" and 'id="pingone-other-device"' in html
    assert "Signing on with a passkey needs JavaScript" in html  # the <noscript> words
    client.post(url, {"action": "device.select", "device": email, "status": "ASSERTION_REQUIRED"})
    assert status_of(page(client, url)[1]) == "OTP_REQUIRED"
    assert client.post(url, {"action": "otp.check", "otp": "112233"}).status_code == 302
    assert signed_on_as(client) == "pia"


def test_an_rp_id_this_host_cannot_use_offers_the_other_ways(
    client: Client, standin: PingOneStandIn, caplog: Any
) -> None:
    standin.new_passkey("pia")
    standin.passkey_rp_id = "pingone.example"  # PingOne's own domain: no browser on testserver may use it
    url = start(client)
    password_step(client, url, "pia", "pia-pw-123")
    code, html = page(client, url)
    assert code == 200 and status_of(html) == "ASSERTION_REQUIRED"
    assert "pingone-passkey-options" not in html and "passkey.js" not in html
    assert "not possible on this page" in html and "pingone-hosted" in html  # PingOne's hosted page offered
    assert any("RP ID" in record.getMessage() for record in caplog.records)
