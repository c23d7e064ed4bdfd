"""``make bench`` (d): what ``get_access_token`` costs a view, and how many outbound calls it makes.

In one process: the PingOne stand-in (a thread), Django with the test settings (database sessions on SQLite in
memory, ``LocMemCache``) and ``tests/sessions/urls.py``; a user signed on with ``offline_access`` and
``STORE_TOKENS``. Measured through Django's test client, interleaved in rounds after a warm-up (medians):

* ``/home/`` (the floor: a view that reads ``request.user``) against ``/token/`` (the same, plus
  ``get_access_token(request)``) in steady state, the token valid for longer than ``min_ttl``;
* ``get_access_token`` alone, called again and again on one request (the per-request memo);
* the refresh path, once: ``min_ttl`` above the token's lifetime.

Outbound calls are counted twice: on ``requests`` (every HTTP call the process makes) and in the stand-in's
``requests_seen``. ``--strict``: exit status 1 unless steady state makes no outbound call and the refresh
exactly one.

    python tests/perf/bench_access_token.py [--rounds 20] [--per-round 100] [--strict]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--per-round", type=int, default=100)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    import requests
    from django.core.management import call_command
    from django.test import Client, RequestFactory, override_settings
    from django.test.utils import setup_test_environment

    from django_pingone_authorize import get_access_token
    from django_pingone_authorize.testing import PingOneStandIn, sign_on
    from tests.perf.common import machine_note

    setup_test_environment()
    call_command("migrate", verbosity=0)
    calls: list[str] = []
    real_request = requests.Session.request

    def counted(self: requests.Session, method: str, url: str, *a: Any, **kw: Any) -> Any:
        calls.append(f"{method} {url}")
        return real_request(self, method, url, *a, **kw)

    requests.Session.request = counted  # type: ignore[method-assign]
    with PingOneStandIn(redirect_uris=["http://testserver/pingone/callback/"]) as standin:
        alias = standin.settings(STORE_TOKENS=True, SCOPE="openid profile email offline_access")
        with override_settings(PINGONE_AUTHORIZE={"default": alias}, ROOT_URLCONF="tests.sessions.urls"):
            client = Client()
            started = client.post("/pingone/login/", {"next": "/"})
            answer = sign_on(requests.Session(), started["Location"])
            assert client.get("/pingone/callback/", answer.params).status_code == 302
            for _ in range(50):  # warm-up
                client.get("/home/")
                client.get("/token/")
            calls.clear()
            standin.reset_requests_seen()

            floor: list[float] = []
            ours: list[float] = []
            for _ in range(args.rounds):
                for path, into in (("/home/", floor), ("/token/", ours)):
                    for _ in range(args.per_round):
                        began = time.perf_counter()
                        client.get(path)
                        into.append(time.perf_counter() - began)
            steady_calls, steady_seen = len(calls), len(standin.requests_seen)

            request = RequestFactory().get("/token/")
            request.session = client.session
            get_access_token(request)
            began = time.perf_counter()
            repeat = 10_000
            for _ in range(repeat):
                get_access_token(request)
            memo_us = (time.perf_counter() - began) / repeat * 1e6

            calls.clear()
            standin.reset_requests_seen()
            began = time.perf_counter()
            refreshed = client.get("/token/", {"min_ttl": 7200}).json()
            refresh_ms = (time.perf_counter() - began) * 1e3
            refresh_calls, refresh_seen = len(calls), list(standin.requests_seen)
    requests.Session.request = real_request  # type: ignore[method-assign]

    floor_us, ours_us = statistics.median(floor) * 1e6, statistics.median(ours) * 1e6
    print(f"`get_access_token` ({machine_note()}), medians of {len(floor)} requests each:\n")
    print("| path | median | outbound calls |")
    print("| --- | ---: | ---: |")
    print(f"| `/home/` (floor) | {floor_us:.0f} µs | 0 |")
    print(f"| `/token/`, steady state | {ours_us:.0f} µs ({ours_us - floor_us:+.0f} µs) | {steady_calls} |")
    print(f"| `get_access_token` again on the same request | {memo_us:.1f} µs | 0 |")
    print(f"| `/token/`, refresh | {refresh_ms:.1f} ms | {refresh_calls} ({', '.join(p for _, p in refresh_seen)}) |")
    ok = steady_calls == steady_seen == 0 and refresh_calls == len(refresh_seen) == 1 and refreshed["access_token"]
    if args.strict and not ok:
        print("FAILED: steady state must make no outbound call, the refresh exactly one", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
