"""``client.request_json`` sends again, once, when a connection is dropped at once without an answer (a
kept-alive connection the provider closed while it sat in the pool), and never in any other case."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from django_pingone_authorize.errors import ProviderError
from django_pingone_authorize.provider import http as client

BODY = b'{"ok": true}'
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)


class ScriptedServer:
    """Answers connection n with ``plan[n]``: "hang up" (read the request, close) or "answer"."""

    def __init__(self, plan: list[str]) -> None:
        self.plan = plan
        self.connections = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(5)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/token"
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        for step in self.plan:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.recv(65536)
                if step == "answer":
                    conn.sendall(ANSWER)

    def close(self) -> None:
        self.sock.close()
        self.thread.join(timeout=5)


@pytest.fixture
def fresh_session() -> Iterator[None]:
    """Each test starts with no pooled connection in this thread."""
    client.forget_connections()
    yield
    client.forget_connections()


def test_a_connection_dropped_without_an_answer_is_sent_again_once(fresh_session: None) -> None:
    server = ScriptedServer(["hang up", "answer"])
    try:
        body, response = client.request_json("POST", server.url, timeout=5, what="token request", data={"a": "b"})
    finally:
        server.close()
    assert body == {"ok": True} and response.status_code == 200
    assert server.connections == 2


def test_a_provider_that_always_hangs_up_is_tried_twice_then_refused(fresh_session: None) -> None:
    server = ScriptedServer(["hang up", "hang up"])
    try:
        with pytest.raises(ProviderError) as caught:
            client.request_json("POST", server.url, timeout=5, what="token request", data={"a": "b"})
    finally:
        server.close()
    assert caught.value.reason == "provider_unreachable"
    assert server.connections == 2


def test_a_refused_connection_is_not_retried(fresh_session: None, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_request = client.http_session().request

    def counting_request(method: str, url: str, **kwargs: object) -> object:
        calls.append(url)
        return real_request(method, url, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(client.http_session(), "request", counting_request)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        with pytest.raises(ProviderError) as caught:
            client.request_json("GET", f"http://127.0.0.1:{port}/jwks", timeout=5, what="signing key request")
    assert caught.value.reason == "provider_unreachable"
    assert len(calls) == 1
