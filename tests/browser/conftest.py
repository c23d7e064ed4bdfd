"""Fixtures for the browser tests: Debian's Chromium through Playwright, the two providers on ``localhost``
and the example site, run as a real server on ``127.0.0.1`` (another site, so the way back is cross-site).

* ``chromium`` -- one headless Chromium for the session; ``browser`` -- a fresh context (no cookies) and page
  per test, with a screenshot helper and a record of the navigations and console messages.
* ``op`` / ``standin`` -- the certified OP (tests/op_server.py) and the PingOne stand-in, both on ``localhost``.
* ``op_site`` / ``standin_site`` / ``csp_site`` -- ``example_project`` under ``manage.py runserver --noreload``
  on a port the OP accepts (18000-18009), with its own fresh sqlite database, pointed at a provider through
  the environment variables its settings read.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright

from django_pingone_authorize.testing import PingOneStandIn
from tests.op_server import (
    LOOPBACK_PORTS,
    OidcProvider,
    OidcProviderUnavailable,
    default_post_logout_redirect_uris,
    default_redirect_uris,
    start_oidc_provider,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "example_project"
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
SITE_START_TIMEOUT = 30.0

#: example_project/demo/settings.py: the stand-in's environment ID when no PINGONE_* variable is set.
DEMO_STANDIN_ENV_ID = "0f1e2d3c-4b5a-4987-a6b5-c4d3e2f1a0b9"
#: The strict policy of the CSP test: scripts only from the site itself (no inline script, no nonce). style-src
#: is left to default-src on purpose: the demo home page's inline <style> is then refused, which shows that the
#: policy is enforced and that the test hears its violations.
STRICT_CSP = "default-src 'self'; script-src 'self'; form-action *"
#: The environment the example site is started with: only what we set (no PINGONE_* from the caller).
SITE_ENV_DROP = re.compile(r"^(PINGONE_|DEMO_|DJANGO_)")


# -- the providers -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Provider:
    """A provider as the browser meets it: where it is, who signs on, how its sign-on page is filled in."""

    name: str
    issuer: str
    username: str
    password: str
    login_form: str  # CSS selector of the username/password form
    username_field: str
    password_field: str
    submit: str
    cancel: str  # CSS selector of the button that cancels the sign-on

    @property
    def origin(self) -> str:
        return "/".join(self.issuer.split("/", 3)[:3])

    @property
    def authorization_endpoint(self) -> str:
        return f"{self.issuer}/authorize"

    @property
    def end_session_endpoint(self) -> str:
        return f"{self.issuer}/signoff"

    def sign_on(self, page: Any) -> None:
        """On the provider's sign-on page: fill in the form and press its button."""
        form = page.locator(self.login_form)
        form.locator(self.username_field).fill(self.username)
        form.locator(self.password_field).fill(self.password)
        form.locator(self.submit).click()


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
        issuer=op_server.issuer,
        username="alice",
        password="alice-pw",
        login_form="#login-form",
        username_field="input[name=username]",
        password_field="input[name=password]",
        submit="#sign-on",
        cancel="#cancel",
    )


@pytest.fixture(scope="session")
def standin() -> Iterator[PingOneStandIn]:
    """The PingOne stand-in on ``http://localhost:PORT``, with the example site's environment ID."""
    with PingOneStandIn(host="localhost", env_id=DEMO_STANDIN_ENV_ID) as server:
        yield server


@pytest.fixture(scope="session")
def standin_provider(standin: PingOneStandIn) -> Provider:
    return Provider(
        name="standin",
        issuer=standin.issuer,
        username="demo",
        password="demo",
        login_form="form#sign-on",
        username_field="#username",
        password_field="#password",
        submit="button[type=submit]",
        cancel="form#cancel button",
    )


# -- the example site --------------------------------------------------------------------------------------


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class ExampleSite:
    """``example_project`` under ``manage.py runserver`` in a subprocess."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _site_env(db: Path, settings_module: str, provider_env: dict[str, str]) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not SITE_ENV_DROP.match(name)}
    env.update(provider_env)
    env["DEMO_DB"] = str(db)
    env["DJANGO_SETTINGS_MODULE"] = settings_module
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site's sqlite database after ``migrate``; each site gets a copy."""
    db = tmp_path_factory.mktemp("example-db") / "db.sqlite3"
    result = subprocess.run(
        [sys.executable, str(EXAMPLE / "manage.py"), "migrate", "--noinput", "--skip-checks"],
        env=_site_env(db, "demo.settings", {}),
        cwd=EXAMPLE,
        capture_output=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"migrate failed:\n{result.stdout.decode()}\n{result.stderr.decode()}", pytrace=False)
    return db


def _wait_until_serving(site: ExampleSite, deadline: float) -> bool:
    """True once the site answers; False if runserver gave up (its port was taken meanwhile).

    The probe carries a token that runserver's request log must show, so a server someone else started on
    the same port in the meantime is not mistaken for ours.
    """
    probe = f"/?browser-test-probe={secrets.token_hex(8)}"
    answered = False
    while time.monotonic() < deadline:
        if site.process.poll() is not None:
            return False
        if answered and f"GET {probe} HTTP/1.1" in site.log.read_text(errors="replace"):
            return True
        try:
            with urllib.request.urlopen(f"{site.url}{probe}", timeout=2) as response:  # noqa: S310 - loopback
                answered = answered or response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the example site did not start in {SITE_START_TIMEOUT:.0f}s:\n{site.log_tail()}")


def start_example_site(
    workdir: Path, migrated_db: Path, provider_env: dict[str, str], settings_module: str = "demo.settings"
) -> ExampleSite:
    """Run the example site on a free port of LOOPBACK_PORTS (the OP's registered callbacks)."""
    db = workdir / "db.sqlite3"
    shutil.copyfile(migrated_db, db)
    env = _site_env(db, settings_module, provider_env)
    deadline = time.monotonic() + SITE_START_TIMEOUT
    for port in LOOPBACK_PORTS[1:]:  # 8000 is `make demo`'s
        if not _port_is_free(port):
            continue
        log = workdir / f"runserver-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    str(EXAMPLE / "manage.py"),
                    "runserver",
                    "--noreload",
                    "--skip-checks",
                    f"127.0.0.1:{port}",
                ],
                env=env,
                cwd=EXAMPLE,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        site = ExampleSite(f"http://127.0.0.1:{port}", process, log)
        try:
            if _wait_until_serving(site, deadline):
                return site
        except BaseException:
            site.stop()
            raise
        site.stop()  # lost the port to someone else: try the next one
    raise RuntimeError(f"no free port for the example site among {LOOPBACK_PORTS[1:]}")


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


def _standin_settings(standin: PingOneStandIn) -> dict[str, str]:
    # No PINGONE_*: the example settings use the stand-in, as `make demo` does.
    return {"DEMO_STANDIN_HOST": standin.host, "DEMO_STANDIN_PORT": str(standin.port)}


@pytest.fixture(scope="session")
def standin_site(site_factory: Callable[..., ExampleSite], standin: PingOneStandIn) -> ExampleSite:
    """The example site signing on at the stand-in, configured as `make demo` does."""
    return site_factory(_standin_settings(standin))


@pytest.fixture(scope="session")
def csp_site(site_factory: Callable[..., ExampleSite], standin: PingOneStandIn) -> ExampleSite:
    """The stand-in example site sending ``STRICT_CSP`` on every response (``tests/browser/site_settings.py``)."""
    return site_factory({**_standin_settings(standin), "BROWSER_TEST_CSP": STRICT_CSP}, "tests.browser.site_settings")


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


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed


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
