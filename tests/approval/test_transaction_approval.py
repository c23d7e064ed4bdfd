"""Transaction approval against the PingOne stand-in over real HTTP: each MFA path (one-time code, push
approved, denied, timed out, device selection), what the stand-in received (``login_hint_token``, ``pi.template``,
``pi.remoteIp``), and the attacks: another amount, a replay, another user's session or identity, a forged
``X-Forwarded-For``."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest
import requests
from django.test import Client

from django_pingone_authorize.approval import Transaction, consume_approval
from django_pingone_authorize.approval.pending import SESSION_KEY
from django_pingone_authorize.models import PingOneIdentity
from django_pingone_authorize.sign_on.client_ip import client_ip
from django_pingone_authorize.sign_on.flow_steps import POLL_INTERVAL
from django_pingone_authorize.testing import PingOneStandIn

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.approval.urls")]

CALLBACK = "http://127.0.0.1:8000/pingone/callback/"
TRANSFER = {"sum": "40", "currency": "USD", "recipient": "J. Smith"}
DONE = f"/transfer/done/?{urlencode(TRANSFER)}"
CODE = "246810"
# PingOne's client secrets are long; PyJWT warns (an error here) about HMAC keys under 32 bytes.
SECRET = "approval-secret-0123456789abcdefghijklmnopqrstuv"


@pytest.fixture
def standin(pingone_standin: PingOneStandIn, settings: Any) -> PingOneStandIn:
    for name in ("ann", "bob"):
        pingone_standin.add_user(name, f"{name}-pw-123", sub=f"{name}-sub", claims={"preferred_username": name})
    pingone_standin.add_client("approval-client", SECRET, name="Bank")
    settings.PINGONE_AUTHORIZE = {
        "default": pingone_standin.settings("approval-client", RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK)
    }
    return pingone_standin


def sign_on(client: Client, username: str) -> None:
    """An embedded sign-on with username and password (the approval needs a signed-on PingOne user)."""
    started = client.post("/pingone/login/")
    assert started.status_code == 302, started.content
    done = client.post(
        started["Location"],
        {"action": "usernamePassword.check", "username": username, "password": f"{username}-pw-123"},
    )
    assert done.status_code == 302, done.content
    assert client.get("/home/").content == f"home: {username}".encode()


def ask(client: Client, **overrides: str) -> str:
    """POST the transfer form: the app starts the approval and sends the browser to its page."""
    response = client.post("/transfer/", {**TRANSFER, **overrides})
    assert response.status_code == 302, response.content
    assert re.fullmatch(r"/pingone/approval/[A-Za-z0-9_-]{43}/", response["Location"])
    return str(response["Location"])


def reason(response: Any) -> str:
    found = re.search(r'data-reason="([a-z_]+)"', response.content.decode())
    return found.group(1) if found else ""


def approval_flow(standin: PingOneStandIn) -> str:
    (flow_id,) = standin.approvals
    return flow_id


def answer_push(standin: PingOneStandIn, device_id: str, decision: str) -> str:
    """On the phone: the pending push's text, then approve or deny it."""
    phone = requests.get(standin.phone_url(device_id), timeout=5)
    assert phone.status_code == 200
    flow_id = approval_flow(standin)
    answered = requests.post(
        standin.phone_url(device_id), data={"flowId": flow_id, "decision": decision}, timeout=5, allow_redirects=False
    )
    assert answered.status_code == 302
    return phone.text


