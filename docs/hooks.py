"""MkDocs hook: the reference pages are generated from the code, the guides take the README's sections as they
stand, so the docs cannot drift from either.

Markers a page may hold (each on its own line):

* ``<!-- generated:settings -->`` -- every option in ``conf.DEFAULTS`` with its default (from the code) and its
  meaning (the README's "Settings reference" table). An option without a meaning, or a meaning for an option
  the code does not have, is a warning, so ``mkdocs build --strict`` fails.
* ``<!-- generated:checks -->`` -- every check id in the package's code, with the README's "Check ids" meaning;
  both ways checked like the settings.
* ``<!-- generated:python-api -->`` -- every name in ``django_pingone_authorize.__all__``, with its signature, the
  module that defines it and the first paragraph of its docstring; a name without a docstring is a warning.
* ``<!-- generated:urls -->``, ``<!-- generated:tags -->``, ``<!-- generated:backend-hooks -->``,
  ``<!-- generated:signals -->``, ``<!-- generated:commands -->`` -- from ``urls.py``, the template tags, the
  backend, ``signals.py`` and the management commands, with their docstrings.
* ``<!-- snippet:name -->`` -- the README's set-up code block marked ``<!-- setup:name -->``.
* ``<!-- readme:Title -->`` -- the body of the README section titled ``Title``; a warning when it is missing.
  ``<!-- readme?:Title -->`` -- the same, or a note that the feature is not in this release when it is missing.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "django_pingone_authorize"
#: Where the meanings of settings and check ids are written today. Move the tables and change this line.
MEANINGS = ROOT / "README.md"

log = logging.getLogger("mkdocs.hooks.reference")

MARKER = re.compile(r"^<!-- (generated|readme\??|snippet):(.+?) -->$", re.M)
SETUP_BLOCK = re.compile(r"<!-- setup:(?P<name>[a-z]+) -->\s*\n\s*```(?P<lang>\w+)\n(?P<code>.*?)\n\s*```", re.S)
HEADING = re.compile(r"^(#{2,6}) (.+)$", re.M)
CHECK_ID = re.compile(r"pingone\.[EW]\d{3}")


def on_config(config: Any) -> Any:
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            INSTALLED_APPS=[
                "django.contrib.auth",
                "django.contrib.contenttypes",
                "django.contrib.sessions",
                "django_pingone_authorize",
            ],
            ROOT_URLCONF="django_pingone_authorize.urls",
            DATABASES={},
            PINGONE_AUTHORIZE={},
        )
        django.setup()
    return config


# -- the README --------------------------------------------------------------------------------------------


def readme_section(title: str) -> str | None:
    """The body of the README section with this heading (any level), up to the next heading as high."""
    text = MEANINGS.read_text()
    for match in HEADING.finditer(text):
        if match[2].strip() == title:
            level = len(match[1])
            rest = text[match.end() :]
            end = re.search(rf"^#{{2,{level}}} ", rest, re.M)
            return rest[: end.start() if end else len(rest)].strip("\n")
    return None


# The README's links to its own sections, as the reference pages (``docs/reference/``) reach those sections.
README_ANCHORS = {
    "(#protecting-an-api)": "(../how-to/apis.md#protecting-an-api)",
    "(#session-lifecycle)": "(../how-to/session-lifecycle.md)",
}


def docs_links(text: str) -> str:
    for readme_link, docs_link in README_ANCHORS.items():
        text = text.replace(readme_link, docs_link)
    return text


def readme_table(title: str) -> dict[str, str]:
    """First column (without backticks) -> last column, of the first table in a README section (its links to
    README sections made the docs site's)."""
    body = readme_section(title) or ""
    rows: dict[str, str] = {}
    for line in body.splitlines():
        if not line.startswith("|"):
            if rows:
                break  # the end of the first table
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) >= 2 and not set(cells[0]) <= {"-", " ", ":"}:
            rows[cells[0].strip("`")] = docs_links(cells[-1])
    return rows


def readme_snippet(name: str) -> str | None:
    """The README's code block marked ``<!-- setup:name -->`` (the one ``tests/test_readme_setup.py`` runs)."""
    for match in SETUP_BLOCK.finditer(MEANINGS.read_text()):
        if match["name"] == name:
            lines = match["code"].splitlines()
            indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
            code = "\n".join(line[indent:] for line in lines)
            return f"```{match['lang']}\n{code}\n```"
    return None


# -- the generated tables ----------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def settings_table(page: str) -> str:
    from django_pingone_authorize.conf import DEFAULTS

    meanings = readme_table("Settings reference")
    lines = ["| option | default | meaning |", "| --- | --- | --- |"]
    for name, default in DEFAULTS.items():
        meaning = meanings.get(name)
        if meaning is None:
            log.warning("%s: the option %s has no meaning in %s's settings table", page, name, MEANINGS.name)
            meaning = ""
        lines.append(f"| `{name}` | `{_escape(repr(default))}` | {meaning} |")
    for name in meanings.keys() - DEFAULTS.keys() - {"option"}:
        log.warning("%s: %s documents an option %s that the code does not have", page, MEANINGS.name, name)
    return "\n".join(lines)


def code_check_ids() -> list[str]:
    found = {match for path in PACKAGE.rglob("*.py") for match in CHECK_ID.findall(path.read_text())}
    return sorted(found, key=lambda check_id: (check_id[8], int(check_id[9:])))


