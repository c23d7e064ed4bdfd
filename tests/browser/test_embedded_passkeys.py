"""Passkeys on the embedded pages in Chromium, with its virtual authenticator (the DevTools protocol's WebAuthn
domain: ``WebAuthn.enable``, ``addVirtualAuthenticator`` ctap2 with a resident key and user verification,
``addCredential``). The passkey's key pair is made in the test (``SoftPasskey``): its private key goes to the
virtual authenticator, its public key to the stand-in, which verifies the browser's assertion with py_webauthn.

WebAuthn refuses IP addresses as RP IDs, so here the example site is browsed as ``localhost`` (the RP ID) and
this stand-in listens on ``127.0.0.1``: still another site than the app. Also: under a strict CSP (the script is
external), without script (the other ways), and with no passkey in the authenticator."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.passkeys import SoftPasskey
from tests.browser.helpers import STRICT_CSP, BrowserSession
from tests.browser.sites import DEMO_STANDIN_ENV_ID, ExampleSite, standin_site_env
from tests.browser.test_embedded import assert_posts_carried_our_origin, assert_signed_on, open_embedded_page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def passkey_standin() -> Iterator[PingOneStandIn]:
    with PingOneStandIn(host="127.0.0.1", env_id=DEMO_STANDIN_ENV_ID) as server:
        yield server


@pytest.fixture(scope="module", params=["plain", "strict-csp"])
def passkey_site(
    request: pytest.FixtureRequest, site_factory: Callable[..., ExampleSite], passkey_standin: PingOneStandIn
) -> Iterator[ExampleSite]:
    """The example site on the 127.0.0.1 stand-in, browsed as ``localhost``; stopped after this module (the
    example sites share ten ports)."""
    if request.param == "strict-csp":
        env = {**standin_site_env(passkey_standin), "BROWSER_TEST_CSP": STRICT_CSP}
        site = site_factory(env, "tests.browser.site_settings")
    else:
        site = site_factory(standin_site_env(passkey_standin))
    yield dataclasses.replace(site, url=site.url.replace("//127.0.0.1:", "//localhost:"))
    site.stop()


@pytest.fixture
def pia(passkey_standin: PingOneStandIn) -> Iterator[PingOneStandIn]:
    passkey_standin.reset()
    passkey_standin.passkey_rp_id = "localhost"
    passkey_standin.add_user("pia", "pia-pw-123", mfa=True, claims={"preferred_username": "pia"})
    yield passkey_standin
    passkey_standin.reset()


def virtual_authenticator(browser: BrowserSession) -> tuple[Any, str]:
    cdp = browser.context.new_cdp_session(browser.page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
    }
    return cdp, cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})["authenticatorId"]


def sign_on_with_password(browser: BrowserSession, site: ExampleSite) -> Any:
    page = open_embedded_page(browser, site)
    page.locator("#pingone-username").fill("pia")
    page.locator("#pingone-password").fill("pia-pw-123")
    page.get_by_role("button", name="Sign on", exact=True).click()
    return page


def test_signs_on_with_a_passkey(browser: BrowserSession, passkey_site: ExampleSite, pia: PingOneStandIn) -> None:
    passkey = SoftPasskey("localhost")
    pia.add_passkey("pia", passkey.cose_public_key, passkey.credential_id)
    cdp, authenticator = virtual_authenticator(browser)
    cdp.send("WebAuthn.addCredential", {"authenticatorId": authenticator, "credential": passkey.virtual_credential()})
    sign_on_with_password(browser, passkey_site)  # the page runs WebAuthn by itself and posts the answer
    assert_signed_on(browser, passkey_site, "pia")
    assert_posts_carried_our_origin(browser, passkey_site)
    (credential,) = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert credential["signCount"] == 1  # the virtual authenticator signed once
    page_errors = [text for kind, text, _url in browser.console if kind == "pageerror" or "Refused" in text]
    assert not page_errors, page_errors


def test_no_passkey_in_the_authenticator_offers_the_other_ways(
    browser: BrowserSession, passkey_site: ExampleSite, pia: PingOneStandIn
) -> None:
    pia.new_passkey("pia")  # registered at PingOne, but not in this browser's authenticator
    email = pia.add_device("pia", "EMAIL", nickname="Pia's email", otp="112233")
    _cdp, _authenticator = virtual_authenticator(browser)
    page = sign_on_with_password(browser, passkey_site)
    page.get_by_role("button", name="Passkey", exact=True).click()  # DEVICE_SELECTION_REQUIRED: the passkey
    expect(page.locator('main[data-status="ASSERTION_REQUIRED"]')).to_be_visible()
    expect(page.locator("#pingone-passkey-failed")).to_be_visible(timeout=15000)
    expect(page.locator("#pingone-passkey-button")).to_be_visible()  # try again
    browser.shot("no-passkey")
    page.locator(f'#pingone-other-device button[value="{email}"]').click()
    expect(page.locator('main[data-status="OTP_REQUIRED"]')).to_be_visible()
    page.locator("#pingone-otp").fill("112233")
    page.get_by_role("button", name="Verify", exact=True).click()
    assert_signed_on(browser, passkey_site, "pia")


def test_without_script_the_page_offers_the_other_ways(
    browser_without_script: BrowserSession, passkey_site: ExampleSite, pia: PingOneStandIn
) -> None:
    browser = browser_without_script
    pia.new_passkey("pia")
    page = sign_on_with_password(browser, passkey_site)
    expect(page.locator('main[data-status="ASSERTION_REQUIRED"]')).to_be_visible()
    expect(page.locator(".pingone-passkey-noscript")).to_be_visible()
    expect(page.locator("#pingone-passkey-button")).to_be_hidden()
    expect(page.get_by_role("button", name="Use PingOne's sign-on page instead")).to_be_visible()
    browser.shot("passkey-without-script")


def test_the_standin_registers_a_passkey_in_the_browser(
    browser: BrowserSession, browser_standin: PingOneStandIn
) -> None:
    """The stand-in's own registration page (for a person trying the demo): ``create()`` in Chromium, the
    attestation verified by py_webauthn, the credential the user's."""
    browser_standin.reset()
    browser_standin.add_user("pia", "pia-pw-123")
    virtual_authenticator(browser)
    page = browser.page
    page.goto(browser_standin.passkey_registration_url + "?username=pia")
    page.locator("#register").click()
    expect(page.locator("#result.registered")).to_be_visible()
    browser.shot("passkey-registered")
    assert [passkey.username for passkey in browser_standin.passkeys.values()] == ["pia"]
    assert any(device.type == "FIDO2" for device in browser_standin.devices.values())
    browser_standin.reset()
