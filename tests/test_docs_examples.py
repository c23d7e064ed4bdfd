"""The how-to pages' examples, run as they are written (each code block after an ``<!-- example:name -->``
marker in docs/how-to/), so the documentation and the code cannot drift apart."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import decorators as auth_decorators
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory

DOCS = Path(__file__).resolve().parents[1] / "docs" / "how-to"
EXAMPLE = re.compile(r"<!-- example:(?P<name>[a-z-]+) -->\s*\n```(?P<lang>\w+)\n(?P<code>.*?)\n```", re.S)


def examples() -> dict[str, str]:
    found: dict[str, str] = {}
    for page in sorted(DOCS.glob("*.md")):
        for match in EXAMPLE.finditer(page.read_text()):
            assert match["name"] not in found, f"two examples named {match['name']}"
            found[match["name"]] = match["code"] + "\n"
    return found


EXAMPLES = examples()


def run(name: str, **namespace: Any) -> dict[str, Any]:
    exec(compile(EXAMPLES[name], f"docs example {name}", "exec"), namespace)  # noqa: S102 -- our own docs
    return namespace


def test_every_example_is_run_here() -> None:
    assert set(EXAMPLES) == {
        "pytest-helpers",
        "testcase-mixin",
        "login-required",
        "django-csp",
        "async-view",
        "typed-settings",
        "import-allauth",
    }


# -- docs/how-to/testing.md: the tests, run as tests of this module -------------------------------------------

_helpers = run("pytest-helpers")
test_docs_account_page = _helpers["test_account_page"]
test_docs_orders_api = _helpers["test_orders_api"]
DocsAccountTests = run("testcase-mixin", __name__=__name__)["AccountTests"]


# -- docs/how-to/django-site.md --------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.skipif(not hasattr(auth_decorators, "login_not_required"), reason="Django 5.1+")
def test_login_required_example(settings: Any, client: Client) -> None:
    names = run("login-required", MIDDLEWARE=list(settings.MIDDLEWARE))
    settings.MIDDLEWARE = names["MIDDLEWARE"]
    settings.LOGIN_URL = names["LOGIN_URL"]
    to_login = client.get("/home/")
    assert to_login["Location"] == "/pingone/login/?next=/home/"
    assert client.get(to_login["Location"])["Location"].startswith("https://auth.pingone.com/")  # no loop


@pytest.mark.django_db
def test_django_csp_example(settings: Any, client: Client) -> None:
    pytest.importorskip("csp")
    names = run("django-csp", MIDDLEWARE=list(settings.MIDDLEWARE))
    settings.MIDDLEWARE = names["MIDDLEWARE"]
    settings.CONTENT_SECURITY_POLICY = names["CONTENT_SECURITY_POLICY"]
    settings.PINGONE_AUTHORIZE = {"default": {**settings.PINGONE_AUTHORIZE["default"], "METHOD": "POST"}}
    policy = client.post("/pingone/login/")["Content-Security-Policy"]
    assert "form-action 'self' https://auth.pingone.com" in policy
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


@pytest.mark.django_db(transaction=True)
def test_async_view_example(rf: RequestFactory) -> None:
    profile = run("async-view")["profile"]
    request = rf.get("/profile/")
    request.session = SessionStore()
    request.user = AnonymousUser()
    response = async_to_sync(profile)(request)
    assert response.status_code == 401


def test_typed_settings_example(tmp_path: Path) -> None:
    from tests.test_options import mypy

    names = run("typed-settings")
    assert names["PINGONE_AUTHORIZE"]["default"]["STORE_TOKENS"] is True
    snippet = tmp_path / "site_settings.py"
    snippet.write_text(EXAMPLES["typed-settings"])
    out, status = mypy(tmp_path, str(snippet))
    assert status == 0, out


def test_import_example_names_the_command_and_its_options() -> None:
    from django.core.management import load_command_class

    command = load_command_class("django_pingone_authorize", "pingone_import_identities")
    parser = command.create_parser("manage.py", "pingone_import_identities")
    for line in EXAMPLES["import-allauth"].splitlines():
        arguments = line.split()[3:]  # python manage.py pingone_import_identities ...
        assert parser.parse_args(arguments).source == "allauth"
