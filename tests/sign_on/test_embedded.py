"""Embedded sign-on (``RESPONSE_MODE="pi.flow"``) against the PingOne stand-in over real HTTP: every
status gets its page, PingOne's cookies stay server-side, and the end is the same login as a redirect."""

from __future__ import annotations

import logging
import re
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client

from django_pingone_authorize.sign_on.pending import SESSION_KEY
from django_pingone_authorize.testing import DEMO_PROVIDER_ID, PingOneStandIn
from django_pingone_authorize.testing.driver import SignOnError as DriverStopped
from django_pingone_authorize.testing.driver import sign_on
from tests.doubles.html_forms import parse_page

pytestmark = pytest.mark.django_db

CALLBACK = "http://127.0.0.1:8000/pingone/callback/"
SECRETS = ("demo-pw-9", "123456", "n3w-Passw0rd!")


@pytest.fixture
def embedded_standin(pingone_standin: PingOneStandIn, settings: Any) -> PingOneStandIn:
    pingone_standin.add_user(
        "ann",
        "demo-pw-9",
        sub="ann-sub",
        claims={"email": "ann@example.com", "email_verified": True, "preferred_username": "ann"},
    )
    pingone_standin.add_user(
        "carl", "old-pw-123", sub="carl-sub", must_change_password=True, claims={"preferred_username": "carl"}
    )
    pingone_standin.add_user("olga", "olga-pw-123", sub="olga-sub", otp="123456", claims={"preferred_username": "olga"})
    pingone_standin.add_user("dev", "dev-pw-1234", sub="dev-sub", unsupported_status="DEVICE_SELECTION_REQUIRED")
    settings.PINGONE_AUTHORIZE = {"default": pingone_standin.settings(RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK)}
    return pingone_standin


def start(client: Client, **data: str) -> str:
    response = client.post("/pingone/login/", data)
    assert response.status_code == 302, response.content
    location = response["Location"]
    assert re.fullmatch(r"/pingone/signon/[A-Za-z0-9_-]{43}/", location)
    return location


def step(client: Client, url: str, action: str, **fields: str) -> Any:
    return client.post(url, {"action": action, **fields})


def signed_on_as(client: Client) -> str:
    return client.get("/home/").content.decode().removeprefix("home: ")


def test_username_and_password_signs_on(client: Client, embedded_standin: PingOneStandIn, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    url = start(client, next="/home/?from=embedded")
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sign on to Demo App" in html  # the application's name from the flow object
    parsed = parse_page(html)
    assert parsed.form("pingone-sign-on").fields["action"] == "usernamePassword.check"
    assert parsed.form("pingone-hosted").fields["hosted"] == "1"  # the hosted-page fallback
    provider_buttons = [button.get("data-provider") for button in parsed.form("pingone-provider").buttons]
    assert provider_buttons == [DEMO_PROVIDER_ID]  # a button, not PingOne's link
    assert not parsed.links
    # The page posts to itself: same-origin keeps a real Origin for Django's CSRF check (no-referrer gives null).
    assert page["Referrer-Policy"] == "same-origin"
    (flow_id,) = embedded_standin.flows  # what PingOne knows this sign-on by never reaches the browser
    assert flow_id not in html and "authenticate" not in html
    response = step(client, url, "usernamePassword.check", username="ann", password="demo-pw-9")
    assert response.status_code == 302
    assert response["Location"] == "/home/?from=embedded"
    assert signed_on_as(client) == "ann"
    # PingOne's cookies never reached the browser; the pending entry is gone.
    assert set(client.cookies) <= {"sessionid", "csrftoken"}
    assert not client.session.get(SESSION_KEY)  # no entry, and no empty dict either
    assert not any(secret in record.getMessage() for record in caplog.records for secret in SECRETS)


def test_wrong_password_shows_pingones_message_then_succeeds(client: Client, embedded_standin: PingOneStandIn) -> None:
    url = start(client)
    wrong = step(client, url, "usernamePassword.check", username="ann", password="nope")
    assert wrong.status_code == 400
    assert 'role="alert"' in wrong.content.decode()
    assert "_auth_user_id" not in client.session
    assert parse_page(wrong.content).has_form("pingone-sign-on")  # the form again
    ok = step(client, url, "usernamePassword.check", username="ann", password="demo-pw-9")
    assert ok.status_code == 302
    assert signed_on_as(client) == "ann"


def test_must_change_password(client: Client, embedded_standin: PingOneStandIn) -> None:
    url = start(client)
    response = step(client, url, "usernamePassword.check", username="carl", password="old-pw-123")
    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url).content.decode()
    assert 'data-status="MUST_CHANGE_PASSWORD"' in page
    assert parse_page(page).form("pingone-change-password").fields["action"] == "password.reset"
    done = step(client, url, "password.reset", current_password="old-pw-123", new_password="n3w-Passw0rd!")
    assert done.status_code == 302
    assert signed_on_as(client) == "carl"


