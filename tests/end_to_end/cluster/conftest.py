"""Tests that start real servers beside the suite: the example site under uvicorn (ASGI), and the short
two-host run of ``tests/perf/load_cluster.py`` (nginx, PostgreSQL, Redis; ``make load-deps``)."""

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cluster: starts nginx, PostgreSQL and Redis and two hosts (make load-deps)")
    config.addinivalue_line("markers", "asgi: runs the example site under uvicorn")
