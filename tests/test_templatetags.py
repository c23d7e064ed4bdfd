"""``{% pingone_login_button %}`` and ``{% pingone_login_url %}`` rendered through real templates."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template, TemplateSyntaxError
from django.test import Client, RequestFactory, override_settings

ENV = "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"
TWO = {
    "default": {"ENV_ID": ENV, "CLIENT_ID": "c", "CLIENT_SECRET": "s", "DISCOVERY": False},
    "staff": {"ENV_ID": ENV, "CLIENT_ID": "staff-app", "CLIENT_SECRET": "s", "LABEL": "Staff sign-on"},
}


def render(source: str, path: str = "/page/?x=1", **context: object) -> str:
    request = RequestFactory().get(path)
    return Template("{% load pingone %}" + source).render(Context({"request": request, **context}))


@override_settings(PINGONE_AUTHORIZE=TWO)
def test_button_posts_to_login_with_csrf_and_current_page_as_next() -> None:
    html = render("{% pingone_login_button %}")
    assert 'method="post"' in html
    assert 'action="/pingone/login/"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="next" value="/page/?x=1"' in html
    assert ">Sign on with PingOne</button>" in html


@override_settings(PINGONE_AUTHORIZE=TWO)
def test_button_alias_label_next_and_params() -> None:
    html = render(
        '{% pingone_login_button "staff" label=label next="/after/" prompt="login" bogus="x" %}', label="Go <now>"
    )
    assert 'action="/pingone/login/staff/"' in html
    assert ">Go &lt;now&gt;</button>" in html
    assert 'name="next" value="/after/"' in html
    assert 'name="prompt" value="login"' in html
    assert "bogus" not in html
    assert "Staff sign-on" not in html  # label= wins over LABEL


@override_settings(PINGONE_AUTHORIZE=TWO)
def test_alias_label_setting_is_used() -> None:
    assert ">Staff sign-on</button>" in render('{% pingone_login_button "staff" %}')


@override_settings(PINGONE_AUTHORIZE=TWO)
def test_login_url() -> None:
    assert render("{% pingone_login_url %}") == "/pingone/login/"
    url = render('{% pingone_login_url "staff" next="/a b/" login_hint="ann@example.com" %}')
    assert url == "/pingone/login/staff/?next=%2Fa+b%2F&amp;login_hint=ann%40example.com"


@override_settings(PINGONE_AUTHORIZE=TWO)
def test_unknown_alias_fails_loudly() -> None:
    with pytest.raises(ImproperlyConfigured, match="no alias 'nope'"):
        render('{% pingone_login_button "nope" %}')


def test_bad_tag_syntax_is_a_template_error() -> None:
    with pytest.raises(TemplateSyntaxError):
        Template("{% load pingone %}{% pingone_login_button label %}x{% endpingone_login_button %}")


@pytest.mark.django_db
@override_settings(PINGONE_AUTHORIZE=TWO)
def test_button_form_really_starts_a_sign_on_with_csrf_enforced() -> None:
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/button/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    response = browser.post("/pingone/login/", {"csrfmiddlewaretoken": token.group(1), "next": "/button/"})
    assert response.status_code == 302
    assert response["Location"].startswith(f"https://auth.pingone.com/{ENV}/as/authorize?")
    assert browser.post("/pingone/login/", {"next": "/button/"}).status_code == 403  # no CSRF token
