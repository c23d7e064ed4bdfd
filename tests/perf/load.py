"""``make load``: many whole sign-ons at once against the example site under gunicorn.

The example site (``example_project``, unchanged) runs under gunicorn with several worker processes that
share one SQLite database in WAL mode (database sessions, the default engine) and one file-based cache
(``DEMO_CACHE_DIR``: discovery document and signing keys). A provider runs beside it: the certified
oidc-provider fixture (``--provider op``, the default) or the PingOne stand-in (``--provider standin``).

Each sign-on is a fresh "browser" (``requests.Session``) that starts at the login view, plays the user at
the provider with the driver, brings the authorization response back to the callback, and checks that the
home page then shows the user signed on. Half of them use the ``default`` alias (GET login, 302 to
``/as/authorize``, code in the query); the other half press the ``post`` alias's button on the home page
(POST login with CSRF, auto-submitted POST to ``/as/authorize``, ``form_post`` back).

Every request to the site carries an ``X-Load-Signon`` header, which gunicorn's access log writes next to
the worker's pid: the report says how many sign-ons were started by one worker and finished by another.

Bounded: ``--signons`` sign-ons over ``--threads`` threads, stopped at ``--time-limit`` seconds whatever
happens (the unfinished ones then count as errors). Exit status 0 only if every sign-on completed.

    python tests/perf/load.py [--signons 500] [--threads 16] [--workers 4] [--worker-threads 1]
                              [--provider op|standin] [--time-limit 300]

With ``--hosts``, ``--postgres``, ``--redis``, ``--latency-ms``, ``--outage`` or ``--matrix`` the run is
``load_cluster.py``'s (several hosts behind nginx on PostgreSQL and Redis; see there).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.doubles.op_driver import parse_page
from tests.perf.common import ROOT, Provider, free_port, machine_note, start_provider, wait_for_port

EXAMPLE = ROOT / "example_project"
HEADER = "X-Load-Signon"
REQUEST_TIMEOUT = 30.0
# Every request to the site on a connection of its own, as behind a load balancer: with keep-alive, gthread
# workers would serve a whole browser from one process, and the run would prove nothing about shared state.
NEW_CONNECTION = {"Connection": "close"}


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, seconds: float) -> None:
        with self.lock:
            self.latencies.append(seconds)

    def failed(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


class SignOnFailed(AssertionError):
    pass


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise SignOnFailed(message)


def one_sign_on(number: int, site: str, provider: Provider) -> None:
    """One whole sign-on by a new browser; raises on anything unexpected."""
    with requests.Session() as http:
        http.headers[HEADER] = str(number)  # written to gunicorn's access log with the worker's pid
        if number % 2 == 0:
            # The "default" alias: a GET link, a 302 to /as/authorize, the code back in the query.
            start = http.get(
                f"{site}/pingone/login/?next=/", allow_redirects=False, timeout=REQUEST_TIMEOUT, headers=NEW_CONNECTION
            )
            expect(start.status_code == 302, f"login answered {start.status_code}")
            method, url, data = provider.sign_on(http, start.headers["Location"])
        else:
            # The "post" alias: its button on the home page (POST + CSRF), an auto-submitted POST to
            # /as/authorize, the code back as a form_post.
            home = http.get(f"{site}/", timeout=REQUEST_TIMEOUT, headers=NEW_CONNECTION)
            expect(home.status_code == 200, f"home page answered {home.status_code}")
            button = next((f for f in parse_page(home.text).forms if f.action.endswith("/pingone/login/post/")), None)
            expect(button is not None, "no button for the 'post' alias on the home page")
            assert button is not None
            start = http.post(
                f"{site}{button.action}",
                data=button.fields,
                headers={"Referer": f"{site}/", **NEW_CONNECTION},
                allow_redirects=False,
                timeout=REQUEST_TIMEOUT,
            )
            expect(start.status_code == 200, f"POST login answered {start.status_code}")
            forms = parse_page(start.text).forms
            expect(len(forms) == 1, "the POST login page has no single auto-submitting form")
            method, url, data = provider.sign_on(http, form=(forms[0].action, forms[0].fields))
        expect(url.startswith(f"{site}/pingone/callback/"), f"the provider sent the browser to {url[:120]}")
        if method == "POST":
            back = http.post(url, data=data, allow_redirects=False, timeout=REQUEST_TIMEOUT, headers=NEW_CONNECTION)
        else:
            back = http.get(url, allow_redirects=False, timeout=REQUEST_TIMEOUT, headers=NEW_CONNECTION)
        expect(back.status_code == 302, f"callback answered {back.status_code}: {page_summary(back.text)}")
        expect(back.headers.get("Location") == "/", f"callback sent the browser to {back.headers.get('Location')}")
        home = http.get(f"{site}/", timeout=REQUEST_TIMEOUT, headers=NEW_CONNECTION)
        expect(home.status_code == 200, f"home page after sign-on answered {home.status_code}")
        expect('id="signed-on"' in home.text, "the home page does not show the user signed on")
        expect(f"<strong>{provider.username}</strong>" in home.text, "the home page shows another user")


def page_summary(html: str) -> str:
    """The title of an error page and, on Django's debug page, the exception's value."""
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    value = re.search(r'<pre class="exception_value">(.*?)</pre>', html, re.S)
    reason = re.search(r"Reason: <code>(.*?)</code>", html)  # our sign-on error page
    said = re.search(r"The identity provider said: (.*?)</p>", html, re.S)
    parts = [re.sub(r"<[^>]+>", "", m.group(1)).strip() for m in (title, value, reason, said) if m]
    return " | ".join(parts)[:300] if parts else html[:200]


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def worker_spread(access_log: Path) -> tuple[int, int]:
    """(sign-ons seen in the log, sign-ons whose callback ran in another worker than their login)."""
    login_pid: dict[str, str] = {}
    callback_pid: dict[str, str] = {}
    for line in access_log.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) < 4 or parts[0] == "-":
            continue
        number, pid, _method, path = parts[:4]
        if path.startswith("/pingone/login/"):
            login_pid[number] = pid
        elif path.startswith("/pingone/callback/"):
            callback_pid[number] = pid
    both = [n for n in login_pid if n in callback_pid]
    moved = sum(1 for n in both if login_pid[n] != callback_pid[n])
    return len(both), moved


def start_site(
    workdir: Path, provider: Provider, port: int, workers: int, worker_threads: int
) -> tuple[subprocess.Popen[bytes], Path]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.perf.load_settings",
        DJANGO_DEBUG=os.environ.get("LOAD_DJANGO_DEBUG", "0"),  # 1: Django's debug page says what a 500 was
        DEMO_DB=str(workdir / "db.sqlite3"),
        DEMO_CACHE_DIR=str(workdir / "cache"),
        PINGONE_AUTH_PATH=provider.auth_path,
        PINGONE_ENV_ID=provider.env_id,
        PINGONE_CLIENT_ID=provider.client_id,
        PINGONE_CLIENT_SECRET=provider.client_secret,
        PYTHONPATH=os.pathsep.join([str(ROOT), str(EXAMPLE)]),
    )
    subprocess.run(
        [sys.executable, str(EXAMPLE / "manage.py"), "migrate", "--noinput", "-v", "0"],
        env=env,
        check=True,
        cwd=ROOT,
    )
    # WAL lets the workers read while one writes; the setting stays with the database file.
    with sqlite3.connect(workdir / "db.sqlite3") as db:
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if mode != "wal":
        raise RuntimeError(f"SQLite refused WAL mode ({mode})")
    access_log = workdir / "access.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "demo.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(worker_threads),
        "--worker-class",
        "gthread" if worker_threads > 1 else "sync",
        "--timeout",
        "60",
        "--backlog",
        "256",
        "--access-logfile",
        str(access_log),
        "--access-logformat",
        f"%({{{HEADER.lower()}}}i)s %(p)s %(m)s %(U)s %(s)s",
        "--error-logfile",
        str(workdir / "gunicorn.log"),
    ]
    output = (workdir / "workers.log").open("wb")  # the site's own log lines (one per sign-on)
    process = subprocess.Popen(
        command, env=env, cwd=EXAMPLE, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
    )
    output.close()
    try:
        wait_for_port(port, timeout=30, process=process)
        deadline = time.monotonic() + 30
        while True:  # every worker imported Django and answers
            try:
                if requests.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the example site does not answer")
            time.sleep(0.2)
    except BaseException:
        stop_process(process)
        raise
    return process, access_log


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def run(args: argparse.Namespace) -> int:
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    provider = start_provider(args.provider, [f"{site}/pingone/callback/"], [f"{site}/"])
    results = Results()
    try:
        with tempfile.TemporaryDirectory(prefix="pingone-load-") as tmp:
            workdir = Path(tmp)
            gunicorn, access_log = start_site(workdir, provider, port, args.workers, args.worker_threads)
            try:
                started = time.monotonic()
                deadline = started + args.time_limit
                stop = threading.Event()

                def task(number: int) -> None:
                    if stop.is_set() or time.monotonic() > deadline:
                        results.failed(f"#{number}: not started before the time limit")
                        return
                    begin = time.perf_counter()
                    try:
                        one_sign_on(number, site, provider)
                    except Exception as exc:
                        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                        results.failed(f"#{number}: {detail[:300]}")
                        return
                    results.ok(time.perf_counter() - begin)

                with ThreadPoolExecutor(max_workers=args.threads, thread_name_prefix="signon") as pool:
                    pending: set[Future[None]] = {pool.submit(task, n) for n in range(args.signons)}
                    while pending:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            stop.set()
                            for future in pending:
                                future.cancel()
                            break
                        _, pending = wait(pending, timeout=min(left, 1.0), return_when=FIRST_COMPLETED)
                    # Requests under way end within REQUEST_TIMEOUT each; the pool is bounded.
                elapsed = time.monotonic() - started
            finally:
                stop_process(gunicorn)
            seen, moved = worker_spread(access_log)
            gunicorn_log = "\n".join(
                (workdir / name).read_text(errors="replace") for name in ("gunicorn.log", "workers.log")
            )
    finally:
        provider.stop()

    completed = len(results.latencies)
    errors = args.signons - completed  # failed, or never run because the time limit came first
    latencies = sorted(results.latencies)
    rate = completed / elapsed if elapsed > 0 else 0.0
    print()
    print(f"## Load: {args.signons} sign-ons, {args.threads} threads, provider {args.provider}")
    print(f"site: example_project under gunicorn, {args.workers} workers x {args.worker_threads} threads,")
    print(
        "      database sessions on one SQLite file (WAL, IMMEDIATE transactions), FileBasedCache shared by the workers"
    )
    print(f"machine: {machine_note()}")
    print()
    print("| completed | errors | sign-ons/s | p50 | p99 | max | wall time |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    p50 = percentile(latencies, 0.50) * 1000
    p99 = percentile(latencies, 0.99) * 1000
    top = (latencies[-1] * 1000) if latencies else float("nan")
    print(f"| {completed} | {errors} | {rate:.1f} | {p50:.0f} ms | {p99:.0f} ms | {top:.0f} ms | {elapsed:.1f} s |")
    print()
    mean = statistics.fmean(latencies) * 1000 if latencies else float("nan")
    print(f"mean latency {mean:.0f} ms; {moved} of {seen} sign-ons finished on another worker than they started on")
    for message in results.errors[:10]:
        print(f"error {message}")
    if len(results.errors) > 10:
        print(f"... and {len(results.errors) - 10} more errors")
    log_lines = gunicorn_log.splitlines()
    routine = ("sign-on succeeded", "Fetched PingOne", "Created user", "[INFO]")
    unusual = [line for line in log_lines if line.strip() and not any(word in line for word in routine)]
    if unusual:
        print(f"the site logged {len(unusual)} unusual lines, e.g.:")
        print("\n".join("    " + line[:300] for line in unusual[:15]))
    worker_errors = [i for i, line in enumerate(log_lines) if "Traceback" in line or "[ERROR]" in line]
    if worker_errors:
        print(f"the site logged {len(worker_errors)} errors; the first:")
        first = worker_errors[0]
        block = [log_lines[first]]
        for line in log_lines[first + 1 : first + 80]:
            if not line.startswith((" ", "Traceback", "During", "The above")) and block[-1].startswith(" "):
                block.append(line)  # the exception line closes the traceback
                break
            block.append(line)
        print("\n".join("    " + line for line in block[-25:]))
    if errors:
        print(f"FAILED: {errors} of {args.signons} sign-ons did not complete")
        return 1
    if args.workers > 1 and seen and not moved:
        print("FAILED: no sign-on moved between workers; the run proved nothing about shared state")
        return 1
    return 0


CLUSTER_OPTIONS = ("--hosts", "--postgres", "--redis", "--latency-ms", "--outage", "--matrix")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if any(arg.split("=", 1)[0] in CLUSTER_OPTIONS for arg in argv):
        # Several hosts on PostgreSQL and Redis, PingOne at a distance or down: load_cluster.py.
        from tests.perf.load_cluster import main as cluster_main

        return cluster_main(argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--signons", type=int, default=int(os.environ.get("LOAD_SIGNONS", "500")))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("LOAD_THREADS", "16")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("LOAD_WORKERS", "4")))
    parser.add_argument("--worker-threads", type=int, default=int(os.environ.get("LOAD_WORKER_THREADS", "1")))
    parser.add_argument("--provider", choices=("op", "standin"), default=os.environ.get("LOAD_PROVIDER", "op"))
    parser.add_argument("--time-limit", type=float, default=float(os.environ.get("LOAD_TIME_LIMIT", "300")))
    args = parser.parse_args(argv)
    if args.signons < 1 or args.threads < 1 or args.workers < 1 or args.worker_threads < 1:
        parser.error("counts must be positive")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
