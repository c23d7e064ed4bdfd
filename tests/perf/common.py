"""What ``load.py`` and ``bench.py`` share: free ports, and a provider to sign on at (the certified
oidc-provider fixture or the PingOne stand-in, each in a process of its own), with its user-playing driver.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, *, timeout: float, process: subprocess.Popen[Any] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process {process.args!r} exited with {process.returncode} during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f}s")


def machine_note() -> str:
    """One line: when, on what (CPU count, Python, Django), for result tables."""
    import django

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    return (
        f"{stamp}, {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, Django {django.get_version()}"
    )


@dataclass
class Provider:
    """A running OpenID Provider, PingOne-shaped (issuer ``{auth_path}/{env_id}/as``), and one client of it."""

    kind: str
    auth_path: str
    env_id: str
    client_id: str
    client_secret: str
    username: str
    password: str
    handle: Any = None
    process: subprocess.Popen[bytes] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        from django_pingone_authorize.layout import PingOneLayout

        return PingOneLayout(self.auth_path, self.env_id).issuer

    def sign_on(self, http: requests.Session, url: str | None = None, *, form: Any = None) -> tuple[str, str, dict]:
        """Play the user from an authorize URL (or form); returns (method, url, data) of the response
        that goes back to the client, unsent."""
        if self.kind == "op":
            from tests.doubles.op_driver import sign_on_at_op

            back: Any = sign_on_at_op(http, url, form=form, username=self.username, password=self.password)
        else:
            from django_pingone_authorize.testing.driver import sign_on

            back = sign_on(http, url, form=form, username=self.username, password=self.password)
        return back.method, back.url, dict(back.data)

    def stop(self) -> None:
        if self.handle is not None:
            self.handle.stop()
            self.handle = None
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=5)
            self.process = None


def start_provider(kind: str, redirect_uris: list[str], post_logout_redirect_uris: list[str]) -> Provider:
    """``kind`` "op": panva's oidc-provider (Node), client ``basic-client``, user alice.
    ``kind`` "standin": the package's PingOne stand-in in its own Python process, ``demo-client``, user demo."""
    if kind == "op":
        from tests.doubles.op_server import start_oidc_provider

        op = start_oidc_provider(redirect_uris, post_logout_redirect_uris)
        client = op.clients["basic-client"]
        return Provider(
            kind="op",
            auth_path=op.auth_path,
            env_id=op.env_id,
            client_id="basic-client",
            client_secret=client["client_secret"],
            username="alice",
            password="alice-pw",
            handle=op,
        )
    if kind == "standin":
        from django_pingone_authorize.testing import DEFAULT_ENV_ID

        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "django_pingone_authorize.testing", "--host", "127.0.0.1", "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            cwd=ROOT,
        )
        try:
            wait_for_port(port, timeout=20, process=process)
        except BaseException:
            process.kill()
            process.wait()
            raise
        return Provider(
            kind="standin",
            auth_path=f"http://127.0.0.1:{port}",
            env_id=DEFAULT_ENV_ID,
            client_id="demo-client",
            client_secret="demo-secret",
            username="demo",
            password="demo",
            process=process,
        )
    raise ValueError(f"unknown provider {kind!r} (op or standin)")


def wsgi_get_environ(path: str, query: str = "") -> dict[str, Any]:
    """A WSGI environ for one GET from a new visitor (no cookies); callers add headers and a fresh ``wsgi.input``."""
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
