"""``pingone:backchannel_logout``: every check of OpenID Connect Back-Channel Logout 1.0 §2.6 on logout tokens the
hostile provider signs (its JWKS is the issuer's), and what a valid one ends."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from django_pingone_authorize.oidc.logout_token import BACKCHANNEL_LOGOUT_EVENT
from django_pingone_authorize.sessions.session_index import PingOneSession
from tests.doubles.hostile_provider import CLIENT_ID, SUBJECT, HostileProvider, rsa_key

pytestmark = pytest.mark.django_db
URL = "/pingone/logout/backchannel/"
DROP = object()


def claims(hostile: HostileProvider, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": hostile.issuer,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 120,
        "jti": str(uuid.uuid4()),
        "sub": SUBJECT,
        "sid": "sid-1",
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not DROP}


def signed_in_with_sid(sid: str, subject: str = SUBJECT, issuer: str = "") -> Client:
    user, _ = get_user_model().objects.get_or_create(username=f"user-{subject}")
    client = Client()
    client.force_login(user)
    key = client.session.session_key
    row = PingOneSession.objects.filter(sid="").get()  # the row force_login just wrote
    row.issuer, row.sid, row.subject, row.alias = issuer, sid, subject, "default"
    row.save()
    assert key
    return client


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def sessions(hostile: HostileProvider) -> tuple[Client, Client]:
    hostile.configure()
    return signed_in_with_sid("sid-1", issuer=hostile.issuer), signed_in_with_sid("sid-2", issuer=hostile.issuer)


def test_a_valid_token_ends_the_sessions_of_its_sid(hostile: HostileProvider, sessions: tuple[Client, Client]) -> None:
    first, second = sessions
    answer = Client().post(
        URL, {"logout_token": hostile.mint(None, claims=claims(hostile), header={"typ": "logout+jwt"})}
    )
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    assert not signed_in(first) and signed_in(second)


def test_without_sid_every_session_of_the_subject_ends(
    hostile: HostileProvider, sessions: tuple[Client, Client]
) -> None:
    first, second = sessions
    token = hostile.mint(None, claims=claims(hostile, sid=DROP))
    assert Client().post(URL, {"logout_token": token}).status_code == 200
    assert not signed_in(first) and not signed_in(second)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"events": DROP}, "logout_token_missing_events"),
        ({"events": {"http://schemas.openid.net/event/other": {}}}, "logout_token_bad_events"),
        ({"events": {BACKCHANNEL_LOGOUT_EVENT: "yes"}}, "logout_token_bad_events"),
        ({"nonce": "n-0S6_WzA2Mj"}, "logout_token_has_nonce"),
        ({"sub": DROP, "sid": DROP}, "logout_token_no_subject_or_sid"),
        ({"jti": DROP}, "logout_token_missing_jti"),
        ({"iat": DROP}, "logout_token_missing_iat"),
        ({"iat": int(time.time()) - 3600, "exp": int(time.time()) + 60}, "logout_token_stale"),
        ({"exp": int(time.time()) - 3600}, "logout_token_expired"),
        ({"aud": "another-client"}, "logout_token_bad_audience"),
        ({"iss": "https://auth.pingone.com/another/as"}, "logout_token_unknown_issuer"),
    ],
)
def test_refused_tokens(
    hostile: HostileProvider, sessions: tuple[Client, Client], changes: dict[str, Any], reason: str
) -> None:
    token = hostile.mint(None, claims=claims(hostile, **changes))
    answer = Client().post(URL, {"logout_token": token})
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_request", "error_description": reason}
    assert all(signed_in(client) for client in sessions)


def test_wrong_key_none_and_hs256_are_refused(hostile: HostileProvider, sessions: tuple[Client, Client]) -> None:
    foreign = rsa_key(1)
    tokens = [
        hostile.mint(None, claims=claims(hostile), key=foreign.private),
        hostile.mint(None, claims=claims(hostile), alg="HS256"),
    ]
    for token in tokens:
        assert Client().post(URL, {"logout_token": token}).status_code == 400
    assert all(signed_in(client) for client in sessions)


def test_a_token_is_used_once(hostile: HostileProvider, sessions: tuple[Client, Client]) -> None:
    token = hostile.mint(None, claims=claims(hostile, sid="sid-2"))
    assert Client().post(URL, {"logout_token": token}).status_code == 200
    again = Client().post(URL, {"logout_token": token})
    assert again.status_code == 400 and again.json()["error_description"] == "logout_token_replayed"


def test_get_and_missing_token(hostile: HostileProvider) -> None:
    hostile.configure()
    assert Client().get(URL).status_code == 405
    assert Client().post(URL, {}).status_code == 400
