"""A callback replayed after its sign-on (the Back button, the history) by the visitor who is signed on is sent
to where that sign-on went; nobody else is, nobody is logged in by it and the code is not exchanged again.
Sign-ons go over real HTTP to the PingOne stand-in."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.test import Client

from django_pingone_authorize.sign_on import completed
from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import AuthorizationResponse, sign_on

pytestmark = pytest.mark.django_db

CALLBACK = "http://127.0.0.1:8000/pingone/callback/"


@pytest.fixture
def replay_standin(pingone_standin: PingOneStandIn, settings: Any) -> PingOneStandIn:
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(REDIRECT_URI=CALLBACK)}
    return pingone_standin


def signed_on(client: Client, replay_standin: PingOneStandIn, **data: str) -> AuthorizationResponse:
    answer = sign_on(requests.Session(), client.post("/pingone/login/", data)["Location"])
    assert client.get("/pingone/callback/", answer.params).status_code == 302
    return answer


def who(client: Client) -> str:
    return client.get("/home/").content.decode().removeprefix("home: ")


@pytest.mark.parametrize(("next_url", "landing"), [("/home/?from=replay", "/home/?from=replay"), (None, "/home/")])
def test_replay_by_the_signed_on_visitor_is_sent_on(
    client: Client, replay_standin: PingOneStandIn, next_url: str | None, landing: str
) -> None:
    answer = signed_on(client, replay_standin, **({"next": next_url} if next_url else {}))
    key = client.session.session_key
    replay_standin.reset_requests_seen()
    for _ in range(2):
        response = client.get("/pingone/callback/", answer.params)  # Back, or a reload from the history
        assert response.status_code == 302
        assert response["Location"] == landing
    assert replay_standin.requests_seen == []  # the code was not exchanged again
    assert client.session.session_key == key  # nobody was logged in again
    assert who(client) == "demo"


def test_replay_without_the_session_is_still_refused(client: Client, replay_standin: PingOneStandIn) -> None:
    answer = signed_on(client, replay_standin)
    stranger = Client()
    response = stranger.get("/pingone/callback/", answer.params)
    assert response.status_code == 400 and b"state_unknown" in response.content
    assert who(stranger) == "anonymous"
    # Another signed-on visitor replaying someone else's callback is not sent on either.
    other = Client()
    signed_on(other, replay_standin)
    assert other.get("/pingone/callback/", answer.params).status_code == 400


def test_replay_after_the_record_expired_is_refused(
    client: Client, replay_standin: PingOneStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = signed_on(client, replay_standin)
    now = completed._now()
    monkeypatch.setattr(completed, "_now", lambda: now + completed.COMPLETED_TTL + 1)
    assert client.get("/pingone/callback/", answer.params).status_code == 400
    assert who(client) == "demo"  # a refused callback keeps the visitor signed on


def test_the_session_keeps_only_hashes_of_a_few_states(client: Client, replay_standin: PingOneStandIn) -> None:
    answers = [signed_on(client, replay_standin) for _ in range(completed.COMPLETED_MAX + 1)]
    record = client.session[completed.SESSION_KEY]
    assert len(record) == completed.COMPLETED_MAX
    assert not any(answer.params["state"] in str(record) for answer in answers)
    assert client.get("/pingone/callback/", answers[0].params).status_code == 400  # the oldest was dropped
    assert client.get("/pingone/callback/", answers[-1].params).status_code == 302
