"""``make load-cluster``: whole sign-ons against several hosts on real shared parts, with PingOne at internet
distance, then through a PingOne outage and a Redis outage.

Set-up (all on loopback, all stopped at the end): ``--hosts`` hosts, each a server master (gunicorn sync or
gthread workers, or uvicorn for ASGI) on a port of its own, behind Debian's nginx (round robin, no
stickiness: each request of a browser lands on either host); sessions and users in PostgreSQL (a throwaway
cluster, ``initdb`` + ``pg_ctl``), discovery, signing keys, locks and the circuit breaker in Redis. The
site's calls to the provider go through ``latency_proxy.py`` (``--latency-ms`` ± ``--jitter-ms`` per call);
the browsers reach the provider directly.

Part 1, throughput (``--matrix``): for each variant, ``--signons`` whole sign-ons by new browsers over
``--threads`` threads (in ``--rounds`` rounds, the variants interleaved: the machine's load drifts), on the bench site (``bench_settings``: ours, mozilla-django-oidc and Authlib wired the
same way: same client of the same provider, client_secret_post, PKCE, same database, sessions and cache; and
"floor", the bench's bare secure sign-on, what any Django site pays: not a peer, read beside them) with
the oidc-provider fixture (``--provider op``), or on the example site with the PingOne stand-in
(``--provider standin``; then only ours). Sign-ons per second, p50 and p99, and how many requests each host
served.

Part 2, outage (``--outage SECONDS``, example site, ours, gthread): a steady stream of sign-ons and of
ordinary page requests (the home page); after ``--before`` seconds the proxy accepts and never answers for
``--outage`` seconds, then serves again; ``--after`` seconds more. Then (``--redis-down SECONDS``) Redis is
stopped while sign-ons go on, and browsers signed on earlier are checked still signed on. Reported: the pages'
p99 before, during and after the outage, the share of sign-ons answered 503 at once during it, the seconds
from recovery to the first sign-on that succeeds, and the errors while Redis is down.

Bounded: every phase stops by itself; ``--time-limit`` stops the whole run. Exit status 0 only when every
throughput sign-on completed, both hosts served requests, and nothing failed while Redis was down.

    python tests/perf/load_cluster.py [--hosts 2] [--signons 300] [--latency-ms 80] [--outage 60] ...
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.perf.cluster import Nginx, Postgres, RedisServer
from tests.perf.common import ROOT, Provider, free_port, machine_note, start_provider, wait_for_port
from tests.perf.latency_proxy import LatencyProxy
from tests.perf.load import HEADER, NEW_CONNECTION, one_sign_on, page_summary, percentile

EXAMPLE = ROOT / "example_project"
REQUEST_TIMEOUT = 30.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
FAST = 1.0  # seconds: a 503 within this is "answered at once" (a TIMEOUT-long wait is not)

PEER_PATHS = {  # login path, callback path, on the bench site
    "ours": ("/pingone/login/?next=/", "/pingone/callback/"),
    "mozilla-django-oidc": ("/oidc/authenticate/?next=/", "/oidc/callback/"),
    "Authlib": ("/authlib/login/", "/authlib/callback/"),
    # Not a peer: the bench's bare secure sign-on (bench_urls.py), what any Django site pays for one (the ASGI
    # against gthread comparison reads it).
    "floor": ("/floor/signon/", "/floor/callback/"),
}
# gunicorn 25+ opens a control socket under ~/.gunicorn; two masters at once race for it.
GUNICORN_NO_CONTROL = (
    ["--no-control-socket"]
    if "--no-control-socket"
    in subprocess.run([sys.executable, "-m", "gunicorn", "--help"], capture_output=True, text=True, check=False).stdout
    else []
)
CLIENT_NAMES = {"ours": "ours", "mozilla": "mozilla-django-oidc", "authlib": "Authlib", "floor": "floor"}
NOT_PEERS = ("ours", "floor")


@dataclass(frozen=True)
class Variant:
    client: str  # ours | mozilla-django-oidc | Authlib
    server: str  # sync | gthread | asgi

    @property
    def label(self) -> str:
        return f"{self.client} / {self.server}"


def parse_matrix(text: str) -> list[Variant]:
    variants = []
    for item in text.split(","):
        client, _, server = item.strip().partition(":")
        if client not in CLIENT_NAMES or server not in ("sync", "gthread", "asgi"):
            raise SystemExit(f"bad --matrix item {item!r}: client:server, client in {sorted(CLIENT_NAMES)}")
        variants.append(Variant(CLIENT_NAMES[client], server))
    return variants


# -- the hosts -----------------------------------------------------------------------------------------------


class Hosts:
    """``count`` server masters of one site, on fixed loopback ports, each with ``workers`` processes."""

    def __init__(self, count: int, workdir: Path) -> None:
        self.ports = [free_port() for _ in range(count)]
        self.workdir = workdir
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, env: dict[str, str], server: str, workers: int, threads: int) -> None:
        for index, port in enumerate(self.ports):
            if server == "asgi":
                command = [
                    sys.executable, "-m", "uvicorn", "tests.perf.cluster_app:asgi",
                    "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                    "--lifespan", "off", "--no-access-log", "--log-level", "warning", "--backlog", "512",
                    "--loop", "uvloop", "--http", "httptools",  # the bench extra's; uvicorn's advice for production
                ]  # fmt: skip
                host_env = {**env, "LOAD_SERVER": "uvicorn"}
            else:
                command = [
                    sys.executable, "-m", "gunicorn", "tests.perf.cluster_app:wsgi",
                    "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                    "--threads", str(threads if server == "gthread" else 1),
                    "--worker-class", server, "--timeout", "60", "--backlog", "512",
                    "--error-logfile", str(self.workdir / f"host{index}-gunicorn.log"),
                    *GUNICORN_NO_CONTROL,
                ]  # fmt: skip
                host_env = {**env, "LOAD_SERVER": "gunicorn"}
            log = (self.workdir / f"host{index}.log").open("ab")
            self.processes.append(
                subprocess.Popen(
                    command, env=host_env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
                )
            )
            log.close()
        try:
            for port, process in zip(self.ports, self.processes, strict=False):
                wait_for_port(port, timeout=60, process=process)
            deadline = time.monotonic() + 60
            for port in self.ports:  # every worker imported Django and answers
                for _ in range(workers * 3):
                    while True:
                        try:
                            if requests.get(f"http://127.0.0.1:{port}/", timeout=5, headers=NEW_CONNECTION).ok:
                                break
                        except requests.RequestException:
                            pass
                        if time.monotonic() > deadline:
                            raise RuntimeError(f"host on port {port} does not answer")
                        time.sleep(0.2)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self.processes = []

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the hosts' server processes have used so far: each master and its workers."""
        masters = {process.pid for process in self.processes if process.poll() is None}
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            pid, ppid = int(stat.parent.name), int(fields[1])
            if pid in masters or ppid in masters:
                total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
        return total

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.workdir.glob("host*.log")))


