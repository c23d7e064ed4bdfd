"""``TIMEOUT`` is a deadline for the whole outbound call (connect, status line, headers, body), not a per-read
timeout: a provider that drips a byte now and then must not hold a worker past it.

A real HTTP server on loopback drips its answer; ``client.request_json`` must fail with ``provider_timeout``
within TIMEOUT plus a small margin.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from django_pingone_authorize.errors import ProviderError
from django_pingone_authorize.provider import http as client

TIMEOUT = 1.0
MARGIN = 0.5  # thread scheduling on a busy machine; a per-read timeout would take the whole drip (20 s)
DRIP_EVERY = 0.2  # seconds between two bytes: well under TIMEOUT, so no single read times out
BODY = b'{"keys": [], "padding": "' + b"x" * 60 + b'"}'


def answer(body: bytes = BODY) -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


class DrippingServer:
    """Answers every request with ``answer()``: the first ``prompt`` bytes at once, then one byte every
    ``DRIP_EVERY`` seconds. Stops a connection when the client hangs up.

    With ``tls`` it speaks https."""

    def __init__(
        self,
        prompt: int,
        drip_every: float = DRIP_EVERY,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.prompt = prompt
        self.drip_every = drip_every
        self.tls = tls
        self.connections = 0
        self.hung_up_after: list[float] = []  # seconds from the request to the client's hang-up
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)  # the accept loop looks at _closing this often
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.sock.getsockname()[1]}/as/jwks"
        self._closing = threading.Event()
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(30)
            self.connections += 1
            self._conns.append(conn)
            worker = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            worker.start()
            self._threads.append(worker)

    def _serve(self, conn: socket.socket) -> None:
        if self.tls is not None:
            try:
                conn = self.tls.wrap_socket(conn, server_side=True)
            except OSError:
                conn.close()
                return
            self._conns.append(conn)  # the plain one is detached now
        with conn:
            conn.settimeout(30)
            while True:  # keep-alive: one answer per request on this connection
                request = b""
                while b"\r\n\r\n" not in request:
                    try:
                        chunk = conn.recv(65536)
                    except OSError:
                        return
                    if not chunk:
                        return
                    request += chunk
                started = time.monotonic()
                data = answer()
                try:
                    conn.sendall(data[: self.prompt])
                    for index in range(self.prompt, len(data)):
                        if self._closing.wait(self.drip_every):
                            return
                        conn.sendall(data[index : index + 1])
                        if self._peer_gone(conn):
                            raise ConnectionResetError
                except OSError:
                    self.hung_up_after.append(time.monotonic() - started)
                    return

    @staticmethod
    def _peer_gone(conn: socket.socket) -> bool:
        """The client shut the connection down (it sent its FIN): a read would return b"". Peeks at the TCP
        stream itself (the base class's ``recv``), under TLS too."""
        conn.setblocking(False)
        try:
            return socket.socket.recv(conn, 1, socket.MSG_PEEK) == b""
        except BlockingIOError:
            return False
        finally:
            conn.setblocking(True)
            conn.settimeout(30)

    def close(self) -> None:
        self._closing.set()
        self.sock.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)


@pytest.fixture
def fresh_session() -> Iterator[None]:
    """Each test starts with no pooled connection in this thread."""
    client.forget_connections()
    yield
    client.forget_connections()


@pytest.fixture
def servers() -> Iterator[list[DrippingServer]]:
    started: list[DrippingServer] = []
    yield started
    for server in started:
        server.close()


def timed_call(url: str, timeout: float = TIMEOUT) -> tuple[float, ProviderError | None]:
    started = time.monotonic()
    try:
        client.request_json("GET", url, timeout=timeout, what="signing key request")
    except ProviderError as exc:
        return time.monotonic() - started, exc
    return time.monotonic() - started, None


def header_end(data: bytes) -> int:
    return data.index(b"\r\n\r\n") + 4


