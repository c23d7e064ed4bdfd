"""Groups and staff flags from a claim (``GROUPS_CLAIM``, ``GROUP_MAP``, ``STAFF_GROUPS``, ``SUPERUSER_GROUPS``),
synced at every sign-on by ``PingOneBackend.sync_groups``: whole sign-ons against the stand-in over real HTTP."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import requests
from django.contrib.auth.models import Group, User
from django.core.checks import Error
from django.test import Client

from django_pingone_authorize.checks import check_admin_and_groups_settings
from django_pingone_authorize.models import PingOneIdentity
from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import sign_on

pytestmark = pytest.mark.django_db

CALLBACK = "http://127.0.0.1:8000/pingone/callback/"
GROUP_OPTIONS = {
    "GROUPS_CLAIM": "groups",
    "GROUP_MAP": {"Editors": "editors", "Support": "support"},
    "STAFF_GROUPS": ["Admins", "Editors"],
    "SUPERUSER_GROUPS": ["Admins"],
}


def configure(settings: Any, standin: PingOneStandIn, **options: Any) -> None:
    settings.PINGONE_AUTHORIZE = {"default": standin.settings(REDIRECT_URI=CALLBACK, **{**GROUP_OPTIONS, **options})}


def sign_on_as(standin: PingOneStandIn, groups: Any, *, username: str = "grace") -> User:
    """A whole sign-on of ``username`` whose PingOne groups claim is ``groups`` (absent when ``...``)."""
    claims: dict[str, Any] = {"preferred_username": username, "email": f"{username}@example.com"}
    if groups is not ...:
        claims["groups"] = groups
    standin.add_user(username, "pw", claims=claims)
    client = Client()
    response = client.post("/pingone/login/")
    answer = sign_on(requests.Session(), response["Location"], username=username, password="pw")
    done = client.get("/pingone/callback/", answer.params)
    assert done.status_code == 302, done.content
    identity = PingOneIdentity.objects.select_related("user").get(subject=answer_subject(standin, username))
    user = User.objects.get(pk=identity.user.pk)
    return user


def answer_subject(standin: PingOneStandIn, username: str) -> str:
    return str(standin.users[username].sub)


def group_names(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_mapped_groups_are_added_and_removed(settings: Any, pingone_standin: PingOneStandIn) -> None:
    configure(settings, pingone_standin)
    user = sign_on_as(pingone_standin, ["Editors", "Support", "Unmapped"])
    assert group_names(user) == {"editors", "support"}  # created on the way; "Unmapped" names no group
    user = sign_on_as(pingone_standin, ["Support"])
    assert group_names(user) == {"support"}
    user = sign_on_as(pingone_standin, [])
    assert group_names(user) == set()
    assert set(Group.objects.values_list("name", flat=True)) == {"editors", "support"}  # groups stay


def test_groups_the_map_does_not_name_are_untouched(settings: Any, pingone_standin: PingOneStandIn) -> None:
    configure(settings, pingone_standin)
    user = sign_on_as(pingone_standin, ["Editors"])
    local = Group.objects.create(name="local-only")
    user.groups.add(local)
    user = sign_on_as(pingone_standin, [])
    assert group_names(user) == {"local-only"}


def test_staff_and_superuser_are_set_and_unset(settings: Any, pingone_standin: PingOneStandIn) -> None:
    configure(settings, pingone_standin)
    user = sign_on_as(pingone_standin, ["Admins"])
    assert (user.is_staff, user.is_superuser) == (True, True)
    user = sign_on_as(pingone_standin, ["Editors"])
    assert (user.is_staff, user.is_superuser) == (True, False)
    assert group_names(user) == {"editors"}
    user = sign_on_as(pingone_standin, ["Nobody"])
    assert (user.is_staff, user.is_superuser) == (False, False)


def test_an_absent_claim_is_no_groups(settings: Any, pingone_standin: PingOneStandIn) -> None:
    configure(settings, pingone_standin)
    user = sign_on_as(pingone_standin, ["Admins", "Editors"])
    assert user.is_superuser and group_names(user) == {"editors"}
    user = sign_on_as(pingone_standin, ...)
    assert (user.is_staff, user.is_superuser, group_names(user)) == (False, False, set())


def test_a_single_string_claim_is_one_group(settings: Any, pingone_standin: PingOneStandIn) -> None:
    configure(settings, pingone_standin)
    user = sign_on_as(pingone_standin, "Editors")
    assert user.is_staff and group_names(user) == {"editors"}


def test_a_claim_that_is_not_names_clears_the_flags_and_leaves_the_groups(
    settings: Any, pingone_standin: PingOneStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 22 item 2: an unreadable claim no longer leaves flags granted by groups as they were."""
    configure(settings, pingone_standin)
    user = sign_on_as(pingone_standin, ["Admins", "Editors"])
    caplog.set_level(logging.WARNING)
    user = sign_on_as(pingone_standin, {"not": "a list"})
    assert not user.is_superuser and not user.is_staff and group_names(user) == {"editors"}
    assert "not a list of group names" in caplog.text


def test_flags_are_left_alone_without_their_option(settings: Any, pingone_standin: PingOneStandIn) -> None:
    configure(settings, pingone_standin, STAFF_GROUPS=[], SUPERUSER_GROUPS=[])
    user = sign_on_as(pingone_standin, ["Admins"])
    User.objects.filter(pk=user.pk).update(is_staff=True)
    user = sign_on_as(pingone_standin, [])
    assert user.is_staff and not user.is_superuser


def test_nothing_is_synced_without_groups_claim(settings: Any, pingone_standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(REDIRECT_URI=CALLBACK)}
    user = sign_on_as(pingone_standin, ["Admins", "Editors"])
    assert (user.is_staff, user.is_superuser, group_names(user)) == (False, False, set())


@pytest.mark.parametrize(
    ("options", "check_id"),
    [
        ({"GROUPS_CLAIM": ""}, "pingone.E101"),
        ({"GROUPS_CLAIM": ["groups"]}, "pingone.E101"),
        ({"GROUPS_CLAIM": "groups", "GROUP_MAP": ["Editors"]}, "pingone.E102"),
        ({"GROUPS_CLAIM": "groups", "GROUP_MAP": {"Editors": 1}}, "pingone.E102"),
        ({"GROUPS_CLAIM": "groups", "STAFF_GROUPS": [1]}, "pingone.E103"),
        ({"GROUPS_CLAIM": "groups", "SUPERUSER_GROUPS": {"Admins": True}}, "pingone.E103"),
        ({"STAFF_GROUPS": ["Admins"]}, "pingone.E104"),
        ({"GROUP_MAP": {"Editors": "editors"}}, "pingone.E104"),
    ],
)
def test_checks(settings: Any, options: dict[str, Any], check_id: str) -> None:
    settings.PINGONE_AUTHORIZE = {"default": {"CLIENT_ID": "c", "CLIENT_SECRET": "s", **options}}
    found = check_admin_and_groups_settings()
    assert [m.id for m in found] == [check_id]
    assert all(isinstance(m, Error) and m.hint for m in found)


def test_good_group_options_pass_the_checks(settings: Any) -> None:
    settings.PINGONE_AUTHORIZE = {"default": {"CLIENT_ID": "c", "CLIENT_SECRET": "s", **GROUP_OPTIONS}}
    assert check_admin_and_groups_settings() == []