def site_env(
    args: argparse.Namespace, site: str, provider: Provider, proxy: LatencyProxy | None, parts: dict[str, Any]
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.perf.cluster_settings",
        LOAD_SITE=site,
        DJANGO_DEBUG="0",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(EXAMPLE)]),
        LOAD_PINGONE_TIMEOUT=str(args.pingone_timeout),
    )
    if args.breaker:
        env["LOAD_BREAKER"] = args.breaker
    if args.cache_ttl:
        env["LOAD_CACHE_TTL"] = str(args.cache_ttl)
    if site == "peers":
        env.update(
            BENCH_ISSUER=provider.issuer, BENCH_CLIENT_ID=provider.client_id, BENCH_CLIENT_SECRET=provider.client_secret
        )
    else:
        env.update(
            PINGONE_AUTH_PATH=provider.auth_path,
            PINGONE_ENV_ID=provider.env_id,
            PINGONE_CLIENT_ID=provider.client_id,
            PINGONE_CLIENT_SECRET=provider.client_secret,
        )
    if proxy is not None:  # the site's calls to the provider, not the browsers'
        env.update(HTTP_PROXY=proxy.url, http_proxy=proxy.url, NO_PROXY="", no_proxy="")
    if "postgres" in parts:
        env.update(parts["postgres"].env())
    else:
        env.update(DEMO_DB=str(parts["workdir"] / "db.sqlite3"), BENCH_DB=str(parts["workdir"] / "db.sqlite3"))
    if "redis" in parts:
        env["LOAD_REDIS_URL"] = parts["redis"].url
    else:
        env.update(DEMO_CACHE_DIR=str(parts["workdir"] / "cache"), BENCH_CACHE_DIR=str(parts["workdir"] / "cache"))
    return env


