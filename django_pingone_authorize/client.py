"""Outbound HTTP to PingOne: one pooled ``requests.Session`` per thread, a timeout on every call, and
every answer that is not the JSON we asked for turned into a ``ProviderError``.

Redirects are never followed (a token endpoint that redirects is broken or hostile), bodies are capped,
and nothing but the URL, the status and an OAuth error code is logged.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
from collections.abc import Mapping
from http import cookiejar
from typing import Any

import requests
import urllib3

from django_pingone_authorize.errors import ProviderError

logger = logging.getLogger("django_pingone_authorize")

MAX_BODY_BYTES = 1024 * 1024
_local = threading.local()


class _KeepNoCookies(cookiejar.DefaultCookiePolicy):
    """The pooled session serves every visitor: it must never keep one visitor's PingOne cookies (``ST``).
    Cookies a flow needs are passed per call and read from each response instead."""

    def set_ok(self, cookie: cookiejar.Cookie, request: Any) -> bool:
        return False


def http_session() -> requests.Session:
    """This thread's pooled session (connections to PingOne are kept alive between sign-ons)."""
    session: requests.Session | None = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.headers["User-Agent"] = "django-pingone-authorize"
        session.headers["Accept"] = "application/json"
        session.cookies.set_policy(_KeepNoCookies())
        _local.session = session
    return session


# A kept-alive connection that the provider (or a load balancer) closes while idle can be taken from the
# pool in the instant before the close is seen: the request then fails at once, before any answer.
_DROPPED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
_DROPPED_WITHIN = 1.0  # seconds: that failure is immediate; a slow one is not retried


def _dropped_before_answer(exc: requests.ConnectionError) -> bool:
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, urllib3.exceptions.ProtocolError):
        return any(isinstance(arg, _DROPPED) for arg in reason.args)
    return isinstance(reason, _DROPPED)


def _send(method: str, url: str, **kwargs: Any) -> requests.Response:
    """Send once; once more, on a new connection, if the connection was dropped at once without an answer.

    Only that case is retried: never a timeout, a refused connection, or any answer. Should the provider
    have redeemed a code all the same, the retried token request gets ``invalid_grant``: a clean failure,
    as without the retry.
    """
    session = http_session()
    started = time.monotonic()
    try:
        return session.request(method, url, **kwargs)
    except requests.ConnectionError as exc:
        if isinstance(exc, requests.Timeout) or not _dropped_before_answer(exc):
            raise
        if time.monotonic() - started > _DROPPED_WITHIN:
            raise
    return session.request(method, url, **kwargs)


def _read_capped(response: requests.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=65536):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ProviderError("response_too_large", "The identity provider sent an oversized answer.")
        chunks.append(chunk)
    return b"".join(chunks)


def _short(text: object, limit: int = 200) -> str:
    value = str(text) if text is not None else ""
    return "".join(ch if ch.isprintable() else "?" for ch in value[:limit])


def _loggable(url: str) -> str:
    """The URL as logged: it may come from a discovery document, so printable characters only.
    Worked out only when a failure is logged, not on every call."""
    return _short(url, 300)


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
) -> tuple[dict[str, Any], requests.Response]:
    """Call ``url`` and return its JSON object body and the response.

    ``what`` names the call in messages and logs ("token request"). Any transport failure, unexpected
    status, redirect or non-JSON body raises ``ProviderError``; an OAuth error body is passed on in it.
    """
    body_data: Any = data
    if json_body is not None:
        body_data = json.dumps(json_body)
    try:
        response = _send(
            method,
            url,
            data=body_data,
            headers=dict(headers or {}),
            timeout=timeout,
            allow_redirects=False,
            stream=True,
            cookies=dict(cookies) if cookies else None,
        )
    except requests.Timeout:
        logger.warning("PingOne %s to %s timed out after %ss", what, _loggable(url), timeout)
        raise ProviderError("provider_timeout", f"The identity provider did not answer the {what} in time.") from None
    except requests.RequestException as exc:
        logger.warning("PingOne %s to %s failed: %s", what, _loggable(url), type(exc).__name__)
        raise ProviderError("provider_unreachable", f"The identity provider could not be reached ({what}).") from None
    try:
        body = _read_capped(response)
    except requests.RequestException as exc:
        logger.warning("PingOne %s to %s broke off: %s", what, _loggable(url), type(exc).__name__)
        message = f"The identity provider's answer to the {what} broke off."
        raise ProviderError("provider_unreachable", message) from None
    finally:
        response.close()

    parsed: Any = None
    try:
        parsed = json.loads(body) if body else None
    except (ValueError, RecursionError):  # RecursionError: a hostile answer nested deeper than the parser goes
        parsed = None

    if response.status_code not in expect:
        error = description = ""
        if isinstance(parsed, dict):
            error = _short(parsed.get("error") or parsed.get("code") or "")
            description = _short(parsed.get("error_description") or parsed.get("message") or "")
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
            f"The identity provider refused the {what}.",
            error=error,
            description=description,
        )
    if not isinstance(parsed, dict):
        logger.warning(
            "PingOne %s to %s did not answer a JSON object (HTTP %s)", what, _loggable(url), response.status_code
        )
        raise ProviderError("provider_bad_response", f"The identity provider's answer to the {what} was not JSON.")
    return parsed, response
