"""Outbound HTTP to PingOne: kept-alive connections shared by every thread, a deadline on every call, and
every answer that is not the JSON we asked for turned into a ``ProviderError``.

The ``timeout`` of a call is a deadline for all of it: connecting, sending, the status line and headers, the
body. ``requests`` only bounds each socket read, so a provider that sends a byte now and then would hold a
worker for ever; here every read waits at most the time left, the body is read in small chunks with the
deadline checked between them, and a watchdog shuts the call's socket down when the deadline passes (which
ends a read blocked on a dripping status line, headers or body at once).

Redirects are never followed (a token endpoint that redirects is broken or hostile), bodies are capped,
and nothing but the URL, the status and an OAuth error code is logged.
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import itertools
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Mapping
from http import cookiejar
from typing import Any

import requests
import urllib3
from django.utils.translation import gettext_lazy as _
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from django_pingone_authorize.errors import (
    PROVIDER_DOWN_MESSAGE,
    PROVIDER_DOWN_STATUS,
    ProviderError,
    printable,
    provider_down,
)
from django_pingone_authorize.provider import circuit_breaker

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
READ_CHUNK = 8192  # bytes per body read: the deadline is checked between two
_local = threading.local()


class _Watch:
    """One call's deadline and the sockets it has used; shut down when the deadline passes."""

    __slots__ = ("_lock", "_owned", "_sockets", "deadline", "done", "fired")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.fired = False
        self.done = False
        self._sockets: list[socket.socket] = []
        self._owned: list[socket.socket] = []  # duplicates made for the watch: closed when the call ends
        self._lock = threading.Lock()

    def add(self, sock: socket.socket, *, owned: bool = False) -> None:
        with self._lock:
            fired = self.fired
            self._sockets.append(sock)
            if owned:
                self._owned.append(sock)
        if fired:
            _shut(sock)

    def fire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def finish(self) -> None:
        with self._lock:
            self.done = True
            owned, self._owned, self._sockets = self._owned, [], []
        for sock in owned:
            sock.close()


def _shut(sock: socket.socket) -> None:
    """Shut the TCP connection down: a read blocked in another thread returns at once (``close`` would not).
    The base class's method: on a TLS socket it acts on the descriptor, not on the TLS state."""
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread for every call of the process: fires each ``_Watch`` at its deadline."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: float) -> _Watch:
        watch = _Watch(deadline)
        with self._cond:
            sooner = not self._heap or deadline < self._heap[0][0]
            heapq.heappush(self._heap, (deadline, next(self._order), watch))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="pingone-deadlines", daemon=True)
                self._thread.start()
            elif sooner:  # otherwise the thread wakes up early enough as it is
                self._cond.notify()
        return watch

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                deadline, _, watch = self._heap[0]
                if not watch.done:
                    left = deadline - time.monotonic()
                    if left > 0:
                        self._cond.wait(left)
                        continue
                heapq.heappop(self._heap)
            if not watch.done:
                watch.fire()


_watchdog = _Watchdog()


def _new_watchdog_after_fork() -> None:
    """A forked worker (gunicorn ``--preload``) has no watchdog thread, and maybe a lock held by it."""
    global _watchdog
    _watchdog = _Watchdog()


os.register_at_fork(after_in_child=_new_watchdog_after_fork)


def _watch_socket(sock: socket.socket | None, *, duplicate: bool = False) -> None:
    """Put ``sock`` under the deadline of this thread's call, if one is under way. ``duplicate``: watch a
    duplicate of its descriptor, for a socket about to be wrapped in TLS (``wrap_socket`` detaches the
    original; the duplicate still reaches the same TCP connection)."""
    watch: _Watch | None = getattr(_local, "watch", None)
    if watch is not None and sock is not None:
        if duplicate:
            watch.add(sock.dup(), owned=True)
        else:
            watch.add(sock)


class _WatchedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch_socket(sock)
        return sock


class _WatchedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch_socket(sock, duplicate=True)
        return sock


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)
        _watch_socket(getattr(conn, "sock", None))  # a kept-alive connection: its socket exists already
        return conn


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)
        _watch_socket(getattr(conn, "sock", None))
        return conn


