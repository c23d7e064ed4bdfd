"""The package's shape, measured (``tests/import_graph.py``; ``make imports`` prints the graph): no import circle,
no import that runs back up the layers, no module over 450 lines, at most 16 modules at the top level."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import import_graph
from tests.import_graph import (
    EXCEPTIONS,
    KNOWN_CIRCLES,
    PACKAGE,
    RANKS,
    area,
    circles,
    imports,
    modules,
    violation,
)

MAX_LINES = 450
MAX_TOP_LEVEL = 16


def test_every_folder_and_top_level_module_has_a_layer() -> None:
    assert {area(name) for name in modules()} - set(RANKS) == set()


def test_no_import_runs_back_up() -> None:
    assert [v for v in map(violation, imports()) if v] == []


def test_no_import_circle() -> None:
    assert [loop for loop in circles(imports()) if frozenset(loop) not in KNOWN_CIRCLES] == []


def test_every_exception_is_still_needed() -> None:
    """An exception or a known circle that the code no longer has is removed from the lists with it."""
    edges = {(edge.source, edge.target) for edge in imports()}
    assert set(EXCEPTIONS) <= edges
    found = {frozenset(loop) for loop in circles(imports())}
    assert set(KNOWN_CIRCLES) <= found


def test_no_module_over_450_lines() -> None:
    long = {name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_at_most_16_modules_at_the_top_level() -> None:
    root = Path(import_graph.ROOT)
    top = sorted(path.name for path in root.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL, top


def _package(tmp_path: Path, files: dict[str, str]) -> dict[str, Path]:
    for name, source in files.items():
        path = tmp_path / PACKAGE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return modules(tmp_path / PACKAGE)


def test_the_walk_catches_an_import_back_up_a_sideways_one_and_a_circle(tmp_path: Path) -> None:
    known = _package(
        tmp_path,
        {
            "__init__.py": "",
            "conf.py": "",
            "views/__init__.py": "",
            "views/login.py": "from django_pingone_authorize.provider import http\n",
            "provider/__init__.py": "",
            # Inside a function still counts: it runs when called.
            "provider/http.py": "def f():\n    from ..views.login import x\n",
            "api/__init__.py": "",
            "api/bearer.py": "from django_pingone_authorize.sessions import refresh\n",
            "sessions/__init__.py": "",
            "sessions/refresh.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .. import conf\n",
        },
    )
    edges = imports(known)
    faults = sorted(v for v in map(violation, edges) if v)
    assert len(faults) == 2
    assert "provider.http:2 imports django_pingone_authorize.views.login (provider -> views runs up)" in faults[1]
    assert "(api -> sessions runs sideways)" in faults[0]
    assert circles(edges) == [[f"{PACKAGE}.provider.http", f"{PACKAGE}.views.login"]]
    guarded = [edge for edge in edges if edge.source.endswith("sessions.refresh")]
    assert [(edge.target, edge.type_checking) for edge in guarded] == [(f"{PACKAGE}.conf", True)]


@pytest.mark.parametrize("flag", [[], ["--modules"]])
def test_make_imports_prints_the_graph(flag: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert import_graph.main(flag) == 0
    out = capsys.readouterr().out
    assert "[6] views         -> [4] sign_on" in out
    assert "no import runs back up, no circle" in out
    assert (f"{PACKAGE}.views.login -> {PACKAGE}.sign_on" in out) == bool(flag)
