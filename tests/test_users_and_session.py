"""The Django side of a sign-on: which user (backend hooks and options), the session, signals."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client

from django_pingone_authorize.backends import PingOneBackend
from django_pingone_authorize.models import PingOneIdentity
from django_pingone_authorize.sessions.token_store import get_tokens
from django_pingone_authorize.signals import sign_on_failed, sign_on_succeeded
from django_pingone_authorize.testing import DEMO_SUB, PingOneStandIn
from django_pingone_authorize.testing.driver import sign_on

pytestmark = pytest.mark.django_db

CALLBACK = "http://127.0.0.1:8000/pingone/callback/"
User = get_user_model()


@pytest.fixture
def users_standin(pingone_standin: PingOneStandIn, settings: Any) -> PingOneStandIn:
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(REDIRECT_URI=CALLBACK)}
    return pingone_standin


def configure(settings: Any, users_standin: PingOneStandIn, **options: Any) -> None:
    settings.PINGONE_AUTHORIZE = {"default": users_standin.settings(REDIRECT_URI=CALLBACK, **options)}


def attempt(client: Client, username: str = "demo", password: str = "demo") -> Any:
    response = client.post("/pingone/login/")
    answer = sign_on(requests.Session(), response["Location"], username=username, password=password)
    return client.get("/pingone/callback/", answer.params)


def test_first_sign_on_creates_a_user_from_the_claims(client: Client, users_standin: PingOneStandIn) -> None:
    assert attempt(client).status_code == 302
    identity = PingOneIdentity.objects.select_related("user").get()
    assert (identity.issuer, identity.subject) == (users_standin.issuer, DEMO_SUB)
    user = identity.user
    assert user.username == "demo"
    assert user.email == "demo@example.com"
    assert user.first_name and user.last_name
    assert not user.has_usable_password()


def test_returning_user_is_found_by_issuer_and_subject_and_updated(
    client: Client, users_standin: PingOneStandIn
) -> None:
    attempt(client)
    users_standin.add_user(
        "demo", "demo", sub=DEMO_SUB, claims={"email": "new@example.com", "preferred_username": "renamed"}
    )
    again = Client()
    assert attempt(again).status_code == 302
    assert User.objects.count() == 1
    user = User.objects.get()
    assert user.email == "new@example.com"
    assert user.username == "demo"  # the username is not changed by later claims


def test_never_matched_by_email_by_default(client: Client, users_standin: PingOneStandIn) -> None:
    existing = User.objects.create_user("admin", "demo@example.com", "pw")
    assert attempt(client).status_code == 302
    identity = PingOneIdentity.objects.get()
    assert identity.user != existing
    # And the taken username is not taken over: "demo" is free, but try a clash too.
    users_standin.add_user(
        "mallory", "pw-123", sub="mallory-sub", claims={"preferred_username": "admin", "email": "x@example.com"}
    )
    other = Client()
    assert attempt(other, "mallory", "pw-123").status_code == 302
    mallory = PingOneIdentity.objects.get(subject="mallory-sub").user
    assert mallory != existing
    assert mallory.username.startswith("pingone-")


def test_link_by_verified_email_only_when_configured(
    client: Client, users_standin: PingOneStandIn, settings: Any
) -> None:
    existing = User.objects.create_user("ann-local", "demo@example.com", "pw")
    configure(settings, users_standin, LINK_BY_VERIFIED_EMAIL=True)
    assert attempt(client).status_code == 302
    assert PingOneIdentity.objects.get().user == existing


def test_unverified_email_is_never_linked(client: Client, users_standin: PingOneStandIn, settings: Any) -> None:
    existing = User.objects.create_user("ann-local", "eve@example.com", "pw")
    users_standin.add_user(
        "eve", "eve-pw-12", sub="eve-sub", claims={"email": "eve@example.com", "email_verified": False}
    )
    configure(settings, users_standin, LINK_BY_VERIFIED_EMAIL=True)
    assert attempt(client, "eve", "eve-pw-12").status_code == 302
    assert PingOneIdentity.objects.get().user != existing


def test_create_users_off_refuses_unknown_identities(
    client: Client, users_standin: PingOneStandIn, settings: Any
) -> None:
    configure(settings, users_standin, CREATE_USERS=False)
    response = attempt(client)
    assert response.status_code == 403
    assert b"user_refused" in response.content
    assert User.objects.count() == 0
    assert "_auth_user_id" not in client.session


def test_inactive_user_cannot_sign_on(client: Client, users_standin: PingOneStandIn) -> None:
    attempt(client)
    User.objects.update(is_active=False)
    other = Client()
    assert attempt(other).status_code == 403
    assert "_auth_user_id" not in other.session


class OnlyExampleDotCom(PingOneBackend):
    def verify_claims(self, claims: dict[str, Any], config: Any) -> bool:
        return str(claims.get("email", "")).endswith("@example.com")

    def map_claims(self, claims: dict[str, Any], config: Any) -> dict[str, Any]:
        return {**super().map_claims(claims, config), "is_staff": "staff" in claims.get("groups", [])}


def test_hooks_in_a_subclass(client: Client, users_standin: PingOneStandIn, settings: Any) -> None:
    settings.AUTHENTICATION_BACKENDS = [f"{__name__}.OnlyExampleDotCom"]
    users_standin.add_user(
        "sam",
        "sam-pw-123",
        sub="sam-sub",
        claims={"email": "sam@example.com", "groups": ["staff"], "preferred_username": "sam"},
    )
    users_standin.add_user("out", "out-pw-123", sub="out-sub", claims={"email": "out@elsewhere.test"})
    assert attempt(client, "sam", "sam-pw-123").status_code == 302
    assert User.objects.get(username="sam").is_staff
    assert attempt(Client(), "out", "out-pw-123").status_code == 403


def test_backend_ignores_other_credentials() -> None:
    assert PingOneBackend().authenticate(None, username="demo", password="demo") is None


def test_login_rotates_the_session_key_and_keeps_tokens_server_side(
    client: Client, users_standin: PingOneStandIn
) -> None:
    client.get("/home/")
    client.post("/pingone/login/")  # creates the session
    before = client.session.session_key
    response = client.post("/pingone/login/")
    answer = sign_on(requests.Session(), response["Location"])
    done = client.get("/pingone/callback/", answer.params)
    assert done.status_code == 302
    assert client.session.session_key != before
    id_token = get_tokens(client.session)["id_token"]
    assert id_token.count(".") == 2
    for page in (done, client.get("/home/"), client.get("/button/")):
        assert id_token.encode() not in page.content
        assert id_token not in page.get("Location", "")
    assert "access_token" not in client.session["_pingone_tokens"]  # STORE_TOKENS is off


def test_signals(client: Client, users_standin: PingOneStandIn) -> None:
    seen: list[tuple[str, Any]] = []

    def ok(sender: Any, **kwargs: Any) -> None:
        seen.append(("ok", (kwargs["user"].username, kwargs["alias"], kwargs["claims"]["sub"])))

    def failed(sender: Any, **kwargs: Any) -> None:
        seen.append(("failed", (kwargs["alias"], kwargs["reason"])))

    sign_on_succeeded.connect(ok)
    sign_on_failed.connect(failed)
    try:
        attempt(client)
        client.get("/pingone/callback/", {"state": "nope", "code": "x"})
    finally:
        sign_on_succeeded.disconnect(ok)
        sign_on_failed.disconnect(failed)
    assert seen == [("ok", ("demo", "default", DEMO_SUB)), ("failed", (None, "state_unknown"))]


def test_failed_callback_keeps_a_signed_on_user_signed_on(client: Client, users_standin: PingOneStandIn) -> None:
    attempt(client)
    key = client.session.session_key
    response = client.get("/pingone/callback/", {"state": "forged", "code": "forged"})
    assert response.status_code == 400
    assert client.session.session_key == key
    assert client.get("/home/").content == b"home: demo"


def full_width(text: str) -> str:
    """ASCII letters as their full-width forms (U+FF41...): "admin" to what NFKC turns back into "admin"."""
    return "".join(chr(ord(ch) + 0xFEE0) for ch in text)


def derived_username(issuer: str, subject: str) -> str:
    return "pingone-" + hashlib.sha256(f"{issuer}|{subject}".encode()).hexdigest()[:20]


def test_usernames_are_nfkc_normalised_and_never_a_case_variant_of_an_existing_one(
    client: Client, users_standin: PingOneStandIn
) -> None:
    User.objects.create_superuser("admin", "root@example.com", "pw")
    for username, sub in (
        ("Admin", "admin-upper"),
        (full_width("admin"), "admin-full-width"),
        (full_width("joe"), "joe"),
    ):
        users_standin.add_user(sub, "pw-12345", sub=sub, claims={"preferred_username": username})
        assert attempt(Client(), sub, "pw-12345").status_code == 302
    names = {identity.subject: identity.user.username for identity in PingOneIdentity.objects.select_related("user")}
    assert names == {
        "admin-upper": derived_username(users_standin.issuer, "admin-upper"),
        "admin-full-width": derived_username(users_standin.issuer, "admin-full-width"),
        "joe": "joe",  # full-width letters, NFKC-normalised
    }
    assert sorted(User.objects.values_list("username", flat=True))[0] == "admin"


def test_a_username_that_cannot_be_had_is_a_conflict_page_not_a_500(
    client: Client, users_standin: PingOneStandIn
) -> None:
    User.objects.create_user("Demo", "someone@example.com", "pw")
    User.objects.create_user(derived_username(users_standin.issuer, DEMO_SUB).upper(), "other@example.com", "pw")
    reasons: list[str] = []

    def failed(sender: Any, **kwargs: Any) -> None:
        reasons.append(kwargs["reason"])

    sign_on_failed.connect(failed)
    try:
        response = attempt(client)
    finally:
        sign_on_failed.disconnect(failed)
    assert response.status_code == 409
    assert b"user_conflict" in response.content
    assert b"already uses your username or email address" in response.content
    assert reasons == ["user_conflict"]
    assert not PingOneIdentity.objects.exists()
    assert User.objects.count() == 2
    assert "_auth_user_id" not in client.session
