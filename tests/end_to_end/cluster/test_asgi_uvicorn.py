"""The example site, unchanged, under an ASGI server (uvicorn): whole sign-ons end to end, and a sign-on waiting
on PingOne does not hold up the others. Django's ``ASGIHandler`` runs each request in its own
``ThreadSensitiveContext`` (asgiref), so a synchronous view runs in a thread of its own request, not in one
thread shared by the process: callbacks whose token request takes 0.5 s (through ``latency_proxy.py``) run
side by side, not one after another. This test keeps it so."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.end_to_end.cluster.uvicorn_site import uvicorn_site
from tests.perf.common import Provider, free_port, start_provider
from tests.perf.latency_proxy import LatencyProxy
from tests.perf.load import NEW_CONNECTION, one_sign_on

pytestmark = pytest.mark.asgi

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "example_project"
LATENCY_MS = 500


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Provider]]:
    workdir = tmp_path_factory.mktemp("asgi")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    provider = start_provider("standin", [f"{url}/pingone/callback/"], [f"{url}/"])
    proxy = LatencyProxy(LATENCY_MS, 0).start()
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
    env.update(
        DJANGO_SETTINGS_MODULE="demo.settings",
        DJANGO_DEBUG="0",
        DEMO_DB=str(workdir / "db.sqlite3"),
        PINGONE_AUTH_PATH=provider.auth_path,
        PINGONE_ENV_ID=provider.env_id,
        PINGONE_CLIENT_ID=provider.client_id,
        PINGONE_CLIENT_SECRET=provider.client_secret,
        PYTHONPATH=os.pathsep.join([str(ROOT), str(EXAMPLE)]),
        HTTP_PROXY=proxy.url,
        http_proxy=proxy.url,
    )
    try:
        subprocess.run(
            [sys.executable, str(EXAMPLE / "manage.py"), "migrate", "--noinput", "-v", "0"], env=env, check=True
        )
        with uvicorn_site("demo.asgi:application", env, EXAMPLE, workdir / "uvicorn.log", port=port):
            yield url, provider
    finally:
        proxy.stop()
        provider.stop()


def test_sign_on_under_uvicorn(site: tuple[str, Provider]) -> None:
    url, provider = site
    for number in range(4):  # GET and POST logins (even and odd numbers), each a whole sign-on
        one_sign_on(number, url, provider)


def test_waiting_on_pingone_does_not_block_other_sign_ons(site: tuple[str, Provider]) -> None:
    url, provider = site
    one_sign_on(10, url, provider)  # discovery and signing keys fetched and cached
    browsers = 6
    sessions = [requests.Session() for _ in range(browsers)]
    callbacks = []
    for http in sessions:
        start = http.get(f"{url}/pingone/login/?next=/", allow_redirects=False, headers=NEW_CONNECTION)
        assert start.status_code == 302
        _method, back, _data = provider.sign_on(http, start.headers["Location"])
        callbacks.append((http, back))

    def finish(pair: tuple[requests.Session, str]) -> int:
        http, back = pair
        return http.get(back, allow_redirects=False, headers=NEW_CONNECTION, timeout=30).status_code

    began = time.monotonic()
    with ThreadPoolExecutor(browsers) as pool:
        statuses = list(pool.map(finish, callbacks))
    took = time.monotonic() - began
    assert statuses == [302] * browsers
    # Each callback waits LATENCY_MS on the token request. In Django's one shared thread they would take
    # browsers x 0.5 s = 3 s one after another; side by side, about 1 s on two cores.
    assert took < browsers * LATENCY_MS / 1000 * 0.6, f"{browsers} callbacks took {took:.2f}s"
    for http in sessions:
        http.close()
