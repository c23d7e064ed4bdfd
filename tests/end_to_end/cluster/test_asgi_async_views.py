"""Async views under uvicorn: the middlewares in the event loop, ``aget_access_token`` (steady state and a
refresh), and a django-ninja async operation behind ``AsyncPingOneBearer`` (``tests/asgi_site.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from django_pingone_authorize.testing import DEMO_SUB, PingOneStandIn, sign_on
from django_pingone_authorize.testing.standin.token import mint_access_token
from tests.end_to_end.cluster.uvicorn_site import uvicorn_site
from tests.perf.common import free_port

pytestmark = pytest.mark.asgi

ROOT = Path(__file__).resolve().parents[3]
AUDIENCE = "https://orders.example.com"


@pytest.fixture
def site(tmp_path: Path, pingone_standin: PingOneStandIn) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    pingone_standin.add_resource(AUDIENCE, ["orders:read"])
    options = pingone_standin.settings(
        STORE_TOKENS=True,
        SCOPE="openid profile email offline_access",
        API_AUDIENCE=AUDIENCE,
        REDIRECT_URI=f"{url}/pingone/callback/",
    )
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.asgi_site",
        ASGI_SITE_DB=str(tmp_path / "db.sqlite3"),
        ASGI_SITE_PINGONE=json.dumps({"default": options}),
        PYTHONPATH=str(ROOT),
    )
    subprocess.run([sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)
    with uvicorn_site("tests.asgi_site:application_factory()", env, ROOT, tmp_path / "uvicorn.log", port=port):
        yield url


def test_async_views_under_uvicorn(site: str, pingone_standin: PingOneStandIn) -> None:
    browser = requests.Session()
    started = browser.get(f"{site}/pingone/login/?next=/async/home/", allow_redirects=False)
    assert started.status_code == 302
    answer = sign_on(browser, started.headers["Location"])
    assert browser.get(answer.url, allow_redirects=False).headers["Location"] == "/async/home/"
    assert browser.get(f"{site}/async/home/").json() == {"user": "demo"}

    steady = browser.get(f"{site}/async/token/").json()
    assert steady["user"] == "demo" and steady["access_token"]
    fresh = browser.get(f"{site}/async/token/", params={"min_ttl": "100000"}).json()["access_token"]
    assert fresh and fresh != steady["access_token"]
    assert browser.get(f"{site}/async/token/").json()["access_token"] == fresh  # kept in the session

    token = mint_access_token(pingone_standin, scopes=["orders:read"], sub=DEMO_SUB)
    api = requests.get(f"{site}/async/api/whoami", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert api.status_code == 200 and api.json()["user"] == "demo"
    refused = requests.get(f"{site}/async/api/whoami", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert refused.status_code == 401