def test_one_time_code_approves_exactly_this_transfer(client: Client, standin: PingOneStandIn) -> None:
    sign_on(client, "ann")
    standin.add_device("ann", "EMAIL", otp=CODE)
    standin.remote_ips_seen.clear()  # the embedded sign-on sent its own (signed by default)
    url = ask(client)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="pingone-one-time-code"' in html and "J. Smith" in html
    assert page["Referrer-Policy"] == "same-origin" and page["X-Frame-Options"] == "DENY"
    assert approval_flow(standin) not in html  # PingOne's flow id never reaches the browser
    # What PingOne was asked: the template in the signed request object, for ann, with her IP.
    record = standin.approvals[approval_flow(standin)]
    assert record.template == {"name": "transaction", "variant": "money_transfer", "variables": TRANSFER}
    assert standin.flows[approval_flow(standin)].username == "ann"
    assert standin.remote_ips_seen == ["127.0.0.1"]
    wrong = client.post(url, {"action": "otp.check", "otp": "000000"})
    assert wrong.status_code == 400 and 'role="alert"' in wrong.content.decode()
    right = client.post(url, {"action": "otp.check", "otp": CODE})
    assert right.status_code == 302 and right["Location"] == DONE
    done = client.get(DONE)
    assert done.status_code == 200 and done.content == b"transferred 40 USD to J. Smith"
    assert client.get("/home/").content == b"home: ann"  # still ann's session, nobody logged in again


def test_push_approved_on_the_phone(client: Client, standin: PingOneStandIn) -> None:
    sign_on(client, "ann")
    phone = standin.add_device("ann", "MOBILE", nickname="Ann's phone")
    url = ask(client)
    waiting = client.get(url)
    assert waiting.status_code == 200
    html = waiting.content.decode()
    assert '<meta http-equiv="refresh" content="3">' in html and 'id="pingone-push-check"' in html
    assert "<script" not in html
    assert client.post(url, {"action": "check"}).status_code == 200  # "Check now": still waiting
    assert "Approve a transfer of 40 USD to J. Smith" in answer_push(standin, phone, "approved")
    time.sleep(POLL_INTERVAL)  # PingOne is asked at most once per POLL_INTERVAL per flow
    confirmed = client.get(url)  # the page's own refresh
    assert confirmed.status_code == 302 and confirmed["Location"] == DONE
    assert client.get(DONE).content == b"transferred 40 USD to J. Smith"


def test_push_denied_is_a_clear_page(client: Client, standin: PingOneStandIn) -> None:
    sign_on(client, "ann")
    phone = standin.add_device("ann", "MOBILE")
    url = ask(client)
    answer_push(standin, phone, "denied")
    denied = client.post(url, {"action": "check"})
    assert denied.status_code == 403 and reason(denied) == "approval_denied"
    html = denied.content.decode()
    assert "denied" in html and 'href="/transfer/"' in html  # the way back
    assert client.get(DONE).status_code == 403
    gone = client.get(url)
    assert gone.status_code == 400 and reason(gone) == "approval_unknown"


def test_push_timed_out_is_a_clear_page(client: Client, standin: PingOneStandIn) -> None:
    sign_on(client, "ann")
    standin.add_device("ann", "MOBILE")
    url = ask(client)
    standin.push_timeout = 5
    standin.clock = lambda: time.time() + 10
    timed_out = client.get(url)
    assert timed_out.status_code == 403 and reason(timed_out) == "approval_timed_out"
    assert "timed out" in timed_out.content.decode() and 'href="/transfer/"' in timed_out.content.decode()
    assert client.get(DONE).status_code == 403


def test_device_selection_then_code(client: Client, standin: PingOneStandIn) -> None:
    sign_on(client, "ann")
    email = standin.add_device("ann", "EMAIL", nickname="Work email", otp=CODE)
    standin.add_device("ann", "MOBILE", nickname="Ann's phone")
    url = ask(client)
    page = client.get(url).content.decode()
    assert 'id="pingone-device-selection"' in page and "Work email" in page and "Ann&#x27;s phone" in page
    assert client.post(url, {"action": "device.select", "device": "not-a-device"}).status_code == 400
    chosen = client.post(url, {"action": "device.select", "device": email})
    assert chosen.status_code == 302 and chosen["Location"] == url  # post/redirect/get
    assert 'id="pingone-one-time-code"' in client.get(url).content.decode()
    assert client.post(url, {"action": "otp.check", "otp": CODE})["Location"] == DONE
    assert client.get(DONE).status_code == 200


