"""``backends.PingOneBackend`` and its hooks (``verify_claims``, ``map_claims``, ``create_user``, ``update_user``,
``find_user_by_email``, ``username_for``), called directly with claims as an ID token would carry them: the
Django test database, no provider. Whole sign-ons through the views are in ``test_users_and_session.py``;
other user models in ``tests/custom_users/``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import OperationalError

from django_pingone_authorize import backends
from django_pingone_authorize.backends import PingOneBackend
from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.errors import SignOnError
from django_pingone_authorize.models import PingOneIdentity

pytestmark = pytest.mark.django_db

ISSUER = "https://auth.pingone.com/abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6/as"
OTHER_ISSUER = "https://auth.pingone.eu/0f1e2d3c-4b5a-4987-a6b5-c4d3e2f1a0b9/as"
User = get_user_model()


def config(**options: Any) -> AliasConfig:
    return AliasConfig(alias="default", CLIENT_ID="unit-client", **options)


def claims(sub: str = "sub-ann", **values: Any) -> dict[str, Any]:
    return {"iss": ISSUER, "sub": sub, "preferred_username": "ann", **values}


def derived(sub: str, issuer: str = ISSUER) -> str:
    return "pingone-" + hashlib.sha256(f"{issuer}|{sub}".encode()).hexdigest()[:20]


@pytest.fixture
def backend() -> PingOneBackend:
    return PingOneBackend()


# -- authenticate: only PingOne sign-ons -------------------------------------------------------------------------


def test_a_password_sign_on_is_not_the_backends_to_answer(backend: PingOneBackend) -> None:
    User.objects.create_user("bob", "bob@example.com", "bob-password")
    assert backend.authenticate(None, username="bob", password="bob-password") is None
    assert backend.authenticate(None, pingone_claims=claims()) is None  # no alias config: not a sign-on either
    assert not PingOneIdentity.objects.exists()


def test_first_sign_on_creates_the_user_and_its_identity_then_finds_it_by_issuer_and_subject(
    backend: PingOneBackend,
) -> None:
    first = backend.authenticate(None, pingone_claims=claims(email="ann@example.com"), pingone_config=config())
    assert first is not None and first.get_username() == "ann" and not first.has_usable_password()
    identity = PingOneIdentity.objects.get()
    assert (identity.issuer, identity.subject, identity.user_id) == (ISSUER, "sub-ann", first.pk)
    # Same identity, another username and email: the same user, updated, still called "ann".
    again = backend.authenticate(
        None, pingone_claims=claims(preferred_username="renamed", email="new@example.com"), pingone_config=config()
    )
    assert again is not None and again.pk == first.pk
    again.refresh_from_db()
    assert again.get_username() == "ann" and again.email == "new@example.com"
    # The same subject from another issuer is another person.
    other = backend.authenticate(None, pingone_claims={**claims(), "iss": OTHER_ISSUER}, pingone_config=config())
    assert other is not None and other.pk != first.pk and other.get_username() == derived("sub-ann", OTHER_ISSUER)


def test_verify_claims_can_refuse_a_sign_on_before_any_user_is_made() -> None:
    class EmployeesOnly(PingOneBackend):
        def verify_claims(self, claims: dict[str, Any], config: AliasConfig) -> bool:
            return claims.get("email", "").endswith("@corp.example")

    backend = EmployeesOnly()
    assert backend.authenticate(None, pingone_claims=claims(email="ann@gmail.test"), pingone_config=config()) is None
    assert not User.objects.exists() and not PingOneIdentity.objects.exists()
    user = backend.authenticate(None, pingone_claims=claims(email="ann@corp.example"), pingone_config=config())
    assert user is not None and user.email == "ann@corp.example"
    assert PingOneBackend().verify_claims(claims(), config()) is True  # the default lets every identity in


def test_an_inactive_user_is_not_signed_on(backend: PingOneBackend) -> None:
    user = backend.authenticate(None, pingone_claims=claims(), pingone_config=config())
    assert user is not None
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert backend.authenticate(None, pingone_claims=claims(), pingone_config=config()) is None


def test_create_users_off_refuses_a_new_identity_but_signs_on_a_known_one(backend: PingOneBackend) -> None:
    assert backend.authenticate(None, pingone_claims=claims(), pingone_config=config(CREATE_USERS=False)) is None
    assert not User.objects.exists()
    known = backend.authenticate(None, pingone_claims=claims(), pingone_config=config())
    assert backend.authenticate(None, pingone_claims=claims(), pingone_config=config(CREATE_USERS=False)) == known


def test_a_database_that_cannot_answer_is_a_503_sign_on_error(
    backend: PingOneBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*args: Any) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(PingOneBackend, "_get_or_create_user", locked)
    with pytest.raises(SignOnError) as raised:
        backend.authenticate(None, pingone_claims=claims(), pingone_config=config())
    assert (raised.value.reason, raised.value.status) == ("database_unavailable", 503)


# -- map_claims ------------------------------------------------------------------------------------------------


def test_map_claims_copies_the_standard_claims_onto_the_user_fields(backend: PingOneBackend) -> None:
    mapped = backend.map_claims(
        claims(email="ann@example.com", given_name="Ann", family_name="Lee", phone_number="+15550100"), config()
    )
    assert mapped == {"email": "ann@example.com", "first_name": "Ann", "last_name": "Lee"}


def test_map_claims_skips_values_that_are_not_strings_and_cuts_to_the_fields_length(backend: PingOneBackend) -> None:
    mapped = backend.map_claims(claims(email=["ann@example.com"], given_name=None, family_name="L" * 500), config())
    assert mapped == {"last_name": "L" * User._meta.get_field("last_name").max_length}


# -- username_for ----------------------------------------------------------------------------------------------


def test_the_username_is_the_username_claim_nfkc_normalised(backend: PingOneBackend) -> None:
    assert (
        backend.username_for(claims(preferred_username="\uff41\uff4c\uff49\uff43\uff45"), config()) == "alice"
    )  # full-width letters
    email_config = config(USERNAME_CLAIM="email")
    assert backend.username_for(claims(email="ann@example.com"), email_config) == "ann@example.com"


@pytest.mark.parametrize(
    "username",
    [
        None,  # no claim
        "",
        "has space",  # refused by the username field's validator
        "x" * 151,  # longer than the field
        42,
    ],
)
def test_an_unusable_username_claim_gives_a_name_derived_from_issuer_and_subject(
    backend: PingOneBackend, username: Any
) -> None:
    assert backend.username_for(claims(preferred_username=username), config()) == derived("sub-ann")


def test_a_username_taken_in_any_case_is_not_reused(backend: PingOneBackend) -> None:
    User.objects.create_user("ANN", "someone@example.com", "pw")
    assert backend.username_for(claims(), config()) == derived("sub-ann")  # "ann" next to "ANN" would be an impostor


@pytest.mark.parametrize("compiled_once", [True, False], ids=["compiled-once", "orm-each-time"])
def test_username_taken_answers_as_djangos_iexact_and_runs_one_statement(
    monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: Any, compiled_once: bool
) -> None:
    # The check the new user's name goes through, compiled once or (a database whose compiled query does not hold
    # the username as one parameter) through the ORM each time: the same answers as Django's own lookup, LIKE's
    # wildcards and escape character taken literally.
    if not compiled_once:
        monkeypatch.setattr(backends, "_taken_query", lambda model, database: None)
    for name in ("ann", "a_b", "100%", "back\\slash", "Zoë"):
        User.objects.create_user(name)
    asked = [
        "ANN",
        "aNn",
        "ann ",
        "an",
        "a_b",
        "A_B",
        "axb",
        "100%",
        "1000",
        "100x",
        "back\\slash",
        "backxslash",
        "back\\\\slash",
        "zoë",
        "Zoë",
        "%",
        "_",
        "pingone-probe-%_\\-username",
    ]
    expected = {name: User.objects.filter(username__iexact=name).exists() for name in asked}
    assert expected["ANN"] and expected["a_b"] and not expected["axb"] and not expected["100x"]
    for name in asked:
        with django_assert_num_queries(1):
            assert backends.username_taken(name) is expected[name], name
    backends.reset_caches()
    assert backends.username_taken("Ann") and not backends.username_taken("bob")


def test_when_even_the_derived_username_is_taken_it_is_a_conflict(backend: PingOneBackend) -> None:
    User.objects.create_user("ann", "a@example.com", "pw")
    User.objects.create_user(derived("sub-ann").upper(), "b@example.com", "pw")
    with pytest.raises(SignOnError) as raised:
        backend.username_for(claims(), config())
    assert (raised.value.reason, raised.value.status) == ("user_conflict", 409)


# -- create_user / update_user ---------------------------------------------------------------------------------


def test_create_user_saves_the_mapped_fields_with_an_unusable_password(backend: PingOneBackend) -> None:
    user = backend.create_user(claims(email="ann@example.com", given_name="Ann"), config())
    stored = User.objects.get(pk=user.pk)
    assert (stored.username, stored.email, stored.first_name) == ("ann", "ann@example.com", "Ann")
    assert not stored.has_usable_password()
    assert not PingOneIdentity.objects.exists()  # the identity row is the lookup's, not the hook's


def test_create_user_is_where_a_subclass_maps_more(backend: PingOneBackend) -> None:
    class StaffFromClaims(PingOneBackend):
        def map_claims(self, claims: dict[str, Any], config: AliasConfig) -> dict[str, Any]:
            return {**super().map_claims(claims, config), "is_staff": "admins" in claims.get("groups", [])}

    user = StaffFromClaims().create_user(claims(groups=["admins"], email="ann@example.com"), config())
    assert User.objects.get(pk=user.pk).is_staff is True


def test_update_user_saves_only_what_changed_and_never_the_username(
    backend: PingOneBackend, django_assert_num_queries: Any
) -> None:
    user = User.objects.create_user("ann", "ann@example.com", "pw", first_name="Ann")
    with django_assert_num_queries(0):  # nothing changed: no write
        backend.update_user(user, claims(email="ann@example.com", given_name="Ann"), config())

    class MapsTheUsernameToo(PingOneBackend):
        def map_claims(self, claims: dict[str, Any], config: AliasConfig) -> dict[str, Any]:
            return {**super().map_claims(claims, config), "username": "taken-over"}

    with django_assert_num_queries(1) as queries:
        MapsTheUsernameToo().update_user(user, claims(email="new@example.com", given_name="Ann"), config())
    assert '"email"' in queries.captured_queries[0]["sql"] and '"first_name"' not in queries.captured_queries[0]["sql"]
    stored = User.objects.get(pk=user.pk)
    assert (stored.username, stored.email) == ("ann", "new@example.com")


# -- find_user_by_email ----------------------------------------------------------------------------------------


def test_find_user_by_email_links_only_a_verified_email_of_exactly_one_user(backend: PingOneBackend) -> None:
    ann = User.objects.create_user("ann-local", "Ann@Example.com", "pw")
    verified = claims(email="ann@example.com", email_verified=True)
    assert backend.find_user_by_email(verified, config()) == ann  # the email compared ignoring case
    assert backend.find_user_by_email({**verified, "email_verified": False}, config()) is None
    assert backend.find_user_by_email({**verified, "email_verified": "true"}, config()) is None  # True, not truthy
    assert backend.find_user_by_email({**verified, "email": "not-an-email"}, config()) is None
    User.objects.create_user("ann-again", "ann@example.com", "pw")
    assert backend.find_user_by_email(verified, config()) is None  # two users: which one is unknowable


def test_find_user_by_email_never_takes_over_a_user_linked_to_another_identity_of_the_issuer(
    backend: PingOneBackend,
) -> None:
    ann = User.objects.create_user("ann-local", "ann@example.com", "pw")
    PingOneIdentity.objects.create(user=ann, issuer=OTHER_ISSUER, subject="ann-in-eu")
    verified = claims(sub="new-sub", email="ann@example.com", email_verified=True)
    assert backend.find_user_by_email(verified, config()) == ann  # another issuer's identity: may be linked
    PingOneIdentity.objects.create(user=ann, issuer=ISSUER, subject="ann-old-sub")
    assert backend.find_user_by_email(verified, config()) is None


def test_linking_by_email_is_off_unless_configured(backend: PingOneBackend) -> None:
    ann = User.objects.create_user("ann-local", "ann@example.com", "pw")
    bob = User.objects.create_user("bob-local", "bob@example.com", "pw")
    ann_claims = claims(sub="ann-sub", email="ann@example.com", email_verified=True)
    created = backend.authenticate(None, pingone_claims=ann_claims, pingone_config=config())
    assert created is not None and created.pk != ann.pk  # the default: a new user, whatever the email
    bob_claims = claims(sub="bob-sub", preferred_username="bob", email="bob@example.com", email_verified=True)
    linked = backend.authenticate(None, pingone_claims=bob_claims, pingone_config=config(LINK_BY_VERIFIED_EMAIL=True))
    assert linked == bob
    assert PingOneIdentity.objects.get(subject="bob-sub").user_id == bob.pk


def test_user_of_finds_the_identity_s_user_and_nobody_else(django_assert_num_queries: Any) -> None:
    """``PingOneIdentity.objects.user_of``: the user of (issuer, subject), in one query, the same row the ORM's
    join finds; another issuer's identity with the same subject, or a subject with a quote in it, is nobody."""
    ann = User.objects.create(username="ann", email="ann@example.com")
    bob = User.objects.create(username="bob")
    PingOneIdentity.objects.create(user=ann, issuer=ISSUER, subject="sub-1")
    PingOneIdentity.objects.create(user=bob, issuer=OTHER_ISSUER, subject="sub-1")
    with django_assert_num_queries(1):
        found = PingOneIdentity.objects.user_of(ISSUER, "sub-1")
    assert found is not None and found.pk == ann.pk and found.get_username() == "ann"
    assert found.email == "ann@example.com" and not found.get_deferred_fields()  # every field loaded
    assert found == User._base_manager.get(pingone_identities__issuer=ISSUER, pingone_identities__subject="sub-1")
    other = PingOneIdentity.objects.user_of(OTHER_ISSUER, "sub-1")
    assert other is not None and other.pk == bob.pk
    assert PingOneIdentity.objects.user_of(ISSUER, "sub-2") is None
    assert PingOneIdentity.objects.user_of(ISSUER, "sub-1' OR '1'='1") is None
