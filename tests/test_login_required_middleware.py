"""Django 5.1+'s ``LoginRequiredMiddleware`` with ``LOGIN_URL = "pingone:login"`` (the README's set-up): every
page a visitor reaches before signing on stays open, and a whole sign-on goes through."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.contrib.auth import decorators as auth_decorators
from django.test import Client
from django.urls import reverse

from django_pingone_authorize.decorators import login_not_required
from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import sign_on
from tests.settings import MIDDLEWARE

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/pingone/callback/"


@pytest.fixture
def login_required_site(settings: Any, pingone_standin: PingOneStandIn) -> PingOneStandIn:
    if not hasattr(auth_decorators, "login_not_required"):
        pytest.skip("LoginRequiredMiddleware is Django 5.1+")
    settings.MIDDLEWARE = [*MIDDLEWARE, "django.contrib.auth.middleware.LoginRequiredMiddleware"]
    settings.LOGIN_URL = "pingone:login"
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings("demo-client", REDIRECT_URI=CALLBACK)}
    return pingone_standin


def test_the_whole_sign_on_goes_through(client: Client, login_required_site: PingOneStandIn) -> None:
    to_login = client.get("/home/")
    assert to_login.status_code == 302
    assert to_login["Location"] == "/pingone/login/?next=/home/"
    to_pingone = client.get(to_login["Location"])
    assert to_pingone.status_code == 302, to_pingone.content  # no loop back to the login page
    assert to_pingone["Location"].startswith(login_required_site.issuer)
    with requests.Session() as http:
        back = sign_on(http, to_pingone["Location"])
    signed_on = client.get("/pingone/callback/", back.params)
    assert signed_on.status_code == 302, signed_on.content
    assert signed_on["Location"] == "/home/"
    assert client.get("/home/").content == b"home: demo"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/pingone/callback/?state=unknown&code=x"),
        ("get", "/pingone/signon/unknown-state/"),
        ("get", "/pingone/approval/unknown-state/"),
        ("get", "/pingone/session-ended/"),
        ("get", "/pingone/logout/frontchannel/"),
        ("post", "/pingone/logout/backchannel/"),
        ("post", "/pingone/logout/"),
        ("get", "/pingone/autosubmit.js"),
    ],
)
def test_public_pages_are_not_sent_to_the_login_page(
    client: Client, login_required_site: PingOneStandIn, method: str, url: str
) -> None:
    response = getattr(client, method)(url)
    assert not (response.status_code == 302 and response["Location"].startswith("/pingone/login/")), url
    assert response.status_code < 500


def test_logout_everywhere_still_needs_a_session(client: Client, login_required_site: PingOneStandIn) -> None:
    response = client.post(reverse("pingone:logout_everywhere"))
    assert response.status_code == 302
    assert response["Location"].startswith("/pingone/login/?next=")


def test_the_app_marks_its_views_on_every_django() -> None:
    """On Django 4.2 too (no middleware there: the mark is for a back-port, and costs nothing)."""
    from django.urls import resolve

    for path in ("/pingone/login/", "/pingone/callback/", "/pingone/signon/x/", "/pingone/logout/backchannel/"):
        assert resolve(path).func.login_required is False  # type: ignore[attr-defined]
    assert getattr(resolve("/pingone/logout/everywhere/").func, "login_required", True) is True


def test_the_fallback_marks_the_view_as_django_does() -> None:
    def view(request: Any) -> None:
        return None

    assert login_not_required(view) is view
    assert view.login_required is False  # type: ignore[attr-defined]