def test_decorator_and_mixin(client: Client, standin: PingOneStandIn) -> None:
    sign_on(client, "ann")
    standin.add_device("ann", "SMS", otp=CODE)
    for path, word in (("/decorated/", "decorated"), ("/mixin/", "mixin")):
        target = f"{path}?{urlencode(TRANSFER)}"
        asked = client.get(target)
        assert asked.status_code == 302 and asked["Location"].startswith("/pingone/approval/")
        assert client.post(asked["Location"], {"action": "otp.check", "otp": CODE})["Location"] == target
        assert client.get(target).content == f"{word} 40 USD to J. Smith".encode()
        assert client.get(target)["Location"].startswith("/pingone/approval/")  # used: asks again


# -- attacks -----------------------------------------------------------------------------------------


def approve(client: Client, standin: PingOneStandIn, **overrides: str) -> None:
    url = ask(client, **overrides)
    assert client.post(url, {"action": "otp.check", "otp": CODE}).status_code == 302


def test_approval_of_one_amount_is_not_one_of_another(client: Client, standin: PingOneStandIn) -> None:
    sign_on(client, "ann")
    standin.add_device("ann", "EMAIL", otp=CODE)
    approve(client, standin)
    for changed in ({"sum": "4000"}, {"recipient": "Mallory"}, {"currency": "EUR"}):
        assert client.get(f"/transfer/done/?{urlencode({**TRANSFER, **changed})}").status_code == 403
    assert client.get(DONE).status_code == 200  # the approved one, once


def test_replay_is_refused(client: Client, standin: PingOneStandIn) -> None:
    sign_on(client, "ann")
    standin.add_device("ann", "EMAIL", otp=CODE)
    url = ask(client)
    assert client.post(url, {"action": "otp.check", "otp": CODE}).status_code == 302
    assert client.get(DONE).status_code == 200
    assert client.get(DONE).status_code == 403
    assert client.post(url, {"action": "otp.check", "otp": CODE}).status_code == 400  # the step is gone too
    assert client.get(url).status_code == 400


def test_another_users_session_cannot_use_it(standin: PingOneStandIn) -> None:
    ann, bob = Client(), Client()
    sign_on(ann, "ann")
    sign_on(bob, "bob")
    standin.add_device("ann", "EMAIL", otp=CODE)
    url = ask(ann)
    # Bob holds ann's approval URL: it is not his to answer, nor to use once ann approved.
    assert bob.post(url, {"action": "otp.check", "otp": CODE}).status_code == 400
    assert ann.post(url, {"action": "otp.check", "otp": CODE}).status_code == 302
    assert bob.get(url).status_code == 400
    assert bob.get(DONE).status_code == 403
    # Ann logs out and bob signs on in her browser: her approval went with her session.
    ann.post("/pingone/logout/")
    sign_on(ann, "bob")
    assert ann.get(DONE).status_code == 403


def test_approval_for_another_user_is_refused(client: Client, standin: PingOneStandIn) -> None:
    """PingOne answering for someone else (a login_hint_token for another user): the ID token's sub differs."""
    sign_on(client, "ann")
    standin.add_device("ann", "EMAIL", otp=CODE)
    url = ask(client)
    standin.flows[approval_flow(standin)].username = "bob"
    refused = client.post(url, {"action": "otp.check", "otp": CODE})
    assert refused.status_code == 403 and reason(refused) == "approval_wrong_user"
    assert client.get(DONE).status_code == 403


