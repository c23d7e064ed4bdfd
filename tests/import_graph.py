"""The package's import graph, read from its source with ``ast`` (nothing is imported): which module imports
which, the layers they must keep to, and what breaks them. ``make imports`` prints it; ``tests/test_layering.py``
fails on an import circle, an import that runs back up, a module over 450 lines or a crowded top level.

The layers, from the front to the base (docs/explanation/architecture.md draws them)::

    7  the package's __init__ (the public names, loaded lazily)
    6  front: views, urls, decorators, middleware, mixins, templatetags, admin, management, apps, checks
    5  approval
    4  sign_on
    3  sessions | api   (side by side: neither imports the other)
    2  oidc
    1  provider
    0  base: conf, errors, layout, options, models, signals, pages, redirects, backends

A module may import a lower layer, and its own folder; the front and the base are each one layer whose modules
import each other freely. ``testing`` (the stand-in and the pytest plugin) sits above everything: nothing in the
package imports it. An import guarded by ``if TYPE_CHECKING:`` never runs, so it cannot close a circle; it still
has to keep to the layers.

    python -m tests.import_graph           # folder -> folder edges with counts, and any violation
    python -m tests.import_graph --modules # every module -> module edge
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "django_pingone_authorize"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

# ``checks`` reads the whole site (its URLconf, admin and approval views), as ``manage.py check`` does: the front.
FRONT = (
    "views",
    "headless",
    "urls",
    "decorators",
    "middleware",
    "mixins",
    "templatetags",
    "admin",
    "management",
    "apps",
    "checks",
)
BASE = ("conf", "errors", "layout", "options", "models", "signals", "pages", "redirects", "backends")
RANKS: dict[str, int] = {
    "__init__": 7,
    **dict.fromkeys(FRONT, 6),
    "approval": 5,
    "sign_on": 4,
    "sessions": 3,
    "api": 3,
    "oidc": 2,
    "provider": 1,
    **dict.fromkeys(BASE, 0),
    "testing": 8,
}
# Layers whose areas import each other freely (the others' areas keep to themselves).
OPEN_LAYERS = frozenset({0, 6})

# Circles known and being ended elsewhere, each with its reason: frozenset of modules -> why. A test fails as
# soon as one is gone, so the line is removed with it.
KNOWN_CIRCLES: dict[frozenset[str], str] = {}

# Imports allowed against the layers, each with its reason: (importing module, imported module) -> why.
EXCEPTIONS: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    source: str  # dotted module names
    target: str
    line: int
    type_checking: bool  # under ``if TYPE_CHECKING:``: never runs


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Dotted name -> file of every module of the package (migrations left out: Django writes them)."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.relative_to(root).parts:
            continue
        parts = (PACKAGE, *path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def area(module: str) -> str:
    """The top-level folder or module a module belongs to (``sign_on``, ``conf``), ``__init__`` for the package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def imports(known: dict[str, Path] | None = None) -> list[Import]:
    """Each pair of package modules where one imports the other (at module level or inside a function), once:
    at its first line, and as guarded by ``TYPE_CHECKING`` only if every such import is."""
    found: dict[tuple[str, str], Import] = {}
    for edge in _each_import(modules() if known is None else known):
        first = found.get((edge.source, edge.target))
        if first is None or (first.type_checking and not edge.type_checking):
            found[edge.source, edge.target] = edge
    return list(found.values())


def _each_import(known: dict[str, Path]) -> Iterator[Import]:
    for source, path in known.items():
        tree = ast.parse(path.read_text(), str(path))
        guarded = _type_checking_lines(tree)
        package = source if path.name == "__init__.py" else source.rpartition(".")[0]
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*parent, *([node.module] if node.module else [])])
                names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
            for name in names:
                while name and name not in known:
                    name = name.rpartition(".")[0]
                if name and name != source:
                    yield Import(source, name, node.lineno, node.lineno in guarded)


def violation(edge: Import) -> str | None:
    """Why ``edge`` breaks the layers, or None."""
    if (edge.source, edge.target) in EXCEPTIONS:
        return None
    source, target = area(edge.source), area(edge.target)
    if source == target:
        return None
    ranks = RANKS[source], RANKS[target]
    if ranks[1] < ranks[0] or (ranks[0] == ranks[1] and ranks[0] in OPEN_LAYERS):
        return None
    where = "up" if ranks[1] > ranks[0] else "sideways"
    return f"{edge.source}:{edge.line} imports {edge.target} ({source} -> {target} runs {where})"


def circles(edges: list[Import]) -> list[list[str]]:
    """Each group of modules that import each other round in a circle (Tarjan's strongly connected components),
    from the imports that run (not those under ``TYPE_CHECKING``)."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        if not edge.type_checking:
            graph.setdefault(edge.source, set()).add(edge.target)
            graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def report(show_modules: bool = False) -> tuple[str, int]:
    """The graph as text, and how many faults it has (violations plus circles not known)."""
    edges = imports()
    lines: list[str] = []
    pairs = Counter((area(e.source), area(e.target)) for e in edges if area(e.source) != area(e.target))
    lines.append(f"{PACKAGE}: {len(modules())} modules, {len(edges)} module -> module imports")
    lines.append("")
    lines.append("[layer] folder/module -> [layer] folder/module (module -> module imports), from the front:")
    for (source, target), count in sorted(
        pairs.items(), key=lambda kv: (-RANKS[kv[0][0]], kv[0][0], -RANKS[kv[0][1]], kv[0][1])
    ):
        lines.append(f"  [{RANKS[source]}] {source:<13} -> [{RANKS[target]}] {target:<13} {count:>3}")
    if show_modules:
        lines.append("")
        for edge in sorted(edges, key=lambda e: (e.source, e.target)):
            note = "  (TYPE_CHECKING)" if edge.type_checking else ""
            lines.append(f"  {edge.source} -> {edge.target}{note}")
    faults = [v for v in map(violation, edges) if v]
    loops = [loop for loop in circles(edges) if frozenset(loop) not in KNOWN_CIRCLES]
    lines.append("")
    for (source, target), why in EXCEPTIONS.items():
        lines.append(f"exception: {source} -> {target}: {why}")
    for members, why in KNOWN_CIRCLES.items():
        lines.append(f"known circle: {' <-> '.join(sorted(members))}: {why}")
    lines.extend(f"VIOLATION: {fault}" for fault in faults)
    lines.extend(f"CIRCLE: {' -> '.join(loop)}" for loop in loops)
    if not faults and not loops:
        lines.append("no import runs back up, no circle")
    return "\n".join(lines), len(faults) + len(loops)


def main(argv: list[str]) -> int:
    text, faults = report(show_modules="--modules" in argv)
    print(text)
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