@pytest.mark.parametrize(
    ("prompt", "dripping"),
    [
        (header_end(answer()), "body"),
        (len(b"HTTP/1.1 200 OK\r\nContent-Type: app"), "headers"),
        (0, "status line"),
    ],
)
def test_a_dripping_answer_fails_at_the_deadline(
    fresh_session: None, servers: list[DrippingServer], prompt: int, dripping: str
) -> None:
    server = DrippingServer(prompt)
    servers.append(server)
    elapsed, error = timed_call(server.url)
    assert error is not None and error.reason == "provider_timeout", (dripping, error)
    assert TIMEOUT - 0.05 <= elapsed <= TIMEOUT + MARGIN, (dripping, elapsed)
    # The connection is given up, not left to drip on: the server sees the hang-up soon after the deadline.
    deadline = time.monotonic() + 3
    while not server.hung_up_after and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.hung_up_after and server.hung_up_after[0] <= TIMEOUT + MARGIN + DRIP_EVERY, server.hung_up_after


def test_the_watchdog_leaves_kept_alive_connections_and_later_calls_alone(
    fresh_session: None, servers: list[DrippingServer]
) -> None:
    """Calls that finish in time are not cut afterwards: a kept-alive connection answers again after the
    first call's deadline has passed, a call after a timed-out one works, and a slow answer that ends in
    time is read whole."""
    fast = DrippingServer(len(answer()))
    servers.append(fast)
    for _ in range(2):
        document, _ = client.request_json("GET", fast.url, timeout=0.3, what="signing key request")
        assert document["keys"] == []
        time.sleep(0.4)  # past the deadline of the call just made
    assert fast.connections == 1  # the same connection, kept alive and not shut by a stale watch

    # A call from another thread (under ASGI, each request's own) takes the same kept-alive connection.
    elsewhere = threading.Thread(
        target=client.request_json, args=("GET", fast.url), kwargs={"timeout": 1.0, "what": "signing key request"}
    )
    elsewhere.start()
    elsewhere.join(timeout=5)
    assert fast.connections == 1

    slow = DrippingServer(0)
    servers.append(slow)
    _, error = timed_call(slow.url, timeout=0.5)
    assert error is not None and error.reason == "provider_timeout"
    document, _ = client.request_json("GET", fast.url, timeout=1.0, what="signing key request")
    assert document["keys"] == []

    # An answer that drips but ends within the deadline is read whole.
    data = answer()
    nearly = DrippingServer(len(data) - 5, drip_every=0.05)  # the last five bytes over 0.25 s
    servers.append(nearly)
    started = time.monotonic()
    document, response = client.request_json("GET", nearly.url, timeout=2.0, what="signing key request")
    assert document["keys"] == [] and response.status_code == 200
    assert time.monotonic() - started < 2.0


def test_the_deadline_holds_for_calls_in_many_threads_at_once(
    fresh_session: None, servers: list[DrippingServer]
) -> None:
    server = DrippingServer(header_end(answer()))
    servers.append(server)
    results: list[tuple[float, ProviderError | None]] = []

    def call() -> None:
        results.append(timed_call(server.url))

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 6
    for elapsed, error in results:
        assert error is not None and error.reason == "provider_timeout"
        assert elapsed <= TIMEOUT + MARGIN, elapsed


@pytest.fixture
def tls_server_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """A self-signed certificate for 127.0.0.1 that the client trusts (``REQUESTS_CA_BUNDLE``)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


@pytest.mark.parametrize(
    ("prompt", "dripping"),
    [
        (header_end(answer()), "body"),
        (len(b"HTTP/1.1 200 OK\r\nContent-Type: app"), "headers"),
    ],
)
def test_a_dripping_https_answer_fails_at_the_deadline(
    fresh_session: None,
    servers: list[DrippingServer],
    tls_server_context: ssl.SSLContext,
    prompt: int,
    dripping: str,
) -> None:
    """PingOne is https: TLS wraps (and detaches) the connection's socket; the deadline still holds.
    (The TLS handshake itself is bounded as a whole by CPython, with the time left as connect timeout.)"""
    server = DrippingServer(prompt, tls=tls_server_context)
    servers.append(server)
    # The trust set-up works: an answer that does not drip is read.
    if dripping == "body":
        fast = DrippingServer(len(answer()), tls=tls_server_context)
        servers.append(fast)
        document, _ = client.request_json("GET", fast.url, timeout=TIMEOUT, what="signing key request")
        assert document["keys"] == []
    elapsed, error = timed_call(server.url)
    assert error is not None and error.reason == "provider_timeout", (dripping, error)
    assert TIMEOUT - 0.05 <= elapsed <= TIMEOUT + MARGIN, (dripping, elapsed)
