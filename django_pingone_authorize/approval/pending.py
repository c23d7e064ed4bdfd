"""Approvals under way, kept in the Django session and keyed by their ``state``: from the start to the single use.

Like a pending sign-on (``sign_on/pending.py``): state, nonce and PKCE verifier for the flow's authorization
response, the flow and PingOne's cookies for it (never given to the browser). Once PingOne approved, the entry
holds what the ID token proved until ``consume_approval`` uses it once, at most ``APPROVAL_TTL`` seconds later.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import constant_time_compare

from django_pingone_authorize.provider.flows_api import Flow

SESSION_KEY = "_pingone_approvals"
# How many approvals a session holds at once (tabs); the oldest go first.
MAX_APPROVALS = 8


def now() -> float:
    """The approvals' clock (one seam for tests)."""
    return time.time()


@dataclass
class PendingApproval:
    """An approval from its start to its single use. Like ``PendingSignOn``: state, nonce and PKCE verifier
    for the flow's authorization response, the flow and PingOne's cookies for it (never given to the browser)."""

    state: str
    nonce: str
    code_verifier: str = field(repr=False)
    alias: str
    redirect_uri: str
    user_id: str  # the Django user's pk, as text
    subject: str  # their PingOne sub (the identity table)
    template: str
    variant: str
    variables: dict[str, str]
    digest: str
    next_url: str
    back_url: str
    acr_values: tuple[str, ...] = ()
    created: float = field(default_factory=now)
    expires: float = 0.0
    flow: Flow | None = field(default=None, repr=False)
    flow_cookies: dict[str, str] = field(default_factory=dict, repr=False)
    message: str = ""
    # Set once PingOne approved (the ID token checked): then ``expires`` is approved_at + APPROVAL_TTL.
    approved_at: float | None = None
    acr: str | None = None
    amr: tuple[str, ...] = ()

    def to_session(self) -> dict[str, Any]:
        return {
            **{name: value for name, value in vars(self).items() if name not in ("flow", "acr_values", "amr")},
            "acr_values": list(self.acr_values),
            "amr": list(self.amr),
            "flow": self.flow.to_session() if self.flow is not None else None,
            "flow_cookies": dict(self.flow_cookies),
        }

    @classmethod
    def from_session(cls, data: Any) -> PendingApproval | None:
        """The entry as stored, or None for anything unreadable (never raises)."""
        if not isinstance(data, dict):
            return None
        texts = _TEXT_FIELDS
        if not all(isinstance(data.get(name), str) for name in texts):
            return None
        numbers = [data.get("created"), data.get("expires")]
        if not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers):
            return None
        approved_at, acr = data.get("approved_at"), data.get("acr")
        if approved_at is not None and not isinstance(approved_at, (int, float)):
            return None
        variables, cookies = data.get("variables"), data.get("flow_cookies")
        lists = [data.get("acr_values"), data.get("amr")]
        if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
            return None
        if not all(isinstance(items, list) and all(isinstance(i, str) for i in items) for items in lists):
            return None
        return cls(
            **{name: data[name] for name in texts},
            variables=dict(variables),
            acr_values=tuple(data["acr_values"]),
            created=float(data["created"]),
            expires=float(data["expires"]),
            flow=Flow.from_session(data.get("flow")),
            flow_cookies={k: v for k, v in cookies.items() if isinstance(v, str)} if isinstance(cookies, dict) else {},
            approved_at=float(approved_at) if approved_at is not None else None,
            acr=acr if isinstance(acr, str) else None,
            amr=tuple(data["amr"]),
        )


_TEXT_FIELDS = (
    *("state", "nonce", "code_verifier", "alias", "redirect_uri", "user_id", "subject", "template"),
    *("variant", "digest", "next_url", "back_url", "message"),
)


def _entries(session: SessionBase) -> dict[str, Any]:
    raw = session.get(SESSION_KEY)
    live = {}
    for state, entry in (raw if isinstance(raw, dict) else {}).items():
        expires = entry.get("expires") if isinstance(entry, dict) else None
        if isinstance(expires, (int, float)) and expires > now():
            live[state] = entry
    return live


def save(session: SessionBase, approval: PendingApproval) -> None:
    """Remember (or update) ``approval``; drops expired entries and, past ``MAX_APPROVALS``, the oldest."""
    entries = _entries(session)
    entries[approval.state] = approval.to_session()
    while len(entries) > MAX_APPROVALS:
        del entries[min(entries, key=lambda state: entries[state].get("created", 0))]
    session[SESSION_KEY] = entries


def get(session: SessionBase, state: str) -> PendingApproval | None:
    """The live approval for ``state`` (compared in constant time), not consumed."""
    entries = _entries(session)
    found = None
    for key in entries:
        if constant_time_compare(key, state):
            found = key
    return PendingApproval.from_session(entries[found]) if found is not None else None


def forget(session: SessionBase, state: str) -> None:
    entries = _entries(session)
    if entries.pop(state, None) is not None or SESSION_KEY in session:
        session[SESSION_KEY] = entries