def test_login_hint_token_names_the_signed_on_user(client: Client, standin: PingOneStandIn, settings: Any) -> None:
    sign_on(client, "ann")
    standin.add_device("ann", "EMAIL", otp=CODE)
    seen: list[dict[str, Any]] = []
    original = standin._route

    def spy(request: Any) -> Any:
        if request.path.endswith("/as/authorize") and request.method == "POST":
            seen.append({k: v[0] for k, v in request.form().items()})
        return original(request)

    standin._route = spy  # type: ignore[method-assign]
    try:
        ask(client)
    finally:
        standin._route = original  # type: ignore[method-assign]
    (params,) = seen
    assert params["response_mode"] == "pi.flow" and set(params) == {
        "client_id",
        "response_type",
        "response_mode",
        "scope",
        "request",
        "login_hint_token",  # top-level too, as Ping's own transaction-approval example sends it
    }
    signed = jwt.decode(params["request"], SECRET, algorithms=["HS256"], audience=standin.issuer)
    assert signed["iss"] == "approval-client" and signed["pi.remoteIp"] == "127.0.0.1"
    assert signed["pi.template"] == {"name": "transaction", "variant": "money_transfer", "variables": TRANSFER}
    hint = jwt.decode(signed["login_hint_token"], SECRET, algorithms=["HS256"], audience=standin.issuer)
    assert hint["sub"] == "ann-sub" and hint["iss"] == "approval-client" and hint["exp"] > hint["iat"]


def test_forged_login_hint_token_is_refused_by_the_standin(standin: PingOneStandIn) -> None:
    now = int(time.time())
    claims = {"iss": "approval-client", "sub": "ann-sub", "aud": standin.issuer, "iat": now, "exp": now + 60}
    for key, changed in (("wrong-secret" * 4, {}), (SECRET, {"sub": "nobody"}), (SECRET, {"exp": now - 600})):
        token = jwt.encode({**claims, **changed}, key, algorithm="HS256")
        answer = requests.post(
            standin.authorization_endpoint,
            data={
                "client_id": "approval-client",
                "response_type": "code",
                "response_mode": "pi.flow",
                "scope": "openid",
                "code_challenge": "x" * 43,
                "code_challenge_method": "S256",
                "login_hint_token": token,
            },
            timeout=5,
        )
        assert answer.status_code == 400 and "login_hint_token" in answer.json()["error_description"]