def migrate(env: dict[str, str], sqlite: Path | None) -> None:
    subprocess.run([sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)
    if sqlite is not None:
        import sqlite3

        with sqlite3.connect(sqlite) as db:
            db.execute("PRAGMA journal_mode=WAL")


FORGET_USERS = "from django.contrib.auth import get_user_model; get_user_model()._default_manager.all().delete()"


def forget_users(env: dict[str, str]) -> None:
    """No user left before a variant runs: mozilla-django-oidc finds its user by email and fails when two have it
    (ours' and its own, from an earlier variant); every client then creates its user in its warm-up alike."""
    subprocess.run([sys.executable, "-m", "django", "shell", "-c", FORGET_USERS], env=env, check=True, cwd=ROOT)


def site_errors(log: str) -> list[str]:
    """The hosts' logged errors: each ``ERROR`` line, and each traceback as its last line (the exception)."""
    errors: list[str] = []
    in_traceback = False
    for line in log.splitlines():
        if line.startswith("Traceback"):
            in_traceback = True
        elif in_traceback and line and not line.startswith((" ", "\t")):
            errors.append(f"traceback: {line[:300]}")
            in_traceback = False
        elif "ERROR" in line and not in_traceback:
            errors.append(line[:300])
    return errors


# -- one sign-on ---------------------------------------------------------------------------------------------


class SignOnFailed(AssertionError):
    pass


def peer_sign_on(number: int, site: str, provider: Provider, client: str) -> None:
    """One whole sign-on on the bench site with ``client``; raises on anything unexpected."""
    login_path, callback_path = PEER_PATHS[client]
    with requests.Session() as http:
        http.headers[HEADER] = str(number)
        start = http.get(f"{site}{login_path}", allow_redirects=False, timeout=REQUEST_TIMEOUT, headers=NEW_CONNECTION)
        if start.status_code != 302:
            raise SignOnFailed(f"{client} login answered {start.status_code}")
        method, url, _data = provider.sign_on(http, start.headers["Location"])
        if not url.startswith(f"{site}{callback_path}") or method != "GET":
            raise SignOnFailed(f"the provider answered {method} {url[:120]}")
        back = http.get(url, allow_redirects=False, timeout=REQUEST_TIMEOUT, headers=NEW_CONNECTION)
        if back.status_code != 302:
            raise SignOnFailed(f"{client} callback answered {back.status_code}: {page_summary(back.text)}")
        home = http.get(f"{site}/", timeout=REQUEST_TIMEOUT, headers=NEW_CONNECTION)
        if home.status_code != 200 or home.text == "home: anonymous":
            raise SignOnFailed(f"{client}: not signed on after the callback ({home.status_code})")


def round_median(row: dict[str, Any]) -> float:
    """The median of a variant's per-round sign-ons/s: what the machine's drift disturbs least."""
    return statistics.median(row["round_rates"]) if row["round_rates"] else 0.0


def verdict(rows: list[dict[str, Any]]) -> list[str]:
    """Ours against the best peer for each kind of worker, and ours under ASGI against ours under gthread, by the
    median of the rounds; lines starting "BEHIND" are targets missed."""
    medians = {tuple(row["label"].split(" / ")): round_median(row) for row in rows}
    lines = []
    for server in ("sync", "gthread", "asgi"):
        ours = medians.get(("ours", server))
        peers = [
            (rate, client) for (client, kind), rate in medians.items() if kind == server and client not in NOT_PEERS
        ]
        if ours is None or not peers:
            continue
        best, who = max(peers)
        word = "ahead" if ours >= best else "BEHIND"
        lines.append(f"{word}: ours / {server} {ours:.1f} sign-ons/s vs {who} {best:.1f} (medians of the rounds)")
    asgi, gthread = medians.get(("ours", "asgi")), medians.get(("ours", "gthread"))
    if asgi is not None and gthread is not None:
        word = "ahead" if asgi >= gthread else "BEHIND"
        lines.append(f"{word}: ours / asgi {asgi:.1f} vs ours / gthread {gthread:.1f} sign-ons/s")
    floor_asgi, floor_gthread = medians.get(("floor", "asgi")), medians.get(("floor", "gthread"))
    if floor_asgi is not None and floor_gthread is not None:  # for reading: what Django's ASGI path costs any site
        ours_ratio = f"; ours {asgi / gthread:.2f}x" if asgi is not None and gthread is not None else ""
        lines.append(
            f"for reading: floor / asgi {floor_asgi:.1f} vs floor / gthread {floor_gthread:.1f} sign-ons/s "
            f"({floor_asgi / floor_gthread:.2f}x{ours_ratio})"
        )
    return lines


@dataclass
class Throughput:
    label: str
    signons: int
    completed: int
    rate: float
    p50_ms: float
    p99_ms: float
    wall_s: float
    served: dict[str, int]
    errors: list[str] = field(default_factory=list)
    round_rates: list[float] = field(default_factory=list)
    cpu_ms: float = 0.0  # the hosts' CPU time per completed sign-on (steadier than sign-ons/s on a busy machine)


def cpu_comparison(rows: list[dict[str, Any]]) -> list[str]:
    """Ours against the most frugal peer in the hosts' CPU per sign-on, per kind of worker (for reading only)."""
    lines = []
    for server in ("sync", "gthread", "asgi"):
        ours = next((r for r in rows if r["label"] == f"ours / {server}" and r["cpu_ms"]), None)
        peers = [
            r
            for r in rows
            if r["label"].endswith(f" / {server}") and r["label"].split(" / ")[0] not in NOT_PEERS and r["cpu_ms"]
        ]
        if ours and peers:
            best = min(peers, key=lambda r: r["cpu_ms"])
            lines.append(
                f"CPU per sign-on: {ours['label']} {ours['cpu_ms']:.1f} ms vs {best['label']} {best['cpu_ms']:.1f} ms "
                f"({ours['cpu_ms'] / best['cpu_ms']:.2f}x)"
            )
    by_label = {r["label"]: r["cpu_ms"] for r in rows if r["cpu_ms"]}
    extra = []
    for client in dict.fromkeys(r["label"].split(" / ")[0] for r in rows):
        asgi, gthread = by_label.get(f"{client} / asgi"), by_label.get(f"{client} / gthread")
        if asgi and gthread:
            extra.append(f"{client} {asgi - gthread:+.1f} ms ({asgi / gthread:.2f}x)")
    if extra:
        lines.append("CPU per sign-on, asgi against gthread: " + ", ".join(extra))
    return lines


def run_signons(
    count: int, threads: int, deadline: float, one: Callable[[int], None]
) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def task(number: int) -> None:
        if time.monotonic() > deadline:
            with lock:
                errors.append(f"#{number}: not started before the time limit")
            return
        begin = time.perf_counter()
        try:
            one(number)
        except Exception as exc:
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            with lock:
                errors.append(f"#{number}: {detail[:300]}")
            return
        with lock:
            latencies.append(time.perf_counter() - begin)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="signon") as pool:
        list(pool.map(task, range(count)))
    return latencies, errors, time.monotonic() - started


