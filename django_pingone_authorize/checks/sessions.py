"""Ending sessions at PingOne ("log out everywhere" with worker credentials, ``management_api.py``):
``pingone.E110``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Tags, register

from django_pingone_authorize.checks.base import REGIONAL_HOSTS, _auth_path_parts, _each_alias


def check_management_api(where: str, options: Mapping[str, Any], values: Mapping[str, Any]) -> Iterator[CheckMessage]:
    """Worker credentials need what PingOne's management API needs: both credentials, the environment ID, and
    an API host (``api.pingone.{region}``; never a custom domain)."""
    worker_id, worker_secret = values["WORKER_CLIENT_ID"], values["WORKER_CLIENT_SECRET"]
    if not worker_id and not worker_secret:
        return
    parts = _auth_path_parts(values)
    regional = parts is not None and bool(REGIONAL_HOSTS.match(parts.hostname or ""))
    missing = []
    if not worker_id or not worker_secret:
        missing.append("both WORKER_CLIENT_ID and WORKER_CLIENT_SECRET")
    if not values["ENV_ID"]:
        missing.append("ENV_ID (the management API names the environment; a custom domain leaves it empty)")
    if not regional and not values["MANAGEMENT_API_PATH"]:
        missing.append("MANAGEMENT_API_PATH (the management API lives on api.pingone.<region>, not a custom domain)")
    if missing:
        yield Error(
            f"{where} has worker credentials, but PingOne's management API also needs {'; '.join(missing)}.",
            hint='Without them "log out everywhere" cannot end PingOne sessions. Set ENV_ID to the environment\'s '
            "ID and MANAGEMENT_API_PATH to https://api.pingone.<region> (e.g. https://api.pingone.eu), or remove "
            "the worker credentials.",
            id="pingone.E110",
        )


@register(Tags.security, Tags.compatibility)
def check_session_settings(*, app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """Worker credentials and what the management API needs besides."""
    return _each_alias((check_management_api,))
