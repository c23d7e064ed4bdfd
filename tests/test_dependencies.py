"""The package declares what it imports: every third-party module the package imports is a declared
dependency (the core list, or the extra of the integration that imports it), and every core dependency is
imported somewhere (no stale entries)."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "django_pingone_authorize"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
STDLIB = set(sys.stdlib_module_names)
# Modules imported only by an optional integration, and the extra that declares them.
# Module imported only by an optional integration -> (the extra that declares it, its distribution).
OPTIONAL = {
    "rest_framework": ("drf", "djangorestframework"),
    "ninja": ("ninja", "django-ninja"),
    "drf_spectacular": ("openapi", "drf-spectacular"),
    "csp": ("csp", "django-csp"),
    "pytest": ("testing", "pytest"),
    "webauthn": ("testing", "webauthn"),  # the stand-in's passkeys, imported when an assertion is checked
}


def requirement_name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def imported_modules() -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - STDLIB - {"django_pingone_authorize"}


def distribution(module: str) -> str:
    [name, *_] = packages_distributions()[module]
    return name.lower().replace("_", "-")


def test_every_third_party_import_is_declared() -> None:
    core = {requirement_name(requirement) for requirement in PYPROJECT["dependencies"]}
    extras = PYPROJECT["optional-dependencies"]
    for module in sorted(imported_modules()):
        if module in OPTIONAL:
            extra, name = OPTIONAL[module]
            declared = {requirement_name(requirement) for requirement in extras[extra]}
            assert name in declared, f"{module} is not in the {extra!r} extra"
        else:
            assert distribution(module) in core, f"{module} ({distribution(module)}) is imported but not declared"


def test_every_core_dependency_is_imported() -> None:
    imported = {distribution(module) for module in imported_modules() - set(OPTIONAL)}
    assert {requirement_name(requirement) for requirement in PYPROJECT["dependencies"]} == imported


def test_cryptography_and_urllib3_are_declared() -> None:
    core = {requirement_name(requirement) for requirement in PYPROJECT["dependencies"]}
    assert {"cryptography", "urllib3"} <= core
