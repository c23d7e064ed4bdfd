"""The app's auto-submitting pages under a strict Content-Security-Policy: ``script-src 'self'``, no nonce.

The site sends ``STRICT_CSP`` on every response (``site_settings.py``). The POST-initiation page and the
callback's hop page must still submit themselves (with their one external script, ``autosubmit.js``), and
Chromium must report no violation on them. The demo home page's inline ``<style>`` is refused under this
policy, and an inline script is too: both show that the policy is enforced and that violations are heard.
"""

from __future__ import annotations

import pytest

from tests.browser.helpers import (
    STRICT_CSP,
    BrowserSession,
    Provider,
    assert_cross_site_form_post_hopped,
    at_provider_sign_on,
    login_button,
    signed_on,
    start_at_home,
)
from tests.browser.sites import ExampleSite

pytestmark = pytest.mark.browser


def csp_violations(browser: BrowserSession) -> list[tuple[str, str]]:
    """(page URL, message) of every Content-Security-Policy violation Chromium logged to the console."""
    return [(url, text) for kind, text, url in browser.console if "Content Security Policy" in text]


def test_auto_submit_under_strict_csp(
    browser: BrowserSession, standin_provider: Provider, csp_site: ExampleSite
) -> None:
    page = browser.page
    start_at_home(browser, csp_site)
    login_button(page, "post").click()  # the only click on the site until the end
    at_provider_sign_on(browser, standin_provider)
    standin_provider.sign_on(page)
    signed_on(browser, csp_site, standin_provider, "post")

    # The POST-initiation page and the hop page were served under the policy and submitted themselves.
    login_page = browser.responded("POST", f"{csp_site.url}/pingone/login/post/")
    hop_page = browser.responded("POST", f"{csp_site.url}/pingone/callback/")[0]
    for _, _, status, headers in [*login_page, hop_page]:
        assert status == 200
        assert headers.get("content-security-policy") == STRICT_CSP
    assert browser.navigated("POST", standin_provider.authorization_endpoint)
    assert_cross_site_form_post_hopped(browser, csp_site)

    violations = csp_violations(browser)
    assert not [v for v in violations if v[0].startswith(f"{csp_site.url}/pingone/")], violations
    assert not [v for v in violations if "script" in v[1].lower() or "form-action" in v[1]], violations
    assert not [text for kind, text, _ in browser.console if kind == "pageerror"]
    # The positive controls: the home page's inline style was refused (and reported) ...
    assert violations and all(url == f"{csp_site.url}/" and "inline style" in text for url, text in violations)
    # ... and so would an inline script be, such as an auto-submit written into the page.
    page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "document.title = 'inline script ran'";
        document.body.append(script);
    }""")
    for _ in range(40):  # the console message comes asynchronously
        if any("inline script" in text for _, text in csp_violations(browser)[len(violations) :]):
            break
        page.wait_for_timeout(50)
    else:
        pytest.fail(f"no violation reported for an inline script: {csp_violations(browser)}")
    assert page.title() != "inline script ran"
    browser.shot("signed-on-inline-script-refused")
    page.locator(
        "form.pingone-logout-button button"
    ).click()  # form-action *: the redirect to the provider's sign-off is allowed
    page.locator("#signed-out").wait_for()
    assert browser.navigated("GET", f"{standin_provider.end_session_endpoint}?")
    browser.shot("signed-off")
