"""Sign-ons under way, kept in the Django session and keyed by their ``state``.

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
from django.utils.crypto import constant_time_compare

from django_pingone_authorize.provider.flows_api import Flow

SESSION_KEY = "_pingone_pending"


def _now() -> float:
    return time.time()


@dataclass
class PendingSignOn:
    state: str
    nonce: str
    code_verifier: str = field(repr=False)  # PKCE's secret half: not in reprs (error reports, logs)
    alias: str
    redirect_uri: str
    next_url: str | None = None
    # What this sign-on asked of the authentication (fixed, per-request and step-up values merged, as sent):
    # the ID token is checked against them (``tokens.validate_id_token``).
    max_age: int | None = None
    acr_values: tuple[str, ...] = ()
    prompt: str | None = None
    created: float = field(default_factory=_now)
    expires: float = 0.0
    # The embedded (pi.flow) sign-on only: the flow, PingOne's cookies for it (never given to the browser),
    # the message its page shows (a refused step, a restarted flow) and the username typed before a refusal.
    flow: Flow | None = field(default=None, repr=False)  # its id is kept from the browser
    flow_cookies: dict[str, str] = field(default_factory=dict, repr=False)  # PingOne's session cookie
    message: str = ""
    typed_username: str = ""

    @classmethod
    def from_dict(cls, data: Any) -> PendingSignOn | None:
        """The entry as stored, or None when it cannot be one. Never raises: a session may hold garbled
        entries, or entries missing fields (those take their defaults)."""
        if not isinstance(data, dict):
            return None
        acr_values = data.get("acr_values", ())
        if not isinstance(acr_values, (list, tuple)) or not all(isinstance(v, str) for v in acr_values):
            return None
        values = {name: data[name] for name in _SCALAR_FIELDS if name in data}
        if not all(_FIELD_TYPES[name](value) for name, value in values.items()):
            return None
        cookies, message, typed = data.get("flow_cookies"), data.get("message"), data.get("typed_username")
        try:
            return cls(
                **values,
                acr_values=tuple(acr_values),  # JSON sessions give lists back
                flow=Flow.from_session(data.get("flow")),
                flow_cookies=_cookies(cookies),
                message=message if isinstance(message, str) else "",
                typed_username=typed if isinstance(typed, str) else "",
            )
        except TypeError:  # a required field missing
            return None


def _cookies(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# What each plain field must hold; an entry with anything else is unreadable (the nonce, the verifier).
_FIELD_TYPES: dict[str, Any] = {
    "state": lambda v: isinstance(v, str),
    "nonce": lambda v: isinstance(v, str),
    "code_verifier": lambda v: isinstance(v, str),
    "alias": lambda v: isinstance(v, str),
    "redirect_uri": lambda v: isinstance(v, str),
    "next_url": lambda v: v is None or isinstance(v, str),
    "max_age": lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)),
    "prompt": lambda v: v is None or isinstance(v, str),
    "created": _is_number,
    "expires": _is_number,
}
# The fields read as they are stored; ``acr_values`` and the flow's fields are converted in ``from_dict``.
_SCALAR_FIELDS = tuple(_FIELD_TYPES)


def _as_dict(pending: PendingSignOn) -> dict[str, Any]:
    """The entry as stored in the (JSON-serialised) session: the flow as plain JSON values."""
    return {
        **vars(pending),
        "flow": pending.flow.to_session() if pending.flow is not None else None,
        "flow_cookies": dict(pending.flow_cookies),
    }


def _created(entry: dict[str, Any]) -> float:
    created: Any = entry.get("created")
    return float(created) if _is_number(created) else 0.0


def _entries(session: SessionBase) -> dict[str, dict[str, Any]]:
    raw = session.get(SESSION_KEY)
    return raw if isinstance(raw, dict) else {}


def _prune(entries: dict[str, dict[str, Any]], now: float) -> dict[str, dict[str, Any]]:
    return {
        s: e for s, e in entries.items() if isinstance(e, dict) and _is_number(e.get("expires")) and e["expires"] > now
    }


def add(session: SessionBase, pending: PendingSignOn, *, ttl: int, cap: int) -> None:
    """Remember ``pending``; drops expired entries and, past ``cap``, the oldest."""
    now = _now()
    pending.expires = now + ttl
    entries = _prune(_entries(session), now)
    entries[pending.state] = _as_dict(pending)
    if len(entries) > cap:
        by_age = sorted(entries, key=lambda s: _created(entries[s]))
        for state in by_age[: len(entries) - cap]:
            del entries[state]
    session[SESSION_KEY] = entries


def _find(entries: dict[str, dict[str, Any]], state: str) -> str | None:
    found = None
    for key in entries:
        if constant_time_compare(key, state):
            found = key
    return found


def get(session: SessionBase, state: str) -> PendingSignOn | None:
    """The live entry for ``state`` without consuming it."""
    entries = _prune(_entries(session), _now())
    key = _find(entries, state)
    return PendingSignOn.from_dict(entries[key]) if key is not None else None


def update(session: SessionBase, pending: PendingSignOn) -> None:
    """Write back a changed live entry (e.g. a pi.flow step); nothing happens if it is gone."""
    entries = _entries(session)
    if pending.state in entries:
        entries[pending.state] = _as_dict(pending)
        session[SESSION_KEY] = entries


def pop(session: SessionBase, state: str) -> PendingSignOn | None:
    """Consume and return the live entry for ``state`` (None when unknown, expired or already used)."""
    raw = _entries(session)
    if not raw:
        return None
    entries = _prune(raw, _now())
    key = _find(entries, state)
    pending = PendingSignOn.from_dict(entries.pop(key)) if key is not None else None
    if entries != raw:
        session[SESSION_KEY] = entries
    return pending