def test_forged_x_forwarded_for_is_not_believed(client: Client, standin: PingOneStandIn) -> None:
    sign_on(client, "ann")
    standin.add_device("ann", "EMAIL", otp=CODE)
    standin.remote_ips_seen.clear()  # the embedded sign-on sent its own (signed by default)
    client.post("/transfer/", TRANSFER, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert standin.remote_ips_seen == ["127.0.0.1"]  # REMOTE_ADDR, not the header


def test_not_signed_on_through_pingone(client: Client, standin: PingOneStandIn, django_user_model: Any) -> None:
    client.force_login(django_user_model.objects.create(username="local"))
    refused = client.post("/transfer/", TRANSFER)
    assert refused.status_code == 403 and reason(refused) == "approval_not_signed_on"
    assert not standin.approvals


def test_cancel(client: Client, standin: PingOneStandIn) -> None:
    sign_on(client, "ann")
    standin.add_device("ann", "EMAIL", otp=CODE)
    url = ask(client)
    cancelled = client.post(url, {"action": "cancel"})
    assert reason(cancelled) == "approval_cancelled" and 'href="/transfer/"' in cancelled.content.decode()
    assert client.get(url).status_code == 400


def test_garbled_session_entries_never_break_a_page(client: Client, standin: PingOneStandIn) -> None:
    sign_on(client, "ann")
    session = client.session
    session[SESSION_KEY] = {"x": {"expires": time.time() + 60, "state": 1}, "y": "junk"}
    session.save()
    assert client.get(DONE).status_code == 403
    assert client.get("/pingone/approval/x/").status_code == 400


# -- the pieces ------------------------------------------------------------------------------------------


def test_digest_is_canonical() -> None:
    one = Transaction.of("transaction", "money_transfer", {"sum": 40, "currency": "USD", "recipient": "J. Smith"})
    two = Transaction.of("transaction", "money_transfer", {"recipient": "J. Smith", "currency": "USD", "sum": "40"})
    assert one.digest == two.digest and len(one.digest) == 64
    assert Transaction.of("transaction", "money_transfer", {**TRANSFER, "sum": "41"}).digest != one.digest
    assert Transaction.of("transaction", "other", TRANSFER).digest != one.digest


def test_consume_needs_a_user(rf: Any) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.get("/")
    request.user, request.session = AnonymousUser(), SessionStore()
    assert consume_approval(request, template="transaction", variant="money_transfer", variables=TRANSFER) is None


@pytest.mark.parametrize(
    ("remote", "forwarded", "proxies", "expected"),
    [
        ("127.0.0.1", "203.0.113.9", (), "127.0.0.1"),  # no trusted proxy: the header is ignored
        ("10.0.0.2", "203.0.113.9", ("10.0.0.0/8",), "203.0.113.9"),
        ("10.0.0.2", "198.51.100.1, 203.0.113.9, 10.0.0.7", ("10.0.0.0/8",), "203.0.113.9"),  # from the right
        ("10.0.0.2", "", ("10.0.0.0/8",), "10.0.0.2"),
        ("192.0.2.1", "203.0.113.9", ("10.0.0.0/8",), "192.0.2.1"),  # REMOTE_ADDR is no trusted proxy
        ("10.0.0.2", "junk, 203.0.113.9", ("10.0.0.2",), "203.0.113.9"),
        ("10.0.0.2", "10.0.0.3", ("10.0.0.0/8",), "10.0.0.3"),  # all trusted: the leftmost
        ("::ffff:127.0.0.1", "", (), "127.0.0.1"),
        ("not an ip", "", (), None),
        ("10.0.0.2", "203.0.113.9", ("not-a-network",), "10.0.0.2"),  # a broken setting trusts nobody
    ],
)
def test_client_ip(rf: Any, remote: str, forwarded: str, proxies: tuple[str, ...], expected: str | None) -> None:
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request, proxies) == expected


def test_identity_table_gives_the_subject(client: Client, standin: PingOneStandIn) -> None:
    sign_on(client, "ann")
    identity = PingOneIdentity.objects.get(subject="ann-sub")
    assert identity.issuer == standin.issuer


def test_unusable_details_are_a_400_page(client: Client, standin: PingOneStandIn) -> None:
    sign_on(client, "ann")
    refused = client.post("/transfer/", {**TRANSFER, "recipient": "J.\nSmith"})
    assert refused.status_code == 400 and reason(refused) == "approval_bad_details"
    assert client.get(f"/transfer/done/?{urlencode({**TRANSFER, 'recipient': 'x' * 300})}").status_code == 403


