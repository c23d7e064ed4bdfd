"""Sign-ons with a user model known by its email address (``USERNAME_FIELD = "email"``, unique)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client

from django_pingone_authorize.models import PingOneIdentity
from django_pingone_authorize.testing import DEMO_SUB, PingOneStandIn
from django_pingone_authorize.testing.driver import sign_on
from tests.custom_users.email_user.models import EmailUser

pytestmark = pytest.mark.django_db

CALLBACK = "http://127.0.0.1:8000/pingone/callback/"


@pytest.fixture
def email_user_standin(pingone_standin: PingOneStandIn, settings: Any) -> PingOneStandIn:
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(REDIRECT_URI=CALLBACK)}
    return pingone_standin


def configure(settings: Any, email_user_standin: PingOneStandIn, **options: Any) -> None:
    settings.PINGONE_AUTHORIZE = {"default": email_user_standin.settings(REDIRECT_URI=CALLBACK, **options)}


def attempt(client: Client, username: str = "demo", password: str = "demo") -> Any:
    response = client.post("/pingone/login/")
    answer = sign_on(requests.Session(), response["Location"], username=username, password=password)
    return client.get("/pingone/callback/", answer.params)


def test_a_new_users_username_is_the_email_claim_and_stays_so(
    client: Client, email_user_standin: PingOneStandIn
) -> None:
    assert get_user_model() is EmailUser  # this suite's settings
    assert attempt(client).status_code == 302
    user = PingOneIdentity.objects.get(subject=DEMO_SUB).user
    assert user.get_username() == user.email == "demo@example.com"
    assert (user.first_name, user.last_name) == ("Demo", "User")
    assert client.get("/home/").content == b"home: demo@example.com"
    # Returning, found by (issuer, subject): the other fields follow the claims, the username does not.
    email_user_standin.add_user(
        "demo", "demo", sub=DEMO_SUB, claims={"email": "renamed@example.com", "given_name": "Dee", "family_name": "U"}
    )
    assert attempt(Client()).status_code == 302
    user = EmailUser.objects.get()
    assert (user.email, user.first_name) == ("demo@example.com", "Dee")


def test_the_email_domain_is_lower_cased_as_normalize_email_does(
    client: Client, email_user_standin: PingOneStandIn
) -> None:
    email_user_standin.add_user("sam", "sam-pw-123", claims={"email": "Sam@Example.COM", "preferred_username": "sam"})
    assert attempt(client, "sam", "sam-pw-123").status_code == 302
    assert EmailUser.objects.get().email == "Sam@example.com"


def test_a_local_user_with_that_email_is_a_conflict_page_unless_linking_is_on(
    client: Client, email_user_standin: PingOneStandIn, settings: Any
) -> None:
    existing = EmailUser.objects.create_user("demo@example.com", "pw")
    response = attempt(client)
    assert response.status_code == 409
    assert b"user_conflict" in response.content
    assert b"already uses your username or email address" in response.content
    assert list(EmailUser.objects.all()) == [existing]
    assert not PingOneIdentity.objects.exists()
    assert "_auth_user_id" not in client.session
    # With LINK_BY_VERIFIED_EMAIL (and PingOne saying the email is verified) the local user is linked.
    configure(settings, email_user_standin, LINK_BY_VERIFIED_EMAIL=True)
    assert attempt(client).status_code == 302
    assert PingOneIdentity.objects.get().user == existing
    assert client.get("/home/").content == b"home: demo@example.com"


def test_a_local_user_with_that_email_in_other_letters_is_a_conflict_too(
    client: Client, email_user_standin: PingOneStandIn
) -> None:
    EmailUser.objects.create_user("Demo@Example.com", "pw")  # stored as Demo@example.com
    assert attempt(client).status_code == 409
    assert EmailUser.objects.count() == 1


def test_an_unverified_email_is_not_linked_but_refused(
    client: Client, email_user_standin: PingOneStandIn, settings: Any
) -> None:
    EmailUser.objects.create_user("eve@example.com", "pw")
    email_user_standin.add_user("eve", "eve-pw-12", claims={"email": "eve@example.com", "email_verified": False})
    configure(settings, email_user_standin, LINK_BY_VERIFIED_EMAIL=True)
    assert attempt(client, "eve", "eve-pw-12").status_code == 409
    assert not PingOneIdentity.objects.exists()


def test_a_first_sign_on_without_an_email_is_refused_plainly(
    client: Client, email_user_standin: PingOneStandIn
) -> None:
    email_user_standin.add_user("nomail", "nomail-pw-1", claims={"preferred_username": "nomail"})
    response = attempt(client, "nomail", "nomail-pw-1")
    assert response.status_code == 403
    assert b"user_fields_missing" in response.content
    assert b"no usable email address" in response.content
    assert not EmailUser.objects.exists()
