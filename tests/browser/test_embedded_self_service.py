"""A forgotten password and registration on the embedded pages in Chromium, with script on and off and under a
strict CSP (the ``embedded`` fixture). The example site runs on ``127.0.0.1`` and the stand-in on ``localhost``
(another site); the codes PingOne would email are read from the stand-in (``last_code``)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from playwright.sync_api import expect

from django_pingone_authorize.testing import PingOneStandIn
from tests.browser.helpers import BrowserSession
from tests.browser.sites import ExampleSite
from tests.browser.test_embedded import assert_posts_carried_our_origin, assert_signed_on, open_embedded_page

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Fresh-Pass-2468"


def status(page: Any, name: str) -> Any:
    return page.locator(f'main[data-status="{name}"]')


def test_forgotten_password(embedded: tuple[BrowserSession, ExampleSite], browser_standin: PingOneStandIn) -> None:
    browser, site = embedded
    browser_standin.password_recovery = True
    page = open_embedded_page(browser, site)
    page.locator("#pingone-forgot-link").click()
    expect(page.locator("#pingone-forgot-password")).to_be_visible()
    browser.shot("forgot-password")
    page.locator("#pingone-username").fill("demo")
    page.get_by_role("button", name="Send a recovery code", exact=True).click()
    expect(status(page, "RECOVERY_CODE_REQUIRED")).to_be_visible()
    page.get_by_role("button", name="Send a new code", exact=True).click()  # password.sendRecoveryCode
    expect(status(page, "RECOVERY_CODE_REQUIRED")).to_be_visible()
    code = browser_standin.last_code("demo") or ""
    page.locator("#pingone-recovery-code").fill(code)
    page.locator("#pingone-new").fill("short")
    page.get_by_role("button", name="Change password", exact=True).click()
    expect(page.locator(".pingone-message")).to_contain_text("long enough")  # PingOne's policy, as it comes
    browser.shot("recovery-refused")
    page.locator("#pingone-recovery-code").fill(code)
    page.locator("#pingone-new").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password", exact=True).click()
    assert_signed_on(browser, site, "demo")
    assert_posts_carried_our_origin(browser, site)
    assert browser_standin.users["demo"].password == NEW_PASSWORD


def test_forgotten_password_of_an_unknown_account(
    embedded: tuple[BrowserSession, ExampleSite], browser_standin: PingOneStandIn
) -> None:
    browser, site = embedded
    browser_standin.password_recovery = True
    page = open_embedded_page(browser, site)
    page.locator("#pingone-forgot-link").click()
    page.locator("#pingone-username").fill("nobody")
    page.get_by_role("button", name="Send a recovery code", exact=True).click()
    expect(status(page, "RECOVERY_CODE_REQUIRED")).to_be_visible()  # as for an account that exists
    page.locator("#pingone-recovery-code").fill("WRONG123")
    page.locator("#pingone-new").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password", exact=True).click()
    expect(page.locator(".pingone-message")).to_contain_text("That code is not right")
    browser.shot("recovery-unknown-account")


def test_registration(embedded: tuple[BrowserSession, ExampleSite], browser_standin: PingOneStandIn) -> None:
    browser, site = embedded
    browser_standin.registration = True
    # One site serves every variant: each registers its own account (a name already a Django user's would be
    # a new Django user under a derived name: registration takes over nobody).
    name = f"newbie-{secrets.token_hex(3)}"
    page = open_embedded_page(browser, site)
    page.locator("#pingone-register-link").click()
    expect(page.locator("#pingone-register")).to_be_visible()
    browser.shot("register")
    page.locator("#pingone-username").fill(name)
    page.locator("#pingone-email").fill(f"{name}@example.com")
    page.locator("#pingone-new").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create account", exact=True).click()
    expect(status(page, "VERIFICATION_CODE_REQUIRED")).to_be_visible()
    browser.shot("verification-code")
    page.locator("#pingone-verification").fill(browser_standin.last_code(name) or "")
    page.get_by_role("button", name="Verify", exact=True).click()
    assert_signed_on(browser, site, name)
    assert_posts_carried_our_origin(browser, site)