def test_a_stale_authentication_is_no_approval(
    client: Client, standin: PingOneStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PingOne answering with an authentication from before the approval started (auth_time): refused."""
    from django_pingone_authorize.testing.standin import sign_ons

    original = sign_ons.complete

    def stale(env: Any, flow: Any, user: Any) -> None:
        original(env, flow, user)
        flow.auth_time = int(time.time()) - 3600

    monkeypatch.setattr(sign_ons, "complete", stale)
    sign_on(client, "ann")
    standin.add_device("ann", "EMAIL", otp=CODE)
    url = ask(client)
    refused = client.post(url, {"action": "otp.check", "otp": CODE})
    assert refused.status_code == 400 and reason(refused) == "id_token_auth_not_fresh"
    assert client.get(DONE).status_code == 403


def test_embedded_sign_on_sends_the_users_ip_in_its_request_object(
    client: Client, standin: PingOneStandIn, settings: Any
) -> None:
    settings.PINGONE_AUTHORIZE = {
        "default": standin.settings(
            "approval-client", RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK, REQUEST_OBJECT_ALGORITHM="HS256"
        )
    }
    client.post("/pingone/login/", HTTP_X_FORWARDED_FOR="203.0.113.9", REMOTE_ADDR="198.51.100.20")
    assert standin.remote_ips_seen == ["198.51.100.20"]
    settings.PINGONE_AUTHORIZE = {
        "default": standin.settings("approval-client", RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK)
    }
    client.post("/pingone/login/")  # no algorithm set: signed by default with the client secret (HS256)
    assert standin.remote_ips_seen == ["198.51.100.20", "127.0.0.1"]
    settings.PINGONE_AUTHORIZE = {
        "default": standin.settings(
            "approval-client", RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK, SIGN_EMBEDDED_REQUESTS=False
        )
    }
    client.post("/pingone/login/")  # switched off: no request object, nothing to put it in
    assert standin.remote_ips_seen == ["198.51.100.20", "127.0.0.1"]


# -- the options -------------------------------------------------------------------------------------------


def test_trusted_proxy_gives_the_forwarded_ip(client: Client, standin: PingOneStandIn, settings: Any) -> None:
    settings.PINGONE_AUTHORIZE = {
        "default": standin.settings(
            "approval-client", RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK, TRUSTED_PROXIES=["127.0.0.0/8"]
        )
    }
    sign_on(client, "ann")
    standin.add_device("ann", "EMAIL", otp=CODE)
    standin.remote_ips_seen.clear()  # the embedded sign-on sent its own (signed by default)
    client.post("/transfer/", TRANSFER, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9")
    assert standin.remote_ips_seen == ["203.0.113.9"]  # the nearest hop the trusted proxy vouches for


def test_approval_asks_its_own_policy(client: Client, standin: PingOneStandIn, settings: Any) -> None:
    settings.PINGONE_AUTHORIZE = {
        "default": standin.settings(
            "approval-client", RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK, APPROVAL_ACR_VALUES="Multi_Factor"
        )
    }
    sign_on(client, "ann")
    standin.add_device("ann", "EMAIL", otp=CODE)
    url = ask(client)
    assert standin.flows[approval_flow(standin)].request.acr_values == ("Multi_Factor",)
    assert client.post(url, {"action": "otp.check", "otp": CODE}).status_code == 302
    assert client.get(DONE).status_code == 200


def test_approval_expires(
    client: Client, standin: PingOneStandIn, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_pingone_authorize import approval

    settings.PINGONE_AUTHORIZE = {
        "default": standin.settings("approval-client", RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK, APPROVAL_TTL=60)
    }
    sign_on(client, "ann")
    standin.add_device("ann", "EMAIL", otp=CODE)
    approve(client, standin)
    monkeypatch.setattr(approval.pending, "now", lambda: time.time() + 61)
    assert client.get(DONE).status_code == 403


GOOD = {
    "AUTH_PATH": "https://auth.pingone.eu",
    "ENV_ID": "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6",
    "CLIENT_ID": "c",
    "CLIENT_SECRET": "s",
}


@pytest.mark.parametrize(
    ("options", "check_id"),
    [
        ({"APPROVAL_TTL": 0}, "pingone.E090"),
        ({"APPROVAL_TTL": "300"}, "pingone.E090"),
        ({"APPROVAL_TTL": True}, "pingone.E090"),
        ({"TRUSTED_PROXIES": ["10.0.0.0/8", "proxy.example"]}, "pingone.E091"),
        ({"TRUSTED_PROXIES": [10]}, "pingone.E091"),
        ({"APPROVAL_ACR_VALUES": "Multi Factor!"}, "pingone.E092"),
        ({"APPROVAL_ACR_VALUES": ["Multi_Factor"]}, "pingone.E092"),
        # Embedded, and nothing to sign the request object with (GOOD's secret is too short for HS256).
        ({"RESPONSE_MODE": "pi.flow"}, "pingone.W093"),
    ],
)
def test_checks(options: dict[str, Any], check_id: str) -> None:
    from django.test import override_settings

    from django_pingone_authorize.checks import check_transaction_approval

    with override_settings(PINGONE_AUTHORIZE={"default": {**GOOD, **options}}):
        found = check_transaction_approval()
    assert [message.id for message in found] == [check_id]
    assert all(message.hint for message in found)
    with override_settings(
        PINGONE_AUTHORIZE={
            "default": {
                **GOOD,
                "APPROVAL_TTL": 120,
                "TRUSTED_PROXIES": "10.0.0.1",
                "APPROVAL_ACR_VALUES": "Multi_Factor",
            }
        }
    ):
        assert check_transaction_approval() == []
    for embedded in (
        {"CLIENT_SECRET": "s" * 32},
        {"SIGN_EMBEDDED_REQUESTS": False},
        {"REQUEST_OBJECT_ALGORITHM": "HS256"},
    ):
        with override_settings(PINGONE_AUTHORIZE={"default": {**GOOD, "RESPONSE_MODE": "pi.flow", **embedded}}):
            assert check_transaction_approval() == []


def test_two_requests_of_one_session_cannot_both_use_it(client: Client, standin: PingOneStandIn, rf: Any) -> None:
    """Each request loads its own copy of the session: the second copy still holds the approval."""
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    sign_on(client, "ann")
    standin.add_device("ann", "EMAIL", otp=CODE)
    approve(client, standin)
    key = client.session.session_key
    user = get_user_model().objects.get(username="ann")
    results = []
    copies = [SessionStore(session_key=key), SessionStore(session_key=key)]  # neither saved: both hold it
    for copy in copies:
        request = rf.get(DONE)
        request.user, request.session = user, copy
        results.append(consume_approval(request, template="transaction", variant="money_transfer", variables=TRANSFER))
    assert results[0] is not None and results[1] is None


def test_an_alias_without_a_secret_cannot_ask(client: Client, standin: PingOneStandIn, settings: Any) -> None:
    sign_on(client, "ann")
    settings.PINGONE_AUTHORIZE = {
        "default": standin.settings("demo-public", RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK)
    }
    refused = client.post("/transfer/", TRANSFER)
    assert refused.status_code == 400 and reason(refused) == "approval_unavailable"


def test_devices_from_pingone_are_checked(settings: Any) -> None:
    from django_pingone_authorize.conf import get_alias
    from django_pingone_authorize.provider.flows_api import Flow, read_flow

    config = get_alias()
    body = {
        "id": "flow-1",
        "status": "DEVICE_SELECTION_REQUIRED",
        "_embedded": {
            "devices": [
                {"id": "dev-1", "type": "SMS", "phone": "+1*******89"},
                {"id": "../../evil", "type": "EMAIL", "nickname": "x"},  # not an id: dropped
                "junk",
                {"id": "dev-2", "type": "MOBILE", "nickname": "Phone" * 100},
            ]
        },
    }
    flow = read_flow(config, body)
    assert [(d.id, d.type) for d in flow.devices] == [("dev-1", "SMS"), ("dev-2", "MOBILE")]
    assert flow.devices[0].label == "+1*******89" and len(flow.devices[1].label) == 100
    assert Flow.from_session(flow.to_session()) == flow


def test_client_context_goes_in_the_request_object(
    client: Client, standin: PingOneStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_pingone_authorize import approval
    from django_pingone_authorize.provider import flows_api

    sent: list[dict[str, str]] = []
    sign_on(client, "ann")
    request = client.get("/home/").wsgi_request
    monkeypatch.setattr(flows_api, "start", lambda config, metadata, params: (sent.append(params), 1 / 0))
    with pytest.raises(ZeroDivisionError):
        approval.request_approval(
            request, template="transaction", variant="login", variables={}, client_context={"app": "bank"}
        )
    signed = jwt.decode(sent[0]["request"], SECRET, algorithms=["HS256"], audience=standin.issuer)
    assert signed["pi.clientContext"] == {"app": "bank"}
    assert signed["pi.template"] == {"name": "transaction", "variant": "login", "variables": {}}