# -- the outage ----------------------------------------------------------------------------------------------


@dataclass
class Attempt:
    started: float
    ended: float
    outcome: str  # ok | fast_503 | slow_failure | error
    callback_started: float = 0.0
    callback_seconds: float = 0.0
    detail: str = ""


def attempt_sign_on(number: int, site: str, provider: Provider, keep: list[requests.Session] | None) -> Attempt:
    """One sign-on by a new browser (the ``default`` alias), classified instead of raised."""
    begin = time.monotonic()
    http = requests.Session()
    http.headers[HEADER] = str(number)
    callback_started = callback_seconds = 0.0
    try:
        start = http.get(
            f"{site}/pingone/login/?next=/", allow_redirects=False, timeout=REQUEST_TIMEOUT, headers=NEW_CONNECTION
        )
        if start.status_code != 302:
            kind = "fast_503" if start.status_code == 503 and time.monotonic() - begin < FAST else "error"
            return Attempt(begin, time.monotonic(), kind, detail=f"login {start.status_code}")
        _method, url, _data = provider.sign_on(http, start.headers["Location"])
        callback_started = time.monotonic()
        back = http.get(url, allow_redirects=False, timeout=REQUEST_TIMEOUT, headers=NEW_CONNECTION)
        callback_seconds = time.monotonic() - callback_started
        if back.status_code == 302:
            home = http.get(f"{site}/", timeout=REQUEST_TIMEOUT, headers=NEW_CONNECTION)
            if 'id="signed-on"' not in home.text:
                return Attempt(begin, time.monotonic(), "error", callback_started, callback_seconds, "not signed on")
            if keep is not None and len(keep) < 20:
                keep.append(http)
                http = requests.Session()  # kept: not closed below
            return Attempt(begin, time.monotonic(), "ok", callback_started, callback_seconds)
        if back.status_code == 503:
            kind = "fast_503" if callback_seconds < FAST else "slow_failure"
        elif back.status_code in (400, 502, 504):
            kind = "slow_failure"
        else:
            kind = "error"
        detail = f"callback {back.status_code} after {callback_seconds:.2f}s: {page_summary(back.text)[:120]}"
        return Attempt(begin, time.monotonic(), kind, callback_started, callback_seconds, detail)
    except Exception as exc:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:200]
        return Attempt(begin, time.monotonic(), "error", callback_started, callback_seconds, detail)
    finally:
        http.close()


@dataclass
class Outage:
    before_s: float
    outage_s: float
    after_s: float
    pages: dict[str, dict[str, float]]
    signons: dict[str, dict[str, int]]
    fast_503_share: float
    fast_503_p99_ms: float
    recovery_s: float | None
    cool_down_s: float
    redis_down: dict[str, Any]
    problems: list[str]


