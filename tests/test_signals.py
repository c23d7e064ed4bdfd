"""Each signal of ``signals.py`` is sent with the arguments its docstring names (and never a token): user
created, identity linked, tokens refreshed, signed out (here, and by PingOne), PingOne session ended (session
check, front- and back-channel logout). The sign-ons are the in-process ones of ``testing/signed_on.py``, or
whole ones against the stand-in where PingOne has to take part."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.contrib.auth import get_user_model
from django.dispatch import Signal
from django.test import Client

from django_pingone_authorize import get_access_token, signals
from django_pingone_authorize.models import PingOneIdentity
from django_pingone_authorize.oidc.logout_token import BACKCHANNEL_LOGOUT_EVENT
from django_pingone_authorize.sessions.token_store import get_tokens
from django_pingone_authorize.testing import DEMO_SUB, PingOneStandIn, sign_on

pytestmark = pytest.mark.django_db

SESSION_CHECK = "django_pingone_authorize.middleware.SessionCheckMiddleware"
OFFLINE = "openid profile email offline_access"


class Recorder:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, sender: Any, **kwargs: Any) -> None:
        kwargs.pop("signal")
        self.calls.append({"sender": sender, **kwargs})


@pytest.fixture
def heard() -> Iterator[dict[str, Recorder]]:
    names = ["signed_out", "pingone_session_ended", "tokens_refreshed", "user_created", "identity_linked"]
    recorders = {name: Recorder() for name in names}
    for name, recorder in recorders.items():
        signal: Signal = getattr(signals, name)
        signal.connect(recorder, weak=False)
    yield recorders
    for name, recorder in recorders.items():
        getattr(signals, name).disconnect(recorder)


@pytest.fixture
def standin_site(settings: Any, pingone_standin: PingOneStandIn) -> PingOneStandIn:
    settings.PINGONE_AUTHORIZE = {
        "default": pingone_standin.settings(STORE_TOKENS=True, SCOPE=OFFLINE, SESSION_CHECK_INTERVAL=1)
    }
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, SESSION_CHECK]
    return pingone_standin


def whole_sign_on(client: Client) -> requests.Session:
    browser = requests.Session()
    answer = sign_on(browser, client.post("/pingone/login/")["Location"])
    assert client.get("/pingone/callback/", answer.params).status_code == 302
    return browser


def test_user_created_and_identity_linked(client: Client, heard: dict[str, Recorder], pingone_sign_on: Any) -> None:
    user = pingone_sign_on(client, {"email": "ada@example.com"})
    [created] = heard["user_created"].calls
    assert created["user"] == user and created["alias"] == "default" and created["claims"]["sub"] == DEMO_SUB
    [linked] = heard["identity_linked"].calls
    assert linked["user"] == user and linked["how"] == "created" and linked["alias"] == "default"
    assert linked["identity"] == PingOneIdentity.objects.get(user=user)

    pingone_sign_on(Client(), {"email": "ada@example.com"})  # the same identity again: nothing new
    assert len(heard["user_created"].calls) == 1 and len(heard["identity_linked"].calls) == 1


def test_identity_linked_by_verified_email(
    settings: Any, heard: dict[str, Recorder], pingone_standin: PingOneStandIn, pingone_sign_on: Any
) -> None:
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(LINK_BY_VERIFIED_EMAIL=True)}
    existing = get_user_model().objects.create(username="ada", email="ada@example.com")
    assert pingone_sign_on(Client(), {"email": "ada@example.com", "email_verified": True}) == existing
    assert heard["user_created"].calls == []
    [linked] = heard["identity_linked"].calls
    assert linked["how"] == "email" and linked["user"] == existing


def test_tokens_refreshed(client: Client, heard: dict[str, Recorder], standin_site: PingOneStandIn) -> None:
    whole_sign_on(client)
    request = client.get("/home/").wsgi_request
    fresh = get_access_token(request, min_ttl=10**6)
    [refreshed] = heard["tokens_refreshed"].calls
    assert refreshed["request"] is request and refreshed["alias"] == "default"
    assert refreshed["subject"] == DEMO_SUB and refreshed["generation"] == 1
    assert fresh not in repr(refreshed)  # never the tokens


def test_signed_out_here(client: Client, heard: dict[str, Recorder], pingone_sign_on: Any) -> None:
    user = pingone_sign_on(client)
    client.post("/pingone/logout/")
    [out] = heard["signed_out"].calls
    assert out["user"] == user and out["alias"] == "default" and out["by"] == "site" and out["request"] is not None
    assert heard["pingone_session_ended"].calls == []


def test_session_check_sees_pingone_end_the_session(
    client: Client, heard: dict[str, Recorder], standin_site: PingOneStandIn
) -> None:
    browser = whole_sign_on(client)
    id_token = get_tokens(client.session)["id_token"]
    browser.get(standin_site.end_session_endpoint, params={"id_token_hint": id_token}, timeout=10)
    time.sleep(1.1)
    assert client.get("/home/").status_code == 303
    [ended] = heard["pingone_session_ended"].calls
    assert ended["how"] == "refresh" and ended["alias"] == "default" and ended["subject"] == DEMO_SUB
    assert ended["issuer"] == standin_site.issuer and ended["sessions_ended"] == 1
    [out] = heard["signed_out"].calls
    assert out["by"] == "pingone" and out["user"].get_username() == "demo"


def test_front_channel_logout(
    client: Client, settings: Any, heard: dict[str, Recorder], pingone_standin: PingOneStandIn, pingone_sign_on: Any
) -> None:
    # Channel logout is for other OpenID providers (PingOne calls neither): on only with CHANNEL_LOGOUT.
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(CHANNEL_LOGOUT=True)}
    user = pingone_sign_on(client, {"sid": "sid-front"})
    answer = Client().get("/pingone/logout/frontchannel/", {"iss": pingone_standin.issuer, "sid": "sid-front"})
    assert answer.status_code == 200
    [ended] = heard["pingone_session_ended"].calls
    assert ended["how"] == "front_channel" and ended["sid"] == "sid-front" and ended["sessions_ended"] == 1
    [out] = heard["signed_out"].calls
    assert out == {
        "sender": out["sender"],
        "request": None,
        "user": user,
        "alias": "default",
        "by": "pingone",
    }


def test_back_channel_logout(
    client: Client, settings: Any, heard: dict[str, Recorder], pingone_standin: PingOneStandIn, pingone_sign_on: Any
) -> None:
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(CHANNEL_LOGOUT=True)}
    user = pingone_sign_on(client, {"sid": "sid-back"})
    now = int(time.time())
    token = pingone_standin.signing_key.sign(
        {
            "iss": pingone_standin.issuer,
            "aud": "demo-client",
            "iat": now,
            "exp": now + 120,
            "jti": str(uuid.uuid4()),
            "sub": DEMO_SUB,
            "sid": "sid-back",
            "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        }
    )
    assert Client().post("/pingone/logout/backchannel/", {"logout_token": token}).status_code == 200
    [ended] = heard["pingone_session_ended"].calls
    assert ended["how"] == "back_channel" and ended["alias"] == "default" and ended["subject"] == DEMO_SUB
    assert ended["sessions_ended"] == 1
    [out] = heard["signed_out"].calls
    assert out["by"] == "pingone" and out["user"] == user and out["request"] is None


def test_log_out_everywhere_signs_every_session_out(heard: dict[str, Recorder], pingone_sign_on: Any) -> None:
    here, elsewhere = Client(), Client()
    user = pingone_sign_on(here)
    pingone_sign_on(elsewhere)
    assert here.post("/pingone/logout/everywhere/").status_code == 302
    outs = heard["signed_out"].calls
    assert len(outs) == 2 and {out["by"] for out in outs} == {"site"} and all(out["user"] == user for out in outs)
    assert sorted(out["request"] is None for out in outs) == [False, True]  # the other session ended elsewhere
    assert elsewhere.get("/home/").content == b"home: anonymous"
