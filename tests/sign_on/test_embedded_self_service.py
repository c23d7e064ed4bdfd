"""A forgotten password and registration on the embedded pages, over real HTTP against the stand-in, and the
attacker's tries: an account that exists or not answers alike, codes meet PingOne's limit and are never retried,
a step begun in one browser cannot be finished in another, registration takes over no Django user, and
``user.register`` is never posted unless the alias allows it."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client

from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.flows import IDENTIFIER_FIRST
from tests.doubles.hostile_provider import reason
from tests.doubles.html_forms import parse_page
from tests.sign_on.test_embedded_policies import flow_calls, page, password_step, signed_on_as, start, status_of

pytestmark = pytest.mark.django_db

CALLBACK = "http://127.0.0.1:8000/pingone/callback/"
NEW_PASSWORD = "Fresh-Pass-2468"


@pytest.fixture
def standin(pingone_standin: PingOneStandIn, settings: Any) -> PingOneStandIn:
    pingone_standin.add_user(
        "ida", "ida-pw-123", sub="ida-sub", claims={"preferred_username": "ida", "email": "ida@example.com"}
    )
    pingone_standin.password_recovery = True
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK)}
    return pingone_standin


@pytest.fixture
def registration(standin: PingOneStandIn, settings: Any) -> PingOneStandIn:
    standin.registration = True
    settings.PINGONE_AUTHORIZE = {
        "default": standin.settings(RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK, REGISTRATION=True)
    }
    return standin


def shown(html: str) -> str:
    """The page without what differs between any two showings (the CSRF token)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def forgot(client: Client, url: str, username: str) -> Any:
    return client.post(url, {"action": "password.forgot", "username": username})


def recover(client: Client, url: str, code: str, new_password: str = NEW_PASSWORD) -> Any:
    return client.post(
        url,
        {
            "action": "password.recover",
            "status": "RECOVERY_CODE_REQUIRED",
            "recovery_code": code,
            "new_password": new_password,
        },
    )


def register(client: Client, url: str, username: str, email: str, password: str = NEW_PASSWORD) -> Any:
    return client.post(url, {"action": "user.register", "username": username, "email": email, "password": password})


# -- a forgotten password ------------------------------------------------------------------------------------


