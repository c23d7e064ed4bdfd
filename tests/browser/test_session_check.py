"""A user who signs off at PingOne in one tab is signed out of the site in another, after the check interval:
the example site with ``SessionCheckMiddleware`` (``tests/browser/session_check_settings.py``), the PingOne
stand-in on ``localhost``, the site on ``127.0.0.1``, one browser (one cookie jar), two tabs."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from django_pingone_authorize.testing import PingOneStandIn
from tests.browser.conftest import BrowserSession, ExampleSite, Provider, signed_on
from tests.browser.helpers import sign_on_at_home

pytestmark = pytest.mark.browser
INTERVAL = 2  # SESSION_CHECK_INTERVAL in session_check_settings.py


def test_signed_off_at_pingone_in_one_tab_signed_out_here_in_the_other(
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

    time.sleep(INTERVAL + 0.5)
    page.reload()  # past the interval, PingOne still knows the user: still signed on (and the tokens refreshed)
    signed_on(browser, site, standin_provider, "default", step="still-signed-on")

    other_tab = browser.context.new_page()
    other_tab.goto(standin_provider.end_session_endpoint)  # signs off at PingOne (its ST cookie comes along)
    expect(other_tab.locator("body")).to_contain_text("signed off")
    other_tab.screenshot(path=str(browser.artifacts / "other-tab-signed-off.png"))
    other_tab.close()

    time.sleep(INTERVAL + 0.5)
    page.reload()
    expect(page.locator("#pingone-session-ended")).to_be_visible()
    assert page.url.startswith(f"{site.url}/pingone/session-ended/")
    browser.shot("session-ended")
    page.goto(f"{site.url}/")
    expect(page.locator("#signed-out")).to_be_visible()
