"""What the browser tests share apart from fixtures: the providers as the browser meets them, one test's
browser session, and the steps of a sign-on (``start_at_home``, ``at_provider_sign_on``, ``signed_on``...).

The fixtures that make these are in ``conftest.py``; the example site is run by ``sites.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from django_pingone_authorize.layout import PingOneLayout
from tests.browser.sites import ROOT, ExampleSite

ARTIFACTS = ROOT / "test-artifacts" / "browser"

CHROMIUM = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"  # the Makefile's CHROMIUM_PATH
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000

#: The strict policy of the CSP test: scripts only from the site itself (no inline script, no nonce). style-src
#: is left to default-src on purpose: the demo home page's inline <style> is then refused, which shows that the
#: policy is enforced and that the test hears its violations.
STRICT_CSP = "default-src 'self'; script-src 'self'; form-action *"


# -- the providers -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Provider:
    """A provider as the browser meets it: where it is, who signs on, how its sign-on page is filled in."""

    name: str
    layout: PingOneLayout  # where its endpoints are
    username: str
    password: str
    login_form: str  # CSS selector of the username/password form
    username_field: str
    password_field: str
    submit: str
    cancel: str  # CSS selector of the button that cancels the sign-on

    @property
    def issuer(self) -> str:
        return self.layout.issuer

    @property
    def origin(self) -> str:
        return "/".join(self.issuer.split("/", 3)[:3])

    @property
    def authorization_endpoint(self) -> str:
        return self.layout.authorization_endpoint

    @property
    def end_session_endpoint(self) -> str:
        return self.layout.end_session_endpoint

    def sign_on(self, page: Any) -> None:
        """On the provider's sign-on page: fill in the form and press its button."""
        form = page.locator(self.login_form)
        form.locator(self.username_field).fill(self.username)
        form.locator(self.password_field).fill(self.password)
        form.locator(self.submit).click()


# -- the browser -------------------------------------------------------------------------------------------


@dataclass
class BrowserSession:
    """One test's browser context and page, and what they saw."""

    context: Any
    page: Any
    artifacts: Path
    navigations: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, url, post data
    responses: list[tuple[str, str, int, dict[str, str]]] = field(default_factory=list)  # method, url, status
    console: list[tuple[str, str, str]] = field(default_factory=list)  # type ("pageerror" too), text, page url
    started: float | None = None  # the first navigation
    _shots: int = 0

    def shot(self, step: str) -> Path:
        """A full-page screenshot: test-artifacts/browser/<test>/<NN>-<step>.png (and a line in steps.log)."""
        self._shots += 1
        path = self.artifacts / f"{self._shots:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        with (self.artifacts / "steps.log").open("a") as log:
            elapsed = time.monotonic() - (self.started or time.monotonic())
            log.write(f"{elapsed:6.2f}s  {path.name}  {self.page.url}\n")
        return path

    def navigated(self, method: str, url_prefix: str) -> list[tuple[str, str, str | None]]:
        return [nav for nav in self.navigations if nav[0] == method and nav[1].startswith(url_prefix)]

    def responded(self, method: str, url_prefix: str) -> list[tuple[str, str, int, dict[str, str]]]:
        return [resp for resp in self.responses if resp[0] == method and resp[1].startswith(url_prefix)]


def _artifact_dir(nodename: str) -> Path:
    path = ARTIFACTS / re.sub(r"[^\w.-]+", "_", nodename).strip("_")
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def open_browser(chromium: Any, request: pytest.FixtureRequest, **context_options: Any) -> BrowserSession:
    context = chromium.new_context(**context_options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    session = BrowserSession(context, page, _artifact_dir(request.node.name))

    def on_request(req: Any) -> None:
        if req.is_navigation_request():
            session.started = session.started or time.monotonic()
            session.navigations.append((req.method, req.url, req.post_data))

    def on_response(resp: Any) -> None:
        if resp.request.is_navigation_request():
            session.responses.append((resp.request.method, resp.url, resp.status, resp.headers))

    page.on("request", on_request)
    page.on("response", on_response)
    page.on("console", lambda msg: session.console.append((msg.type, msg.text, msg.location.get("url", ""))))
    page.on("pageerror", lambda error: session.console.append(("pageerror", str(error), page.url)))
    return session


# -- steps shared by the tests -----------------------------------------------------------------------------


def login_button(page: Any, alias: str) -> Any:
    """The example home page's login button (``{% pingone_login_button alias %}``) for ``alias``."""
    action = "/pingone/login/" if alias == "default" else f"/pingone/login/{alias}/"
    return page.locator(f'form.pingone-login-button[action="{action}"] button')


def start_at_home(browser: BrowserSession, site: ExampleSite) -> None:
    browser.page.goto(f"{site.url}/")
    expect(browser.page.locator("#signed-out")).to_be_visible()
    browser.shot("home-signed-out")


def at_provider_sign_on(browser: BrowserSession, provider: Provider) -> None:
    expect(browser.page.locator(provider.login_form)).to_be_visible()
    assert browser.page.url.startswith(f"{provider.origin}/")
    browser.shot("provider-sign-on")


def signed_on(
    browser: BrowserSession, site: ExampleSite, provider: Provider, alias: str, step: str = "signed-on"
) -> None:
    """Back on the example home page, signed on as the provider's user through ``alias``."""
    page = browser.page
    expect(page.locator("#signed-on")).to_be_visible()
    assert page.url == f"{site.url}/"
    expect(page.locator("#signed-on")).to_contain_text(f"Signed on as {provider.username}")
    expect(page.locator("#signed-on")).to_contain_text(f"through {alias}")
    browser.shot(step)


def sign_on_at_home(browser: BrowserSession, site: ExampleSite, provider: Provider, alias: str = "default") -> Any:
    """From the signed-out home page through ``alias``'s button and the provider's sign-on page, back signed on;
    the page, for what the test does next."""
    page = browser.page
    start_at_home(browser, site)
    login_button(page, alias).click()
    at_provider_sign_on(browser, provider)
    provider.sign_on(page)
    signed_on(browser, site, provider, alias)
    return page


def assert_cross_site_form_post_hopped(browser: BrowserSession, site: ExampleSite) -> None:
    """The provider's form_post reached the callback without the session cookie, so the callback answered
    with its hop page (200), whose same-site re-POST (with ``_pingone_hop``) then finished the sign-on (302)."""
    callback = f"{site.url}/pingone/callback/"
    assert [status for _, _, status, _ in browser.responded("POST", callback)] == [200, 302]
    first, second = browser.navigated("POST", callback)
    assert "code=" in (first[2] or "") and "_pingone_hop" not in (first[2] or "")
    assert "_pingone_hop=1" in (second[2] or "")


def session_cookie(browser: BrowserSession, site: ExampleSite) -> dict[str, Any]:
    cookies = [c for c in browser.context.cookies(site.url) if c["name"] == "sessionid"]
    assert len(cookies) == 1, cookies
    return dict(cookies[0])
