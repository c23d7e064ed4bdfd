"""Shared fixtures. The PingOne stand-in fixture (``pingone_standin``) comes from the package's pytest
plugin; the certified OP (``oidc_op``) from ``tests/doubles/op_server.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.core.cache import caches

from django_pingone_authorize.api import access_tokens
from django_pingone_authorize.api import client_credentials as client_tokens
from django_pingone_authorize.provider import discovery, shared_cache
from django_pingone_authorize.provider import signing_keys as jwks

pytest_plugins = ["tests.doubles.op_server", "tests.doubles.redis_server"]


# Every module that keeps something in the process clears it on ``setting_changed`` and has a public
# ``reset_caches()``: all of them together are what a newly started worker has.
PROCESS_CACHES = (discovery, jwks, shared_cache, access_tokens, client_tokens)


def cold_process() -> None:
    """Forget everything this process keeps (discovery, keys, cache outages, validated and client tokens)."""
    for module in PROCESS_CACHES:
        module.reset_caches()


@pytest.fixture
def new_worker() -> Callable[[], None]:
    """Call it to stand for another worker (or one restarted): the same Django caches, no per-process copies."""
    return cold_process


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Every test starts with cold discovery/JWKS caches, shared and per-process."""
    for cache in caches.all():
        cache.clear()
    cold_process()
    yield


# The hostile OpenID Provider (``hostile``, ``hostile_server``) for the attack/certification tests.
pytest_plugins += ["tests.doubles.hostile_provider"]

# ``api_standin``: the stand-in with a custom resource, for the API tests (tests/api/).
from tests.api.support import api_standin  # noqa: E402, F401
