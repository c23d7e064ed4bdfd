"""Approvals under way, kept in the Django session and keyed by their ``state``: from the start to the single use.

A ``PendingAuthorization`` like a pending sign-on (``sign_on/pending_store.py``): state, nonce and PKCE verifier
for the flow's authorization response, the flow and PingOne's cookies for it (never given to the browser). Once
PingOne approved, the entry holds what the ID token proved until ``consume_approval`` uses it once, at most
``APPROVAL_TTL`` seconds later.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

from django_pingone_authorize.sign_on.pending_store import PendingAuthorization, PendingStore

SESSION_KEY = "_pingone_approvals"
# How many approvals a session holds at once (tabs); the oldest go first.
MAX_APPROVALS = 8


def now() -> float:
    """The approvals' clock (one seam for tests)."""
    return time.time()


@dataclass(kw_only=True)
class PendingApproval(PendingAuthorization):
    """An approval from its start to its single use: who asked, what is approved, and PingOne's answer."""

    created: float = field(default_factory=lambda: now())
    user_id: str  # the Django user's pk, as text
    subject: str  # their PingOne sub (the identity table)
    template: str
    variant: str
    variables: dict[str, str]
    digest: str
    next_url: str
    back_url: str
    # Set once PingOne approved (the ID token checked): then ``expires`` is approved_at + APPROVAL_TTL.
    approved_at: float | None = None
    acr: str | None = None
    amr: tuple[str, ...] = ()


STORE = PendingStore(SESSION_KEY, PendingApproval, lambda: now())


def entries(session: SessionBase) -> dict[str, dict[str, Any]]:
    """The live stored approvals (as stored)."""
    return STORE.entries(session)


def save(session: SessionBase, approval: PendingApproval) -> None:
    """Remember (or update) ``approval``; drops expired entries and, past ``MAX_APPROVALS``, the oldest."""
    STORE.save(session, approval, cap=MAX_APPROVALS)


def get(session: SessionBase, state: str) -> PendingApproval | None:
    """The live approval for ``state`` (compared in constant time), not consumed."""
    return STORE.get(session, state)


def forget(session: SessionBase, state: str) -> None:
    STORE.pop(session, state)
