"""Concurrent refreshes of one session across processes and threads: the site under gunicorn (2 workers x 4
threads), Redis as the cache and the session store, the PingOne stand-in with refresh-token rotation and replay
detection (a reused refresh token revokes every token issued from it).

Many requests of one session ask at the same moment for a token that has just become too old: exactly one
refresh reaches PingOne, nobody is logged out, every request gets a token PingOne says is active, and the
refresh token the session keeps is the current one (the next refresh works; a replay would have ended it all).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from django_pingone_authorize.testing import PingOneStandIn, sign_on
from tests.doubles.redis_server import RedisServer, free_port

ROOT = Path(__file__).resolve().parents[2]
WORKERS, THREADS, REQUESTS = 2, 4, 16


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode})")
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:  # not listening yet, or a worker still importing Django
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start in 30 s")


@pytest.fixture
def site(pingone_standin: PingOneStandIn, redis_server: RedisServer, tmp_path: Path) -> Iterator[str]:
    pytest.importorskip("gunicorn")
    alias = pingone_standin.settings(STORE_TOKENS=True, SCOPE="openid profile email offline_access")
    env = {
        **os.environ,
        "LIFECYCLE_DB": str(tmp_path / "site.sqlite3"),
        "LIFECYCLE_REDIS": redis_server.url,
        "LIFECYCLE_PINGONE": json.dumps(alias),
        "DJANGO_SETTINGS_MODULE": "tests.sessions.site_settings",
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run([sys.executable, "-m", "django", "migrate", "--no-input", "-v", "0"], env=env, cwd=ROOT, check=True)
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(WORKERS),
            "--threads",
            str(THREADS),
            "--bind",
            f"127.0.0.1:{port}",
            "tests.sessions.wsgi:application",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{url}/home/", process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
        output = (tmp_path / "gunicorn.log").read_text(errors="replace")
        assert "Traceback" not in output, output[-4000:]


def token_requests(standin: PingOneStandIn) -> int:
    return sum(1 for method, path in standin.requests_seen if method == "POST" and path.endswith("/as/token"))


def introspect(standin: PingOneStandIn, token: str) -> dict[str, Any]:
    answer = requests.post(
        standin.introspection_endpoint, data={"token": token}, auth=("demo-client", "demo-secret"), timeout=10
    )
    body: dict[str, Any] = answer.json()
    return body


def test_one_refresh_for_many_concurrent_requests(site: str, pingone_standin: PingOneStandIn) -> None:
    browser = requests.Session()
    started = browser.get(f"{site}/pingone/login/", params={"next": "/token/"}, allow_redirects=False)
    assert started.status_code == 302
    answer = sign_on(requests.Session(), started.headers["Location"])
    back = browser.get(answer.url, allow_redirects=False)
    assert back.status_code == 302 and back.headers["Location"] == "/token/"
    first = browser.get(f"{site}/token/", params={"min_ttl": 0}).json()
    assert first["user"] == "demo" and first["access_token"]

    # From now on PingOne's tokens live two hours; the site's one hour old token no longer does for a view that
    # needs one for more than 3,700 seconds: every request below finds it expiring, at the same moment.
    pingone_standin.token_ttl = 7200
    pingone_standin.reset_requests_seen()
    cookies = browser.cookies.get_dict()
    barrier = threading.Barrier(REQUESTS)
    answers: list[dict[str, Any]] = []
    failures: list[BaseException] = []

    def one() -> None:
        try:
            with requests.Session() as http:
                http.cookies.update(cookies)
                barrier.wait(timeout=30)
                response = http.get(f"{site}/token/", params={"min_ttl": 3700}, timeout=30)
                answers.append({"status": response.status_code, **response.json()})
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=one) for _ in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert len(answers) == REQUESTS
    assert all(a["status"] == 200 and a["user"] == "demo" and a["access_token"] for a in answers), answers
    assert token_requests(pingone_standin) == 1  # exactly one refresh reached PingOne
    tokens = {a["access_token"] for a in answers}
    assert first["access_token"] not in tokens  # every one of them the refreshed token
    assert all(introspect(pingone_standin, token)["active"] is True for token in tokens)

    # The session keeps the rotated refresh token: the next refresh works (a replayed one would end everything).
    again = browser.get(f"{site}/token/", params={"min_ttl": 7300}).json()
    assert again["user"] == "demo" and again["access_token"] not in tokens
    assert token_requests(pingone_standin) == 2
    assert browser.get(f"{site}/home/").text == "home: demo"
