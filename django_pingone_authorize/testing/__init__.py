"""A local PingOne stand-in for tests and demos, and a browser-less driver to sign on at it.

``PingOneStandIn`` needs only the standard library, PyJWT and cryptography (no Django), so it also runs on
its own: ``python -m django_pingone_authorize.testing``. The pytest plugin gives tests a ``pingone_standin``
fixture; ``driver.sign_on`` plays the user at its pages with a ``requests.Session``. ``signed_on`` (Django)
signs a test client on in-process and mints access tokens (fixtures ``pingone_sign_on``,
``pingone_access_token``; ``PingOneTestMixin`` for ``TestCase``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .standin import DEFAULT_ENV_ID, DEMO_PROVIDER_ID, DEMO_SUB, PingOneStandIn

if TYPE_CHECKING:
    from .driver import AuthorizationResponse, SignOnError, parse_autosubmit_form, sign_on

__all__ = [
    "DEFAULT_ENV_ID",
    "DEMO_PROVIDER_ID",
    "DEMO_SUB",
    "AuthorizationResponse",
    "PingOneStandIn",
    "SignOnError",
    "parse_autosubmit_form",
    "sign_on",
]

_DRIVER_NAMES = frozenset({"AuthorizationResponse", "SignOnError", "parse_autosubmit_form", "sign_on"})


def __getattr__(name: str) -> Any:
    # The driver needs requests; the stand-in itself does not, so the driver is imported only when asked for.
    if name in _DRIVER_NAMES:
        from . import driver

        return getattr(driver, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