def test_one_time_code(client: Client, embedded_standin: PingOneStandIn, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    url = start(client)
    step(client, url, "usernamePassword.check", username="olga", password="olga-pw-123")
    page = client.get(url).content.decode()
    assert 'data-status="OTP_REQUIRED"' in page
    wrong = step(client, url, "otp.check", otp="000000")
    assert wrong.status_code == 400
    assert "_auth_user_id" not in client.session
    done = step(client, url, "otp.check", otp="123456")
    assert done.status_code == 302
    assert signed_on_as(client) == "olga"
    assert not any("123456" in record.getMessage() for record in caplog.records)


def test_external_identity_provider_is_a_redirect_sign_on(client: Client, embedded_standin: PingOneStandIn) -> None:
    """The provider's button starts a redirect sign-on (state, nonce and PKCE bound to this browser), and the
    browser, holding its own PingOne cookie, goes through the provider on PingOne's hosted page."""
    url = start(client, next="/home/?via=idp")
    button = parse_page(client.get(url).content).form("pingone-provider")
    response = client.post(button.action, {"hosted": button.fields["hosted"], "next": button.fields["next"]})
    assert response.status_code == 302
    authorize = response["Location"]
    assert authorize.startswith(embedded_standin.authorization_endpoint + "?") and "response_mode" not in authorize
    with requests.Session() as browser:
        back = sign_on(browser, authorize, provider="Stand-in IdP")
    assert back.url.startswith(CALLBACK) and "flowId" not in back.url
    target = urlsplit(back.url)
    done = client.get(f"{target.path}?{target.query}")
    assert done.status_code == 302 and done["Location"] == "/home/?via=idp"
    assert signed_on_as(client) == "demo"


def test_external_provider_link_cannot_hijack_an_embedded_sign_on(
    client: Client, embedded_standin: PingOneStandIn
) -> None:
    """The attack: an attacker starts an embedded sign-on, gets its flow's provider link to a victim, the victim
    signs on at the provider, and the attacker finishes the attacker's flow, now completed as the victim.

    Played against a PingOne whose provider links are not bound to its cookie. The link is not on the page (the
    flow id never reaches the browser); the attacker gets it all the same (a leak, played by reading the stand-in),
    and still nobody ends up signed on as the victim: a server-held flow is never continued after a provider."""
    embedded_standin.external_links_cookie_bound = False
    attacker = client
    url = start(attacker)
    html = attacker.get(url).content.decode()
    (flow_id,) = embedded_standin.flows
    assert flow_id not in html and "/authenticate" not in html
    leaked = embedded_standin.authenticate_url(DEMO_PROVIDER_ID, flow_id)

    victim = Client()
    with requests.Session() as victim_browser:
        back = sign_on(victim_browser, leaked)  # the victim signs on at the provider, as "demo"
    assert embedded_standin.flows[flow_id].status == "COMPLETED"  # the provider completed the attacker's flow
    landing = urlsplit(back.url)
    refused = victim.get(f"{landing.path}?{landing.query}")
    assert refused.status_code == 400 and b"flow_return_refused" in refused.content
    assert "_auth_user_id" not in victim.session

    # The attacker tries every way to finish the completed flow in the attacker's own browser.
    assert attacker.get(f"{landing.path}?{landing.query}").status_code == 400
    assert attacker.get(url).status_code == 200
    for data in (
        {"action": "usernamePassword.check", "username": "x", "password": "y"},
        {"action": "otp.check", "otp": "123456"},
        {"action": "cancel"},
    ):
        assert attacker.post(url, data).status_code in (302, 400, 401, 403)
        assert "_auth_user_id" not in attacker.session
    assert signed_on_as(attacker) == "anonymous"
    finishing = (embedded_standin.paths.resume_endpoint, embedded_standin.paths.token_endpoint)
    assert not [path for method, path in embedded_standin.requests_seen if path in finishing]


def test_unknown_status_falls_back_to_the_hosted_page(client: Client, embedded_standin: PingOneStandIn) -> None:
    url = start(client)
    step(client, url, "usernamePassword.check", username="dev", password="dev-pw-1234")
    page = client.get(url).content.decode()
    assert "DEVICE_SELECTION_REQUIRED" in page
    assert "cannot show here" in page
    hosted = parse_page(page).form("pingone-hosted")
    response = client.post(hosted.action, {"hosted": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith(embedded_standin.authorization_endpoint + "?")  # a redirect sign-on
    assert "response_mode" not in response["Location"]


def test_expired_flow_restarts_cleanly(client: Client, embedded_standin: PingOneStandIn) -> None:
    embedded_standin.flow_ttl = 0.3
    url = start(client)
    time.sleep(0.5)
    response = step(client, url, "usernamePassword.check", username="ann", password="demo-pw-9")
    assert response.status_code == 302
    new_url = response["Location"]
    assert new_url != url and new_url.startswith("/pingone/signon/")
    page = client.get(new_url).content.decode()
    assert "restarted" in page
    assert client.get(url).status_code == 400  # the old one is gone
    embedded_standin.flow_ttl = 900
    assert step(client, new_url, "usernamePassword.check", username="ann", password="demo-pw-9").status_code == 302
    assert signed_on_as(client) == "ann"


@pytest.mark.parametrize(
    "data",
    [
        {"action": "usernamePassword.check", "username": "ann"},  # no password
        {"action": "otp.check", "otp": "1"},  # not the step under way
        {"action": "user.register", "username": "x"},  # not an action we offer
        {"action": "usernamePassword.check", "username": "ann", "password": "x" * 5000},
    ],
)
def test_bad_input_is_a_4xx(client: Client, embedded_standin: PingOneStandIn, data: dict[str, str]) -> None:
    url = start(client)
    response = client.post(url, data)
    assert 400 <= response.status_code < 500
    assert "_auth_user_id" not in client.session


def test_csrf_and_unknown_state(embedded_standin: PingOneStandIn, client: Client) -> None:
    assert client.get("/pingone/signon/" + "A" * 43 + "/").status_code == 400
    strict = Client(enforce_csrf_checks=True)
    strict.get("/home/")
    assert strict.post("/pingone/signon/" + "A" * 43 + "/", {"action": "cancel"}).status_code == 403


def test_cancel(client: Client, embedded_standin: PingOneStandIn) -> None:
    url = start(client)
    response = step(client, url, "cancel")
    assert response.status_code == 403
    assert b"<h1>Sign on cancelled</h1>" in response.content
    assert client.get(url).status_code == 400


def test_provider_down_is_a_clean_503(client: Client, embedded_standin: PingOneStandIn, settings: Any) -> None:
    settings.PINGONE_AUTHORIZE = {
        "default": {
            **embedded_standin.settings(RESPONSE_MODE="pi.flow"),
            "AUTH_PATH": "http://127.0.0.1:9",
            "DISCOVERY": False,
        }
    }
    response = client.post("/pingone/login/")
    assert response.status_code == 503  # PingOne cannot be reached: not the visitor's fault
    assert b"provider_unreachable" in response.content
    assert b"Sign on is unavailable" in response.content


def test_steady_state_calls(client: Client, embedded_standin: PingOneStandIn) -> None:
    """Warm: authorize (pi.flow), one flows call, resume, token — and no discovery or JWKS fetch."""
    first = start(client)
    step(client, first, "usernamePassword.check", username="ann", password="demo-pw-9")
    other = Client()
    embedded_standin.reset_requests_seen()
    url = start(other)
    step(other, url, "usernamePassword.check", username="ann", password="demo-pw-9")
    assert signed_on_as(other) == "ann"
    layout = embedded_standin.paths
    named = {layout.authorization_endpoint: "as/authorize", layout.resume_endpoint: "as/resume"}
    named[layout.token_endpoint] = "as/token"
    assert [
        (method, "flows" if path.startswith(f"{layout.flows_base}/") else named.get(path, path))
        for method, path in embedded_standin.requests_seen
    ] == [("POST", "as/authorize"), ("POST", "flows"), ("GET", "as/resume"), ("POST", "as/token")]


def test_step_up_travels_to_the_hosted_page_and_through_a_restart(
    client: Client, embedded_standin: PingOneStandIn
) -> None:
    """A step-up asked of an embedded sign-on is asked again by what replaces it: the hosted-page fallback and
    the provider buttons (a redirect sign-on), and a new flow after the first one expired."""
    from urllib.parse import parse_qs

    from django_pingone_authorize.oidc.authorize import SignOnRequirement
    from django_pingone_authorize.sign_on.requirements import make_step_up

    asked = make_step_up("default", SignOnRequirement(acr_values=("Multi_Factor",), max_age=60, prompt_login=True))
    url = start(client, step_up=asked)
    page = parse_page(client.get(url).content)
    for name in ("pingone-hosted", "pingone-provider"):
        form = page.form(name)
        assert form.fields["step_up"], name
        response = client.post(form.action, form.fields)
        assert response.status_code == 302, response.content
        query = parse_qs(urlsplit(response["Location"]).query)
        assert query["acr_values"] == ["Multi_Factor"] and query["max_age"] == ["60"], (name, query)
        assert query["prompt"] == ["login"]

    embedded_standin.flow_ttl = 0.3
    time.sleep(0.5)
    restarted = step(client, url, "usernamePassword.check", username="ann", password="demo-pw-9")
    embedded_standin.flow_ttl = 900
    assert restarted.status_code == 302 and restarted["Location"] != url
    new_state = restarted["Location"].rstrip("/").rsplit("/", 1)[1]
    entry = client.session[SESSION_KEY][new_state]
    assert list(entry["acr_values"]) == ["Multi_Factor"] and entry["max_age"] == 60
    assert "login" in entry["prompt"].split()


def test_plain_embedded_sign_on_carries_no_step_up(client: Client, embedded_standin: PingOneStandIn) -> None:
    url = start(client)
    page = parse_page(client.get(url).content)
    assert "step_up" not in page.form("pingone-hosted").fields and "step_up" not in page.form("pingone-provider").fields


def test_external_provider_under_multi_factor_still_asks_the_second_factor(
    client: Client, embedded_standin: PingOneStandIn, settings: Any
) -> None:
    """A provider's sign-on satisfies the first factor only: under ``Multi_Factor`` the stand-in (as a PingOne
    sign-on policy would) asks the one-time code too, and the ID token's ``acr`` is checked against the ask."""
    from django_pingone_authorize.sessions.token_store import get_sign_on_facts

    settings.PINGONE_AUTHORIZE = {
        "default": embedded_standin.settings(RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK, ACR_VALUES="Multi_Factor")
    }
    button = parse_page(client.get(start(client)).content).form("pingone-provider")
    response = client.post(button.action, {"hosted": "1"})
    with requests.Session() as browser:
        with pytest.raises(DriverStopped, match="one-time passcode"):
            sign_on(browser, response["Location"], provider="Stand-in IdP")
    client = Client()
    button = parse_page(client.get(start(client)).content).form("pingone-provider")
    response = client.post(button.action, {"hosted": "1"})
    with requests.Session() as browser:
        back = sign_on(browser, response["Location"], provider="Stand-in IdP", otp="123456")
    target = urlsplit(back.url)
    assert client.get(f"{target.path}?{target.query}").status_code == 302
    assert signed_on_as(client) == "demo"
    facts = get_sign_on_facts(client.session)
    assert facts is not None and facts.acr == "Multi_Factor" and set(facts.amr) >= {"fed", "otp"}


def test_error_page_leads_back_where_the_visitor_came_from(client: Client, embedded_standin: PingOneStandIn) -> None:
    url = start(client, next="/home/?from=shop")
    wrong = step(client, url, "usernamePassword.check", username="ann", password="nope")
    assert 'value="ann"' in wrong.content.decode()  # the typed username is kept, never the password
    assert "nope" not in wrong.content.decode()
    cancelled = step(client, url, "cancel")
    assert cancelled.status_code == 403
    assert 'href="/home/?from=shop"' in cancelled.content.decode()
    unknown = client.get(url)  # the sign-on is gone: no next known, the site's root
    assert unknown.status_code == 400 and 'class="pingone-back" href="/"' in unknown.content.decode()
