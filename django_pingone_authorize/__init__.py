"""Sign users on to a Django site with PingOne through OpenID Connect.

The functions and classes a site calls, importable from here (each loaded when first used, so the package
itself stays importable before Django's settings are)::

    from django_pingone_authorize import get_access_token, pingone_required, request_approval

Where everything else lives: ``views/`` (where a sign-on starts and ends), ``sign_on/`` (pending sign-ons,
their completion, step-up), ``oidc/`` (the protocol: authorize request, authorization response, ID and logout
tokens), ``provider/`` (every call to PingOne), ``sessions/`` (tokens kept, refresh, logout), ``api/`` (access
tokens for a site's APIs), ``approval/`` (transaction approval), ``checks/`` (``manage.py check``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> the module that defines it.
_PUBLIC = {
    "get_access_token": "django_pingone_authorize.sessions.refresh",
    "aget_access_token": "django_pingone_authorize.sessions.refresh",
    "get_tokens": "django_pingone_authorize.sessions.token_store",
    "get_sign_on_facts": "django_pingone_authorize.sessions.token_store",
    "get_client_token": "django_pingone_authorize.api.client_credentials",
    "validate_access_token": "django_pingone_authorize.api.access_tokens",
    "request_approval": "django_pingone_authorize.approval.request",
    "consume_approval": "django_pingone_authorize.approval.complete",
    "logout_everywhere": "django_pingone_authorize.sessions.logout_everywhere",
    "pingone_required": "django_pingone_authorize.decorators",
    "approval_required": "django_pingone_authorize.decorators",
    "pingone_token_required": "django_pingone_authorize.decorators",
    "PingOneRequiredMixin": "django_pingone_authorize.mixins",
    "ApprovalRequiredMixin": "django_pingone_authorize.mixins",
    "SignOnError": "django_pingone_authorize.errors",
}

__all__ = [
    "ApprovalRequiredMixin",
    "PingOneRequiredMixin",
    "SignOnError",
    "aget_access_token",
    "approval_required",
    "consume_approval",
    "get_access_token",
    "get_client_token",
    "get_sign_on_facts",
    "get_tokens",
    "logout_everywhere",
    "pingone_required",
    "pingone_token_required",
    "request_approval",
    "validate_access_token",
]

if TYPE_CHECKING:
    from django_pingone_authorize.api.access_tokens import validate_access_token
    from django_pingone_authorize.api.client_credentials import get_client_token
    from django_pingone_authorize.approval.complete import consume_approval
    from django_pingone_authorize.approval.request import request_approval
    from django_pingone_authorize.decorators import approval_required, pingone_required, pingone_token_required
    from django_pingone_authorize.errors import SignOnError
    from django_pingone_authorize.mixins import ApprovalRequiredMixin, PingOneRequiredMixin
    from django_pingone_authorize.sessions.logout_everywhere import logout_everywhere
    from django_pingone_authorize.sessions.refresh import aget_access_token, get_access_token
    from django_pingone_authorize.sessions.token_store import get_sign_on_facts, get_tokens


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)


def __dir__() -> list[str]:
    return [*globals(), *__all__]
