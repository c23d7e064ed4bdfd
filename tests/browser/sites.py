"""The example site (``example_project``) under ``manage.py runserver --noreload`` on 127.0.0.1, on a port the
certified OP accepts (18000-18009), with its own copy of a migrated sqlite database, pointed at a provider
through the environment variables its settings read."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django_pingone_authorize.testing import PingOneStandIn
from tests.doubles.op_server import LOOPBACK_PORTS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "example_project"
SITE_START_TIMEOUT = 30.0

#: example_project/demo/settings.py: the stand-in's environment ID when no PINGONE_* variable is set.
DEMO_STANDIN_ENV_ID = "0f1e2d3c-4b5a-4987-a6b5-c4d3e2f1a0b9"
#: The environment the example site is started with: only what we set (no PINGONE_* from the caller).
SITE_ENV_DROP = re.compile(r"^(PINGONE_|DEMO_|DJANGO_)")


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class ExampleSite:
    """``example_project`` under ``manage.py runserver`` in a subprocess."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def site_env(db: Path, settings_module: str, provider_env: dict[str, str]) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not SITE_ENV_DROP.match(name)}
    env.update(provider_env)
    env["DEMO_DB"] = str(db)
    env["DJANGO_SETTINGS_MODULE"] = settings_module
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def migrate_example_db(db: Path) -> subprocess.CompletedProcess[bytes]:
    """``manage.py migrate`` of the example site into the sqlite database ``db``."""
    return subprocess.run(
        [sys.executable, str(EXAMPLE / "manage.py"), "migrate", "--noinput", "--skip-checks"],
        env=site_env(db, "demo.settings", {}),
        cwd=EXAMPLE,
        capture_output=True,
        timeout=120,
        check=False,
    )


def _wait_until_serving(site: ExampleSite, deadline: float) -> bool:
    """True once the site answers; False if runserver gave up (its port was taken meanwhile).

    The probe carries a token that runserver's request log must show, so a server someone else started on
    the same port in the meantime is not mistaken for ours.
    """
    probe = f"/?browser-test-probe={secrets.token_hex(8)}"
    answered = False
    while time.monotonic() < deadline:
        if site.process.poll() is not None:
            return False
        if answered and f"GET {probe} HTTP/1.1" in site.log.read_text(errors="replace"):
            return True
        try:
            with urllib.request.urlopen(f"{site.url}{probe}", timeout=2) as response:  # noqa: S310 - loopback
                answered = answered or response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the example site did not start in {SITE_START_TIMEOUT:.0f}s:\n{site.log_tail()}")


def start_example_site(
    workdir: Path, migrated_db: Path, provider_env: dict[str, str], settings_module: str = "demo.settings"
) -> ExampleSite:
    """Run the example site on a free port of LOOPBACK_PORTS (the OP's registered callbacks)."""
    db = workdir / "db.sqlite3"
    shutil.copyfile(migrated_db, db)
    env = site_env(db, settings_module, provider_env)
    deadline = time.monotonic() + SITE_START_TIMEOUT
    for port in LOOPBACK_PORTS[1:]:  # 8000 is `make demo`'s
        if not _port_is_free(port):
            continue
        log = workdir / f"runserver-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    str(EXAMPLE / "manage.py"),
                    "runserver",
                    "--noreload",
                    "--skip-checks",
                    f"127.0.0.1:{port}",
                ],
                env=env,
                cwd=EXAMPLE,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        site = ExampleSite(f"http://127.0.0.1:{port}", process, log)
        try:
            if _wait_until_serving(site, deadline):
                return site
        except BaseException:
            site.stop()
            raise
        site.stop()
        if "That port is already in use" not in site.log_tail():
            # It did not lose the port: it could not start (settings, import error...). Say why.
            raise RuntimeError(f"the example site ({settings_module}) exited at start:\n{site.log_tail()}")
        # lost the port to someone else: try the next one
    raise RuntimeError(f"no free port for the example site among {LOOPBACK_PORTS[1:]}")


def standin_site_env(standin: PingOneStandIn) -> dict[str, str]:
    # No PINGONE_*: the example settings use the stand-in, as `make demo` does.
    return {"DEMO_STANDIN_HOST": standin.host, "DEMO_STANDIN_PORT": str(standin.port)}