def run_outage(
    args: argparse.Namespace, site: str, provider: Provider, proxy: LatencyProxy, redis: RedisServer | None
) -> Outage:
    pages: list[tuple[float, float, int]] = []  # (start, seconds, status)
    attempts: list[Attempt] = []
    lock = threading.Lock()
    stop = threading.Event()
    kept: list[requests.Session] = []
    counter = iter(range(10**9))

    def page_loop() -> None:
        while not stop.is_set():
            t0 = time.monotonic()
            try:
                status = requests.get(f"{site}/", timeout=REQUEST_TIMEOUT, headers=NEW_CONNECTION).status_code
            except requests.RequestException:
                status = 0
            with lock:
                pages.append((t0, time.monotonic() - t0, status))
            time.sleep(args.page_pause)

    def signon_loop() -> None:
        while not stop.is_set():
            with lock:
                number = next(counter)
            attempt = attempt_sign_on(number, site, provider, kept)
            with lock:
                attempts.append(attempt)
            if attempt.outcome != "ok":
                time.sleep(0.05)  # a failed attempt is quick: do not spin

    threads = [threading.Thread(target=page_loop, daemon=True) for _ in range(args.page_threads)]
    threads += [threading.Thread(target=signon_loop, daemon=True) for _ in range(args.outage_threads)]
    t0 = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(args.before)
    t_out = time.monotonic()
    proxy.outage(args.outage)
    time.sleep(args.outage)
    t_rec = time.monotonic()
    time.sleep(args.after)
    t_redis = time.monotonic()
    redis_report: dict[str, Any] = {}
    if redis is not None and args.redis_down > 0:
        redis.stop()
        time.sleep(args.redis_down)
    stop.set()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT + 5)

    def window(a: float, b: float) -> dict[str, float]:
        chosen = sorted(s for (t, s, _st) in pages if a <= t < b)
        bad = sum(1 for (t, _s, st) in pages if a <= t < b and st != 200)
        return {
            "requests": len(chosen),
            "non_200": bad,
            "p50_ms": percentile(chosen, 0.5) * 1000,
            "p99_ms": percentile(chosen, 0.99) * 1000,
        }

    page_windows = {
        "before": window(t0 + 2, t_out),  # the first 2 s warm up
        "during": window(t_out, t_rec),
        "after": window(t_rec, t_redis),
    }

    def span(attempt: Attempt) -> tuple[float, float]:
        """When the attempt's request that needs PingOne (the callback) was under way."""
        if attempt.callback_started:
            return attempt.callback_started, attempt.callback_started + attempt.callback_seconds
        return attempt.started, attempt.ended

    def phase(attempt: Attempt) -> str:
        begin, end = span(attempt)
        if begin >= t_redis:
            return "redis_down"
        if end < t_out:
            return "before"
        if begin >= t_rec:
            return "after"
        return "during"  # under way at some moment of the outage

    def outcomes(name: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for attempt in attempts:
            if phase(attempt) == name:
                counts[attempt.outcome] = counts.get(attempt.outcome, 0) + 1
        return counts

    signon_windows = {name: outcomes(name) for name in ("before", "during", "after", "redis_down")}
    during = [a for a in attempts if phase(a) == "during"]
    fast = sorted(a.callback_seconds for a in during if a.outcome == "fast_503")
    share = len(fast) / len(during) if during else 0.0
    recovered = sorted(
        a.callback_started + a.callback_seconds - t_rec
        for a in attempts
        if a.outcome == "ok" and a.callback_started >= t_rec
    )
    problems = [f"{a.outcome}: {a.detail}" for a in attempts if a.outcome == "error"][:10]
    if redis is not None and args.redis_down > 0:
        still = 0
        for http in kept:
            try:
                home = http.get(f"{site}/", timeout=REQUEST_TIMEOUT, headers=NEW_CONNECTION)
                still += 'id="signed-on"' in home.text
            except requests.RequestException:
                pass
            finally:
                http.close()
        redis_report = {
            "seconds": args.redis_down,
            "signons": signon_windows["redis_down"],
            "earlier_browsers_still_signed_on": f"{still} of {len(kept)}",
            "still": still,
            "kept": len(kept),
        }
    cool_down = float(args.breaker.split(",")[2]) if args.breaker else 15.0
    return Outage(
        before_s=round(t_out - t0, 1),
        outage_s=round(t_rec - t_out, 1),
        after_s=round(t_redis - t_rec, 1),
        pages=page_windows,
        signons=signon_windows,
        fast_503_share=share,
        fast_503_p99_ms=percentile(fast, 0.99) * 1000 if fast else float("nan"),
        recovery_s=recovered[0] if recovered else None,
        cool_down_s=cool_down,
        redis_down=redis_report,
        problems=problems,
    )


# -- the run -------------------------------------------------------------------------------------------------


def describe_parts(args: argparse.Namespace) -> str:
    db = "PostgreSQL (throwaway cluster)" if args.postgres else "SQLite (WAL)"
    cache = "Redis" if args.redis else "FileBasedCache"
    lb = f"nginx round robin over {args.hosts} hosts" if args.hosts > 1 else "one host, no load balancer"
    return f"{lb}; sessions and users in {db}; cache {cache}"


def run(args: argparse.Namespace) -> int:
    deadline = time.monotonic() + args.time_limit
    summary: dict[str, Any] = {"machine": machine_note(), "parts": describe_parts(args), "throughput": []}
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pingone-cluster-") as tmp:
        workdir = Path(tmp)
        parts: dict[str, Any] = {"workdir": workdir}
        proxy: LatencyProxy | None = None
        hosts = Hosts(args.hosts, workdir)
        nginx = Nginx(hosts.ports) if args.hosts > 1 else None
        front = f"http://127.0.0.1:{nginx.port}" if nginx else f"http://127.0.0.1:{hosts.ports[0]}"
        providers: dict[str, Provider] = {}
        try:
            if args.postgres:
                parts["postgres"] = Postgres().start()
            if args.redis:
                parts["redis"] = RedisServer().start()
            if args.latency_ms > 0 or args.outage > 0:
                proxy = LatencyProxy(args.latency_ms, args.jitter_ms).start()

            def provider_for(kind: str) -> Provider:
                if kind not in providers:
                    site = "peers" if kind == "op" else "example"
                    callbacks = (
                        [f"{front}{cb}" for _, cb in PEER_PATHS.values()]
                        if site == "peers"
                        else [f"{front}/pingone/callback/"]
                    )
                    provider = start_provider(kind, callbacks, [f"{front}/"])
                    if kind == "op":  # the bench site's client: client_secret_post
                        from tests.doubles.op_server import OidcProvider

                        assert isinstance(provider.handle, OidcProvider)
                        provider.client_id = "post-client"
                        provider.client_secret = provider.handle.clients["post-client"]["client_secret"]
                    providers[kind] = provider
                    migrate(
                        site_env(args, site, provider, proxy, parts), None if args.postgres else workdir / "db.sqlite3"
                    )
                return providers[kind]

            # Part 1: throughput, the variants interleaved in rounds (the machine's load drifts).
            site = "peers" if args.provider == "op" else "example"
            variants = [v for v in args.matrix if site == "peers" or v.client == "ours"]
            per_round = max(1, args.signons // args.rounds)
            gathered: dict[Variant, dict[str, Any]] = {
                v: {"latencies": [], "errors": [], "wall": 0.0, "rates": [], "served": {}, "cpu": 0.0} for v in variants
            }
            shuffled = random.Random(1)
            for round_number in range(args.rounds):
                order = list(variants)
                shuffled.shuffle(order)  # no variant always runs first (or right after another) in a round
                for variant in order:
                    if time.monotonic() > deadline:
                        failed.append(f"{variant.label}: round {round_number + 1} not run before the time limit")
                        continue
                    provider = provider_for(args.provider)
                    env = site_env(args, site, provider, proxy, parts)
                    if site == "peers":
                        forget_users(env)
                    hosts.start(env, variant.server, args.workers, args.worker_threads)
                    if nginx:
                        nginx.access_log.unlink(missing_ok=True)
                        nginx.start()
                    try:
                        if site == "peers":

                            def one(n: int, _p: Provider = provider, _c: str = variant.client) -> None:
                                peer_sign_on(n, front, _p, _c)
                        else:

                            def one(n: int, _p: Provider = provider) -> None:
                                one_sign_on(n, front, _p)

                        run_signons(min(args.threads * 2, per_round), args.threads, deadline, one)  # warm-up
                        cpu_before = hosts.cpu_seconds()
                        latencies, errors, wall = run_signons(per_round, args.threads, deadline, one)
                        gathered[variant]["cpu"] += hosts.cpu_seconds() - cpu_before
                    finally:
                        if nginx:
                            nginx.stop()
                        hosts.stop()
                    got = gathered[variant]
                    got["latencies"] += latencies
                    got["errors"] += errors
                    got["wall"] += wall
                    got["rates"].append(len(latencies) / wall if wall else 0.0)
                    for host, count in (nginx.served_by() if nginx else {}).items():
                        got["served"][host] = got["served"].get(host, 0) + count
                    print(
                        f"round {round_number + 1}: {variant.label}: {len(latencies)}/{per_round} in {wall:.1f}s, "
                        f"{got['rates'][-1]:.1f}/s",
                        flush=True,
                    )
                    for message in errors[:5]:
                        print(f"    error {message}", flush=True)
            for variant, got in gathered.items():
                latencies = sorted(got["latencies"])
                result = Throughput(
                    label=variant.label,
                    signons=per_round * args.rounds,
                    completed=len(latencies),
                    rate=len(latencies) / got["wall"] if got["wall"] else 0.0,
                    p50_ms=percentile(latencies, 0.5) * 1000,
                    p99_ms=percentile(latencies, 0.99) * 1000,
                    wall_s=got["wall"],
                    served=got["served"],
                    errors=got["errors"][:5],
                    round_rates=[round(r, 1) for r in got["rates"]],
                    cpu_ms=got["cpu"] * 1000 / len(latencies) if latencies else 0.0,
                )
                summary["throughput"].append(asdict(result))
                if got["errors"]:
                    failed.append(f"{variant.label}: {len(got['errors'])} of {result.signons} sign-ons failed")
                if nginx and len([n for n in got["served"].values() if n > 0]) < args.hosts:
                    failed.append(f"{variant.label}: not every host served requests ({got['served']})")

            # Part 2: PingOne down, then Redis down.
            if args.outage > 0 and time.monotonic() < deadline:
                assert proxy is not None
                provider = provider_for("standin")
                env = site_env(args, "example", provider, proxy, parts)
                hosts.start(env, args.outage_server, args.workers, args.worker_threads)
                if nginx:
                    nginx.access_log.unlink(missing_ok=True)
                    nginx.start()
                try:
                    one_sign_on(0, front, provider)  # warm: discovery and keys in the cache
                    outage = run_outage(args, front, provider, proxy, parts.get("redis"))
                finally:
                    if nginx:
                        nginx.stop()
                    hosts.stop()
                summary["outage"] = asdict(outage)
                if nginx:
                    summary["outage"]["served"] = nginx.served_by()
                rd = outage.redis_down
                if rd and (set(rd["signons"]) - {"ok"} or rd["still"] != rd["kept"]):
                    failed.append(f"while Redis was down: {rd}")
                if set(outage.signons["before"]) - {"ok"}:
                    failed.append(f"sign-ons before the outage: {outage.signons['before']}")
                # After PingOne's return the circuit stays open up to a cool-down (fast 503s): only errors count.
                for window_name in ("during", "after"):
                    if outage.signons[window_name].get("error"):
                        failed.append(f"sign-ons {window_name} the outage: {outage.signons[window_name]}")
        finally:
            for provider in providers.values():
                provider.stop()
            if proxy is not None:
                proxy.stop()
            if nginx is not None:
                nginx.stop()
                nginx.cleanup()
            hosts.stop()
            if "redis" in parts:
                parts["redis"].stop()
            if "postgres" in parts:
                parts["postgres"].stop()
            summary["site_log_tail"] = site_errors(hosts.log_text())[:10]

    print_report(args, summary)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2, default=str))
    if args.strict:
        failed += [line for line in verdict(summary["throughput"]) if line.startswith("BEHIND")]
    for message in failed:
        print(f"FAILED: {message}")
    return 1 if failed else 0


