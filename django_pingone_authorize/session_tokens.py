"""Tokens kept server-side in the Django session after a sign-on (never in URLs, pages or logs).

The ID token is always kept (PingOne's sign-off wants it as ``id_token_hint``); the access and refresh
tokens only with ``STORE_TOKENS``. Read them with ``get_tokens(request.session)``.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from django.contrib.sessions.backends.base import SessionBase

from django_pingone_authorize.conf import AliasConfig

SESSION_KEY = "_pingone_tokens"


class _Tokens(Protocol):
    id_token: str
    access_token: str | None
    refresh_token: str | None
    expires_in: int | None


def store(session: SessionBase, config: AliasConfig, tokens: _Tokens) -> None:
    record: dict[str, Any] = {"alias": config.alias, "id_token": tokens.id_token}
    if config.STORE_TOKENS:
        record["access_token"] = tokens.access_token
        record["refresh_token"] = tokens.refresh_token
        if tokens.expires_in is not None:
            record["access_token_expires_at"] = int(time.time()) + tokens.expires_in
    session[SESSION_KEY] = record


def get_tokens(session: SessionBase) -> dict[str, Any]:
    """What the last sign-on in this session left: ``alias``, ``id_token`` and, if stored, the others."""
    record = session.get(SESSION_KEY)
    return dict(record) if isinstance(record, dict) else {}
