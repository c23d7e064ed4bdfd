"""``client.request_json``, the one door for outbound HTTP: what each kind of answer becomes. A small scripted
HTTP server on loopback answers; the deadline and the retry of a dropped connection have their own suites
(``provider/test_http_deadline.py``, ``provider/test_http_retry.py``), the circuit breaker ``provider/test_circuit_breaker.py``.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from django_pingone_authorize.errors import ProviderError
from django_pingone_authorize.provider import http as client
from django_pingone_authorize.provider.http import MAX_BODY_BYTES, request_json


class Scripted(ThreadingHTTPServer):
    """Answers every request with ``answer`` = (status, headers, body) and records what it was sent."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.answer: tuple[int, dict[str, str], bytes] = (200, {"Content-Type": "application/json"}, b"{}")
        self.seen: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: Scripted
    protocol_version = "HTTP/1.1"

    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
        )
        status, headers, payload = self.server.answer
        self.send_response(status)
        for name, value in {"Content-Length": str(len(payload)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = answer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@pytest.fixture
def provider() -> Iterator[Scripted]:
    client.forget_connections()  # no pooled connection from another test
    server = Scripted()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    client.forget_connections()


def answers(provider: Scripted, status: int, body: Any, **headers: str) -> None:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    provider.answer = (status, {"Content-Type": "application/json", **headers}, payload)


def failure(**call: Any) -> ProviderError:
    with pytest.raises(ProviderError) as raised:
        request_json(**{"method": "POST", "timeout": 5.0, "what": "token request", **call})
    return raised.value


def test_a_json_object_answer_is_returned_with_the_response(provider: Scripted) -> None:
    answers(provider, 200, {"access_token": "at", "token_type": "Bearer"})
    body, response = request_json(
        "POST", f"{provider.url}/as/token", timeout=5, what="token request", data={"grant_type": "authorization_code"}
    )
    assert body == {"access_token": "at", "token_type": "Bearer"} and response.status_code == 200
    (sent,) = provider.seen
    assert (sent["method"], sent["path"], sent["body"]) == ("POST", "/as/token", b"grant_type=authorization_code")
    assert sent["headers"]["User-Agent"] == "django-pingone-authorize"
    assert sent["headers"]["Accept"] == "application/json"


def test_json_body_is_sent_as_json(provider: Scripted) -> None:
    answers(provider, 200, {"status": "OK"})
    request_json(
        "POST",
        f"{provider.url}/flows/1",
        timeout=5,
        what="flow step",
        json_body={"username": "ann"},
        headers={"Content-Type": "application/vnd.pingidentity.usernamePassword.check+json"},
    )
    assert json.loads(provider.seen[0]["body"]) == {"username": "ann"}
    assert provider.seen[0]["headers"]["Content-Type"] == "application/vnd.pingidentity.usernamePassword.check+json"


def test_only_the_expected_statuses_are_success(provider: Scripted) -> None:
    answers(provider, 201, {"request_uri": "urn:x"})
    body, _ = request_json("POST", f"{provider.url}/as/par", timeout=5, what="PAR", expect=(200, 201))
    assert body == {"request_uri": "urn:x"}
    error = failure(url=f"{provider.url}/as/token")  # 201 where only 200 is expected
    assert error.reason == "provider_refused"


def test_an_oauth_error_is_passed_on_printable_and_only_its_code_logged(
    provider: Scripted, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="django_pingone_authorize.provider.http")
    answers(provider, 400, {"error": "invalid_grant", "error_description": "code used\nFAKE LOG LINE"})
    error = failure(url=f"{provider.url}/as/token")
    assert (error.reason, error.status, error.error) == ("provider_refused", 400, "invalid_grant")
    assert error.description == "code used?FAKE LOG LINE"  # no forged log line
    assert not error.provider_down
    assert "(invalid_grant)" in caplog.text and "code used" not in caplog.text


def test_pingones_own_error_shape_is_read_too(provider: Scripted) -> None:
    answers(provider, 400, {"code": "INVALID_DATA", "message": "The request could not be completed."})
    error = failure(url=f"{provider.url}/flows/1")
    assert (error.error, error.description) == ("INVALID_DATA", "The request could not be completed.")


def test_a_redirect_is_never_followed(provider: Scripted) -> None:
    answers(provider, 302, b"", Location=f"{provider.url}/elsewhere")
    error = failure(url=f"{provider.url}/as/token")
    assert (error.reason, error.status) == ("provider_redirected", 502) and error.provider_down
    assert [seen["path"] for seen in provider.seen] == ["/as/token"]


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_is_a_provider_that_is_down(provider: Scripted, status: int) -> None:
    answers(provider, status, {"error": "server_error"})
    error = failure(url=f"{provider.url}/as/token")
    assert (error.reason, error.status, error.error) == ("provider_server_error", 502, "server_error")


@pytest.mark.parametrize("body", [b"<html>maintenance</html>", b"", b'["a", "list"]', b"null", b"[" * 100_000])
def test_an_answer_that_is_not_a_json_object_is_a_bad_response(provider: Scripted, body: bytes) -> None:
    answers(provider, 200, body)
    error = failure(url=f"{provider.url}/as/token")
    assert (error.reason, error.status) == ("provider_bad_response", 502)


def test_an_oversized_answer_is_refused(provider: Scripted) -> None:
    answers(provider, 200, b'{"x": "' + b"a" * MAX_BODY_BYTES + b'"}')
    assert failure(url=f"{provider.url}/as/token").reason == "response_too_large"


def test_the_pooled_session_keeps_no_cookie_from_one_call_to_the_next(provider: Scripted) -> None:
    answers(provider, 200, {"status": "OK"}, **{"Set-Cookie": "ST=visitor-one; Path=/"})
    _, response = request_json("GET", f"{provider.url}/flows/1", timeout=5, what="flow")
    assert response.cookies.get("ST") == "visitor-one"  # readable from the answer, for the flow that needs it
    request_json("GET", f"{provider.url}/flows/2", timeout=5, what="flow")
    assert "Cookie" not in provider.seen[1]["headers"]  # never sent for another visitor
    request_json("GET", f"{provider.url}/flows/3", timeout=5, what="flow", cookies={"ST": "visitor-three"})
    assert provider.seen[2]["headers"]["Cookie"] == "ST=visitor-three"


def test_a_provider_that_cannot_be_reached_is_a_503() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    error = failure(url=f"http://127.0.0.1:{port}/as/token")
    assert (error.reason, error.status) == ("provider_unreachable", 503) and error.provider_down
