"""The docs' "Protecting an API" examples (docs/how-to/apis.md) are ``tests/api/examples.py`` verbatim, and they work: the views
are served by ``tests/api/urls.py`` (and called in test_drf/test_ninja/test_access_tokens), and ``fetch_orders``
calls a live server with a client-credentials token from the stand-in."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from django.core.wsgi import get_wsgi_application

from django_pingone_authorize.testing import PingOneStandIn
from tests.api import examples as api_examples

ROOT = Path(__file__).resolve().parents[2]


def readme_blocks() -> list[str]:
    text = (ROOT / "docs" / "how-to" / "apis.md").read_text()
    section = text.split("## Protecting an API", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def test_readme_examples_are_the_tested_module() -> None:
    blocks = readme_blocks()
    assert len(blocks) == 5
    assert "API_AUDIENCE" in blocks[0]  # the settings line
    module = (ROOT / "tests" / "api" / "examples.py").read_text()
    for block in blocks[1:]:
        assert block in module, block


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def api_server() -> Iterator[str]:
    """This site over real HTTP (the calls need no database: a client-credentials caller is no user)."""
    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_fetch_orders_calls_a_protected_api(api_server: str, api_standin: PingOneStandIn) -> None:
    body = api_examples.fetch_orders(f"{api_server}/api/drf")
    assert body == {"caller": "pingone-client:demo-client", "scopes": ["orders:read"]}
    api_standin.reset_requests_seen()
    assert api_examples.fetch_orders(f"{api_server}/api/drf") == body
    assert api_standin.requests_seen == []  # the client token is cached, the API validates locally
