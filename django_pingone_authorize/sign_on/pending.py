"""Sign-ons under way, kept in the Django session and keyed by their ``state`` (``pending_store.py``).

Each entry holds what the callback needs to finish that one sign-on (nonce, PKCE verifier, alias,
validated ``next``, redirect URI, creation time, what the sign-on asked) and, for an embedded (``pi.flow``)
sign-on, its PingOne flow, PingOne's cookies for it and the message its page shows. Several tabs each keep
their own; the set is capped (oldest dropped) and entries expire. An entry is consumed at first use, so a
replayed state fails.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.oidc.authorize import new_secrets
from django_pingone_authorize.sign_on.pending_store import LENIENT, PendingAuthorization, PendingStore

SESSION_KEY = "_pingone_pending"


def _now() -> float:
    return time.time()


@dataclass(kw_only=True)
class PendingSignOn(PendingAuthorization):
    """A sign-on under way. ``max_age``, ``acr_values`` and ``prompt`` are what it asked of the authentication
    (fixed, per-request and step-up values merged, as sent): the ID token is checked against them."""

    next_url: str | None = None
    max_age: int | None = None
    prompt: str | None = None
    # The embedded sign-on only: the username typed before a refusal (never the password).
    typed_username: str = field(default="", metadata=LENIENT)
    # The embedded sign-on only: a self-service step PingOne refused for the account (unknown at
    # ``password.forgot``, taken at ``user.register``) shown as if it went on (``views/self_service.py``).
    pretend: str = field(default="", metadata=LENIENT)

    @classmethod
    def from_dict(cls, data: Any) -> PendingSignOn | None:
        """The entry as stored, or None when it cannot be one (``from_session``)."""
        return cls.from_session(data)


def new_pending(
    config: AliasConfig,
    *,
    redirect_uri: str,
    next_url: str | None,
    max_age: int | None,
    acr_values: tuple[str, ...] | None = None,
    prompt: str | None = None,
) -> PendingSignOn:
    """A fresh sign-on. ``acr_values`` and ``prompt`` default to the alias's fixed ones."""
    state, nonce, code_verifier = new_secrets()
    return PendingSignOn(
        state=state,
        nonce=nonce,
        code_verifier=code_verifier,
        alias=config.alias,
        redirect_uri=redirect_uri,
        next_url=next_url,
        max_age=max_age,
        acr_values=config.fixed_acr_values if acr_values is None else acr_values,
        prompt=prompt or config.PROMPT or None,
    )


STORE = PendingStore(SESSION_KEY, PendingSignOn, lambda: _now())


def add(session: SessionBase, pending: PendingSignOn, *, ttl: int, cap: int) -> None:
    """Remember ``pending``; drops expired entries and, past ``cap``, the oldest."""
    STORE.add(session, pending, ttl=ttl, cap=cap)


def get(session: SessionBase, state: str) -> PendingSignOn | None:
    """The live entry for ``state`` without consuming it."""
    return STORE.get(session, state)


def update(session: SessionBase, pending: PendingSignOn) -> None:
    """Write back a changed live entry (e.g. a pi.flow step); nothing happens if it is gone."""
    STORE.update(session, pending)


def pop(session: SessionBase, state: str) -> PendingSignOn | None:
    """Consume and return the live entry for ``state`` (None when unknown, expired or already used)."""
    return STORE.pop(session, state)
