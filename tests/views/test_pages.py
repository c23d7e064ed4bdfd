"""The app's pages as templates: one overridable base with the stylesheet, error pages in plain words with the
reason code kept in the markup only, a way back, Cancel on every embedded step, the typed username kept.
(How they look in a browser: tests/browser/test_pages.py.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.test import RequestFactory

from tests.doubles.hostile_provider import reason

STYLESHEET_LINK = '<link rel="stylesheet" href="/static/django_pingone_authorize/pingone.css">'
FLOW = {"status": "USERNAME_PASSWORD_REQUIRED", "username": "", "providers": []}
FRAME = "django_pingone_authorize/embedded/base.html"
PAGES: dict[str, dict[str, Any]] = {
    "django_pingone_authorize/error.html": {"message": "It failed.", "reason": "state_unknown"},
    "django_pingone_authorize/authorize_post.html": {"action": "https://p.example/as/authorize", "fields": []},
    "django_pingone_authorize/callback_hop.html": {"action": "/pingone/callback/", "fields": []},
    "django_pingone_authorize/embedded/username_password.html": {"flow": FLOW},
    "django_pingone_authorize/embedded/change_password.html": {"flow": {**FLOW, "status": "MUST_CHANGE_PASSWORD"}},
    # The MFA steps are shared with transaction approval: each side's frame around them.
    "django_pingone_authorize/flow/one_time_code.html": {"flow": {**FLOW, "status": "OTP_REQUIRED"}, "frame": FRAME},
    "django_pingone_authorize/flow/device_selection.html": {
        "flow": {**FLOW, "status": "DEVICE_SELECTION_REQUIRED"},
        "frame": FRAME,
    },
    "django_pingone_authorize/flow/push.html": {
        "flow": {**FLOW, "status": "PUSH_CONFIRMATION_REQUIRED"},
        "frame": FRAME,
    },
    "django_pingone_authorize/flow/timed_out.html": {
        "flow": {**FLOW, "status": "PUSH_CONFIRMATION_TIMED_OUT"},
        "frame": FRAME,
    },
    "django_pingone_authorize/embedded/verification_code.html": {
        "flow": {**FLOW, "status": "VERIFICATION_CODE_REQUIRED"},
        "offers": ["user.verify"],
    },
    "django_pingone_authorize/embedded/external.html": {"flow": FLOW},
    "django_pingone_authorize/embedded/fallback.html": {"flow": {**FLOW, "status": "DEVICE_SELECTION_REQUIRED"}},
}


def render(template: str, **context: Any) -> str:
    return render_to_string(template, context, request=RequestFactory().get("/"))


@pytest.fixture
def static_url(settings: Any) -> None:
    settings.STATIC_URL = "/static/"


@pytest.mark.parametrize("template", PAGES)
def test_every_page_extends_the_one_base_with_the_stylesheet(template: str, static_url: None) -> None:
    html = render(template, **PAGES[template])
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert STYLESHEET_LINK in html
    assert '<body class="pingone">' in html and '<header class="pingone-brand"></header>' in html


def test_a_site_overrides_the_base_in_one_place(tmp_path: Path, settings: Any, static_url: None) -> None:
    directory = tmp_path / "django_pingone_authorize"
    directory.mkdir()
    (directory / "base.html").write_text(
        "<html><head>{% block head %}{% endblock %}</head><body>"
        "<img alt='Example Ltd'>{% block brand %}{% endblock %}<main>{% block content %}{% endblock %}</main>"
        "</body></html>"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    for template, context in PAGES.items():
        assert "<img alt='Example Ltd'>" in render(template, **context), template


def test_the_brand_block_and_head_block_super(tmp_path: Path, settings: Any, static_url: None) -> None:
    directory = tmp_path / "django_pingone_authorize"
    directory.mkdir()
    (directory / "error.html").write_text(
        '{% extends "django_pingone_authorize/base.html" %}'
        '{% block head %}{{ block.super }}<link rel="icon" href="/i.png">{% endblock %}'
        "{% block brand %}Example Ltd{% endblock %}{% block content %}{{ message }}{% endblock %}"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    html = render("django_pingone_authorize/error.html", message="m")
    assert STYLESHEET_LINK in html and '<link rel="icon" href="/i.png">' in html
    assert '<header class="pingone-brand">Example Ltd</header>' in html


def test_no_static_url_no_link(settings: Any) -> None:
    settings.STATIC_URL = None
    html = render("django_pingone_authorize/error.html", message="m", reason="r")
    assert "<link" not in html and "Sign on failed" in html


def test_a_manifest_without_the_stylesheet_does_not_break_the_page(settings: Any, static_url: None) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django.contrib.staticfiles"]
    settings.STATIC_ROOT = "/nonexistent-static-root"
    html = render("django_pingone_authorize/error.html", message="It failed.", reason="state_unknown")
    assert "<link" not in html and "It failed." in html


def test_error_page_plain_words_reason_in_markup_only_and_a_way_back() -> None:
    html = render(
        "django_pingone_authorize/error.html",
        message="This sign-on has expired.",
        reason="state_unknown",
        back_url="/orders/42/",
    )
    assert '<main class="pingone-error" data-reason="state_unknown">' in html
    assert '<p class="pingone-what" role="alert">This sign-on has expired.</p>' in html
    assert '<p class="pingone-reason" hidden>Reason: <code>state_unknown</code></p>' in html
    assert reason(HttpResponse(html)) == "state_unknown"  # what the suite's tests read
    assert '<a class="pingone-back" href="/orders/42/">Back to the site</a>' in html
    assert 'href="/">' in render("django_pingone_authorize/error.html", message="m", reason="r")


@pytest.mark.parametrize(
    ("template", "form"),
    [
        ("django_pingone_authorize/embedded/username_password.html", "pingone-sign-on"),
        ("django_pingone_authorize/embedded/change_password.html", "pingone-change-password"),
        ("django_pingone_authorize/flow/one_time_code.html", "pingone-one-time-code"),
    ],
)
def test_every_embedded_step_has_a_cancel_button(template: str, form: str) -> None:
    html = render(template, **PAGES[template])
    step = re.search(rf'<form[^>]*id="{form}".*?</form>', html, re.S)
    assert step is not None
    assert '<button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>' in step[0]


def test_the_typed_username_is_kept_and_focus_moves_to_the_password() -> None:
    template = "django_pingone_authorize/embedded/username_password.html"
    html = render(template, flow=FLOW, username="ann", message="Wrong password.")
    assert re.search(r'id="pingone-username"[^>]*value="ann"', html)
    assert re.search(r'id="pingone-password"[^>]*autofocus', html)
    assert not re.search(r'id="pingone-username"[^>]*autofocus', html)
    fresh = render(template, flow=FLOW)
    assert re.search(r'id="pingone-username"[^>]*autofocus[^>]*value=""', fresh)
