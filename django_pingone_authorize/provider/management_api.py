"""Ending a user's PingOne sessions through PingOne's management API ("log out everywhere", at PingOne too).

Only when the alias has a worker application's credentials (``WORKER_CLIENT_ID``, ``WORKER_CLIENT_SECRET``): a
client-credentials token from the environment's token endpoint, then

* ``GET {apiPath}/v1/environments/{envID}/users/{userID}/sessions`` — the user's sessions, and
* ``DELETE {apiPath}/v1/environments/{envID}/users/{userID}/sessions/{sessionID}`` — for each of them.

PingOne lists expired sessions too (up to ten): those are skipped (``expiresAt`` past). PingOne refuses to
delete "the current session": a refusal is logged and the other sessions are still ended. The management API
lives only on ``api.pingone.{region}`` and needs the environment ID: with a custom domain (no ``ENV_ID``) nothing
is called and an error is logged (the checks say so first: ``pingone.E110``). Unconfirmed: the answer's shape
(``_embedded.sessions[].id``, ``expiresAt``) and that the ``sub`` of PingOne's ID tokens is the user's ID there.
``{apiPath}`` is ``MANAGEMENT_API_PATH``, or by default the regional API host that goes with ``AUTH_PATH``
(``https://auth.pingone.eu`` -> ``https://api.pingone.eu``). Failures are logged and counted, never raised: the
Django sessions end whatever PingOne says.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlsplit

from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.errors import ProviderError
from django_pingone_authorize.provider.discovery import get_metadata
from django_pingone_authorize.provider.http import request_json
from django_pingone_authorize.provider.token_endpoint import post_authenticated

logger = logging.getLogger(__name__)

MAX_SESSIONS = 100  # ended per user and call, at most


def api_path(config: AliasConfig) -> str:
    if config.MANAGEMENT_API_PATH:
        return config.MANAGEMENT_API_PATH.rstrip("/")
    parts = urlsplit(config.AUTH_PATH)
    host = parts.hostname or ""
    if host.startswith("auth.pingone."):
        return f"https://api.{host[len('auth.') :]}"
    return config.AUTH_PATH.rstrip("/")


def has_worker(config: AliasConfig) -> bool:
    return bool(config.WORKER_CLIENT_ID and config.WORKER_CLIENT_SECRET)


@sensitive_variables()
def _worker_token(config: AliasConfig) -> str:
    # client_secret_basic with the worker's own credentials (the worker application's default method).
    worker = replace(
        config,
        CLIENT_ID=config.WORKER_CLIENT_ID,
        CLIENT_SECRET=config.WORKER_CLIENT_SECRET,
        TOKEN_ENDPOINT_AUTH_METHOD="client_secret_basic",  # noqa: S106 -- a method name
    )
    body = post_authenticated(
        worker, get_metadata(config).token_endpoint, {"grant_type": "client_credentials"}, what="worker token request"
    )
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise ProviderError("token_no_access_token", _("PingOne did not issue a worker token."))
    return token


def _without_body(method: str, url: str, config: AliasConfig, headers: dict[str, str]) -> None:
    """A call whose success has no JSON body (204): ``http.py`` wants JSON, so its "not JSON" is success."""
    try:
        request_json(
            method, url, timeout=config.TIMEOUT, what="session end request", headers=headers, expect=(200, 204)
        )
    except ProviderError as error:
        if error.reason != "provider_bad_response":
            raise


@sensitive_variables()
def end_pingone_sessions(config: AliasConfig, user_id: str) -> int:
    """End every live PingOne session of the user ``user_id`` (the ID token's ``sub``); how many were ended.

    Expired sessions (PingOne lists up to ten of them) are skipped; a refused deletion (PingOne refuses "the
    current session") is logged and the others are still ended."""
    if not has_worker(config) or not user_id:
        return 0
    if not config.ENV_ID:
        logger.error(
            "Cannot end the PingOne sessions of a user (alias %s): the management API needs ENV_ID, which is empty "
            "(a custom domain?); set ENV_ID and MANAGEMENT_API_PATH (pingone.E110)",
            config.alias,
        )
        return 0
    try:
        token = _worker_token(config)
        headers = {"Authorization": f"Bearer {token}"}
        base = f"{api_path(config)}/v1/environments/{quote(config.ENV_ID, safe='')}/users/{quote(user_id, safe='')}"
        body, _response = request_json(
            "GET", f"{base}/sessions", timeout=config.TIMEOUT, what="user sessions request", headers=headers
        )
    except ProviderError as error:
        logger.warning("Could not list the PingOne sessions of a user (alias %s): %s", config.alias, error.reason)
        return 0
    ended = refused = 0
    for session in _live_session_ids(body)[:MAX_SESSIONS]:
        try:
            _without_body("DELETE", f"{base}/sessions/{quote(session, safe='')}", config, headers)
        except ProviderError as error:
            refused += 1
            logger.warning("PingOne refused to end one session of a user (alias %s): %s", config.alias, error.reason)
            if error.reason not in ("provider_refused", "provider_redirected"):
                break  # PingOne cannot be reached: the others would fail the same way
            continue
        ended += 1
    logger.info("Ended %d PingOne session(s) of a user (alias %s), %d refused", ended, config.alias, refused)
    return ended


def _expired(session: dict[str, Any]) -> bool:
    """Whether the session's ``expiresAt`` (ISO 8601) has passed; a session without one counts as live."""
    value = session.get("expiresAt")
    if not isinstance(value, str):
        return False
    try:
        expires = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=timezone.utc)
    return expires <= datetime.now(timezone.utc)


def _live_session_ids(body: dict[str, Any]) -> list[str]:
    embedded = body.get("_embedded")
    sessions = embedded.get("sessions") if isinstance(embedded, dict) else None
    if not isinstance(sessions, list):
        return []
    return [
        s["id"]
        for s in sessions
        if isinstance(s, dict) and isinstance(s.get("id"), str) and s["id"] and not _expired(s)
    ]
