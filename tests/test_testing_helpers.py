"""The test helpers a site uses in its own tests (``testing/signed_on.py``): a test client signed on in-process
as a PingOne user with chosen claims (and tokens), a minted access token, as pytest fixtures and as a
``TestCase`` mixin. The "attacker" here is a site's backend that refuses: the helper must not sign on anyway."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, TestCase

from django_pingone_authorize import get_sign_on_facts, get_tokens
from django_pingone_authorize.api.access_tokens import validate_access_token
from django_pingone_authorize.models import PingOneIdentity, PingOneSession
from django_pingone_authorize.testing import DEMO_SUB, PingOneStandIn
from django_pingone_authorize.testing.signed_on import PingOneTestMixin, sign_on_as

pytestmark = pytest.mark.django_db

AUDIENCE = "https://orders.example.com"


def test_fixture_signs_a_client_on_with_chosen_claims(client: Client, pingone_sign_on: Any) -> None:
    user = pingone_sign_on(client, {"email": "grace@example.com", "given_name": "Grace", "acr": "MFA"})
    assert client.get("/home/").content == b"home: demo"
    assert user.email == "grace@example.com" and user.first_name == "Grace"
    facts = get_sign_on_facts(client.session)
    assert facts is not None and facts.acr == "MFA" and facts.alias == "default"
    assert PingOneIdentity.objects.get(user=user).subject == DEMO_SUB
    assert PingOneSession.objects.get(user=user).alias == "default"  # indexed: logout from PingOne reaches it
    assert "access_token" not in get_tokens(client.session)  # no tokens unless asked


def test_tokens_are_kept_when_asked(client: Client, settings: Any, pingone_standin: PingOneStandIn) -> None:
    pingone_standin.add_resource(AUDIENCE, ["orders:read"])
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(STORE_TOKENS=True, API_AUDIENCE=AUDIENCE)}
    sign_on_as(client, tokens=True, standin=pingone_standin)
    tokens = get_tokens(client.session)
    assert tokens["access_token"] and tokens["id_token"].count(".") == 2
    sign_on_as(client, tokens={"access_token": "given", "refresh_token": "r"}, standin=pingone_standin)
    assert get_tokens(client.session)["access_token"] == "given"


def test_minted_token_is_accepted_by_the_validator(
    settings: Any, pingone_standin: PingOneStandIn, pingone_access_token: Any
) -> None:
    pingone_standin.add_resource(AUDIENCE, ["orders:read"])
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(API_AUDIENCE=AUDIENCE)}
    token = validate_access_token(pingone_access_token(["orders:read"]))
    assert token.subject == DEMO_SUB and token.has_scopes("orders:read")
    machine = validate_access_token(pingone_access_token(["orders:read"], sub=None))
    assert not machine.is_user


def test_a_refusing_backend_is_not_bypassed(client: Client, settings: Any, pingone_sign_on: Any) -> None:
    settings.AUTHENTICATION_BACKENDS = ["tests.test_testing_helpers.RefusingBackend"]
    with pytest.raises(PermissionError):
        pingone_sign_on(client)
    assert client.get("/home/").content == b"home: anonymous"


class RefusingBackend:
    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None


class MixinTests(PingOneTestMixin, TestCase):
    pingone_use_standin = True

    def test_sign_on_and_token(self) -> None:
        user = self.pingone_sign_on({"email": "ada@example.com"})
        self.assertEqual(self.client.get("/home/").content, b"home: demo")
        self.assertEqual(user.get_username(), "demo")
        assert self.pingone_standin is not None
        self.pingone_standin.add_resource(AUDIENCE, ["orders:read"])
        self.assertEqual(self.pingone_access_token(scopes=["orders:read"]).count("."), 2)
