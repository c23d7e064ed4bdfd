"""``pingone:logout``: no ``state`` that nothing checks, no session written for a visitor who is logging out,
and PingOne's ``/as/signoff`` (the stand-in, over real HTTP) sends the browser back to a plain landing URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.sessions.models import Session
from django.test import Client

from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import sign_on

pytestmark = pytest.mark.django_db

CALLBACK = "http://127.0.0.1:8000/pingone/callback/"
LANDING = "http://127.0.0.1:8000/"


def test_anonymous_logout_creates_no_session(client: Client) -> None:
    before = Session.objects.count()
    response = client.post("/pingone/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert Session.objects.count() == before
    assert "sessionid" not in response.cookies or not response.cookies["sessionid"].value


def test_signed_on_logout_sends_no_state_and_leaves_no_session(
    client: Client, settings: Any, pingone_standin: PingOneStandIn
) -> None:
    settings.PINGONE_AUTHORIZE = {
        "default": pingone_standin.settings(REDIRECT_URI=CALLBACK, POST_LOGOUT_REDIRECT_URI=LANDING)
    }
    http = requests.Session()  # the browser at PingOne: its session cookie there
    answer = sign_on(http, client.post("/pingone/login/")["Location"])
    assert client.get("/pingone/callback/", answer.params).status_code == 302
    assert Session.objects.count() == 1

    response = client.post("/pingone/logout/")
    signoff = urlsplit(response["Location"])
    assert f"{signoff.scheme}://{signoff.netloc}{signoff.path}" == pingone_standin.end_session_endpoint
    assert set(parse_qs(signoff.query)) == {"id_token_hint", "post_logout_redirect_uri"}
    assert Session.objects.count() == 0  # the signed-on session is gone and no new one was written

    back = http.get(response["Location"], allow_redirects=False)  # PingOne's /as/signoff
    assert back.status_code == 302
    assert back.headers["Location"] == LANDING  # no ?state= that nothing would check
    assert client.get("/home/").content == b"home: anonymous"