class _WatchedAdapter(HTTPAdapter):
    """Pools whose sockets are put under the calling thread's deadline (``_Watch``)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _KeepNoCookies(cookiejar.DefaultCookiePolicy):
    """The pooled session serves every visitor: it must never keep one visitor's PingOne cookies (``ST``).
    Cookies a flow needs are passed per call and read from each response instead."""

    def set_ok(self, cookie: cookiejar.Cookie, request: Any) -> bool:
        return False


# The connection pools, one set for the whole process, shared by every thread's session. Under ASGI, Django runs
# each request's synchronous code in a thread of its own (asgiref's ``ThreadSensitiveContext``): pools kept per
# thread would open a new connection to PingOne for every sign-on. urllib3's pools are thread-safe; a session
# (headers, the cookie policy) stays per thread.
POOL_MAXSIZE = 32  # connections kept alive per PingOne host: at least the calls a worker makes at once
_pools_lock = threading.Lock()
_pools: _WatchedAdapter | None = None


def _shared_pools() -> _WatchedAdapter:
    global _pools
    with _pools_lock:
        if _pools is None:
            _pools = _WatchedAdapter(pool_maxsize=POOL_MAXSIZE)
        return _pools


def http_session() -> requests.Session:
    """This thread's session, on the process's pools (connections to PingOne are kept alive between sign-ons,
    whichever thread makes the next call)."""
    session: requests.Session | None = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.headers["User-Agent"] = "django-pingone-authorize"
        session.headers["Accept"] = "application/json"
        session.cookies.set_policy(_KeepNoCookies())
        pools = _shared_pools()
        session.mount("https://", pools)
        session.mount("http://", pools)
        _local.session = session
    return session


def forget_connections() -> None:
    """Close every kept-alive connection to PingOne; the next call opens a new one (tests; a forked worker)."""
    global _pools
    with _pools_lock:
        pools, _pools = _pools, None
    _local.__dict__.pop("session", None)
    if pools is not None:
        pools.close()


def _new_pools_after_fork() -> None:
    """A forked worker (gunicorn ``--preload``) must not share its parent's sockets: it opens its own."""
    global _pools, _pools_lock
    _pools_lock = threading.Lock()
    _pools = None
    _local.__dict__.pop("session", None)


os.register_at_fork(after_in_child=_new_pools_after_fork)


# A kept-alive connection that the provider (or a load balancer) closes while idle can be taken from the
# pool in the instant before the close is seen: the request then fails at once, before any answer.
_DROPPED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
_DROPPED_WITHIN = 1.0  # seconds: that failure is immediate; a slow one is not retried


def _dropped_before_answer(exc: requests.ConnectionError) -> bool:
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, urllib3.exceptions.ProtocolError):
        return any(isinstance(arg, _DROPPED) for arg in reason.args)
    return isinstance(reason, _DROPPED)


class _PastDeadline(Exception):
    """The call's deadline passed (raised, or found after a failure the watchdog caused)."""


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _PastDeadline
    return left


def _send(method: str, url: str, deadline: float, **kwargs: Any) -> requests.Response:
    """Send once; once more, on a new connection, if the connection was dropped at once without an answer.

    Only that case is retried: never a timeout, a refused connection, or any answer, and never past the
    deadline. Should the provider have redeemed a code all the same, the retried token request gets
    ``invalid_grant``: a clean failure, as without the retry.
    """
    session = http_session()
    started = time.monotonic()
    try:
        # Connect and every read wait at most the time left; the watchdog bounds the sum.
        return session.request(method, url, timeout=_left(deadline), **kwargs)
    except requests.ConnectionError as exc:
        if time.monotonic() >= deadline:
            raise _PastDeadline from None
        if isinstance(exc, requests.Timeout) or not _dropped_before_answer(exc):
            raise
        if time.monotonic() - started > _DROPPED_WITHIN:
            raise
    return session.request(method, url, timeout=_left(deadline), **kwargs)


def _read_capped(response: requests.Response, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=READ_CHUNK):
        _left(deadline)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ProviderError("response_too_large", _("The identity provider sent an oversized answer."))
        chunks.append(chunk)
    _left(deadline)  # a body cut short by the watchdog may look complete: late is late
    return b"".join(chunks)


