"""What every authorization under way keeps, and the one session store they are kept in: a sign-on
(``sign_on/pending.py``) and a transaction approval (``approval/pending.py``) are both a ``PendingAuthorization``.

An entry holds what finishing it needs (state, nonce, PKCE verifier, alias, redirect URI, the policies asked,
creation and expiry time) and, when it runs through PingOne's flows API (``pi.flow``), the flow, PingOne's
cookies for it (never given to the browser), the message its page shows and when the flow was last looked at.
Entries live in the Django session under one key per kind, keyed by ``state`` (compared in constant time);
several tabs each keep their own, the set is capped (oldest dropped) and entries expire.

Each kind adds its own fields; reading a stored entry is the same for all, driven by the fields' declared types:
anything unreadable gives None (never an exception), and a field marked ``LENIENT`` falls back to its default.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import constant_time_compare

from django_pingone_authorize.provider.flows_api import Flow

# A field whose stored value, when unusable, falls back to its default instead of refusing the entry.
LENIENT = {"lenient": True}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _strings(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value)


def _str_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


# How a stored value of each declared type is checked and read back.
_READERS: dict[str, tuple[Callable[[Any], bool], Callable[[Any], Any]]] = {
    "str": (lambda v: isinstance(v, str), str),
    "str | None": (lambda v: v is None or isinstance(v, str), lambda v: v),
    "int | None": (lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)), lambda v: v),
    "float": (_is_number, float),
    "float | None": (lambda v: v is None or _is_number(v), lambda v: None if v is None else float(v)),
    "tuple[str, ...]": (_strings, tuple),
    "dict[str, str]": (_str_map, dict),
    "Flow | None": (lambda v: v is None or Flow.from_session(v) is not None, Flow.from_session),
}


def _now() -> float:
    return time.time()


@dataclass(kw_only=True)
class PendingAuthorization:
    """An authorization under way: what its authorization response is checked against, and its flow."""

    state: str
    nonce: str
    code_verifier: str = field(repr=False)  # PKCE's secret half: not in reprs (error reports, logs)
    alias: str
    redirect_uri: str
    acr_values: tuple[str, ...] = ()
    created: float = field(default_factory=_now)
    expires: float = 0.0
    # pi.flow only: the flow (its id is kept from the browser), PingOne's cookies for it, the message its page
    # shows (a refused step, a restarted flow) and when the server last asked PingOne about it (a push).
    flow: Flow | None = field(default=None, repr=False, metadata=LENIENT)
    flow_cookies: dict[str, str] = field(default_factory=dict, repr=False, metadata=LENIENT)
    message: str = field(default="", metadata=LENIENT)
    polled_at: float = field(default=0.0, metadata=LENIENT)

    def to_session(self) -> dict[str, Any]:
        """Plain JSON values, for any session serializer. A field at its declared default is left out (it reads
        back as that default): a redirect sign-on keeps none of the flow's fields."""
        stored: dict[str, Any] = {}
        defaults = _defaults(type(self))
        for name, value in vars(self).items():
            if name in defaults and value == defaults[name]:
                continue
            if isinstance(value, Flow):
                value = value.to_session()
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, dict):
                value = dict(value)
            stored[name] = value
        return stored

    @classmethod
    def from_session(cls: type[_Entry], data: Any) -> _Entry | None:
        """The entry as stored, or None when it cannot be one (never raises). A missing field takes its default;
        a lenient field that cannot be read does too; any other unreadable field refuses the entry."""
        if not isinstance(data, dict):
            return None
        values: dict[str, Any] = {}
        for spec in dataclasses.fields(cls):
            if spec.name not in data:
                continue
            check, read = _READERS[str(spec.type)]
            value = data[spec.name]
            if spec.metadata.get("lenient"):
                if spec.name == "flow_cookies" and isinstance(value, dict):
                    value = {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}
                if not check(value):
                    continue
            elif not check(value):
                return None
            values[spec.name] = read(value)
        try:
            return cls(**values)
        except TypeError:  # a required field missing
            return None


_Entry = TypeVar("_Entry", bound=PendingAuthorization)


_DEFAULTS: dict[type[PendingAuthorization], dict[str, Any]] = {}


def _defaults(entry_type: type[PendingAuthorization]) -> dict[str, Any]:
    """The declared defaults of ``entry_type``'s fields: a default value, or an empty container's factory."""
    if entry_type in _DEFAULTS:
        return _DEFAULTS[entry_type]
    defaults: dict[str, Any] = {}
    for spec in dataclasses.fields(entry_type):
        if spec.default is not dataclasses.MISSING:
            defaults[spec.name] = spec.default
        elif spec.default_factory in (dict, list, tuple):
            defaults[spec.name] = spec.default_factory()
    _DEFAULTS[entry_type] = defaults
    return defaults


class PendingStore(Generic[_Entry]):
    """The entries of one kind in the session, under ``session_key``; ``clock`` is read at each use."""

    def __init__(self, session_key: str, entry_type: type[_Entry], clock: Callable[[], float]) -> None:
        self.session_key = session_key
        self.entry_type = entry_type
        self.clock = clock

    def entries(self, session: SessionBase) -> dict[str, dict[str, Any]]:
        """The live stored entries (expired and garbled ones left out)."""
        raw = session.get(self.session_key)
        now = self.clock()
        return {
            state: entry
            for state, entry in (raw if isinstance(raw, dict) else {}).items()
            if isinstance(entry, dict) and _is_number(entry.get("expires")) and entry["expires"] > now
        }

    def _key(self, entries: dict[str, dict[str, Any]], state: str) -> str | None:
        found = None
        for key in entries:
            if constant_time_compare(key, state):
                found = key
        return found

    def save(self, session: SessionBase, entry: _Entry, *, cap: int) -> None:
        """Remember (or update) ``entry``; drops expired entries and, past ``cap``, the oldest."""
        entries = self.entries(session)
        entries[entry.state] = entry.to_session()
        if len(entries) > cap:
            by_age = sorted(entries, key=lambda state: _created(entries[state]))
            for state in by_age[: len(entries) - cap]:
                del entries[state]
        session[self.session_key] = entries

    def add(self, session: SessionBase, entry: _Entry, *, ttl: int, cap: int) -> None:
        """Remember a new ``entry`` for ``ttl`` seconds."""
        entry.expires = self.clock() + ttl
        self.save(session, entry, cap=cap)

    def update(self, session: SessionBase, entry: _Entry) -> None:
        """Write back a changed live entry (a flow step); nothing happens if it is gone."""
        raw = session.get(self.session_key)
        if isinstance(raw, dict) and entry.state in raw:
            session[self.session_key] = {**raw, entry.state: entry.to_session()}

    def get(self, session: SessionBase, state: str) -> _Entry | None:
        """The live entry for ``state`` without consuming it."""
        entries = self.entries(session)
        key = self._key(entries, state)
        return self.entry_type.from_session(entries[key]) if key is not None else None

    def pop(self, session: SessionBase, state: str) -> _Entry | None:
        """Consume and return the live entry for ``state`` (None when unknown, expired or already used)."""
        raw = session.get(self.session_key)
        if not raw:
            return None
        entries = self.entries(session)
        key = self._key(entries, state)
        found = self.entry_type.from_session(entries.pop(key)) if key is not None else None
        if not entries:
            del session[self.session_key]  # nothing under way: nothing kept
        elif entries != raw:
            session[self.session_key] = entries
        return found


def _created(entry: dict[str, Any]) -> float:
    created: Any = entry.get("created")
    return float(created) if _is_number(created) else 0.0
