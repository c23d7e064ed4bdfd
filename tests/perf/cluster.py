"""Real shared parts for ``load_cluster.py``, each throwaway, on loopback, stopped at the end:

* ``Postgres``: Debian's PostgreSQL — a cluster made with ``initdb`` in a temp dir, started with ``pg_ctl`` on
  a free loopback port (as the ``postgres`` user when run as root: PostgreSQL refuses root);
* ``Redis``: Debian's ``redis-server`` (``tests/doubles/redis_server.py``);
* ``Nginx``: Debian's nginx as a round-robin load balancer (no stickiness) in front of the hosts, with a
  generated config and a temp prefix, run as the current user on a free loopback port.

``make load-deps`` installs the three Debian packages when missing.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.doubles.redis_server import RedisServer
from tests.perf.common import free_port, wait_for_port

__all__ = ["Nginx", "Postgres", "RedisServer", "find_pg_bin"]


def find_pg_bin(name: str) -> str:
    """``initdb``/``pg_ctl`` from Debian's versioned directory (not on PATH there), else PATH."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if found:
        return found[-1]
    which = shutil.which(name)
    if which:
        return which
    raise RuntimeError(f"{name} not found: install Debian's postgresql (make load-deps)")


class Postgres:
    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="pingone-pg-"))
        self.data = self.dir / "data"
        self.user = "postgres"
        self.db = "signons"
        self.started = False
        self._as: list[str] = []
        if os.geteuid() == 0:
            # PostgreSQL will not run as root: as Debian's "postgres" system user, owning the temp dir.
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *command: str) -> None:
        subprocess.run(
            [*self._as, *command], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.dir
        )

    def start(self) -> Postgres:
        self._run(find_pg_bin("initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8", "-N")
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 "
            "-c shared_buffers=64MB"
        )
        self._run(
            find_pg_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "start"
        )
        self.started = True
        wait_for_port(self.port, timeout=30)
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{self.db}"')
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        return self

    def dsn(self, db: str | None = None) -> str:
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname={db or self.db}"

    def env(self) -> dict[str, str]:
        return {"LOAD_PG_HOST": "127.0.0.1", "LOAD_PG_PORT": str(self.port), "LOAD_PG_USER": self.user}

    def stop(self) -> None:
        if self.started:
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run(find_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)


NGINX_CONF = """\
{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
daemon off;
events {{ worker_connections 2048; }}
http {{
    log_format balanced '$http_x_load_signon $upstream_addr $request_method $uri $status';
    access_log {prefix}/access.log balanced;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream hosts {{
{servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://hosts;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_read_timeout 60s;
            proxy_next_upstream off;
        }}
    }}
}}
"""


class Nginx:
    """Round robin over ``upstreams`` (loopback ports), no stickiness: each request may land on any host."""

    def __init__(self, upstreams: list[int]) -> None:
        self.port = free_port()
        self.upstreams = upstreams
        self.prefix = Path(tempfile.mkdtemp(prefix="pingone-nginx-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def access_log(self) -> Path:
        return self.prefix / "access.log"

    def start(self) -> Nginx:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise RuntimeError("nginx not found: install Debian's nginx (make load-deps)")
        user = ""
        if os.geteuid() == 0:  # workers would drop to "nobody", who cannot write the temp prefix
            user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n"
        servers = "\n".join(f"        server 127.0.0.1:{port};" for port in self.upstreams)
        conf = self.prefix / "nginx.conf"
        conf.write_text(NGINX_CONF.format(user=user, prefix=self.prefix, servers=servers, port=self.port))
        self.process = subprocess.Popen(
            [nginx, "-p", str(self.prefix), "-c", str(conf), "-e", str(self.prefix / "error.log")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_for_port(self.port, timeout=20, process=self.process)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()  # SIGTERM: fast shutdown of master and workers
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=5)
            self.process = None

    def served_by(self) -> dict[str, int]:
        """Requests per upstream address, from the access log."""
        counts: dict[str, int] = {}
        if self.access_log.exists():
            for line in self.access_log.read_text(errors="replace").splitlines():
                parts = line.split()
                if len(parts) >= 2:
                    counts[parts[1]] = counts.get(parts[1], 0) + 1
        return counts

    def cleanup(self) -> None:
        shutil.rmtree(self.prefix, ignore_errors=True)