def checks_table(page: str) -> str:
    meanings = readme_table("Check ids")
    ids = code_check_ids()
    lines = ["| id | meaning |", "| --- | --- |"]
    for check_id in ids:
        meaning = meanings.get(check_id)
        if meaning is None:
            log.warning("%s: check id %s has no meaning in %s's check id table", page, check_id, MEANINGS.name)
            meaning = ""
        lines.append(f"| `{check_id}` | {meaning} |")
    for check_id in meanings.keys() - set(ids) - {"id"}:
        log.warning("%s: %s documents a check id %s that the code does not have", page, MEANINGS.name, check_id)
    return "\n".join(lines)


def _first_paragraph(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n", 1)[0].split())


def urls_table(page: str) -> str:
    from django_pingone_authorize import urls

    meanings = readme_table("URLs")
    lines = ["| name | path | what |", "| --- | --- | --- |"]
    seen: dict[str, list[str]] = {}
    for pattern in urls.urlpatterns:
        seen.setdefault(f"{urls.app_name}:{pattern.name}", []).append(f"`{pattern.pattern}`")
    for name, paths in seen.items():
        meaning = meanings.get(name)
        if meaning is None:
            log.warning("%s: the URL %s has no meaning in %s's URL table", page, name, MEANINGS.name)
            meaning = ""
        lines.append(f"| `{name}` | {', '.join(paths)} | {meaning} |")
    return "\n".join(lines)


def tags_list(page: str) -> str:
    from django_pingone_authorize.templatetags import pingone

    out = []
    for name, function in sorted(pingone.register.tags.items()):
        wrapped = getattr(function, "__wrapped__", None) or getattr(pingone, name)
        signature = inspect.signature(wrapped)
        params = [p for p in signature.parameters.values() if p.name != "context"]
        args = " ".join(p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}" for p in params)
        usage = f"{name} {args}" if args else name
        out.append(f"### `{{% {name} %}}`\n\n`{{% {usage} %}}`\n\n{inspect.getdoc(wrapped) or ''}\n")
    return "\n".join(out)


def backend_hooks(page: str) -> str:
    from django_pingone_authorize.backends import PingOneBackend

    out = ["| method | what it does |", "| --- | --- |"]
    for name, member in inspect.getmembers(PingOneBackend, inspect.isfunction):
        if name.startswith("_") or member.__qualname__.split(".")[0] != "PingOneBackend":
            continue
        signature = str(inspect.signature(member)).replace("self, ", "")
        out.append(f"| `{name}{_escape(signature)}` | {_escape(_first_paragraph(member))} |")
    return "\n".join(out)


def signals_list(page: str) -> str:
    from django.dispatch import Signal

    from django_pingone_authorize import signals

    names = [name for name, value in vars(signals).items() if isinstance(value, Signal)]
    doc = inspect.getdoc(signals) or ""
    described = {name: re.search(rf"``{name}``: (.+?)(?=\n``|\Z)", doc, re.S) for name in names}
    out = []
    for name in names:
        match = described[name]
        if match is None:
            log.warning("%s: the signal %s is not described in signals.py's docstring", page, name)
        text = " ".join(match[1].split()) if match else ""
        out.append(f"* `django_pingone_authorize.signals.{name}` -- {text}")
    return "\n".join(out)


def commands_list(page: str) -> str:
    out = []
    for path in sorted((PACKAGE / "management" / "commands").glob("[!_]*.py")):
        module = importlib.import_module(f"django_pingone_authorize.management.commands.{path.stem}")
        out.append(f"### `manage.py {path.stem}`\n\n{module.Command.help}\n\n{inspect.getdoc(module) or ''}\n")
    return "\n".join(out)


def python_api(page: str) -> str:
    import django_pingone_authorize as package

    out = []
    for name in package.__all__:
        obj = inspect.unwrap(getattr(package, name))
        kind = "class" if inspect.isclass(obj) else "function"
        try:
            signature = str(inspect.signature(obj))
        except (TypeError, ValueError):
            signature = "(...)"
        # Annotations are strings under ``from __future__ import annotations``: shown without their quotes.
        signature = re.sub(r"(: |-> )'([^']*)'", r"\1\2", signature)
        if kind == "class":
            signature = signature.removesuffix(" -> None")
        summary = _first_paragraph(obj)
        if not summary:
            log.warning("%s: %s has no docstring", page, name)
        out.append(
            f"### `{name}`\n\n```python\n{kind} {name}{signature}\n```\n\n"
            f"Defined in `{obj.__module__}`. {summary}\n"
        )
    return "\n".join(out)


GENERATORS = {
    "python-api": python_api,
    "settings": settings_table,
    "checks": checks_table,
    "urls": urls_table,
    "tags": tags_list,
    "backend-hooks": backend_hooks,
    "signals": signals_list,
    "commands": commands_list,
}


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    name = page.file.src_uri

    def replace(match: re.Match[str]) -> str:
        kind, argument = match[1], match[2].strip()
        if kind == "generated":
            generator = GENERATORS.get(argument)
            if generator is None:
                log.warning("%s: unknown generated section %r", name, argument)
                return ""
            return generator(name)
        if kind == "snippet":
            snippet = readme_snippet(argument)
            if snippet is None:
                log.warning("%s: the README has no <!-- setup:%s --> code block", name, argument)
            return snippet or ""
        body = readme_section(argument)
        if body is not None:
            return body
        if kind == "readme?":
            return (
                '!!! note "Not in this release"\n\n'
                f"    The README has no section \u201c{argument}\u201d yet: this feature is not documented as done."
            )
        log.warning("%s: the README has no section %r", name, argument)
        return ""

    return MARKER.sub(replace, markdown)
