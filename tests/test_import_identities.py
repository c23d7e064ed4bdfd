"""``pingone_import_identities``: identities from django-allauth (``SocialAccount``) and social-auth-app-django
(``UserSocialAuth``), users matched by a verified email for mozilla-django-oidc; a dry run by default with a
summary; never taking over an identity or a user already linked, nor guessing between two users with one email.
The real packages' models, in a subprocess with them installed (``tests/import_site_run.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("allauth")
pytest.importorskip("social_django")

ROOT = Path(__file__).resolve().parents[1]
ISSUER = "https://auth.pingone.com/abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6/as"


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("import")
    subjects = workdir / "pingone_users.csv"
    subjects.write_text(
        "email,subject,email_verified\n"
        "BOB@example.com,sub-bob-2,true\n"  # bob is linked (allauth) already: never a second identity
        "mallory@example.com,sub-mallory,true\n"
        "twin@example.com,sub-twin,true\n"  # two Django users with that email: no guess
        "nobody@example.com,sub-nobody,true\n"
        "unverified@example.com,sub-x,false\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.import_site_settings",
        "IMPORT_SITE_DB": str(workdir / "db.sqlite3"),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "import_site_run.py"), str(subjects)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.splitlines()[-1]))


def test_dry_run_by_default(results: dict[str, Any]) -> None:
    assert "Would link: 2" in results["allauth_dry"]
    assert "Dry run: nothing written" in results["allauth_dry"]
    assert results["links_after_dry"] == 0


def test_allauth_social_and_mozilla(results: dict[str, Any]) -> None:
    assert "Linked: 2" in results["allauth"]
    assert "Linked: 1" in results["social"] and "Skipped (identity is another user's): 1" in results["social"]
    mozilla = results["mozilla"]
    assert "Linked: 1" in mozilla
    for skipped in (
        "Skipped (user has another identity): 1",
        "Skipped (email on several users): 1",
        "Skipped (no user with the email): 1",
        "Skipped (email not verified): 1",
    ):
        assert skipped in mozilla
    assert results["links"] == [
        ["ada", "sub-ada"],
        ["bob", "sub-bob"],
        ["eve", "sub-eve"],
        ["mallory", "sub-mallory"],
    ]
    assert results["heard"] == ["import"] * 4


def test_running_again_changes_nothing(results: dict[str, Any]) -> None:
    assert "Would link: 0" in results["again"] and "Skipped (already linked): 2" in results["again"]


def test_settings_name_the_issuer() -> None:
    from django_pingone_authorize.conf import get_alias

    assert get_alias("default").issuer == ISSUER