def test_forgotten_password_then_signed_on(client: Client, standin: PingOneStandIn, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    url = start(client)
    link = parse_page(page(client, url)[1])
    assert 'id="pingone-forgot-link"' in page(client, url)[1] and link.has_form("pingone-sign-on")
    code, html = page(client, url + "?step=forgot")
    assert code == 200 and parse_page(html).form("pingone-forgot-password").fields["action"] == "password.forgot"
    assert forgot(client, url, "ida")["Location"] == url
    code, html = page(client, url)
    assert code == 200 and status_of(html) == "RECOVERY_CODE_REQUIRED"
    assert parse_page(html).has_form("pingone-resend-code")
    recovery_code = standin.last_code("ida")
    assert recovery_code
    mailbox = requests.get(standin.mailbox_url, timeout=5)  # where a person trying the demo reads it
    assert mailbox.status_code == 200 and f"<code>{recovery_code}</code>" in mailbox.text
    weak = recover(client, url, recovery_code, "ida")  # too short, and the username: PingOne's rules, as they come
    body = weak.content.decode()
    assert weak.status_code == 400 and "password policy" in body
    assert "long enough" in body and "not made of your name" in body
    assert recover(client, url, recovery_code)["Location"] != url  # COMPLETED: signed on
    assert signed_on_as(client) == "ida"
    assert standin.users["ida"].password == NEW_PASSWORD
    assert not any(s in r.getMessage() for r in caplog.records for s in (recovery_code, NEW_PASSWORD))


def test_a_new_code_replaces_the_old_one(client: Client, standin: PingOneStandIn) -> None:
    url = start(client)
    forgot(client, url, "ida")
    old = standin.last_code("ida")
    resent = client.post(url, {"action": "password.sendRecoveryCode", "status": "RECOVERY_CODE_REQUIRED"})
    assert resent.status_code == 302 and standin.last_code("ida") != old
    wrong = recover(client, url, old or "")
    assert wrong.status_code == 400 and "That code is not right" in wrong.content.decode()
    assert recover(client, url, standin.last_code("ida") or "").status_code == 302
    assert signed_on_as(client) == "ida"


def test_no_link_and_no_form_when_the_flow_does_not_offer_it(client: Client, standin: PingOneStandIn) -> None:
    standin.password_recovery = False
    url = start(client)
    assert "pingone-forgot-link" not in page(client, url)[1]
    assert client.get(url + "?step=forgot").status_code == 400
    before = flow_calls(standin, "POST")
    refused = forgot(client, url, "ida")
    assert refused.status_code == 400 and reason(refused) == "flow_bad_action"
    assert flow_calls(standin, "POST") == before


@pytest.mark.parametrize("pingone_status", [404, 400])
def test_an_unknown_account_answers_alike(standin: PingOneStandIn, pingone_status: int) -> None:
    standin.forgot_unknown_status = pingone_status  # PingOne's NOT_FOUND: its HTTP status is not documented
    known, unknown = Client(), Client()
    pages = []
    for client, username in ((known, "ida"), (unknown, "nobody")):
        url = start(client)
        answered = forgot(client, url, username)
        assert answered.status_code == 302 and answered["Location"] == url
        code, html = page(client, url)
        wrong = recover(client, url, "WRONG123")
        resent = client.post(url, {"action": "password.sendRecoveryCode", "status": "RECOVERY_CODE_REQUIRED"})
        pages.append(
            (
                code,
                shown(html).replace(url, "URL"),
                wrong.status_code,
                shown(wrong.content.decode()).replace(url, "URL"),
                resent.status_code,
            )
        )
    assert pages[0] == pages[1]
    assert pages[0][0] == 200 and "RECOVERY_CODE_REQUIRED" in pages[0][1] and pages[0][2] == 400
    assert "_auth_user_id" not in unknown.session


def test_code_guessing_meets_pingones_limit_and_is_never_retried(client: Client, standin: PingOneStandIn) -> None:
    standin.code_attempts = 3
    url = start(client)
    forgot(client, url, "ida")
    right = standin.last_code("ida") or ""
    for _ in range(3):
        before = flow_calls(standin, "POST")
        assert recover(client, url, "WRONG123").status_code == 400
        assert flow_calls(standin, "POST") == before + 1  # one post per answer: the app never tries again
    used_up = recover(client, url, right)
    assert used_up.status_code == 400 and "used too many times" in used_up.content.decode()
    assert "_auth_user_id" not in client.session
    client.post(url, {"action": "password.sendRecoveryCode", "status": "RECOVERY_CODE_REQUIRED"})
    assert recover(client, url, standin.last_code("ida") or "").status_code == 302  # a new code starts again


def test_a_recovery_begun_in_one_browser_cannot_be_finished_in_another(standin: PingOneStandIn) -> None:
    victim, attacker = Client(), Client()
    url = start(victim)
    forgot(victim, url, "ida")
    before = flow_calls(standin, "POST")
    stolen = recover(attacker, url, standin.last_code("ida") or "")
    assert stolen.status_code == 400 and reason(stolen) == "state_unknown"
    assert flow_calls(standin, "POST") == before and standin.users["ida"].password == "ida-pw-123"
    assert "_auth_user_id" not in attacker.session


# -- registration ----------------------------------------------------------------------------------------------


def test_registration_then_signed_on_as_a_new_user(client: Client, registration: PingOneStandIn) -> None:
    url = start(client)
    html = page(client, url)[1]
    assert 'id="pingone-register-link"' in html
    code, html = page(client, url + "?step=register")
    assert code == 200 and parse_page(html).form("pingone-register").fields["action"] == "user.register"
    assert register(client, url, "newbie", "newbie@example.com")["Location"] == url
    code, html = page(client, url)
    assert status_of(html) == "VERIFICATION_CODE_REQUIRED"
    wrong = client.post(url, {"action": "user.verify", "verification_code": "WRONG123"})
    assert wrong.status_code == 400 and "That code is not right" in wrong.content.decode()
    assert (
        client.post(url, {"action": "user.verify", "verification_code": registration.last_code("newbie")}).status_code
        == 302
    )
    assert signed_on_as(client) == "newbie"


def test_policy_refusals_show_the_form_again(client: Client, registration: PingOneStandIn) -> None:
    url = start(client)
    weak = register(client, url, "newbie", "newbie@example.com", "short")
    body = weak.content.decode()
    assert weak.status_code == 400 and "long enough" in body and 'id="pingone-register"' in body
    assert re.search(r'id="pingone-username"[^>]*value="newbie"', body)  # the typed username kept


def test_registration_is_off_by_default(client: Client, registration: PingOneStandIn, settings: Any) -> None:
    settings.PINGONE_AUTHORIZE = {"default": registration.settings(RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK)}
    url = start(client)
    assert "pingone-register-link" not in page(client, url)[1]  # PingOne offers it; the alias does not
    assert client.get(url + "?step=register").status_code == 400
    before = flow_calls(registration, "POST")
    refused = register(client, url, "newbie", "newbie@example.com")
    assert refused.status_code == 400 and reason(refused) == "flow_bad_action"
    assert flow_calls(registration, "POST") == before and "newbie" not in registration.users


@pytest.mark.parametrize(("username", "email"), [("ida", "other@example.com"), ("other", "ida@example.com")])
def test_a_taken_account_answers_alike(registration: PingOneStandIn, username: str, email: str) -> None:
    fresh, taken = Client(), Client()
    pages = []
    for client, name, address in ((fresh, "newbie", "newbie@example.com"), (taken, username, email)):
        url = start(client)
        assert register(client, url, name, address)["Location"] == url
        html = page(client, url)[1]
        wrong = client.post(
            url, {"action": "user.verify", "verification_code": "WRONG123", "status": "VERIFICATION_CODE_REQUIRED"}
        )
        pages.append(
            (shown(html).replace(url, "URL"), wrong.status_code, shown(wrong.content.decode()).replace(url, "URL"))
        )
    assert pages[0] == pages[1]
    assert "_auth_user_id" not in taken.session and registration.users["ida"].password == "ida-pw-123"


def test_registration_takes_over_no_django_user(client: Client, registration: PingOneStandIn) -> None:
    existing = get_user_model().objects.create_user("newbie", "newbie@example.com", "local-pw-1234")
    url = start(client)
    register(client, url, "newbie", "newbie@example.com")
    client.post(url, {"action": "user.verify", "verification_code": registration.last_code("newbie")})
    user_id = client.session["_auth_user_id"]
    assert str(existing.pk) != user_id  # a new Django user, by (issuer, sub)
    existing.refresh_from_db()
    assert existing.check_password("local-pw-1234") and existing.username == "newbie"


def test_verification_codes_meet_pingones_limit(client: Client, registration: PingOneStandIn) -> None:
    registration.code_attempts = 2
    url = start(client)
    register(client, url, "newbie", "newbie@example.com")
    for _ in range(2):
        assert client.post(url, {"action": "user.verify", "verification_code": "WRONG123"}).status_code == 400
    used_up = client.post(url, {"action": "user.verify", "verification_code": registration.last_code("newbie")})
    assert used_up.status_code == 400 and "used too many times" in used_up.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_registration_begun_in_one_browser_cannot_be_finished_in_another(registration: PingOneStandIn) -> None:
    victim, attacker = Client(), Client()
    url = start(victim)
    register(victim, url, "newbie", "newbie@example.com")
    stolen = attacker.post(url, {"action": "user.verify", "verification_code": registration.last_code("newbie")})
    assert stolen.status_code == 400 and reason(stolen) == "state_unknown"
    assert "_auth_user_id" not in attacker.session


# -- identifier-first ------------------------------------------------------------------------------------------


def test_the_lookup_answers_alike_whether_the_account_exists(standin: PingOneStandIn) -> None:
    standin.sign_on_policy = IDENTIFIER_FIRST
    standin.add_user("quinn", "quinn-pw-123")
    pages = []
    for username in ("quinn", "nobody"):
        client = Client()
        url = start(client)
        looked_up = client.post(url, {"action": "user.lookup", "username": username, "status": "SIGN_ON_REQUIRED"})
        assert looked_up.status_code == 302 and looked_up["Location"] == url
        html = page(client, url)[1]
        wrong = password_step(client, url, username, "wrong-pw-1")
        found = (shown(html), wrong.status_code, shown(wrong.content.decode()))
        pages.append(tuple(part.replace(url, "URL").replace(username, "NAME") for part in map(str, found)))
    assert pages[0] == pages[1]
    assert "PASSWORD_REQUIRED" in pages[0][0] and pages[0][1] == "400" and "pingone-forgot-link" in pages[0][0]


def test_an_unknown_username_can_still_ask_for_a_recovery_code(client: Client, standin: PingOneStandIn) -> None:
    standin.sign_on_policy = IDENTIFIER_FIRST
    url = start(client)
    client.post(url, {"action": "user.lookup", "username": "nobody", "status": "SIGN_ON_REQUIRED"})
    assert client.get(url + "?step=forgot").status_code == 200
    assert forgot(client, url, "nobody")["Location"] == url
    assert status_of(page(client, url)[1]) == "RECOVERY_CODE_REQUIRED"
    assert client.get(url + "?step=register").status_code == 400  # not offered, and a pretend step is under way
