"""A Django site under uvicorn on a loopback port, for the ASGI suites: started, awaited, stopped, and its log
checked for tracebacks."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from tests.perf.common import free_port, wait_for_port


@contextlib.contextmanager
def uvicorn_site(
    application: str, env: Mapping[str, str], cwd: Path, log_path: Path, *, port: int | None = None
) -> Iterator[str]:
    """Serve ``application`` (``module:attribute``; ``module:factory()`` for a factory) on 127.0.0.1; yields
    its URL. Fails the test when the server's log shows a traceback."""
    port = port or free_port()
    factory = application.endswith("()")
    command = [sys.executable, "-m", "uvicorn", application.removesuffix("()"), *(["--factory"] if factory else [])]
    command += ["--host", "127.0.0.1", "--port", str(port), "--lifespan", "off", "--no-access-log"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--log-level", "warning"],
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, timeout=30, process=process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        text = log_path.read_text(errors="replace") if log_path.exists() else ""
        assert "Traceback" not in text, text[-3000:]
