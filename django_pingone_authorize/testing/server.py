"""HTTP plumbing of the stand-in: a request and response model over ``http.server``.

The handler reads the whole request, hands a ``Request`` to a callable and writes back the ``Response`` it
returns, so the stand-in's endpoints never touch sockets.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

logger = logging.getLogger("django_pingone_authorize.testing")

MAX_BODY = 1024 * 1024
_MAX_FIELDS = 200


class MalformedRequest(Exception):
    """A request the stand-in cannot even read (bad form body, bad JSON...); the message is safe to show."""


def parse_params(text: str) -> dict[str, list[str]]:
    try:
        return parse_qs(text, keep_blank_values=True, max_num_fields=_MAX_FIELDS)
    except ValueError as exc:
        raise MalformedRequest("too many parameters") from exc


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    cookies: dict[str, str]

    @property
    def media_type(self) -> str:
        """The Content-Type without parameters, lower case ("" when missing)."""
        return (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()

    def form(self) -> dict[str, list[str]]:
        """The ``application/x-www-form-urlencoded`` body."""
        if self.media_type != "application/x-www-form-urlencoded":
            raise MalformedRequest("the body must be application/x-www-form-urlencoded")
        try:
            text = self.body.decode("ascii")
        except UnicodeDecodeError as exc:
            raise MalformedRequest("the form body is not URL-encoded") from exc
        return parse_params(text)

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, RecursionError) as exc:
            raise MalformedRequest("the body is not JSON") from exc


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, status: int, data: Any, headers: list[tuple[str, str]] | None = None) -> Response:
        return cls(status, json.dumps(data).encode("utf-8"), "application/json", headers or [])

    @classmethod
    def html(cls, status: int, page: str, headers: list[tuple[str, str]] | None = None) -> Response:
        return cls(status, page.encode("utf-8"), "text/html; charset=utf-8", headers or [])

    @classmethod
    def redirect(cls, location: str, headers: list[tuple[str, str]] | None = None) -> Response:
        return cls(302, b"", None, [("Location", location), *(headers or [])])


def _parse_cookies(header: str | None) -> dict[str, str]:
    if not header:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


class StandInHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: Callable[[Request], Response]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        self.closing = False
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away (a reset, a broken pipe) is not the stand-in's error: nothing to print about it.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "PingOneStandIn/1.0"
    # Idle keep-alive connections are dropped after this many seconds, so threads do not pile up.
    timeout = 30
    # Headers and body go out in two writes; without TCP_NODELAY each response waits ~40 ms for a delayed ACK.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        server = self.server
        assert isinstance(server, StandInHTTPServer)
        split = urlsplit(self.path)
        if server.closing:
            self.close_connection = True
            self._write(Response.json(503, {"error": "temporarily_unavailable"}))
            return
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._write(Response.json(411, {"error": "invalid_request", "error_description": "send a length"}))
            return
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.close_connection = True
            status = 413 if length > MAX_BODY else 400
            self._write(Response.json(status, {"error": "invalid_request", "error_description": "bad length"}))
            return
        body = self.rfile.read(length) if length else b""
        try:
            query = parse_params(split.query)
        except MalformedRequest:
            self._write(Response.json(400, {"error": "invalid_request", "error_description": "bad query"}))
            return
        request = Request(
            method=self.command,
            path=split.path,
            query=query,
            headers=self.headers,
            body=body,
            cookies=_parse_cookies(self.headers.get("Cookie")),
        )
        self._write(server.app(request))

    do_GET = _serve
    do_POST = _serve

    def __getattr__(self, name: str) -> Callable[[], None]:
        # Any other method (HEAD, PUT, BREW...) reaches the router too, which answers 405 rather than the
        # base class's 501: a bad request is the client's fault, never a 5xx.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        header_names = {name.lower() for name, _ in response.headers}
        for name, value in response.headers:
            self.send_header(name, value)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        if "cache-control" not in header_names:
            self.send_header("Cache-Control", "no-cache, no-store")
            self.send_header("Pragma", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    # Request lines carry codes, states and request objects: log the method and path only.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logger.debug("%s %s -> %s", self.command, urlsplit(self.path).path, code)

    def log_error(self, format: str, *args: Any) -> None:
        logger.debug("stand-in could not read a request")

    def log_message(self, format: str, *args: Any) -> None:
        pass
