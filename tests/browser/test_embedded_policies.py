"""Every flows-API sign-on policy on the site's own pages in a real browser, with script on and off and under a
strict CSP (the ``embedded`` fixture): identifier-first, MFA (device choice, one-time code, push wait, timed out), passwordless, a
verification code, and PingOne's lockout after wrong codes. The example site runs on ``127.0.0.1`` and the
PingOne stand-in on ``localhost`` (another site)."""

from __future__ import annotations

from typing import Any

import requests
from playwright.sync_api import expect

from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.flows import IDENTIFIER_FIRST
from tests.browser.helpers import BrowserSession
from tests.browser.sites import ExampleSite
from tests.browser.test_embedded import (
    assert_posts_carried_our_origin,
    assert_signed_on,
    open_embedded_page,
    type_username_password,
)

CODE = "135790"


def mfa_user(standin: PingOneStandIn) -> dict[str, str]:
    standin.add_user("mia", "mia-pw-123", mfa=True, claims={"preferred_username": "mia"})
    return {
        "email": standin.add_device("mia", "EMAIL", nickname="Work email", otp=CODE),
        "phone": standin.add_device("mia", "MOBILE", nickname="Mia's phone"),
    }


def status(page: Any, name: str) -> Any:
    return page.locator(f'main[data-status="{name}"]')


def test_identifier_first(embedded: tuple[BrowserSession, ExampleSite], browser_standin: PingOneStandIn) -> None:
    browser, site = embedded
    browser_standin.sign_on_policy = IDENTIFIER_FIRST
    page = open_embedded_page(browser, site)
    expect(status(page, "SIGN_ON_REQUIRED")).to_be_visible()
    expect(page.locator("#pingone-password")).to_have_count(0)  # the username alone
    expect(page.get_by_role("button", name="Stand-in IdP", exact=True)).to_be_visible()  # providers still offered
    page.locator("#pingone-username").fill("demo")
    page.get_by_role("button", name="Next", exact=True).click()
    expect(status(page, "PASSWORD_REQUIRED")).to_be_visible()
    expect(page.locator(".pingone-username")).to_contain_text("demo")  # the username kept
    browser.shot("password-required")
    page.locator("#pingone-password").fill("demo")
    page.get_by_role("button", name="Sign on", exact=True).click()
    assert_signed_on(browser, site, "demo")
    assert_posts_carried_our_origin(browser, site)


def test_mfa_device_choice_and_one_time_code(
    embedded: tuple[BrowserSession, ExampleSite], browser_standin: PingOneStandIn
) -> None:
    browser, site = embedded
    mfa_user(browser_standin)
    page = open_embedded_page(browser, site)
    type_username_password(page, "mia", "mia-pw-123")
    expect(status(page, "DEVICE_SELECTION_REQUIRED")).to_be_visible()
    expect(page.get_by_text("m****@example.com")).to_be_visible()  # masked as PingOne gives it
    browser.shot("device-selection")
    page.get_by_role("button", name="Work email", exact=True).click()
    expect(status(page, "OTP_REQUIRED")).to_be_visible()
    page.locator("#pingone-otp").fill(CODE)
    page.get_by_role("button", name="Verify", exact=True).click()
    assert_signed_on(browser, site, "mia")
    assert_posts_carried_our_origin(browser, site)


def test_mfa_push_page_looks_again_by_itself(
    embedded: tuple[BrowserSession, ExampleSite], browser_standin: PingOneStandIn
) -> None:
    browser, site = embedded
    devices = mfa_user(browser_standin)
    page = open_embedded_page(browser, site)
    type_username_password(page, "mia", "mia-pw-123")
    page.get_by_role("button", name="Mia's phone", exact=True).click()
    expect(status(page, "PUSH_CONFIRMATION_REQUIRED")).to_be_visible()
    browser.shot("push-wait")
    (flow_id,) = browser_standin.pushes
    answered = requests.post(
        browser_standin.phone_url(devices["phone"]),
        data={"flowId": flow_id, "decision": "approved"},
        timeout=5,
        allow_redirects=False,
    )
    assert answered.status_code == 302
    expect(page.locator("#signed-on")).to_be_visible(timeout=15_000)  # the meta refresh, no script needed
    assert_signed_on(browser, site, "mia")


def test_mfa_push_timed_out_then_try_again(
    embedded: tuple[BrowserSession, ExampleSite], browser_standin: PingOneStandIn
) -> None:
    browser, site = embedded
    mfa_user(browser_standin)
    page = open_embedded_page(browser, site)
    type_username_password(page, "mia", "mia-pw-123")
    browser_standin.push_timeout = 0.5
    page.get_by_role("button", name="Mia's phone", exact=True).click()
    expect(status(page, "PUSH_CONFIRMATION_TIMED_OUT")).to_be_visible(timeout=15_000)
    expect(page.get_by_role("alert")).to_contain_text("timed out")
    browser.shot("push-timed-out")
    browser_standin.push_timeout = 120
    page.get_by_role("button", name="Try again", exact=True).click()
    expect(status(page, "PUSH_CONFIRMATION_REQUIRED")).to_be_visible()
    assert_posts_carried_our_origin(browser, site)


def test_passwordless(embedded: tuple[BrowserSession, ExampleSite], browser_standin: PingOneStandIn) -> None:
    browser, site = embedded
    browser_standin.sign_on_policy = IDENTIFIER_FIRST
    browser_standin.add_user("pat", "unused-pw-1", passwordless=True, claims={"preferred_username": "pat"})
    browser_standin.add_device("pat", "EMAIL", otp=CODE)
    page = open_embedded_page(browser, site)
    page.locator("#pingone-username").fill("pat")
    page.get_by_role("button", name="Next", exact=True).click()
    expect(status(page, "OTP_REQUIRED")).to_be_visible()
    page.locator("#pingone-otp").fill(CODE)
    page.get_by_role("button", name="Verify", exact=True).click()
    assert_signed_on(browser, site, "pat")


def test_verification_code(embedded: tuple[BrowserSession, ExampleSite], browser_standin: PingOneStandIn) -> None:
    browser, site = embedded
    browser_standin.add_user("val", "val-pw-123", verification_code="VERIFY12", claims={"preferred_username": "val"})
    page = open_embedded_page(browser, site)
    type_username_password(page, "val", "val-pw-123")
    expect(status(page, "VERIFICATION_CODE_REQUIRED")).to_be_visible()
    page.locator("#pingone-verification").fill("VERIFY12")
    page.get_by_role("button", name="Verify", exact=True).click()
    assert_signed_on(browser, site, "val")


def test_one_time_code_lockout(embedded: tuple[BrowserSession, ExampleSite], browser_standin: PingOneStandIn) -> None:
    browser, site = embedded
    mfa_user(browser_standin)
    page = open_embedded_page(browser, site)
    type_username_password(page, "mia", "mia-pw-123")
    page.get_by_role("button", name="Work email", exact=True).click()
    for guess in ("000001", "000002", "000003"):
        page.locator("#pingone-otp").fill(guess)
        page.get_by_role("button", name="Verify", exact=True).click()
        expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("locked")  # PingOne's lockout message
    browser.shot("locked-out")
    page.locator("#pingone-otp").fill(CODE)
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("locked")
    expect(page.locator("#signed-on")).to_have_count(0)
