"""Step-up: fixed PROMPT / MAX_AGE / ACR_VALUES can only be tightened by a request, the ID token is checked
against what was asked (``acr``, ``auth_time``), and views ask for a stronger or fresher sign-on
(``step_up.py``). Played by the hostile provider and, over real HTTP, by the PingOne stand-in."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path
from django.views import View

from django_pingone_authorize.decorators import pingone_required
from django_pingone_authorize.mixins import PingOneRequiredMixin
from django_pingone_authorize.oidc.authorize import SignOnRequirement
from django_pingone_authorize.sessions import token_store as session_tokens
from django_pingone_authorize.sign_on.pending import SESSION_KEY, PendingSignOn, new_pending
from django_pingone_authorize.sign_on.requirements import STEP_UP_SALT, make_step_up, read_step_up
from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import AuthorizationResponse, parse_autosubmit_form, sign_on
from tests.doubles.hostile_provider import (
    DROP,
    HostileProvider,
    expect_refused,
    expect_signed_on,
    reason,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.sign_on.test_step_up")]

Caplog = pytest.LogCaptureFixture
CALLBACK = "http://127.0.0.1:8000/pingone/callback/"
LONG_SECRET = "stand-in-secret-" + "x" * 48


# -- views of a site that steps up ---------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    who = request.user.get_username() if request.user.is_authenticated else "anonymous"
    return HttpResponse(f"home: {who}")


@pingone_required(acr="Multi_Factor")
def secure(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"secure: {request.user.get_username()}")


@pingone_required(max_age=300, prompt_login=True)
def fresh(request: HttpRequest) -> HttpResponse:
    return HttpResponse("fresh")


@pingone_required
def signed_on_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse("signed on")


@pingone_required(acr="Multi_Factor", alias="embedded")
def secure_embedded(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"secure embedded: {request.user.get_username()}")


class SecureView(PingOneRequiredMixin, View):
    pingone_acr = "Multi_Factor"
    pingone_max_age = 600

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("class-based secure")


urlpatterns = [
    path("pingone/", include("django_pingone_authorize.urls")),
    path("home/", home),
    path("secure/", secure),
    path("fresh/", fresh),
    path("signed-on/", signed_on_only),
    path("secure-embedded/", secure_embedded),
    path("secure-class/", SecureView.as_view()),
]


# -- helpers -------------------------------------------------------------------------------------------


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def configure(settings: Any, standin: PingOneStandIn, client_id: str = "demo-client", **options: Any) -> None:
    where = standin.settings(client_id, REDIRECT_URI=CALLBACK)
    settings.PINGONE_AUTHORIZE = {
        "default": {**where, **options},
        "embedded": {**where, "RESPONSE_MODE": "pi.flow"},
    }


def come_back(client: Client, answer: AuthorizationResponse) -> Any:
    if answer.method == "GET":
        return client.get("/pingone/callback/", answer.params)
    return client.post("/pingone/callback/", answer.data)


def login_location(client: Client, method: str = "get", **data: str) -> Any:
    return getattr(client, method)("/pingone/login/", data)


def authorize_location(response: Any) -> tuple[str | None, tuple[str, dict[str, str]] | None]:
    if response.status_code == 302:
        return response["Location"], None
    assert response.status_code == 200, (response.status_code, reason(response))
    return None, parse_autosubmit_form(response.content.decode())


def json_of(response: Any) -> dict[str, Any]:
    assert response["Content-Type"] == "application/json"
    body: dict[str, Any] = json.loads(response.content)
    return body


# -- 3. a request may only tighten the alias's fixed values (the login view) ---------------------------


@pytest.fixture
def hostile_fixed(hostile: HostileProvider) -> HostileProvider:
    hostile.configure(PROMPT="login", MAX_AGE=2, ACR_VALUES="Multi_Factor")
    return hostile


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"max_age": "999999999"}, "max_age"),
        ({"max_age": "3"}, "max_age"),
        ({"acr_values": "Single_Factor"}, "acr_values"),
        ({"acr_values": "Multi_Factor Single_Factor"}, "acr_values"),
        ({"prompt": "none"}, "prompt"),
        ({"max_age": "999999999", "prompt": "consent", "acr_values": "Single_Factor"}, None),
    ],
)
def test_loosening_a_fixed_value_is_a_400(
    hostile_fixed: HostileProvider, client: Client, method: str, data: dict[str, str], why: str | None
) -> None:
    response = login_location(client, method, **data)
    assert response.status_code == 400, response.content
    assert reason(response) == "bad_request_parameter"
    if why:
        assert why in response.content.decode()
    assert not client.session.get(SESSION_KEY)
    assert hostile_fixed.count("authorize") == 0


def test_tightening_is_sent_and_kept(hostile_fixed: HostileProvider, client: Client) -> None:
    location = login_location(client, max_age="1", prompt="consent")["Location"]
    params = query_of(location)
    assert params["max_age"] == "1"
    assert params["prompt"] == "login consent"  # a request adds to the fixed prompt, never removes it
    assert params["acr_values"] == "Multi_Factor"
    entry = PendingSignOn.from_dict(client.session[SESSION_KEY][params["state"]])
    assert entry is not None
    assert (entry.max_age, entry.prompt, entry.acr_values) == (1, "login consent", ("Multi_Factor",))


def test_fixed_none_cannot_be_combined_with_login(hostile: HostileProvider, client: Client) -> None:
    hostile.configure(PROMPT="none")
    assert reason(login_location(client, prompt="login")) == "bad_request_parameter"


def test_acr_values_need_the_allow_list(hostile: HostileProvider, client: Client) -> None:
    # Default: no allow-list, a request names no policy.
    assert reason(login_location(client, acr_values="Single_Factor")) == "bad_request_parameter"
    hostile.configure(ALLOWED_ACR_VALUES="Single_Factor Multi_Factor")
    params = query_of(login_location(client, acr_values="Multi_Factor")["Location"])
    assert params["acr_values"] == "Multi_Factor"
    assert reason(login_location(client, acr_values="Other")) == "bad_request_parameter"


def test_with_fixed_policies_a_request_may_only_narrow_them(hostile: HostileProvider, client: Client) -> None:
    hostile.configure(ACR_VALUES="Single_Factor Multi_Factor", ALLOWED_ACR_VALUES=("Multi_Factor", "Other"))
    params = query_of(login_location(client, acr_values="Multi_Factor")["Location"])
    assert params["acr_values"] == "Multi_Factor"
    # Allowed, but not among the fixed policies: it would replace the site's requirement.
    assert reason(login_location(client, acr_values="Other")) == "bad_request_parameter"
    # Among the fixed ones but not allowed to be asked for.
    assert reason(login_location(client, acr_values="Single_Factor")) == "bad_request_parameter"


def test_a_request_object_carries_only_the_merged_values(hostile_fixed: HostileProvider, client: Client) -> None:
    hostile_fixed.configure(PROMPT="login", MAX_AGE=2, ACR_VALUES="Multi_Factor", REQUEST_OBJECT_ALGORITHM="HS256")
    assert reason(login_location(client, max_age="999999999")) == "bad_request_parameter"
    params = query_of(login_location(client, prompt="consent")["Location"])
    claims = jwt.decode(params["request"], options={"verify_signature": False})
    assert (claims["prompt"], claims["max_age"], claims["acr_values"]) == ("login consent", 2, "Multi_Factor")


def test_site_specific_extras_cannot_replace_what_was_asked(hostile_fixed: HostileProvider) -> None:
    from django_pingone_authorize.conf import get_alias
    from django_pingone_authorize.oidc import authorize

    config = get_alias("default")
    entry = new_pending(config, redirect_uri="https://site.example/cb", next_url=None, max_age=2)
    params = authorize.authorize_params(
        config, entry, {"max_age": "999", "prompt": "none", "acr_values": "Single_Factor", "scope": "openid admin"}
    )
    assert (params["max_age"], params["prompt"], params["acr_values"]) == ("2", "login", "Multi_Factor")
    assert params["scope"] == "openid profile email"


# -- 3. the ID token is checked against what was asked (hostile provider) ------------------------------


def test_acr_asked_and_answered_signs_on(hostile_fixed: HostileProvider, client: Client, caplog: Caplog) -> None:
    expect_signed_on(hostile_fixed, client, caplog)
    facts = session_tokens.get_sign_on_facts(client.session)
    assert facts is not None and facts.acr == "Multi_Factor" and facts.auth_time is not None


def test_wrong_acr_is_refused(hostile_fixed: HostileProvider, client: Client, caplog: Caplog) -> None:
    hostile_fixed.id_token_claims["acr"] = "Single_Factor"
    expect_refused(hostile_fixed, client, caplog, "id_token_bad_acr")


@pytest.mark.parametrize("acr", [["Multi_Factor"], 1, ""])
def test_acr_of_the_wrong_type_is_refused(
    hostile_fixed: HostileProvider, client: Client, caplog: Caplog, acr: Any
) -> None:
    hostile_fixed.id_token_claims["acr"] = acr
    expect_refused(hostile_fixed, client, caplog, "id_token_bad_acr")


def test_missing_acr_is_refused(hostile_fixed: HostileProvider, client: Client, caplog: Caplog) -> None:
    hostile_fixed.answer_acr = False
    expect_refused(hostile_fixed, client, caplog, "id_token_missing_acr")


def test_acr_asked_per_request_is_checked_too(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    hostile.configure(ALLOWED_ACR_VALUES=("Multi_Factor",))
    hostile.id_token_claims["acr"] = "Single_Factor"
    expect_refused(hostile, client, caplog, "id_token_bad_acr", query={"acr_values": "Multi_Factor"})
    expect_signed_on(hostile, Client())  # nothing asked: any acr (or none) will do


def test_auth_time_before_the_sign_on_is_refused_with_prompt_login(
    hostile: HostileProvider, client: Client, caplog: Caplog
) -> None:
    hostile.configure(PROMPT="login")  # no max_age at all: prompt=login alone needs a new authentication
    hostile.id_token_claims["auth_time"] = int(time.time()) - 3600
    expect_refused(hostile, client, caplog, "id_token_auth_not_fresh")


@pytest.mark.parametrize("query", [{}, {"prompt": "login"}])
def test_missing_auth_time_is_refused_with_prompt_login(
    hostile: HostileProvider, client: Client, caplog: Caplog, query: dict[str, str]
) -> None:
    if not query:
        hostile.configure(PROMPT="login")
    hostile.id_token_claims["auth_time"] = DROP
    expect_refused(hostile, client, caplog, "id_token_missing_auth_time", query=query)


def test_pending_entries_of_old_sessions_still_work(hostile: HostileProvider, client: Client) -> None:
    grant = hostile.login(client)
    session = client.session
    entry = dict(session[SESSION_KEY][grant.state])
    # Written before these fields existed (today a field at its default is not stored either).
    entry.pop("acr_values", None)
    entry.pop("prompt", None)
    assert "acr_values" not in entry and "prompt" not in entry
    session[SESSION_KEY] = {grant.state: entry}
    session.save()
    assert hostile.callback(client, grant).status_code == 302
    assert PendingSignOn.from_dict({**entry, "acr_values": "not a list"}) is None


# -- 4. step-up: the signed requirement -----------------------------------------------------------------


def test_step_up_value_round_trips_and_is_bound_to_its_alias(hostile: HostileProvider) -> None:
    requirement = SignOnRequirement(("Multi_Factor",), 300, True)
    token = make_step_up("default", requirement)
    assert read_step_up(token, "default") == requirement
    for bad in (token + "x", make_step_up("other", requirement), "x" * 5000, ""):
        with pytest.raises(Exception, match="bad_step_up"):
            read_step_up(bad, "default")
    forged = signing.dumps({"alias": "default", "acr": [], "max_age": None, "login": False}, salt="another salt")
    with pytest.raises(Exception, match="bad_step_up"):
        read_step_up(forged, "default")
    malformed = signing.dumps({"alias": "default", "acr": "Multi_Factor", "max_age": -1, "login": 1}, salt=STEP_UP_SALT)
    with pytest.raises(Exception, match="bad_step_up"):
        read_step_up(malformed, "default")


@pytest.mark.parametrize("tamper", ["forge", "expire", "other-alias"])
def test_a_tampered_or_stale_step_up_is_a_400(
    hostile: HostileProvider, client: Client, tamper: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile.settings.PINGONE_AUTHORIZE = {"default": hostile.alias(), "other": hostile.alias()}
    requirement = SignOnRequirement(("Multi_Factor",))
    real_time = time.time
    with monkeypatch.context() as patched:
        if tamper == "expire":  # made an hour ago
            patched.setattr(signing.time, "time", lambda: real_time() - 3600)
        token = make_step_up("other" if tamper == "other-alias" else "default", requirement)
    if tamper == "forge":  # a weaker payload under the real signature
        parts = token.split(":")
        parts[0] = signing.b64_encode(b'{"alias":"default","acr":[],"max_age":null,"login":false}').decode()
        token = ":".join(parts)
    response = client.get("/pingone/login/", {"step_up": token})
    assert response.status_code == 400 and reason(response) == "bad_step_up"
    assert not client.session.get(SESSION_KEY)


def test_step_up_values_are_site_set_and_only_tighten(hostile: HostileProvider, client: Client) -> None:
    hostile.configure(MAX_AGE=60, PROMPT="consent", ACR_VALUES="Single_Factor")
    token = make_step_up("default", SignOnRequirement(("Multi_Factor",), 3600, True))
    params = query_of(client.get("/pingone/login/", {"step_up": token})["Location"])
    # The step-up's policy needs no allow-list (the site asked for it); its max_age cannot loosen the alias's.
    assert (params["acr_values"], params["max_age"], params["prompt"]) == ("Multi_Factor", "60", "consent login")
    # The browser still cannot loosen on top of a step-up.
    for data in ({"acr_values": "Single_Factor"}, {"max_age": "61"}, {"prompt": "none"}):
        assert reason(client.get("/pingone/login/", {"step_up": token, **data})) == "bad_request_parameter"


def test_step_up_answer_is_checked(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    token = make_step_up("default", SignOnRequirement(("Multi_Factor",), 300, True))
    hostile.id_token_claims["acr"] = "Single_Factor"
    expect_refused(hostile, client, caplog, "id_token_bad_acr", query={"step_up": token})
    hostile.id_token_claims["acr"] = "Multi_Factor"
    hostile.id_token_claims["auth_time"] = int(time.time()) - 3600
    expect_refused(hostile, Client(), caplog, "id_token_auth_too_old", query={"step_up": token})


# -- 4. step-up: the views (hostile provider) -----------------------------------------------------------


def follow_to_login(response: Any) -> dict[str, str]:
    assert response.status_code == 302, response.content
    location = response["Location"]
    assert location.startswith("/pingone/login/?")
    return query_of(location)


def test_anonymous_visitor_is_sent_to_a_sign_on_that_asks_for_the_policy(
    hostile: HostileProvider, client: Client
) -> None:
    query = follow_to_login(client.get("/secure/?tab=2"))
    assert query["next"] == "/secure/?tab=2"
    assert read_step_up(query["step_up"], "default") == SignOnRequirement(("Multi_Factor",))
    grant = hostile.login(client, query)
    assert grant.params["acr_values"] == "Multi_Factor"
    response = hostile.callback(client, grant)
    assert response.status_code == 302 and response["Location"] == "/secure/?tab=2"
    assert client.get("/secure/?tab=2").content == b"secure: alice"
    facts = session_tokens.get_sign_on_facts(client.session)
    assert facts is not None and facts.acr == "Multi_Factor"


def test_single_factor_session_steps_up(hostile: HostileProvider, client: Client) -> None:
    hostile.id_token_claims.update({"acr": "Single_Factor", "amr": ["pwd"]})
    expect_signed_on(hostile, client)
    assert client.get("/signed-on/").content == b"signed on"
    query = follow_to_login(client.get("/secure/"))
    del hostile.id_token_claims["acr"]  # the provider answers the policy asked
    hostile.id_token_claims["amr"] = ["pwd", "otp"]
    response = hostile.callback(client, hostile.login(client, query))
    assert response["Location"] == "/secure/"
    assert client.get("/secure/").status_code == 200
    assert client.get("/secure-class/").content == b"class-based secure"
    facts = session_tokens.get_sign_on_facts(client.session)
    assert facts is not None and facts.amr == ("pwd", "otp")


def test_fresh_sign_on_is_asked_for_with_prompt_login(hostile: HostileProvider, client: Client) -> None:
    hostile.id_token_claims["auth_time"] = int(time.time()) - 3600
    expect_signed_on(hostile, client)
    query = follow_to_login(client.get("/fresh/"))
    grant = hostile.login(client, query)
    assert (grant.params["max_age"], grant.params["prompt"]) == ("300", "login")
    # The provider answers the old authentication: refused (the session stays as it was), the view still closed.
    refused = hostile.callback(client, grant)
    assert refused.status_code == 400 and reason(refused) == "id_token_auth_too_old"
    assert client.get("/fresh/").status_code == 302
    hostile.id_token_claims["auth_time"] = int(time.time())
    hostile.callback(client, hostile.login(client, query))
    assert client.get("/fresh/").content == b"fresh"


def test_dropping_the_step_up_value_does_not_open_the_view(hostile: HostileProvider, client: Client) -> None:
    query = follow_to_login(client.get("/secure/"))
    del query["step_up"]
    hostile.id_token_claims["acr"] = "Single_Factor"
    hostile.callback(client, hostile.login(client, query))
    assert client.session.get("_auth_user_id")  # signed on, but not by the policy the view needs
    assert follow_to_login(client.get("/secure/"))["step_up"]


def test_a_django_password_login_is_not_a_pingone_sign_on(hostile: HostileProvider, client: Client) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("bob", password="pw")
    client.force_login(user)
    assert follow_to_login(client.get("/signed-on/"))["next"] == "/signed-on/"
    response = client.get("/signed-on/", HTTP_ACCEPT="application/json")
    assert response.status_code == 403 and json_of(response)["error"] == "step_up_required"


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ACCEPT": "application/json"},
        {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"},
        {"HTTP_ACCEPT": "application/json, text/plain, */*"},
    ],
)
def test_script_requests_get_json_not_a_redirect(
    hostile: HostileProvider, client: Client, headers: dict[str, str]
) -> None:
    anonymous = client.get("/secure/", **headers)
    assert anonymous.status_code == 401
    body = json_of(anonymous)
    assert body["error"] == "login_required"
    assert body["acr_values"] == ["Multi_Factor"] and body["max_age"] is None
    assert body["login_url"].startswith("/pingone/login/?")
    assert "WWW-Authenticate" not in anonymous
    hostile.id_token_claims.update({"acr": "Single_Factor", "auth_time": int(time.time()) - 3600})
    expect_signed_on(hostile, client)
    weak = client.get("/secure/", **headers)
    assert weak.status_code == 403
    weak_body = json_of(weak)
    assert weak_body["login_url"].startswith("/pingone/login/?")
    assert {**weak_body, "login_url": ""} == {**body, "error": "step_up_required", "login_url": ""}
    fresh = json_of(client.get("/fresh/", **headers))
    assert (fresh["error"], fresh["max_age"], fresh["prompt"], fresh["acr_values"]) == (
        "step_up_required",
        300,
        "login",
        [],
    )


def test_browser_navigation_is_redirected(hostile: HostileProvider, client: Client) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,application/json;q=0.8,*/*;q=0.7"
    assert client.get("/secure/", HTTP_ACCEPT=accept).status_code == 302


def test_without_get_sign_on_the_step_up_is_a_self_submitting_post(hostile: HostileProvider) -> None:
    hostile.configure(ALLOW_GET_LOGIN=False)
    client = Client(enforce_csrf_checks=True)
    page = client.get("/secure/")
    assert page.status_code == 200
    action, fields = parse_autosubmit_form(page.content.decode())
    assert action == "/pingone/login/" and fields["next"] == "/secure/" and fields["step_up"]
    response = client.post(action, fields)
    assert response.status_code == 302
    assert query_of(response["Location"])["acr_values"] == "Multi_Factor"


# -- end to end against the PingOne stand-in (real HTTP) -----------------------------------------------


def test_repro_fixed_values_cannot_be_loosened_with_a_fresh_pingone_session(
    client: Client, settings: Any, pingone_standin: PingOneStandIn
) -> None:
    """PROMPT=login, MAX_AGE=2, ACR_VALUES=Multi_Factor and a PingOne session 5 s old: the request's
    ``max_age=999999999&prompt=consent&acr_values=Single_Factor`` must not sign on without a password."""
    configure(settings, pingone_standin, PROMPT="login", MAX_AGE=2, ACR_VALUES="Multi_Factor")
    browser = requests.Session()  # the browser's cookies at PingOne (ST)
    url, _ = authorize_location(login_location(client))
    answer = sign_on(browser, url, otp="123456")  # Multi_Factor: password, then the code
    assert come_back(client, answer).status_code == 302
    facts = session_tokens.get_sign_on_facts(client.session)
    assert facts is not None and facts.acr == "Multi_Factor" and facts.amr == ("pwd", "otp")
    pingone_standin.clock = lambda: time.time() + 5

    other = Client()
    for method in ("get", "post"):
        loosened = login_location(
            other, method, max_age="999999999", prompt="consent", acr_values="Single_Factor", next="/home/"
        )
        assert loosened.status_code == 400 and reason(loosened) == "bad_request_parameter"
    # What a request may do (add consent) still leaves prompt=login: PingOne asks for the password again.
    url, _ = authorize_location(login_location(other, prompt="consent"))
    assert url is not None
    again = browser.get(url, allow_redirects=False)
    assert "/signon" in again.headers["Location"], again.headers["Location"]
    answer = sign_on(browser, url, otp="123456")
    assert come_back(other, answer).status_code == 302
    assert "_auth_user_id" in other.session


@pytest.mark.parametrize("mode", ["request_object", "par"])
def test_repro_with_request_objects_and_par(
    client: Client, settings: Any, pingone_standin: PingOneStandIn, mode: str
) -> None:
    pingone_standin.add_client("strict", LONG_SECRET, par_required=mode == "par", request_object_required=True)
    configure(
        settings,
        pingone_standin,
        "strict",
        PROMPT="login",
        MAX_AGE=2,
        ACR_VALUES="Multi_Factor",
        REQUEST_OBJECT_ALGORITHM="HS256",
        USE_PAR=mode == "par",
        METHOD="POST" if mode == "par" else "GET",
    )
    browser = requests.Session()
    url, form = authorize_location(login_location(client))
    assert come_back(client, sign_on(browser, url, form=form, otp="123456")).status_code == 302
    pingone_standin.clock = lambda: time.time() + 5
    other = Client()
    for method in ("get", "post"):
        loosened = login_location(other, method, max_age="999999999", acr_values="Single_Factor")
        assert reason(loosened) == "bad_request_parameter"
    url, form = authorize_location(login_location(other, prompt="consent"))
    if form is not None:  # POST to /as/authorize with only client_id and request_uri
        action, fields = form
        assert set(fields) == {"client_id", "request_uri"}
        first = browser.post(action, fields, allow_redirects=False)
    else:
        assert url is not None
        first = browser.get(url, allow_redirects=False)
    assert "/signon" in first.headers["Location"], first.headers["Location"]  # the password again


def test_stand_in_steps_a_single_factor_session_up_with_the_one_time_code(
    client: Client, settings: Any, pingone_standin: PingOneStandIn
) -> None:
    configure(settings, pingone_standin)
    browser = requests.Session()
    url, _ = authorize_location(login_location(client))
    assert come_back(client, sign_on(browser, url)).status_code == 302  # demo: password only
    facts = session_tokens.get_sign_on_facts(client.session)
    assert facts is not None and (facts.acr, facts.amr) == ("Single_Factor", ("pwd",))
    first_auth_time = facts.auth_time

    assert client.get("/secure/", HTTP_ACCEPT="application/json").status_code == 403
    step_up = client.get("/secure/")
    login = client.get(step_up["Location"])
    url = login["Location"]
    assert query_of(url)["acr_values"] == "Multi_Factor"
    # The PingOne session is single factor: only the one-time code is asked, no password.
    with pytest.raises(Exception, match="one-time passcode"):
        sign_on(browser, url)
    pingone_standin.clock = lambda: time.time() + 2
    answer = sign_on(browser, url, username="nobody", password="unused", otp="123456")
    back = come_back(client, answer)
    assert back.status_code == 302 and back["Location"] == "/secure/"
    assert client.get("/secure/").content == b"secure: demo"
    facts = session_tokens.get_sign_on_facts(client.session)
    assert facts is not None and (facts.acr, facts.amr) == ("Multi_Factor", ("pwd", "otp"))
    assert facts.auth_time is not None and first_auth_time is not None and facts.auth_time > first_auth_time


def test_stand_in_policy_answers(settings: Any, pingone_standin: PingOneStandIn) -> None:
    configure(settings, pingone_standin, ALLOWED_ACR_VALUES="Single_Factor Multi_Factor")
    browser = requests.Session()
    # Multi_Factor asks demo (password-only by default) for the code; a wrong one is refused.
    client = Client()
    url, _ = authorize_location(login_location(client, acr_values="Multi_Factor"))
    with pytest.raises(Exception, match="incorrect"):
        sign_on(browser, url, otp="000000")
    client = Client()
    url, _ = authorize_location(login_location(client, acr_values="Multi_Factor"))
    assert come_back(client, sign_on(requests.Session(), url, otp="123456")).status_code == 302
    # prompt=none cannot do the second factor silently.
    single = Client()
    url, _ = authorize_location(login_location(single))
    come_back(single, sign_on(browser, url))
    silent, _ = authorize_location(login_location(single, acr_values="Multi_Factor", prompt="none"))
    assert silent is not None
    answer = browser.get(silent, allow_redirects=False)
    assert "error=interaction_required" in answer.headers["Location"]


def test_embedded_step_up(client: Client, settings: Any, pingone_standin: PingOneStandIn) -> None:
    configure(settings, pingone_standin)
    login = client.get(client.get("/secure-embedded/")["Location"])
    assert login.status_code == 302
    signon_url = login["Location"]
    assert signon_url.startswith("/pingone/signon/")
    (flow,) = pingone_standin.flows.values()
    assert flow.request.acr_values == ("Multi_Factor",)
    client.post(signon_url, {"action": "usernamePassword.check", "username": "demo", "password": "demo"})
    assert 'data-status="OTP_REQUIRED"' in client.get(signon_url).content.decode()
    done = client.post(signon_url, {"action": "otp.check", "otp": "123456"})
    assert done.status_code == 302 and done["Location"] == "/secure-embedded/"
    assert client.get("/secure-embedded/").content == b"secure embedded: demo"


# -- system checks of the sign-on requirement options ----------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "check_id"),
    [
        ("ALLOWED_ACR_VALUES", ["Multi_Factor", 3], "pingone.E040"),
        ("ALLOWED_ACR_VALUES", "<script>", "pingone.E040"),
        ("PROMPT", "none login", "pingone.E041"),
        ("PROMPT", "sometimes", "pingone.E041"),
        ("PROMPT", "", "pingone.E041"),
        ("MAX_AGE", "300", "pingone.E042"),
        ("MAX_AGE", -1, "pingone.E042"),
        ("ACR_VALUES", ["Multi_Factor"], "pingone.E043"),
        ("ACR_VALUES", "", "pingone.E043"),
    ],
)
def test_requirement_options_are_checked(settings: Any, option: str, value: Any, check_id: str) -> None:
    from django_pingone_authorize.checks import check_sign_on_requirements

    good = {"CLIENT_ID": "app", "ENV_ID": "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"}
    settings.PINGONE_AUTHORIZE = {"default": {**good, option: value}}
    (message,) = check_sign_on_requirements()
    assert message.id == check_id and message.hint and "'default'" in message.msg
    settings.PINGONE_AUTHORIZE = {
        "default": {**good, "PROMPT": "login consent", "MAX_AGE": 0, "ACR_VALUES": "Multi_Factor Single_Factor"},
        "other": {**good, "ALLOWED_ACR_VALUES": ("Single_Factor", "Multi_Factor")},
    }
    assert check_sign_on_requirements() == []
