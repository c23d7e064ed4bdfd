"""The headless API in a real browser: the example site's single-page app (``example_project/demo/spa/``: a static
page and a script, plain ``fetch``) signs on through ``/pingone/headless/browser/`` with the Django session
cookie and the CSRF token, under a strict CSP. The site runs on ``127.0.0.1`` and the PingOne stand-in on
``localhost`` (another site): nothing in the browser ever talks to PingOne."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from django_pingone_authorize.testing import PingOneStandIn
from tests.browser.helpers import BrowserSession
from tests.browser.sites import ExampleSite
from tests.browser.test_csp import csp_violations

pytestmark = pytest.mark.browser

CODE = "135790"


def record_calls(page: Any) -> list[tuple[str, str, int]]:
    """Every request the page's script makes (method, URL, status): the browser session records navigations only."""
    calls: list[tuple[str, str, int]] = []
    page.on("response", lambda resp: calls.append((resp.request.method, resp.url, resp.status)))
    return calls


def open_spa(browser: BrowserSession, site: ExampleSite) -> Any:
    page = browser.page
    page.goto(f"{site.url}/spa/")
    expect(page.locator("#signed-out")).to_be_visible()
    browser.shot("spa-signed-out")
    page.get_by_role("button", name="Sign on", exact=True).click()
    return page


def assert_clean(
    browser: BrowserSession, site: ExampleSite, standin: PingOneStandIn, calls: list[tuple[str, str, int]]
) -> None:
    """No CSP violation, no script error, every unsafe call accepted by the CSRF check, PingOne never asked by
    the browser."""
    # (The demo home page's inline <style> is refused under this policy, on purpose: test_csp.py.)
    assert [violation for violation in csp_violations(browser) if "/spa/" in violation[0]] == []
    assert not [text for kind, text, _ in browser.console if kind == "pageerror"]
    posts = [
        call for call in calls if call[0] == "POST" and call[1].startswith(f"{site.url}/pingone/headless/browser/")
    ]
    assert posts and all(status != 403 for _, _, status in posts), posts
    assert not [url for _, url, _ in calls if url.startswith(standin.auth_path)]


def test_spa_signs_on_with_username_and_password_and_logs_out(
    browser: BrowserSession, csp_site: ExampleSite, browser_standin: PingOneStandIn
) -> None:
    calls = record_calls(browser.page)
    page = open_spa(browser, csp_site)
    expect(page.locator("#step-body[data-status=USERNAME_PASSWORD_REQUIRED]")).to_be_visible()
    expect(page.locator("a.provider")).to_have_count(len(browser_standin.providers))  # the site's own URL
    for link in page.locator("a.provider").all():
        assert (link.get_attribute("href") or "").startswith("/pingone/login/embedded/?hosted=1")
    browser.shot("spa-sign-on")
    page.locator("#field-username").fill("demo")
    page.locator("#field-password").fill("wrong")
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.locator("#step-message")).not_to_be_empty()  # PingOne's message, the step again
    page.locator("#field-password").fill("demo")
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.locator("#who")).to_have_text("Signed on as demo")
    browser.shot("spa-signed-on")
    page.reload()  # the Django session cookie: still signed on
    expect(page.locator("#who")).to_have_text("Signed on as demo")
    page.goto(f"{csp_site.url}/")
    expect(page.locator("#signed-on")).to_contain_text("Signed on as demo")  # the site's own session
    page.goto(f"{csp_site.url}/spa/")
    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.locator("#signed-out")).to_be_visible()
    page.goto(f"{csp_site.url}/")
    expect(page.locator("#signed-out")).to_be_visible()
    assert_clean(browser, csp_site, browser_standin, calls)


def test_spa_mfa_device_choice_code_and_push(
    browser: BrowserSession, csp_site: ExampleSite, browser_standin: PingOneStandIn
) -> None:
    browser_standin.add_user("max", "max-pw-123", mfa=True, claims={"preferred_username": "max"})
    email = browser_standin.add_device("max", "EMAIL", nickname="Max's email", otp=CODE)
    phone = browser_standin.add_device("max", "MOBILE", nickname="Max's phone")
    calls = record_calls(browser.page)
    page = open_spa(browser, csp_site)
    page.locator("#field-username").fill("max")
    page.locator("#field-password").fill("max-pw-123")
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.locator("#step-body[data-status=DEVICE_SELECTION_REQUIRED]")).to_be_visible()
    browser.shot("spa-devices")
    page.locator(f"button[data-device='{phone}']").click()
    expect(page.locator("#step-body[data-status=PUSH_CONFIRMATION_REQUIRED]")).to_be_visible()
    browser.shot("spa-push")
    page.wait_for_timeout(2500)  # the page polls by itself meanwhile
    (flow_id,) = [flow for flow, push in browser_standin.pushes.items() if push.device_id == phone]
    answered = requests.post(
        browser_standin.phone_url(phone),
        data={"flowId": flow_id, "decision": "approved"},
        timeout=5,
        allow_redirects=False,
    )
    assert answered.status_code == 302
    expect(page.locator("#who")).to_have_text("Signed on as max", timeout=15000)
    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.locator("#signed-out")).to_be_visible()
    # Once more with the emailed code.
    page.get_by_role("button", name="Sign on", exact=True).click()
    page.locator("#field-username").fill("max")
    page.locator("#field-password").fill("max-pw-123")
    page.get_by_role("button", name="Continue", exact=True).click()
    page.locator(f"button[data-device='{email}']").click()
    expect(page.locator("#step-body[data-status=OTP_REQUIRED]")).to_be_visible()
    page.locator("#field-otp").fill(CODE)
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.locator("#who")).to_have_text("Signed on as max")
    assert_clean(browser, csp_site, browser_standin, calls)