def print_report(args: argparse.Namespace, summary: dict[str, Any]) -> None:
    print()
    print(f"## Cluster load: {summary['parts']}")
    print(
        f"PingOne {args.latency_ms:.0f} ms ± {args.jitter_ms:.0f} ms away (per call, through latency_proxy.py); "
        f"{args.signons} sign-ons over {args.threads} threads per variant; {args.workers} workers per host"
        f" (gthread: x {args.worker_threads} threads; asgi: uvicorn)"
    )
    print(f"machine: {summary['machine']}")
    if summary["throughput"]:
        print()
        print(
            "| client / workers | completed | sign-ons/s | median of rounds | per round | p50 | p99 | "
            "hosts' CPU per sign-on | requests per host |"
        )
        print("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |")
        for row in summary["throughput"]:
            served = " / ".join(str(n) for _, n in sorted(row["served"].items())) or "-"
            rounds = ", ".join(f"{rate:.1f}" for rate in row["round_rates"])
            print(
                f"| {row['label']} | {row['completed']}/{row['signons']} | {row['rate']:.1f} | "
                f"{round_median(row):.1f} | {rounds} | {row['p50_ms']:.0f} ms | {row['p99_ms']:.0f} ms | {row['cpu_ms']:.1f} ms | {served} |"
            )
        print()
        for line in verdict(summary["throughput"]):
            print(line)
        for line in cpu_comparison(summary["throughput"]):
            print(line)
    outage = summary.get("outage")
    if outage:
        print()
        print(
            f"### PingOne down for {outage['outage_s']:.0f} s (after {outage['before_s']:.0f} s; "
            f"{outage['after_s']:.0f} s after), {args.outage_server} workers, breaker "
            f"{args.breaker or 'defaults'} (failures,window,cool-down), TIMEOUT {args.pingone_timeout:g} s"
        )
        print()
        print("| home page | requests | p50 | p99 | not 200 |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, w in outage["pages"].items():
            print(f"| {name} | {w['requests']} | {w['p50_ms']:.0f} ms | {w['p99_ms']:.0f} ms | {w['non_200']} |")
        before, during = outage["pages"]["before"]["p99_ms"], outage["pages"]["during"]["p99_ms"]
        ratio = during / before if before else float("nan")
        print()
        print(f"pages' p99 during / before: {ratio:.2f}x (target: within 2x)")
        print(f"sign-ons by window (outcome: count): {outage['signons']}")
        print(
            f"during the outage {outage['fast_503_share'] * 100:.0f} % of sign-ons were answered 503 at once "
            f"(p99 of those answers {outage['fast_503_p99_ms']:.0f} ms)"
        )
        rec = outage["recovery_s"]
        print(
            "first sign-on that succeeded after PingOne came back: "
            + (f"{rec:.1f} s after (cool-down {outage['cool_down_s']:g} s)" if rec is not None else "none")
        )
        if outage["redis_down"]:
            rd = outage["redis_down"]
            print(
                f"Redis stopped for {rd['seconds']:g} s: sign-ons {rd['signons']}; browsers signed on earlier "
                f"still signed on: {rd['earlier_browsers_still_signed_on']}"
            )
        for problem in outage["problems"][:5]:
            print(f"    {problem}")
    if summary.get("site_log_tail"):
        print("site errors logged:", *summary["site_log_tail"][:5], sep="\n    ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--hosts", type=int, default=2)
    parser.add_argument("--postgres", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--redis", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--provider", choices=("op", "standin"), default="op", help="part 1's provider")
    parser.add_argument(
        "--matrix",
        type=parse_matrix,
        default=parse_matrix(
            "ours:sync,ours:gthread,ours:asgi,mozilla:sync,mozilla:gthread,mozilla:asgi,"
            "authlib:sync,authlib:gthread,authlib:asgi,floor:gthread,floor:asgi"
        ),
        help="part 1's variants, client:workers (clients ours, mozilla, authlib, and floor: the bench's bare sign-on; "
        "workers sync, gthread, asgi)",
    )
    parser.add_argument("--signons", type=int, default=300, help="per variant, over all rounds")
    parser.add_argument(
        "--rounds", type=int, default=5, help="the variants run interleaved (shuffled in each), this many times"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when ours is behind (see part 1's verdict)")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="worker processes per host")
    parser.add_argument("--worker-threads", type=int, default=8, help="threads per gthread worker")
    parser.add_argument("--latency-ms", type=float, default=80.0)
    parser.add_argument("--jitter-ms", type=float, default=10.0)
    parser.add_argument("--pingone-timeout", type=float, default=10.0, help="TIMEOUT of every client")
    parser.add_argument("--breaker", default="5,30,15", help="FAILURES,WINDOW,COOL_DOWN ('' for the defaults)")
    parser.add_argument("--cache-ttl", type=int, default=0, help="ours' CACHE_TTL in part 2 (0: the default)")
    parser.add_argument("--outage", type=float, default=60.0, help="seconds PingOne is down (0: no part 2)")
    parser.add_argument("--before", type=float, default=15.0)
    parser.add_argument("--after", type=float, default=30.0)
    parser.add_argument("--redis-down", type=float, default=10.0, help="seconds Redis is stopped at the end")
    parser.add_argument("--outage-server", choices=("sync", "gthread", "asgi"), default="gthread")
    parser.add_argument("--outage-threads", type=int, default=6, help="browsers signing on during part 2")
    parser.add_argument("--page-threads", type=int, default=2, help="browsers asking for pages during part 2")
    parser.add_argument("--page-pause", type=float, default=0.02)
    parser.add_argument("--time-limit", type=float, default=1200.0)
    parser.add_argument("--json", help="write the figures here too")
    args = parser.parse_args(argv)
    if args.hosts < 1 or args.signons < 1 or args.threads < 1 or args.workers < 1 or args.rounds < 1:
        parser.error("counts must be positive")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
