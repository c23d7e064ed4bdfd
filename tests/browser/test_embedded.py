"""The embedded (``pi.flow``) sign-on in a real browser: every path, with script on and off and under a strict CSP.

The example site runs on ``127.0.0.1`` and the PingOne stand-in on ``localhost`` (another site). The embedded
pages post back to the site, so Chromium sends an ``Origin`` header with each post and Django's CSRF check reads
it: a page header such as ``Referrer-Policy: no-referrer`` (which makes Chromium send ``Origin: null``) would
refuse every post here, which Django's test client can never show.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from django_pingone_authorize.testing import PingOneStandIn
from tests.browser.helpers import BrowserSession, Provider, login_button, start_at_home
from tests.browser.sites import ExampleSite

pytestmark = pytest.mark.browser

ALIAS = "embedded"
SIGNON_PAGE = re.compile(r"/pingone/signon/[A-Za-z0-9_-]{43}/$")


def open_embedded_page(browser: BrowserSession, site: ExampleSite) -> Any:
    page = browser.page
    start_at_home(browser, site)
    login_button(page, ALIAS).click()
    expect(page.locator("main.pingone-embedded")).to_be_visible()
    assert SIGNON_PAGE.search(page.url), page.url
    browser.shot("embedded-page")
    return page


def type_username_password(page: Any, username: str, password: str) -> None:
    page.locator("#pingone-username").fill(username)
    page.locator("#pingone-password").fill(password)
    page.get_by_role("button", name="Sign on", exact=True).click()


def assert_signed_on(browser: BrowserSession, site: ExampleSite, username: str) -> None:
    page = browser.page
    expect(page.locator("#signed-on")).to_be_visible()
    assert page.url == f"{site.url}/"
    expect(page.locator("#signed-on")).to_contain_text(f"Signed on as {username}")
    browser.shot("signed-on")


def assert_posts_carried_our_origin(browser: BrowserSession, site: ExampleSite) -> None:
    """Every post to the embedded page was answered by the view, not by Django's CSRF failure (403)."""
    posts = browser.responded("POST", f"{site.url}/pingone/signon/")
    assert posts, "no post reached the embedded page"
    assert all(status != 403 for _, _, status, _ in posts), posts
    for _, _, _, headers in posts + browser.responded("GET", f"{site.url}/pingone/signon/"):
        assert headers.get("referrer-policy") == "same-origin"


def test_username_and_password(embedded: tuple[BrowserSession, ExampleSite]) -> None:
    browser, site = embedded
    page = open_embedded_page(browser, site)
    type_username_password(page, "demo", "demo")
    assert_signed_on(browser, site, "demo")
    assert_posts_carried_our_origin(browser, site)


def test_wrong_password_then_right(embedded: tuple[BrowserSession, ExampleSite]) -> None:
    browser, site = embedded
    page = open_embedded_page(browser, site)
    type_username_password(page, "demo", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("not right")  # the same words for an unknown username
    expect(page.locator("#pingone-sign-on")).to_be_visible()
    browser.shot("wrong-password")
    type_username_password(page, "demo", "demo")
    assert_signed_on(browser, site, "demo")
    assert_posts_carried_our_origin(browser, site)


def test_change_password(embedded: tuple[BrowserSession, ExampleSite]) -> None:
    browser, site = embedded
    page = open_embedded_page(browser, site)
    type_username_password(page, "change", "change")
    expect(page.locator('main[data-status="MUST_CHANGE_PASSWORD"]')).to_be_visible()
    browser.shot("change-password")
    page.locator("#pingone-current").fill("change")
    page.locator("#pingone-new").fill("a-n3w-Passw0rd")
    page.get_by_role("button", name="Change password", exact=True).click()
    assert_signed_on(browser, site, "change")
    assert_posts_carried_our_origin(browser, site)


def test_one_time_code(embedded: tuple[BrowserSession, ExampleSite]) -> None:
    browser, site = embedded
    page = open_embedded_page(browser, site)
    type_username_password(page, "otp", "otp")
    expect(page.locator('main[data-status="OTP_REQUIRED"]')).to_be_visible()
    page.locator("#pingone-otp").fill("000000")
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    browser.shot("wrong-code")
    page.locator("#pingone-otp").fill("123456")
    page.get_by_role("button", name="Verify", exact=True).click()
    assert_signed_on(browser, site, "otp")
    assert_posts_carried_our_origin(browser, site)


def test_external_identity_provider(
    embedded: tuple[BrowserSession, ExampleSite], standin_provider: Provider, browser_standin: PingOneStandIn
) -> None:
    """The provider's button starts a redirect sign-on: PingOne's hosted page, then the provider, then back."""
    browser, site = embedded
    page = open_embedded_page(browser, site)
    assert "/authenticate" not in page.content()
    page.get_by_role("button", name="Stand-in IdP", exact=True).click()
    expect(page.locator("a.provider")).to_be_visible()  # PingOne's hosted sign-on page, in this browser
    assert page.url.startswith(f"{standin_provider.origin}/")
    browser.shot("hosted-page")
    page.locator("a.provider").click()
    expect(page.locator("form#external")).to_be_visible()
    browser.shot("external-provider")
    page.locator("form#external button").click()
    assert_signed_on(browser, site, "demo")
    assert browser.navigated("GET", f"{browser_standin.authorization_endpoint}?")
    assert not [nav for nav in browser.navigations if "flowId=" in nav[1] and nav[1].startswith(site.url)]


def test_cancel(embedded: tuple[BrowserSession, ExampleSite]) -> None:
    browser, site = embedded
    page = open_embedded_page(browser, site)
    page.get_by_role("button", name="Cancel", exact=True).click()
    expect(page.locator("body")).to_contain_text("cancelled")
    browser.shot("cancelled")
    statuses = [status for _, _, status, _ in browser.responded("POST", f"{site.url}/pingone/signon/")]
    assert statuses == [403]  # the view's "cancelled" page, not a CSRF failure (the page says which)
    assert "CSRF" not in page.content()
    page.goto(f"{site.url}/")
    expect(page.locator("#signed-out")).to_be_visible()


def test_hosted_page_fallback(embedded: tuple[BrowserSession, ExampleSite], standin_provider: Provider) -> None:
    browser, site = embedded
    page = open_embedded_page(browser, site)
    page.get_by_role("button", name="Use PingOne's sign-on page instead").click()
    expect(page.locator(standin_provider.login_form)).to_be_visible()
    assert page.url.startswith(f"{standin_provider.origin}/")
    browser.shot("hosted-page")
    standin_provider.sign_on(page)
    assert_signed_on(browser, site, "demo")
    posts = browser.responded("POST", f"{site.url}/pingone/login/{ALIAS}/")
    assert [status for _, _, status, _ in posts] == [302, 302]  # the button, then the fallback


def test_expired_flow(embedded: tuple[BrowserSession, ExampleSite], browser_standin: PingOneStandIn) -> None:
    """PingOne forgets a flow after 15 minutes of inactivity: the page starts a new one and says so."""
    browser, site = embedded
    page = open_embedded_page(browser, site)
    browser_standin.flow_ttl = 0.5
    time.sleep(0.8)
    type_username_password(page, "demo", "demo")
    expect(page.get_by_role("alert")).to_contain_text("restarted")
    browser.shot("restarted")
    browser_standin.flow_ttl = 900.0
    type_username_password(page, "demo", "demo")
    assert_signed_on(browser, site, "demo")
    assert_posts_carried_our_origin(browser, site)
