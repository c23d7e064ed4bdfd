"""Step-up in a real browser: signed on with a password, the example site's Multi_Factor page sends the browser
back to the PingOne stand-in, which asks only for the one-time code, and returns to the page."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import BrowserSession, Provider, sign_on_at_home
from tests.browser.sites import ExampleSite

pytestmark = pytest.mark.browser


def test_multi_factor_page_steps_up_with_the_one_time_code(
    browser: BrowserSession, standin_provider: Provider, standin_site: ExampleSite
) -> None:
    page = sign_on_at_home(browser, standin_site, standin_provider)  # demo / demo: the password is enough here

    secure = f"{standin_site.url}/secure/"
    # A script asking for the page gets JSON saying what is missing, not a redirect.
    answer = page.request.get(secure, headers={"Accept": "application/json"}, max_redirects=0)
    assert answer.status == 403
    body = json.loads(answer.text())
    assert body["error"] == "step_up_required" and body["acr_values"] == ["Multi_Factor"]

    page.locator("#secure-link").click()
    # At PingOne (the stand-in): its session is single factor, so only the one-time code is asked.
    expect(page.locator("form#otp-check")).to_be_visible()
    assert page.url.startswith(f"{standin_provider.origin}/")
    assert not page.locator(standin_provider.login_form).count()
    (authorize,) = browser.navigated("GET", f"{standin_provider.authorization_endpoint}?")[-1:]
    assert "acr_values=Multi_Factor" in authorize[1]
    browser.shot("provider-asks-for-the-code")
    page.locator("#otp").fill("123456")
    page.locator("form#otp-check button[type=submit]").click()

    expect(page.locator("#secure")).to_be_visible()
    assert page.url == secure
    expect(page.locator("#secure")).to_contain_text("Signed on as demo by the Multi_Factor policy")
    expect(page.locator("#secure")).to_contain_text("pwd + otp")
    browser.shot("back-on-the-multi-factor-page")
    again = page.request.get(secure, headers={"Accept": "application/json"}, max_redirects=0)
    assert again.status == 200
