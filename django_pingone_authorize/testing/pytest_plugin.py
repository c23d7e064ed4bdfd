"""pytest plugin (entry point ``pingone_standin``): a PingOne stand-in for each test.

One server runs for the whole session (``pingone_standin_server``); ``pingone_standin`` resets it before
each test, so every test sees the default applications, users and key and an empty ``requests_seen``.
``pingone_sign_on`` signs a Django test client on as a PingOne user and ``pingone_access_token`` mints an
access token, both in-process (``signed_on.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .standin import PingOneStandIn

#: ``pingone:callback`` as the Django test client reaches it (``reverse`` cannot be used: Django may not be set up).
TEST_CLIENT_CALLBACK = "http://testserver/pingone/callback/"


@pytest.fixture(scope="session")
def pingone_standin_server() -> Iterator[PingOneStandIn]:
    """The session's stand-in, as the last test left it. Its default applications have the Django test
    client's callback, ``http://testserver/pingone/callback/``, registered and still accept any loopback
    redirect URI; ``add_client(..., redirect_uris=[...])`` makes an application as strict as PingOne."""
    with PingOneStandIn(redirect_uris=[TEST_CLIENT_CALLBACK], any_loopback_redirect_uri=True) as standin:
        yield standin


@pytest.fixture
def pingone_standin(pingone_standin_server: PingOneStandIn) -> Iterator[PingOneStandIn]:
    """The session's stand-in, reset to its defaults."""
    pingone_standin_server.reset()
    yield pingone_standin_server
    pingone_standin_server.reset()


@pytest.fixture
def pingone_sign_on(pingone_standin: PingOneStandIn, settings: Any, db: None) -> Callable[..., Any]:
    """``pingone_sign_on(client, claims=None, *, alias="default", tokens=False)``: sign a Django test client on
    as a PingOne user, in-process (``testing/signed_on.py``); returns the Django user. The alias points at
    the stand-in (its settings, unless the test set that alias itself), whose key signs the tokens."""
    from .signed_on import sign_on_as

    def sign_on(client: Any, claims: Any = None, *, alias: str = "default", tokens: Any = False) -> Any:
        configured = dict(getattr(settings, "PINGONE_AUTHORIZE", None) or {})
        options = configured.get(alias, {})
        if (options.get("AUTH_PATH"), options.get("ENV_ID")) != (pingone_standin.auth_path, pingone_standin.env_id):
            configured[alias] = pingone_standin.settings()
            settings.PINGONE_AUTHORIZE = configured
        return sign_on_as(client, claims, alias=alias, tokens=tokens, standin=pingone_standin)

    return sign_on


@pytest.fixture
def pingone_access_token(pingone_standin: PingOneStandIn) -> Callable[..., str]:
    """``pingone_access_token(scopes=(), *, audience=None, sub=DEMO_SUB, **claims)``: an access token signed by
    the stand-in's key, as its token endpoint issues them (``sub=None``: a client-credentials token)."""
    from .standin import DEMO_SUB
    from .standin.token import mint_access_token

    def mint(scopes: Any = (), *, sub: str | None = DEMO_SUB, **claims: Any) -> str:
        return mint_access_token(pingone_standin, scopes=scopes, sub=sub, **claims)

    return mint
