"""``make test``'s short version of ``make load-cluster``: about 50 sign-ons over two hosts behind nginx (round
robin), PostgreSQL sessions, Redis cache, PingOne 80 ms away; then PingOne down for 5 s, then Redis down.

Asserts: every sign-on completed, both hosts served requests; during the outage sign-ons are answered 503 at
once once the circuit opened, and sign-ons succeed again within a cool-down of PingOne's return; nothing fails
while Redis is down and browsers signed on earlier stay signed on."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import django
import pytest

from tests.perf.cluster import find_pg_bin

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[3]
COOL_DOWN = 2.0


def missing_parts() -> list[str]:
    missing = [
        name for name in ("nginx", "redis-server") if not (shutil.which(name) or Path(f"/usr/sbin/{name}").exists())
    ]
    try:
        find_pg_bin("initdb")
    except RuntimeError:
        missing.append("postgresql")
    return missing


def test_two_hosts_postgres_redis_and_outages(tmp_path: Path) -> None:
    if django.VERSION < (5, 1):  # the older lines' sessions (make lts) leave it to the main run
        pytest.skip("the two-host run is the main run's (Django 6.x)")
    missing = missing_parts()
    if missing:
        pytest.skip(f"missing Debian packages {missing}: make load-deps")
    out = tmp_path / "figures.json"
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests/perf/load_cluster.py"),
            "--hosts",
            "2",
            "--provider",
            "standin",
            "--matrix",
            "ours:gthread",
            "--signons",
            "50",
            "--rounds",
            "1",
            "--threads",
            "8",
            "--workers",
            "2",
            "--worker-threads",
            "4",
            "--latency-ms",
            "80",
            "--jitter-ms",
            "10",
            "--outage",
            "5",
            "--before",
            "4",
            "--after",
            "8",
            "--redis-down",
            "4",
            "--breaker",
            f"3,30,{COOL_DOWN:g}",
            "--pingone-timeout",
            "2",
            "--outage-threads",
            "4",
            "--page-threads",
            "2",
            "--time-limit",
            "240",
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=420,
    )
    report = run.stdout[-6000:] + run.stderr[-3000:]
    assert run.returncode == 0, report
    figures = json.loads(out.read_text())
    (row,) = figures["throughput"]
    assert row["completed"] == 50, report
    assert len([n for n in row["served"].values() if n > 0]) == 2, report
    outage = figures["outage"]
    assert len([n for n in outage["served"].values() if n > 0]) == 2, report
    assert outage["signons"]["during"].get("fast_503", 0) > 0, report  # the circuit opened
    assert outage["signons"]["during"].get("error", 0) == 0, report  # no 500, no hang past the deadline
    assert outage["recovery_s"] is not None and outage["recovery_s"] <= COOL_DOWN + 3.0, report
    assert outage["pages"]["during"]["non_200"] == 0, report
    assert outage["redis_down"]["still"] == outage["redis_down"]["kept"] > 0, report
    assert set(outage["redis_down"]["signons"]) == {"ok"}, report
