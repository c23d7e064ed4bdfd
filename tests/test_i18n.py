"""Every page and message a visitor sees is translatable, and the German, French and Spanish catalogues are
complete and compiled.

Pages in German through ``LocaleMiddleware`` and ``Accept-Language: de`` (what a site with i18n does); lazy
messages survive ``str()``, JSON and the log (which carries reason codes, never the translated text)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import translation
from django.utils.translation import pgettext_lazy

import django_pingone_authorize
from django_pingone_authorize.errors import PROVIDER_DOWN_MESSAGE, ProviderError, SignOnError, TokenValidationError
from django_pingone_authorize.provider.flows_api import Flow
from django_pingone_authorize.testing import PingOneStandIn

pytestmark = pytest.mark.django_db

PACKAGE = Path(django_pingone_authorize.__file__).resolve().parent
LANGUAGES = ("de", "fr", "es")


def catalogue(language: str) -> Path:
    return PACKAGE / "locale" / language / "LC_MESSAGES" / "django.po"


LOCALE_MIDDLEWARE = "django.middleware.locale.LocaleMiddleware"
GETTEXT_TOOLS = all(shutil.which(tool) for tool in ("msgfmt", "msgattrib", "xgettext", "msgmerge"))
needs_gettext = pytest.mark.skipif(not GETTEXT_TOOLS, reason="GNU gettext (msgfmt, msgattrib) is not installed")


@pytest.fixture
def german(settings: Any) -> Iterator[Client]:
    """A browser that prefers German, on a site with ``LocaleMiddleware``."""
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(middleware.index("django.contrib.sessions.middleware.SessionMiddleware") + 1, LOCALE_MIDDLEWARE)
    settings.MIDDLEWARE = middleware
    yield Client(HTTP_ACCEPT_LANGUAGE="de")
    translation.deactivate()  # LocaleMiddleware leaves the language active in this thread


def test_the_error_page_in_german(german: Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    response = german.get("/pingone/callback/", {"state": "unknown", "code": "c"})
    page = response.content.decode()
    assert response.status_code == 400
    assert '<html lang="de">' in page
    assert "<h1>Anmeldung fehlgeschlagen</h1>" in page
    assert "Diese Anmeldung ist abgelaufen, wurde bereits verwendet oder in einem anderen Browser begonnen" in page
    assert "Zurück zur Website" in page
    assert 'data-reason="state_unknown"' in page  # the code stays a code
    # The log carries the reason, never the visitor's (translated) words.
    assert "state_unknown" in caplog.text and "Anmeldung" not in caplog.text


@pytest.mark.parametrize(
    ("language", "heading", "back"),
    [("fr", "Échec de la connexion", "Retour au site"), ("es", "Error al iniciar sesión", "Volver al sitio")],
)
def test_the_error_page_in_french_and_spanish(settings: Any, language: str, heading: str, back: str) -> None:
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(middleware.index("django.contrib.sessions.middleware.SessionMiddleware") + 1, LOCALE_MIDDLEWARE)
    settings.MIDDLEWARE = middleware
    try:
        response = Client(HTTP_ACCEPT_LANGUAGE=language).get("/pingone/callback/", {"state": "unknown", "code": "c"})
    finally:
        translation.deactivate()
    page = response.content.decode()
    assert response.status_code == 400 and f'<html lang="{language}">' in page
    assert f"<h1>{heading}</h1>" in page and back in page


def test_a_cancel_in_german(rf: RequestFactory) -> None:
    """PingOne's ``access_denied`` (the visitor cancelled on its page) has the neutral heading."""
    from django_pingone_authorize.pages import failure_response  # after the views: they import it

    request = rf.get("/pingone/callback/")
    with translation.override("de"):
        error = ProviderError("authorization_error", "x", error="access_denied", status=403)
        response = failure_response(request, error, "default")
    assert response.status_code == 403
    assert "<h1>Anmeldung abgebrochen</h1>" in response.content.decode()


