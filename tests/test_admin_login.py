"""The Django admin's login page with PingOne (``ADMIN_LOGIN``): the button, ``"only"`` refusing the password
login even when crafted by hand, and a whole sign-on through the stand-in that lands a staff user in the admin."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.admin import AdminSite
from django.contrib.auth.models import User
from django.test import Client

from django_pingone_authorize import admin as admin_login
from django_pingone_authorize.checks import check_admin_and_groups_settings
from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import sign_on

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.admin_urls")]

CALLBACK = "http://127.0.0.1:8000/pingone/callback/"
ADMIN_LOGIN_URL = "/admin/login/?next=/admin/auth/user/"


def configure(settings: Any, standin: PingOneStandIn | None, admin_login_option: Any, **options: Any) -> None:
    base = standin.settings(REDIRECT_URI=CALLBACK) if standin else {"CLIENT_ID": "c", "CLIENT_SECRET": "s"}
    settings.PINGONE_AUTHORIZE = {"default": {**base, "ADMIN_LOGIN": admin_login_option, **options}}


@pytest.fixture
def staff_with_password() -> User:
    return User.objects.create_user("root", password="correct horse", is_staff=True, is_superuser=True)


def password_login(client: Client) -> Any:
    """The admin's password form posted as a browser would (CSRF token and all): a refusal is ours, not CSRF's."""
    client.get(ADMIN_LOGIN_URL)
    token = client.cookies["csrftoken"].value
    return client.post(
        ADMIN_LOGIN_URL,
        {"username": "root", "password": "correct horse", "next": "/admin/auth/user/", "csrfmiddlewaretoken": token},
    )


def test_without_admin_login_the_page_is_djangos(settings: Any, staff_with_password: User) -> None:
    configure(settings, None, False)
    page = Client().get(ADMIN_LOGIN_URL).content.decode()
    assert 'name="password"' in page and "pingone-login-button" not in page
    client = Client(enforce_csrf_checks=True)
    assert password_login(client).status_code == 302
    assert client.get("/home/").content == b"home: root"


def test_true_adds_the_button_next_to_the_password_form(settings: Any, staff_with_password: User) -> None:
    configure(settings, None, True)
    page = Client().get(ADMIN_LOGIN_URL).content.decode()
    assert 'class="pingone-login-button"' in page and 'action="/pingone/login/"' in page
    assert '<input type="hidden" name="next" value="/admin/auth/user/">' in page
    assert 'name="password"' in page
    client = Client()
    assert password_login(client).status_code == 302  # the password still works


def test_only_offers_only_the_button(settings: Any) -> None:
    configure(settings, None, "only")
    page = Client().get("/admin/login/").content.decode()
    assert 'class="pingone-login-button"' in page
    assert '<input type="hidden" name="next" value="/admin/">' in page  # no next: the admin's index
    assert 'name="password"' not in page


def test_only_refuses_a_crafted_password_login(settings: Any, staff_with_password: User) -> None:
    configure(settings, None, "only")
    client = Client(enforce_csrf_checks=True)
    response = password_login(client)
    assert response.status_code == 403
    assert "Password sign-on is turned off" in response.content.decode()
    assert client.get("/home/").content == b"home: anonymous"
    # Without the CSRF dance too, and with every field a form could want.
    raw = Client().post("/admin/login/", {"username": "root", "password": "correct horse", "this_is_the_login_form": 1})
    assert raw.status_code == 403


def test_the_setting_is_read_at_each_request(settings: Any, staff_with_password: User) -> None:
    configure(settings, None, "only")
    assert password_login(Client()).status_code == 403
    configure(settings, None, False)
    assert password_login(Client()).status_code == 302


def test_install_wraps_once_and_keeps_a_sites_own_template() -> None:
    site = AdminSite(name="other")
    site.login_template = "my/login.html"
    admin_login.install(site)
    wrapped = site.login
    admin_login.install(site)
    assert site.login is wrapped
    assert site.login_template == "my/login.html"
    plain = AdminSite(name="plain")
    admin_login.install(plain)
    assert plain.login_template == admin_login.LOGIN_TEMPLATE


def test_staff_signs_on_through_pingone_into_the_admin(settings: Any, pingone_standin: PingOneStandIn) -> None:
    configure(settings, pingone_standin, "only", GROUPS_CLAIM="groups", STAFF_GROUPS=["Admins"])
    pingone_standin.add_user("sam", "pw", claims={"preferred_username": "sam", "groups": ["Admins"]})
    client = Client()
    assert client.get("/admin/auth/user/").status_code == 302  # to the admin's login page
    page = client.get(ADMIN_LOGIN_URL).content.decode()
    assert 'name="next" value="/admin/auth/user/"' in page
    started = client.post("/pingone/login/", {"next": "/admin/auth/user/"})
    answer = sign_on(requests.Session(), started["Location"], username="sam", password="pw")
    done = client.get(urlsplit(CALLBACK).path, answer.params)
    assert done.status_code == 302 and done["Location"] == "/admin/auth/user/"
    user = User.objects.get(username="sam")
    assert user.is_staff and not user.has_usable_password()
    assert client.get("/admin/auth/user/").status_code == 403  # staff, but no permission on users yet
    assert client.get("/admin/").status_code == 200


def test_a_user_who_is_not_staff_does_not_get_into_the_admin(settings: Any, pingone_standin: PingOneStandIn) -> None:
    configure(settings, pingone_standin, "only", GROUPS_CLAIM="groups", STAFF_GROUPS=["Admins"])
    pingone_standin.add_user("nat", "pw", claims={"preferred_username": "nat", "groups": ["Users"]})
    client = Client()
    started = client.post("/pingone/login/", {"next": "/admin/"})
    answer = sign_on(requests.Session(), started["Location"], username="nat", password="pw")
    assert client.get(urlsplit(CALLBACK).path, answer.params).status_code == 302
    assert client.get("/admin/").status_code == 302  # back to the admin's login page


@pytest.mark.parametrize("value", ["yes", 1, None, "ONLY"])
def test_check_admin_login_values(settings: Any, value: Any) -> None:
    configure(settings, None, value)
    assert [m.id for m in check_admin_and_groups_settings()] == ["pingone.E100"]


@pytest.mark.parametrize("value", [True, False, "only"])
def test_check_admin_login_good_values(settings: Any, value: Any) -> None:
    configure(settings, None, value)
    assert check_admin_and_groups_settings() == []


@pytest.mark.parametrize(("value", "installed"), [(False, False), (True, True), ("only", True)])
def test_ready_installs_only_when_an_alias_asks(
    settings: Any, monkeypatch: pytest.MonkeyPatch, value: Any, installed: bool
) -> None:
    from django.contrib import admin

    site = AdminSite(name="fresh")
    monkeypatch.setattr(admin, "site", site)
    configure(settings, None, value)
    admin_login.install_when_configured()
    assert getattr(site.login, admin_login.INSTALLED, False) is installed
    assert (site.login_template == admin_login.LOGIN_TEMPLATE) is installed
