"""``get_access_token``'s refresh against the hostile provider: the refresh request, the refreshed ID token checked
as at sign-on but without a nonce (OIDC Core §12.2), another ``sub`` or a bad ID token logging the user out, a
refresh answer without a new refresh token, and a provider that cannot be reached."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from django.test import Client, RequestFactory

from django_pingone_authorize.errors import ProviderError
from django_pingone_authorize.sessions import refresh as token_refresh
from django_pingone_authorize.sessions import token_store
from django_pingone_authorize.sessions.token_store import get_tokens
from tests.doubles.hostile_provider import Call, Grant, HostileProvider, Reply, rsa_key

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.sessions.urls")]
NEEDS_REFRESH = {"min_ttl": 7200}  # the hostile provider's tokens live an hour


def signed_on(hostile: HostileProvider, client: Client) -> Grant:
    hostile.configure(STORE_TOKENS=True)
    hostile.token_overrides = {"refresh_token": "rt-first"}
    grant = hostile.login(client)
    response = hostile.callback(client, grant)
    assert response.status_code == 302, response.content
    hostile.token_overrides = {}
    return grant


def refresh_answer(hostile: HostileProvider, grant: Grant, *, claims: dict[str, Any] | None = None, **body: Any) -> Any:
    """A token endpoint that answers refresh requests with ``body`` (an ID token without nonce by default)."""
    seen: list[Call] = []

    def reply(call: Call) -> Reply:
        seen.append(call)
        access_token = secrets.token_urlsafe(32)
        token_claims = hostile.claims_for(None, access_token)
        token_claims.update(claims or {})
        answer = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": "rt-second",
            "id_token": hostile.mint(None, access_token, claims=token_claims),
            **body,
        }
        return Reply(body={k: v for k, v in answer.items() if v is not None})

    hostile.replies["token"] = reply
    return seen


def test_the_refresh_request_and_its_answer(hostile: HostileProvider, client: Client) -> None:
    grant = signed_on(hostile, client)
    first = get_tokens(client.session)
    seen = refresh_answer(hostile, grant)
    answer = client.get("/token/", NEEDS_REFRESH).json()
    assert answer["user"] == "alice" and answer["access_token"] != first["access_token"]
    (call,) = seen
    assert call.one("grant_type") == "refresh_token" and call.one("refresh_token") == "rt-first"
    assert "code" not in call.form and "nonce" not in call.form
    assert get_tokens(client.session)["refresh_token"] == "rt-second"


def test_an_answer_without_a_refresh_token_keeps_the_old_one(hostile: HostileProvider, client: Client) -> None:
    grant = signed_on(hostile, client)
    refresh_answer(hostile, grant, refresh_token=None, id_token=None)
    assert client.get("/token/", NEEDS_REFRESH).json()["access_token"]
    assert get_tokens(client.session)["refresh_token"] == "rt-first"


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "someone-else"},
        {"iss": "https://evil.example/as"},
        {"aud": "another-client"},
        {"exp": 1},
    ],
)
def test_a_bad_refreshed_id_token_logs_out(hostile: HostileProvider, client: Client, claims: dict[str, Any]) -> None:
    grant = signed_on(hostile, client)
    refresh_answer(hostile, grant, claims=claims)
    assert client.get("/token/", NEEDS_REFRESH).json() == {"user": None, "access_token": None}
    assert client.get("/home/").content == b"home: anonymous"


def test_a_refreshed_id_token_signed_by_another_key_logs_out(hostile: HostileProvider, client: Client) -> None:
    grant = signed_on(hostile, client)
    foreign = rsa_key(1)
    access_token = secrets.token_urlsafe(32)
    token = hostile.mint(None, access_token, claims=hostile.claims_for(None, access_token), key=foreign.private)
    hostile.replies["token"] = Reply(
        body={"access_token": access_token, "token_type": "Bearer", "expires_in": 3600, "id_token": token}
    )
    assert grant
    assert client.get("/token/", NEEDS_REFRESH).json() == {"user": None, "access_token": None}


def test_invalid_grant_logs_out(hostile: HostileProvider, client: Client) -> None:
    signed_on(hostile, client)
    hostile.replies["token"] = Reply(400, {"error": "invalid_grant"})
    assert client.get("/token/", NEEDS_REFRESH).json() == {"user": None, "access_token": None}
    assert client.get("/home/").content == b"home: anonymous"


def test_an_unreachable_provider_keeps_a_token_that_still_lives(hostile: HostileProvider, client: Client) -> None:
    signed_on(hostile, client)
    token = get_tokens(client.session)["access_token"]
    hostile.replies["token"] = Reply(503, {"error": "temporarily_unavailable"})
    assert client.get("/token/", NEEDS_REFRESH).json() == {"user": "alice", "access_token": token}
    # A token that has expired cannot be handed out: the caller hears that PingOne could not be asked.
    request = RequestFactory().get("/token/")
    request.session = client.session
    token_set = token_store.in_session(request.session)
    assert token_set is not None
    token_store.put_in_session(request.session, token_store.touched(token_set, expires_at=1.0))
    with pytest.raises(ProviderError):
        token_refresh.get_access_token(request)
