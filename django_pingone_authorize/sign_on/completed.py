"""Sign-ons this session finished lately, so that replaying one's callback is sent on, not refused.

After a sign-on, the browser's Back button (or its history) reloads ``callback/?code=…&state=…``. The state
was consumed, so the callback would show "Sign on failed" to a visitor who is signed on. The callback keeps
a small record instead: a hash of each of the last few states this session completed and where that
sign-on went (``next``), for ``COMPLETED_TTL`` seconds. A replay it finds there is sent to the same place;
it never logs anyone in and never exchanges the code again.
"""

from __future__ import annotations

import hashlib
import time

from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import constant_time_compare

SESSION_KEY = "_pingone_completed"
COMPLETED_TTL = 3600
COMPLETED_MAX = 4


def _now() -> float:
    return time.time()


def _digest(state: str) -> str:
    # The state is not a secret once used, but the session need not hold it (cookie sessions are readable).
    return hashlib.sha256(state.encode("utf-8", "surrogatepass")).hexdigest()


def _live(session: SessionBase, now: float) -> list[list[object]]:
    raw = session.get(SESSION_KEY)
    if not isinstance(raw, list):
        return []
    return [
        entry
        for entry in raw
        if isinstance(entry, list)
        and len(entry) == 3
        and isinstance(entry[0], str)
        and isinstance(entry[2], (int, float))
        and entry[2] > now
    ]


def remember(session: SessionBase, state: str, next_url: str) -> None:
    """Record that ``state`` finished a sign-on that went to ``next_url`` (call it after ``login()``)."""
    now = _now()
    entries = [*_live(session, now), [_digest(state), next_url, now + COMPLETED_TTL]]
    session[SESSION_KEY] = entries[-COMPLETED_MAX:]


def next_url_of(session: SessionBase, state: str) -> str | None:
    """Where the sign-on that ``state`` finished in this session went, or None if it did not (or long ago)."""
    digest = _digest(state)
    for entry in _live(session, _now()):
        if constant_time_compare(str(entry[0]), digest) and isinstance(entry[1], str):
            return entry[1]
    return None
