"""Fixtures for the browser tests: Debian's Chromium through Playwright, the two providers on ``localhost``
and the example site, run as a real server on ``127.0.0.1`` (another site, so the way back is cross-site).

* ``chromium`` -- one headless Chromium for the session; ``browser`` -- a fresh context (no cookies) and page
  per test, with a screenshot helper and a record of the navigations and console messages.
* ``op`` / ``browser_standin`` -- the certified OP (tests/doubles/op_server.py) and the PingOne stand-in, both on
  ``localhost``; ``op`` / ``standin_provider`` -- each as the browser meets it (a ``Provider``).
* ``op_site`` / ``standin_site`` / ``csp_site`` -- ``example_project`` under ``manage.py runserver --noreload``
  on a port the OP accepts (18000-18009), with its own fresh sqlite database, pointed at a provider through
  the environment variables its settings read.

The rest lives beside this file: ``helpers.py`` (``Provider``, ``BrowserSession`` and the shared steps such as
``start_at_home`` and ``signed_on``) and ``sites.py`` (``ExampleSite``, ``start_example_site``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from django_pingone_authorize.testing import PingOneStandIn
from tests.browser.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    STRICT_CSP,
    BrowserSession,
    Provider,
    assert_cross_site_form_post_hopped,
    at_provider_sign_on,
    login_button,
    open_browser,
    session_cookie,
    signed_on,
    start_at_home,
)
from tests.browser.sites import (
    DEMO_STANDIN_ENV_ID,
    ExampleSite,
    migrate_example_db,
    standin_site_env,
    start_example_site,
)
from tests.doubles.op_server import (
    OidcProvider,
    OidcProviderUnavailable,
    default_post_logout_redirect_uris,
    default_redirect_uris,
    start_oidc_provider,
)

# Re-exported for test modules that import them from here; new tests import from tests.browser.helpers
# (and tests.browser.sites) instead.
__all__ = [
    "STRICT_CSP",
    "BrowserSession",
    "ExampleSite",
    "Provider",
    "assert_cross_site_form_post_hopped",
    "at_provider_sign_on",
    "login_button",
    "session_cookie",
    "signed_on",
    "start_at_home",
    "start_example_site",
]


# -- the providers -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def op_server() -> Iterator[OidcProvider]:
    """The certified OP (panva's oidc-provider), its issuer on ``http://localhost:PORT``."""
    try:
        server = start_oidc_provider(default_redirect_uris(), default_post_logout_redirect_uris(), host="localhost")
    except OidcProviderUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def op(op_server: OidcProvider) -> Provider:
    return Provider(
        name="op",
        layout=op_server.layout,
        username="alice",
        password="alice-pw",
        login_form="#login-form",
        username_field="input[name=username]",
        password_field="input[name=password]",
        submit="#sign-on",
        cancel="#cancel",
    )


@pytest.fixture(scope="session")
def browser_standin() -> Iterator[PingOneStandIn]:
    """The PingOne stand-in on ``http://localhost:PORT``, with the example site's environment ID."""
    with PingOneStandIn(host="localhost", env_id=DEMO_STANDIN_ENV_ID) as server:
        yield server


@pytest.fixture(scope="session")
def standin(browser_standin: PingOneStandIn) -> PingOneStandIn:
    """The old name of ``browser_standin``, still used by test_session_check.py; new tests use ``browser_standin``."""
    return browser_standin


@pytest.fixture(scope="session")
def standin_provider(browser_standin: PingOneStandIn) -> Provider:
    return Provider(
        name="standin",
        layout=browser_standin.layout,
        username="demo",
        password="demo",
        login_form="form#sign-on",
        username_field="#username",
        password_field="#password",
        submit="button[type=submit]",
        cancel="form#cancel button",
    )


# -- the example site --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site's sqlite database after ``migrate``; each site gets a copy."""
    db = tmp_path_factory.mktemp("example-db") / "db.sqlite3"
    result = migrate_example_db(db)
    if result.returncode != 0:
        pytest.fail(f"migrate failed:\n{result.stdout.decode()}\n{result.stderr.decode()}", pytrace=False)
    return db


@pytest.fixture(scope="session")
def site_factory(tmp_path_factory: pytest.TempPathFactory, migrated_db: Path) -> Iterator[Callable[..., ExampleSite]]:
    sites: list[ExampleSite] = []

    def start(provider_env: dict[str, str], settings_module: str = "demo.settings") -> ExampleSite:
        site = start_example_site(tmp_path_factory.mktemp("example-site"), migrated_db, provider_env, settings_module)
        sites.append(site)
        return site

    yield start
    for site in sites:
        site.stop()


@pytest.fixture(scope="session")
def op_site(site_factory: Callable[..., ExampleSite], op_server: OidcProvider) -> ExampleSite:
    """The example site signing on at the certified OP, through the PINGONE_* variables its settings read."""
    return site_factory(
        {
            "PINGONE_AUTH_PATH": op_server.auth_path,
            "PINGONE_ENV_ID": op_server.env_id,
            "PINGONE_CLIENT_ID": "basic-client",
            "PINGONE_CLIENT_SECRET": op_server.clients["basic-client"]["client_secret"],
        }
    )


@pytest.fixture(scope="session")
def standin_site(site_factory: Callable[..., ExampleSite], browser_standin: PingOneStandIn) -> ExampleSite:
    """The example site signing on at the stand-in, configured as `make demo` does."""
    return site_factory(standin_site_env(browser_standin))


@pytest.fixture(scope="session")
def csp_site(site_factory: Callable[..., ExampleSite], browser_standin: PingOneStandIn) -> ExampleSite:
    """The stand-in example site sending ``STRICT_CSP`` on every response (``tests/browser/site_settings.py``)."""
    return site_factory(
        {**standin_site_env(browser_standin), "BROWSER_TEST_CSP": STRICT_CSP}, "tests.browser.site_settings"
    )


@pytest.fixture(params=["op", "standin"])
def target(request: pytest.FixtureRequest) -> tuple[Provider, ExampleSite]:
    """Each provider in turn, with the example site pointed at it."""
    if request.param == "op":
        return request.getfixturevalue("op"), request.getfixturevalue("op_site")
    return request.getfixturevalue("standin_provider"), request.getfixturevalue("standin_site")


# -- the browser -------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (its own browser download is not used)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install chromium).", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed


@pytest.fixture
def browser(chromium: Any, request: pytest.FixtureRequest) -> Iterator[BrowserSession]:
    """A fresh browser context (no cookies, script on) and its page."""
    session = open_browser(chromium, request)
    yield from _close_after(session, request)


@pytest.fixture
def browser_without_script(chromium: Any, request: pytest.FixtureRequest) -> Iterator[BrowserSession]:
    """A fresh browser context with JavaScript disabled."""
    session = open_browser(chromium, request, java_script_enabled=False)
    yield from _close_after(session, request)


def _close_after(session: BrowserSession, request: pytest.FixtureRequest) -> Iterator[BrowserSession]:
    try:
        yield session
    finally:
        if request.node.stash.get(_CALL_FAILED, False):
            with contextlib.suppress(Exception):  # best effort; the failure itself is what matters
                session.shot("failed")
        session.context.close()


@pytest.fixture(params=["script", "no-script", "strict-csp"])
def embedded(
    request: pytest.FixtureRequest, browser_standin: PingOneStandIn
) -> Iterator[tuple[BrowserSession, ExampleSite]]:
    """A fresh browser and the example site: with script, without script, or under ``STRICT_CSP``."""
    browser_standin.reset()  # default users (a test may change a password) and lifetimes
    browser = request.getfixturevalue("browser_without_script" if request.param == "no-script" else "browser")
    site = request.getfixturevalue("csp_site" if request.param == "strict-csp" else "standin_site")
    yield browser, site
    browser_standin.reset()
    if request.param == "strict-csp":  # the embedded pages were served under the policy, and broke none of it
        served = browser.responded("GET", f"{site.url}/pingone/signon/")
        assert all(headers.get("content-security-policy") == STRICT_CSP for _, _, _, headers in served), served
        ours = [(url, text) for kind, text, url in browser.console if "Content Security Policy" in text]
        assert not [v for v in ours if "/pingone/" in v[0]], ours
