"""The README's Set-up, pasted as it stands into a fresh ``django-admin startproject``, signs a user on.

The snippets are read from README.md by their markers (``<!-- setup:settings -->`` and so on, each before its
code block), so the README and this test cannot drift apart. The new site runs under ``runserver`` on loopback
and signs on against the PingOne stand-in over real HTTP, with the redirect URI registered as strictly as
PingOne does. The README's ``pingone_standin`` example test is run here too, verbatim.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import sign_on
from tests.doubles.html_forms import parse_page

README = Path(__file__).resolve().parents[1] / "README.md"
MARKED_BLOCK = re.compile(r"<!-- setup:(?P<name>[a-z]+) -->\s*\n\s*```(?P<lang>\w+)\n(?P<code>.*?)\n\s*```", re.S)


def readme_snippets(name: str) -> list[str]:
    """The code blocks marked ``<!-- setup:name -->`` in README.md, in order, their list indent removed."""
    found = []
    for match in MARKED_BLOCK.finditer(README.read_text()):
        if match["name"] == name:
            lines = match["code"].splitlines()
            indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
            found.append("\n".join(line[indent:] for line in lines) + "\n")
    return found


def test_the_readme_has_every_marked_snippet() -> None:
    assert [len(readme_snippets(name)) for name in ("settings", "urls", "template", "test")] == [1, 1, 1, 1]
    settings_snippet = readme_snippets("settings")[0]
    assert "os.environ" not in settings_snippet or "import os" in settings_snippet
    assert 'LOGIN_URL = "pingone:login"' in settings_snippet and "LOGIN_REDIRECT_URL" in settings_snippet
    assert "from django.urls import include, path" in readme_snippets("urls")[0]
    template = readme_snippets("template")[0]
    assert "{% pingone_logout_button %}" in template
    assert not re.search(r"pingone_login_(button|url) \"", template), "the template names an alias"


# -- the README's own example test, run as it is written -------------------------------------------------------

_example: dict[str, Any] = {}
exec(compile(readme_snippets("test")[0], str(README), "exec"), _example)  # noqa: S102 -- our own README
test_the_readmes_pingone_standin_example = _example["test_sign_on"]


# -- a fresh project, set up from the README ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture
def new_project(tmp_path: Path, pingone_standin: PingOneStandIn) -> Iterator[tuple[str, PingOneStandIn]]:
    """``startproject`` + the README's snippets, migrated and serving on a free loopback port."""
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    # As strict as PingOne: only this site's callback is registered.
    pingone_standin.add_client("demo-client", "demo-secret", redirect_uris=[f"{site}/pingone/callback/"])
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "PINGONE_"))},
        "PINGONE_AUTH_PATH": pingone_standin.auth_path,
        "PINGONE_ENV_ID": pingone_standin.env_id,
        "PINGONE_CLIENT_ID": "demo-client",
        "PINGONE_CLIENT_SECRET": "demo-secret",
        "PYTHONUNBUFFERED": "1",
    }
    run([sys.executable, "-m", "django", "startproject", "mysite", str(tmp_path)], tmp_path, env)
    settings_py, urls_py = tmp_path / "mysite" / "settings.py", tmp_path / "mysite" / "urls.py"
    with settings_py.open("a") as out:
        out.write("\n# -- from the README --\n" + "".join(readme_snippets("settings")))
        out.write('\n# -- the test\'s page --\nTEMPLATES[0]["DIRS"] = [BASE_DIR / "templates"]\n')
    with urls_py.open("a") as out:
        out.write("\n# -- from the README --\n" + "".join(readme_snippets("urls")))
        out.write(
            "\n# -- the test's pages --\n"
            "from django.contrib.auth.decorators import login_required\n"
            "from django.views.generic import TemplateView\n\n"
            'page = TemplateView.as_view(template_name="page.html")\n'
            'urlpatterns += [path("", page), path("account/", login_required(page))]\n'
        )
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text(readme_snippets("template")[0])

    manage = [sys.executable, "manage.py"]
    checked = run([*manage, "check"], tmp_path, env)
    assert "System check identified no issues" in checked.stdout
    run([*manage, "migrate", "--noinput"], tmp_path, env)
    live = run([*manage, "pingone_check"], tmp_path, env)
    assert "No problems found." in live.stdout

    log = (tmp_path / "runserver.log").open("w")
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(site, timeout=2)
                break
            except requests.ConnectionError:
                assert server.poll() is None, (tmp_path / "runserver.log").read_text()
                assert time.monotonic() < deadline, "runserver did not start"
                time.sleep(0.2)
        yield site, pingone_standin
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def test_a_fresh_project_set_up_from_the_readme_signs_on(new_project: tuple[str, PingOneStandIn]) -> None:
    site, standin = new_project
    browser = requests.Session()

    # @login_required sends the visitor to sign on (LOGIN_URL = "pingone:login"), which goes to PingOne.
    guarded = browser.get(f"{site}/account/", allow_redirects=False)
    assert guarded.status_code == 302 and guarded.headers["Location"] == "/pingone/login/?next=/account/"

    home = browser.get(f"{site}/")
    assert home.status_code == 200
    [login] = parse_page(home.text).forms_to("/pingone/login/")
    action, fields = login.action, login.fields
    assert fields["next"] == "/" and fields["csrfmiddlewaretoken"]
    assert '<a href="/pingone/login/?next=%2Faccount%2F">Sign on</a>' in home.text

    started = browser.post(f"{site}{action}", data=fields, allow_redirects=False)
    assert started.status_code == 302 and started.headers["Location"].startswith(standin.authorization_endpoint)
    answer = sign_on(browser, started.headers["Location"])
    assert answer.url.startswith(f"{site}/pingone/callback/?")
    finished = browser.get(answer.url, allow_redirects=False)
    assert finished.status_code == 302 and finished.headers["Location"] == "/"

    home = browser.get(f"{site}/")
    assert "<p>Signed on as demo.</p>" in home.text
    assert browser.get(f"{site}/account/", allow_redirects=False).status_code == 200
    [logout] = parse_page(home.text).forms_to("/pingone/logout/")
    signed_off = browser.post(f"{site}{logout.action}", data=logout.fields, allow_redirects=False)
    assert signed_off.status_code == 302 and signed_off.headers["Location"].startswith(standin.end_session_endpoint)
    assert "Signed on as" not in browser.get(f"{site}/").text