def test_the_auto_submit_page_in_german(german: Client, settings: Any) -> None:
    settings.PINGONE_AUTHORIZE = {
        "default": {**settings.PINGONE_AUTHORIZE["default"], "METHOD": "POST"},
    }
    response = german.post("/pingone/login/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Weiter zur Anmeldung</title>" in page
    assert "Sie werden zur Anmeldung weitergeleitet …" in page
    assert '<button type="submit">Weiter zur Anmeldung</button>' in page


def test_the_embedded_page_in_german(german: Client, settings: Any, pingone_standin: PingOneStandIn) -> None:
    """The embedded sign-on page, over real HTTP against the stand-in: German around PingOne's own words."""
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(RESPONSE_MODE="pi.flow")}
    started = german.post("/pingone/login/")
    assert started.status_code == 302, started.content
    page = german.get(started["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="de">' in html
    assert "Bei Demo App anmelden" in html  # the application's name comes from PingOne's flow
    for text in ("Benutzername", "Passwort", ">Anmelden</button>", ">Abbrechen</button>"):
        assert text in html, text
    cancelled = german.post(started["Location"], {"action": "cancel"})
    assert cancelled.status_code == 403
    assert "<h1>Anmeldung abgebrochen</h1>" in cancelled.content.decode()
    assert "Die Anmeldung wurde abgebrochen." in cancelled.content.decode()


def flow(**fields: Any) -> Flow:
    return Flow(**{"id": "f1", "status": "USERNAME_PASSWORD_REQUIRED", **fields})


@pytest.mark.parametrize(
    ("template", "status", "expected"),
    [
        ("username_password.html", "USERNAME_PASSWORD_REQUIRED", ["Benutzername", "Passwort", "Abbrechen"]),
        ("../flow/one_time_code.html", "OTP_REQUIRED", ["Einmalcode", "Überprüfen"]),
        ("change_password.html", "MUST_CHANGE_PASSWORD", ["Aktuelles Passwort", "Neues Passwort", "Passwort ändern"]),
        ("fallback.html", "SOMETHING_ELSE", ["Stattdessen die Anmeldeseite von PingOne verwenden"]),
    ],
)
def test_embedded_pages_in_german(template: str, status: str, expected: list[str]) -> None:
    request = RequestFactory().get("/pingone/login/embedded/")
    with translation.override("de"):
        page = render_to_string(
            f"django_pingone_authorize/embedded/{template}",
            {
                "flow": flow(status=status),
                "alias": "default",
                "application": pgettext_lazy("Sign on to ...", "this site"),
                "message": "",
                "username": "",
                "action_url": "/pingone/login/embedded/s/",
                "hosted_url": "/pingone/login/default/",
                "next": "",
                "step_up": "",
                "frame": "django_pingone_authorize/embedded/base.html",  # around the steps shared with approval
            },
            request=request,
        )
    assert "<h1>Bei dieser Website anmelden</h1>" in page
    for text in expected:
        assert text in page, text


def test_the_tags_labels_in_german(rf: RequestFactory) -> None:
    template = Template("{% load pingone %}{% pingone_login_button %}|{% pingone_logout_button %}")
    with translation.override("de"):
        html = template.render(Context({"request": rf.get("/")}))
    assert "Mit PingOne anmelden</button>" in html and "Abmelden</button>" in html
    with translation.override("en"):
        html = template.render(Context({"request": rf.get("/")}))
    assert "Sign on with PingOne</button>" in html and "Log out</button>" in html


def test_a_sites_own_label_is_kept() -> None:
    template = Template('{% load pingone %}{% pingone_login_button label="Staff sign-on" %}')
    with translation.override("de"):
        assert "Staff sign-on</button>" in template.render(Context({}))


def test_lazy_messages_survive_str_json_and_the_language_of_the_moment() -> None:
    error = ProviderError("provider_unreachable", PROVIDER_DOWN_MESSAGE)
    with translation.override("de"):
        assert str(error) == "provider_unreachable: " + str(PROVIDER_DOWN_MESSAGE)
        assert "nicht erreichbar" in str(error)
        encoded = json.dumps({"message": error.message}, cls=DjangoJSONEncoder)
        assert "nicht erreichbar" in json.loads(encoded)["message"]
    with translation.override("en"):
        assert str(error).startswith("provider_unreachable: PingOne, the sign-on service, cannot be reached")
        expired = TokenValidationError("id_token_expired")
        assert str(expired) == "id_token_expired: The sign-on response could not be verified."
    assert str(SignOnError("x", "plain")) == "x: plain"


# -- the catalogue ----------------------------------------------------------------------------------------


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, check=True, timeout=120, cwd=cwd
    ).stdout


def _entries(po_text: str) -> int:
    """Entries of a .po (as msgattrib writes it), the header left out."""
    return max(po_text.count("\nmsgid ") + po_text.startswith("msgid ") - 1, 0)


@needs_gettext
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_is_complete(language: str) -> None:
    po = catalogue(language)
    _run("msgfmt", "--check", "-o", "/dev/null", po)
    assert _entries(_run("msgattrib", "--untranslated", po)) == 0, _run("msgattrib", "--untranslated", po)
    assert _entries(_run("msgattrib", "--only-fuzzy", po)) == 0, _run("msgattrib", "--only-fuzzy", po)
    assert _entries(po.read_text()) >= 80


@needs_gettext
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_is_the_po_compiled(tmp_path: Path, language: str) -> None:
    po = catalogue(language)
    compiled = tmp_path / "django.mo"
    _run("msgfmt", "--check-format", "-o", compiled, po)  # what ``compilemessages`` runs
    assert compiled.read_bytes() == po.with_suffix(".mo").read_bytes(), (
        "run: cd django_pingone_authorize && django-admin compilemessages"
    )


@needs_gettext
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_in_the_code_is_in_the_catalogue(tmp_path: Path, language: str) -> None:
    """``makemessages`` over a copy of the package finds nothing the shipped catalogue lacks."""
    copy = tmp_path / "django_pingone_authorize"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "testing", "static"))
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", language, "--ignore", "testing/*", "--no-location"],
        cwd=copy,
        env=environment,
        check=True,
        capture_output=True,
        timeout=120,
    )
    fresh = copy / "locale" / language / "LC_MESSAGES" / "django.po"
    untranslated = _run("msgattrib", "--untranslated", fresh)
    fuzzy = _run("msgattrib", "--only-fuzzy", fresh)
    assert _entries(untranslated) == 0, f"new messages to translate (run makemessages -l {language}):\n{untranslated}"
    assert _entries(fuzzy) == 0, f"changed messages to check:\n{fuzzy}"
