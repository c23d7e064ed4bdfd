"""A site with django-csp 4 and ``form-action 'self'``: the app's auto-submitting page adds PingOne's origin to
the site's policy (and ``frame-ancestors 'none'``) instead of replacing it, so Chromium lets the form go to
PingOne (another origin) and the sign-on finishes with no violation on the app's pages; the site's own pages
keep the site's policy."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from django_pingone_authorize.testing import PingOneStandIn
from tests.browser.helpers import BrowserSession, Provider, at_provider_sign_on, login_button, signed_on, start_at_home
from tests.browser.sites import ExampleSite, standin_site_env

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def django_csp_site(site_factory: Callable[..., ExampleSite], browser_standin: PingOneStandIn) -> ExampleSite:
    pytest.importorskip("csp")
    return site_factory(standin_site_env(browser_standin), "tests.browser.django_csp_site_settings")


def test_auto_submit_to_pingone_under_the_sites_form_action(
    browser: BrowserSession, standin_provider: Provider, django_csp_site: ExampleSite
) -> None:
    page = browser.page
    start_at_home(browser, django_csp_site)
    login_button(page, "post").click()
    at_provider_sign_on(browser, standin_provider)  # the auto-submitted form reached PingOne's origin
    [(_, _, status, headers)] = browser.responded("POST", f"{django_csp_site.url}/pingone/login/post/")
    assert status == 200
    policy = headers["content-security-policy"]
    assert f"form-action 'self' {standin_provider.origin}" in policy
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    standin_provider.sign_on(page)
    signed_on(browser, django_csp_site, standin_provider, "post")
    violations = [(url, text) for _, text, url in browser.console if "Content Security Policy" in text]
    assert not [v for v in violations if "/pingone/" in v[0] or "form-action" in v[1]], violations
