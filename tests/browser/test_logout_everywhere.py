""" "Log out everywhere" in Chromium (issue 22, item 3): the page says plainly that, without worker credentials,
other browsers' PingOne sessions live on; its button ends the sessions and signs this browser off at PingOne,
whose own session ends too (a new sign-on asks for the password). The example site with a refresh token
(``tests/browser/session_check_settings.py``) on ``127.0.0.1``, the PingOne stand-in on ``localhost``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from django_pingone_authorize.testing import PingOneStandIn
from tests.browser.conftest import BrowserSession, ExampleSite, Provider, at_provider_sign_on, login_button
from tests.browser.helpers import sign_on_at_home

pytestmark = pytest.mark.browser


def test_the_page_says_what_it_cannot_end_and_the_button_signs_off_here(
    browser: BrowserSession,
    site_factory: Callable[..., ExampleSite],
    standin: PingOneStandIn,
    standin_provider: Provider,
) -> None:
    site = site_factory(
        {"DEMO_STANDIN_HOST": standin.host, "DEMO_STANDIN_PORT": str(standin.port)},
        "tests.browser.session_check_settings",
    )
    page = sign_on_at_home(browser, site, standin_provider)

    page.goto(f"{site.url}/pingone/logout/everywhere/")
    expect(page.locator("#pingone-everywhere-pingone")).to_contain_text("are not ended")
    expect(page.locator("#pingone-everywhere-pingone")).to_contain_text("without a password")
    browser.shot("logout-everywhere-page")
    page.locator("#pingone-logout-everywhere-button").click()
    expect(page.locator("#signed-out")).to_be_visible()
    signoffs = browser.navigated("GET", f"{standin_provider.end_session_endpoint}?")
    assert len(signoffs) == 1 and "id_token_hint=" in signoffs[0][1]
    browser.shot("signed-out-everywhere")

    # This browser's PingOne session ended too: signing on again asks for the password.
    login_button(page, "default").click()
    at_provider_sign_on(browser, standin_provider)
