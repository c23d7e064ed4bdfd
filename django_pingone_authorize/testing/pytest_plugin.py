"""pytest plugin (entry point ``pingone_standin``): a PingOne stand-in for each test.

One server runs for the whole session (``pingone_standin_server``); ``pingone_standin`` resets it before
each test, so every test sees the default applications, users and key and an empty ``requests_seen``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .standin import PingOneStandIn


@pytest.fixture(scope="session")
def pingone_standin_server() -> Iterator[PingOneStandIn]:
    """The session's stand-in, as the last test left it."""
    with PingOneStandIn() as standin:
        yield standin


@pytest.fixture
def pingone_standin(pingone_standin_server: PingOneStandIn) -> Iterator[PingOneStandIn]:
    """The session's stand-in, reset to its defaults."""
    pingone_standin_server.reset()
    yield pingone_standin_server
    pingone_standin_server.reset()