class _BrokeOff(Exception):
    """The answer's body broke off (args: the failure's type name)."""


def _exchange(method: str, url: str, deadline: float, **kwargs: Any) -> tuple[bytes, requests.Response]:
    """Send and read the whole body before the deadline (``_PastDeadline`` otherwise)."""
    response = _send(method, url, deadline, **kwargs)
    try:
        return _read_capped(response, deadline), response
    except requests.RequestException as exc:
        if time.monotonic() >= deadline:  # the watchdog cut it
            raise _PastDeadline from None
        raise _BrokeOff(type(exc).__name__) from None
    finally:
        response.close()


def _loggable(url: str) -> str:
    """The URL as logged: it may come from a discovery document, so printable characters only.
    Worked out only when a failure is logged, not on every call."""
    return printable(url, 300)


def request_json(
    method: str,
    url: str,
    *,
    timeout: float,
    what: str,
    data: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    expect: tuple[int, ...] = (200,),
    cookies: Mapping[str, str] | None = None,
    json_body: Any = None,
    counted: bool = True,
) -> tuple[dict[str, Any], requests.Response]:
    """Call ``url`` and return its JSON object body and the response.

    ``what`` names the call in messages and logs ("token request"). ``timeout`` (seconds) is the deadline
    of the whole call. Any transport failure, unexpected status, redirect or non-JSON body raises
    ``ProviderError``; an OAuth error body is passed on in it. While PingOne is failing (``circuit_breaker``:
    repeated timeouts, connection failures or 5xx) the call fails at once with
    ``ProviderError("provider_unavailable", status=503)`` instead. ``counted=False``: a call whose input the
    visitor shapes (a flows action, an introspected token): it fails fast while the circuit is open, but its
    5xx and timeouts do not count towards opening it (input that trips a PingOne bug must not open the
    circuit for everyone).
    """
    with circuit_breaker.guard(url, counted=counted):
        body_data: Any = data
        if json_body is not None:
            body_data = json.dumps(json_body)
        deadline = time.monotonic() + timeout
        watch = _watchdog.watch(deadline)
        _local.watch = watch
        try:
            body, response = _exchange(
                method,
                url,
                deadline,
                data=body_data,
                headers=dict(headers or {}),
                allow_redirects=False,
                stream=True,
                cookies=dict(cookies) if cookies else None,
            )
        except (_PastDeadline, requests.Timeout):
            logger.warning("PingOne %s to %s timed out after %ss", what, _loggable(url), timeout)
            raise provider_down("provider_timeout") from None
        except _BrokeOff as exc:
            logger.warning("PingOne %s to %s broke off: %s", what, _loggable(url), exc.args[0])
            raise provider_down("provider_unreachable") from None
        except requests.RequestException as exc:
            logger.warning("PingOne %s to %s failed: %s", what, _loggable(url), type(exc).__name__)
            raise provider_down("provider_unreachable") from None
        finally:
            _local.watch = None
            watch.finish()

        parsed: Any = None
        try:
            parsed = json.loads(body) if body else None
        except (ValueError, RecursionError):  # RecursionError: a hostile answer nested deeper than the parser goes
            parsed = None

        if response.status_code not in expect:
            error = description = ""
            if isinstance(parsed, dict):
                error = printable(parsed.get("error") or parsed.get("code") or "")
                description = printable(parsed.get("error_description") or parsed.get("message") or "")
            if 300 <= response.status_code < 400:
                reason = "provider_redirected"
            elif response.status_code >= 500:
                reason = "provider_server_error"
            else:
                reason = "provider_refused"
            logger.warning(
                "PingOne %s to %s answered HTTP %s%s",
                what,
                _loggable(url),
                response.status_code,
                f" ({error})" if error else "",
            )
            raise ProviderError(
                reason,
                PROVIDER_DOWN_MESSAGE
                if reason in PROVIDER_DOWN_STATUS
                else _("PingOne refused this sign-on's request."),
                error=error,
                description=description,
            )
        if not isinstance(parsed, dict):
            logger.warning(
                "PingOne %s to %s did not answer a JSON object (HTTP %s)", what, _loggable(url), response.status_code
            )
            raise provider_down("provider_bad_response")
        return parsed, response
