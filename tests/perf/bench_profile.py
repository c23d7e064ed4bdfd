"""Where one callback's time goes, step by step, for ours and Authlib, from one profile (``make bench`` then
``python tests/perf/bench_profile.py``; ``tests/perf/README.md`` keeps a run's table).

The bench site (``bench_settings``), the same provider and database as ``bench.py`` (SQLite, WAL,
``synchronous=FULL``, database sessions, returning users): ``--signons`` sign-ons per client, interleaved, with
``cProfile`` on during each callback only. Each step is the cumulative time of the functions that do it; the
"response" row is what is left of the request (middleware, the session's save, the redirect). Profiling slows
Python code more than waiting (the provider, the disk), so read the shares, and compare ours with Authlib
row by row.

    python tests/perf/bench_profile.py [--signons 100]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.perf import bench

# (step, a path the function's file ends with, its name): a step of several rows is their sum.
STEPS: dict[str, list[tuple[str, str, str]]] = {
    "ours": [
        ("state check (the session's load included)", "sign_on/pending_store.py", "pop"),
        ("code exchange (the provider's answer included)", "provider/token_endpoint.py", "exchange_code"),
        ("ID token validation", "oidc/id_token.py", "validate_id_token"),
        ("user lookup/update", "django/contrib/auth/__init__.py", "authenticate"),
        ("login()", "django/contrib/auth/__init__.py", "login"),
        ("session index", "sessions/session_index.py", "_logged_in"),
        ("token storage", "sessions/token_store.py", "store"),
    ],
    "Authlib": [
        ("state check (the session's load included)", "base_client/framework_integration.py", "get_state_data"),
        ("state check (the session's load included)", "base_client/framework_integration.py", "clear_state_data"),
        ("code exchange (the provider's answer included)", "base_client/sync_app.py", "fetch_access_token"),
        ("ID token validation", "base_client/sync_openid.py", "parse_id_token"),
        ("user lookup/update", "django/db/models/query.py", "get_or_create"),
        ("login()", "django/contrib/auth/__init__.py", "login"),
        ("session index", "sessions/session_index.py", "_logged_in"),
    ],
}
TOTAL = ("tests/perf/bench_settings.py", "measure")
LOGIN_STEP = "login()"
INDEX_STEP = "session index"


def cumulative(stats: pstats.Stats, path: str, name: str) -> float:
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    return sum(row[3] for (filename, _, function), row in table.items() if function == name and filename.endswith(path))


def breakdown(stats: pstats.Stats, client: str, signons: int) -> dict[str, float]:
    """Milliseconds per callback for each step of ``client``'s, "response" the rest."""
    steps: dict[str, float] = {}
    for step, path, name in STEPS[client]:
        steps[step] = steps.get(step, 0.0) + cumulative(stats, path, name) * 1000 / signons
    if INDEX_STEP in steps:
        steps[LOGIN_STEP] -= steps[INDEX_STEP]  # the index is written by a receiver of login()'s signal
    total = cumulative(stats, *TOTAL) * 1000 / signons
    steps["response (middleware, session save, redirect)"] = total - sum(steps.values())
    steps["whole callback"] = total
    return steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A callback's time step by step, ours and Authlib.")
    parser.add_argument("--signons", type=int, default=100)
    args = parser.parse_args(argv)
    random.seed(1)
    with tempfile.TemporaryDirectory(prefix="pingone-profile-") as tmp:
        op = bench.setup_site(Path(tmp))
        try:
            from tests.doubles.op_driver import sign_on_at_op
            from tests.perf.bench_settings import Measure

            profiles = {client: cProfile.Profile() for client in STEPS}
            measure = Measure.measure

            def profiled(self: Measure, request: Any) -> Any:
                profile = current.get("profile")
                if profile is None or "callback" not in request.path:
                    return measure(self, request)
                profile.enable()
                try:
                    return measure(self, request)
                finally:
                    profile.disable()

            current: dict[str, cProfile.Profile | None] = {"profile": None}
            Measure.measure = profiled  # type: ignore[method-assign]
            bench.set_synchronous("FULL")
            bench.forget_users()
            bench.one_sign_on("ours", sign_on_at_op)
            order = list(STEPS)
            for round_number in range(5 + args.signons):
                random.shuffle(order)
                for client in order:
                    current["profile"] = profiles[client] if round_number >= 5 else None
                    bench.one_sign_on(client, sign_on_at_op)
            current["profile"] = None
        finally:
            op.stop()
    tables = {client: breakdown(pstats.Stats(profile), client, args.signons) for client, profile in profiles.items()}
    rows = list(dict.fromkeys(step for table in tables.values() for step in table))
    print(f"One callback, ms under cProfile, mean of {args.signons} (returning users, database sessions, FULL)")
    print()
    print("| step | " + " | ".join(tables) + " |")
    print("| --- |" + " ---: |" * len(tables))
    for step in rows:
        cells = " | ".join(f"{table[step]:.2f}" if step in table else "-" for table in tables.values())
        print(f"| {step} | {cells} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
