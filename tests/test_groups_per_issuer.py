"""Issue 22, item 2: a deprovisioned admin does not keep superuser.

Whole sign-ons against the stand-in over real HTTP: removed from PingOne's admin group, the user signs on
through another alias (sign-on button) of the same environment that has no ``GROUPS_CLAIM``: the flags granted
from groups go all the same; and a groups claim shaped ``[["admins"]]`` clears them rather than changing nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.contrib.auth.models import User
from django.test import Client

from django_pingone_authorize.models import PingOneIdentity
from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import sign_on

pytestmark = pytest.mark.django_db

CALLBACK = "http://127.0.0.1:8000/pingone/callback/"
GROUPS = {"GROUPS_CLAIM": "groups", "STAFF_GROUPS": ["Admins"], "SUPERUSER_GROUPS": ["Admins"]}


@pytest.fixture
def two_buttons(settings: Any, pingone_standin: PingOneStandIn) -> PingOneStandIn:
    pingone_standin.add_client("second-client", "second-secret")
    settings.PINGONE_AUTHORIZE = {
        "default": pingone_standin.settings(REDIRECT_URI=CALLBACK, **GROUPS),
        "second": pingone_standin.settings("second-client", REDIRECT_URI=CALLBACK),  # syncs nothing itself
    }
    return pingone_standin


def sign_on_as(standin: PingOneStandIn, groups: Any, alias: str = "default") -> User:
    claims: dict[str, Any] = {"preferred_username": "grace", "email": "grace@example.com"}
    if groups is not ...:
        claims["groups"] = groups
    standin.add_user("grace", "pw", sub="grace-sub", claims=claims)
    client = Client()
    started = client.post(f"/pingone/login/{alias}/" if alias != "default" else "/pingone/login/")
    answer = sign_on(requests.Session(), started["Location"], username="grace", password="pw")
    assert client.get("/pingone/callback/", answer.params).status_code == 302
    return User.objects.get(pk=PingOneIdentity.objects.get(subject="grace-sub").user_id)


@pytest.mark.parametrize("claim_then", [[], ...])
def test_removed_from_the_admin_group_then_signing_on_through_another_alias(
    two_buttons: PingOneStandIn, claim_then: Any
) -> None:
    user = sign_on_as(two_buttons, ["Admins"])
    assert user.is_superuser and user.is_staff
    # Deprovisioned at PingOne; the second application's tokens carry no groups claim (or an empty one).
    user = sign_on_as(two_buttons, claim_then, alias="second")
    assert not user.is_superuser and not user.is_staff


def test_the_other_alias_keeps_the_flags_of_a_user_still_in_the_group(two_buttons: PingOneStandIn) -> None:
    sign_on_as(two_buttons, ["Admins"])
    user = sign_on_as(two_buttons, ["Admins"], alias="second")
    assert user.is_superuser


@pytest.mark.parametrize("unreadable", [[["Admins"]], {"Admins": True}, 1])
def test_an_unreadable_claim_clears_the_flags(two_buttons: PingOneStandIn, unreadable: Any) -> None:
    sign_on_as(two_buttons, ["Admins"])
    user = sign_on_as(two_buttons, unreadable)
    assert not user.is_superuser and not user.is_staff


def test_another_environment_does_not_touch_the_flags(settings: Any, pingone_standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE = {
        "default": pingone_standin.settings(REDIRECT_URI=CALLBACK),
        "elsewhere": {**pingone_standin.settings(**GROUPS), "ENV_ID": "00000000-0000-4000-8000-000000000000"},
    }
    sign_on_as(pingone_standin, ["Admins"])
    User.objects.filter(username="grace").update(is_staff=True)  # granted on this site, by hand
    assert sign_on_as(pingone_standin, []).is_staff
