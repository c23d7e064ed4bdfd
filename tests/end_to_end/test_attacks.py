"""Attacks on the callback (RFC 9700, RFC 9207, RFC 7636) and a broken or hostile provider.

Every one must end on a clear 4xx page, be logged without secrets, sign nobody on, and leave an already
signed-on user signed on. The provider is a real HTTP server (``tests/doubles/hostile_provider.py``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from django_pingone_authorize.sessions.token_store import SESSION_KEY as TOKENS_KEY
from django_pingone_authorize.sign_on import pending
from tests.doubles.hostile_provider import (
    CALLBACK,
    DROP,
    LOGIN,
    HostileProvider,
    Reply,
    assert_logged_without_secrets,
    assert_refused,
    assert_signed_on,
    b64url,
    closed_port,
    expect_refused,
    expect_signed_on,
    log_text,
    logged_in,
    reason,
    sign_jws,
)

pytestmark = pytest.mark.django_db

Caplog = pytest.LogCaptureFixture


# -- RFC 9207: the iss parameter -------------------------------------------------------------------


@pytest.mark.parametrize("iss", ["{issuer}/", "{issuer}x", "https://evil.example/{env}/as", "{upper}", "", " "])
def test_iss_parameter_mismatch_is_refused(hostile: HostileProvider, client: Client, caplog: Caplog, iss: str) -> None:
    issuer = hostile.issuer
    value = iss.format(issuer=issuer, env=hostile.env_id, upper=issuer.upper())
    expect_refused(hostile, client, caplog, "iss_mismatch", iss=value)
    assert hostile.count("token") == 0  # the code never goes to a token endpoint after a mix-up


def test_iss_parameter_mismatch_is_refused_even_when_not_required(hostile: HostileProvider, client: Client) -> None:
    hostile.configure(REQUIRE_ISS=False)
    hostile.iss_parameter_supported = False
    grant = hostile.login(client)
    assert_refused(hostile.callback(client, grant, iss="https://evil.example/as"), client, "iss_mismatch")


def test_missing_iss_is_refused_when_discovery_advertises_it(
    hostile: HostileProvider, client: Client, caplog: Caplog
) -> None:
    expect_refused(hostile, client, caplog, "iss_missing", iss=None)
    assert hostile.count("token") == 0


def test_missing_iss_is_accepted_when_not_advertised(hostile: HostileProvider, client: Client) -> None:
    hostile.iss_parameter_supported = False
    expect_signed_on(hostile, client, iss=None)


def test_missing_iss_is_accepted_when_advertised_false_as_a_string(hostile: HostileProvider, client: Client) -> None:
    hostile.discovery_overrides["authorization_response_iss_parameter_supported"] = "true"  # not a boolean
    expect_signed_on(hostile, client, iss=None)


def test_missing_iss_is_refused_when_required_by_settings(
    hostile: HostileProvider, client: Client, caplog: Caplog
) -> None:
    hostile.configure(REQUIRE_ISS=True)
    hostile.iss_parameter_supported = False
    expect_refused(hostile, client, caplog, "iss_missing", iss=None)


def test_missing_iss_is_accepted_when_switched_off(hostile: HostileProvider, client: Client) -> None:
    hostile.configure(REQUIRE_ISS=False)
    expect_signed_on(hostile, client, iss=None)


def test_error_response_from_another_issuer_is_refused_as_a_mix_up(hostile: HostileProvider, client: Client) -> None:
    grant = hostile.login(client)
    response = hostile.callback(client, grant, code=None, error="access_denied", iss="https://evil.example/as")
    assert_refused(response, client, "iss_mismatch")


# -- state: CSRF, replay, expiry -------------------------------------------------------------------


@pytest.mark.parametrize("state", [None, ""])
def test_missing_state_is_refused(hostile: HostileProvider, client: Client, caplog: Caplog, state: str | None) -> None:
    expect_refused(hostile, client, caplog, "state_missing", status=400, state=state)
    assert hostile.count("token") == 0


@pytest.mark.parametrize("state", ["unknown-state", "x" * 43, "' OR 1=1 --", "\x00", "é☃"])
def test_unknown_state_is_refused(hostile: HostileProvider, client: Client, caplog: Caplog, state: str) -> None:
    expect_refused(hostile, client, caplog, "state_unknown", status=400, state=state)
    assert hostile.count("token") == 0


def test_state_prefix_or_extension_is_refused(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    grant = hostile.login(client)
    for state in (grant.state[:-1], grant.state + "A", grant.state.upper(), f" {grant.state}"):
        assert_refused(hostile.callback(client, grant, state=state), client, "state_unknown")
    assert_signed_on(hostile.callback(client, grant), client)  # the real one is still waiting


def test_state_from_another_browser_is_refused(hostile: HostileProvider, caplog: Caplog) -> None:
    """Login CSRF / session swap: the attacker's own (valid) response, delivered into the victim's browser."""
    attacker, victim = Client(), Client()
    grant = hostile.login(attacker)
    victim.get("/home/")
    response = hostile.callback(victim, grant)
    assert_refused(response, victim, "state_unknown")
    assert_logged_without_secrets(caplog, *grant.sensitive(), expect="state_unknown")
    assert hostile.count("token") == 0
    # The victim's failed attempt burnt nothing of the attacker's browser.
    assert_signed_on(hostile.callback(attacker, grant), attacker)


def test_state_replay_is_refused_without_a_second_token_request(
    hostile: HostileProvider, client: Client, caplog: Caplog
) -> None:
    grant = expect_signed_on(hostile, client)
    assert hostile.count("token") == 1
    other = Client()
    other.cookies = client.cookies  # the same browser, replaying the callback URL (back button, history)
    response = hostile.callback(other, grant)
    # Its signed-on visitor is sent on (tests/sign_on/test_callback_replay.py), without a second token request.
    assert response.status_code == 302 and "_auth_user_id" in other.session
    assert hostile.count("token") == 1
    response = hostile.callback(Client(), grant)  # anyone else: refused
    assert response.status_code == 400 and reason(response) == "state_unknown"
    assert hostile.count("token") == 1


def test_state_is_consumed_by_a_failed_sign_on(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    hostile.replies["token"] = Reply(400, {"error": "invalid_grant"})
    grant = hostile.login(client)
    assert_refused(hostile.callback(client, grant), client, "provider_refused")
    del hostile.replies["token"]
    assert_refused(hostile.callback(client, grant), client, "state_unknown")
    assert hostile.count("token") == 1


def test_expired_pending_sign_on_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog, monkeypatch: pytest.MonkeyPatch
) -> None:
    grant = hostile.login(client)
    started = pending._now()
    monkeypatch.setattr(pending, "_now", lambda: started + 600 + 1)  # PENDING_TTL is 600 s
    response = hostile.callback(client, grant)
    assert_refused(response, client, "state_unknown")
    assert_logged_without_secrets(caplog, *grant.sensitive(), expect="state_unknown")
    assert hostile.count("token") == 0


def test_pending_sign_on_just_before_expiry_is_accepted(
    hostile: HostileProvider, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    grant = hostile.login(client)
    started = pending._now()
    monkeypatch.setattr(pending, "_now", lambda: started + 590)
    assert_signed_on(hostile.callback(client, grant), client)


def test_several_tabs_each_finish_their_own_sign_on(hostile: HostileProvider, client: Client) -> None:
    first, second = hostile.login(client), hostile.login(client)
    assert_signed_on(hostile.callback(client, second), client)
    assert_signed_on(hostile.callback(client, first), client)


# -- RFC 7636: code injection ----------------------------------------------------------------------


def test_injected_code_fails_the_pkce_check(hostile: HostileProvider, caplog: Caplog) -> None:
    """The attacker's code (stolen or their own) with the victim's state: the victim's verifier does not
    match the challenge the attacker's code is bound to, and the OP refuses."""
    attacker, victim = Client(), Client()
    attacker_grant = hostile.login(attacker)
    victim_grant = hostile.login(victim, sub="victim")
    response = hostile.callback(victim, victim_grant, code=attacker_grant.code)
    assert_refused(response, victim, "provider_refused")
    assert "invalid_grant" in response.content.decode()
    (call,) = [c for c in hostile.hits if c.endpoint == "token"]
    assert call.one("code_verifier") == victim_grant.code_verifier
    assert call.one("code") == attacker_grant.code
    assert_logged_without_secrets(
        caplog, *attacker_grant.sensitive(), *victim_grant.sensitive(), expect="provider_refused"
    )


def test_token_request_carries_the_verifier_and_the_same_redirect_uri(hostile: HostileProvider, client: Client) -> None:
    grant = expect_signed_on(hostile, client)
    (call,) = [c for c in hostile.hits if c.endpoint == "token"]
    assert call.one("redirect_uri") == grant.redirect_uri
    verifier = call.one("code_verifier") or ""
    assert 43 <= len(verifier) <= 128
    assert grant.code_challenge == b64url(hashlib.sha256(verifier.encode()).digest())


# -- malformed responses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "code={code}&code=other&state={state}&iss={iss}",
        "code={code}&state={state}&state=other&iss={iss}",
        "code={code}&state={state}&state={state}&iss={iss}",
        "code={code}&state={state}&iss={iss}&iss={iss}",
        "code={code}&state={state}&iss={iss}&error=a&error=b",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_repeated_parameters_are_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog, raw: str, method: str
) -> None:
    grant = hostile.login(client)
    query = raw.format(code=grant.code, state=grant.state, iss=urlencode({"": hostile.issuer})[1:])
    response = hostile.callback(client, method=method, raw=query)
    assert_refused(response, client, "repeated_parameter", status=400)
    assert_logged_without_secrets(caplog, *grant.sensitive(), expect="repeated_parameter")
    assert hostile.count("token") == 0


@pytest.mark.parametrize("name", ["state", "code", "iss", "error_description", "session_state"])
def test_oversized_parameters_are_refused(hostile: HostileProvider, client: Client, caplog: Caplog, name: str) -> None:
    expect_refused(hostile, client, caplog, "oversized_parameter", **{name: "A" * 5000})
    assert hostile.count("token") == 0


@pytest.mark.parametrize("code", [None, "", "c" * 2049, "abc\x00def", "abc\ndef", "\u200b"])
def test_unusable_code_is_refused(hostile: HostileProvider, client: Client, caplog: Caplog, code: str | None) -> None:
    expect_refused(hostile, client, caplog, "code_missing", code=code)
    assert hostile.count("token") == 0


def test_unknown_parameters_are_ignored(hostile: HostileProvider, client: Client) -> None:
    expect_signed_on(hostile, client, next="https://evil.example/", session_state="abc", foo="bar")


def test_unsupported_methods_are_refused(hostile: HostileProvider, client: Client) -> None:
    grant = hostile.login(client)
    for response in (client.put(CALLBACK), client.delete(CALLBACK), client.patch(CALLBACK)):
        assert response.status_code == 405
    assert not logged_in(client)
    assert_signed_on(hostile.callback(client, grant), client)


# -- error responses -------------------------------------------------------------------------------


SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.mark.parametrize("method", ["get", "post"])
def test_access_denied_is_a_403_with_the_description_escaped(
    hostile: HostileProvider, client: Client, caplog: Caplog, method: str
) -> None:
    grant = hostile.login(client)
    response = hostile.callback(
        client, grant, method=method, code=None, error="access_denied", error_description=SCRIPT, error_uri=SCRIPT
    )
    assert_refused(response, client, "authorization_error", status=403)
    page = response.content.decode()
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;" in page
    assert_logged_without_secrets(caplog, *grant.sensitive(), expect="authorization_error")
    # The pending sign-on is consumed: the same state cannot be used again.
    assert_refused(hostile.callback(client, grant), client, "state_unknown")
    assert hostile.count("token") == 0


@pytest.mark.parametrize("error", ["server_error", "invalid_request", "login_required", SCRIPT])
def test_other_errors_are_a_400(hostile: HostileProvider, client: Client, caplog: Caplog, error: str) -> None:
    response = expect_refused(hostile, client, caplog, "authorization_error", status=400, code=None, error=error)
    assert "<script>" not in response.content.decode()


def test_error_with_a_code_is_still_an_error(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    expect_refused(hostile, client, caplog, "authorization_error", error="access_denied")
    assert hostile.count("token") == 0


def test_error_parameters_cannot_forge_log_lines(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    forged = "access_denied\r\nCRITICAL django_pingone_authorize: PingOne sign-on succeeded for user 1"
    expect_refused(hostile, client, caplog, "authorization_error", code=None, error=forged, error_description=forged)
    for record in caplog.records:
        message = record.getMessage()
        assert "\n" not in message and "\r" not in message, message


# -- open redirects --------------------------------------------------------------------------------

HOSTILE_NEXT = [
    "//evil.com",
    "///evil.com",
    "https://evil.com",
    "http://evil.com/home/",
    "/\\evil.com",
    "\\\\evil.com",
    "/\\/evil.com",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https:evil.com",
    "http://testserver@evil.com/",
    "//testserver.evil.com",
    "\t//evil.com",
]


@pytest.mark.parametrize("next_url", HOSTILE_NEXT)
@pytest.mark.parametrize("method", ["get", "post"])
def test_hostile_next_is_never_followed(hostile: HostileProvider, client: Client, next_url: str, method: str) -> None:
    if method == "get":
        response = client.get(LOGIN, {"next": next_url})
    else:
        response = client.post(LOGIN, {"next": next_url})
    assert response.status_code == 302
    grant = hostile.authorize(response["Location"])
    final = hostile.callback(client, grant)
    assert_signed_on(final, client, to="/home/")
    assert final["Location"] == "/home/"


def test_next_on_the_callback_is_ignored(hostile: HostileProvider, client: Client) -> None:
    expect_signed_on(hostile, client, next="//evil.com")


@pytest.mark.parametrize("next_url", ["/account/", "/account/?tab=keys#top", "http://testserver/account/"])
def test_safe_next_is_followed(hostile: HostileProvider, client: Client, next_url: str) -> None:
    expect_signed_on(hostile, client, query={"next": next_url}, to=next_url)


# -- an already signed-on user ---------------------------------------------------------------------


def test_signed_on_user_stays_signed_on_after_forged_callbacks(
    hostile: HostileProvider, client: Client, caplog: Caplog
) -> None:
    expect_signed_on(hostile, client)
    user_id = client.session["_auth_user_id"]
    session_key = client.session.session_key
    tokens = client.session[TOKENS_KEY]

    def still_signed_on() -> None:
        assert client.session.session_key == session_key
        assert client.session["_auth_user_id"] == user_id
        assert client.session[TOKENS_KEY] == tokens
        assert client.get("/home/").content == b"home: alice"

    forged: list[dict[str, Any]] = [
        {},
        {"code": "forged"},
        {"code": "forged", "state": "forged-state", "iss": hostile.issuer},
        {"error": "access_denied", "state": "forged-state"},
        {"code": "x", "state": "y" * 5000},
    ]
    for params in forged:
        response = client.get(CALLBACK, params)
        assert 400 <= response.status_code < 500, params
        still_signed_on()
    assert client.get(f"{CALLBACK}?state=a&state=b&code=c").status_code == 400
    still_signed_on()
    assert client.post(CALLBACK, {"state": "forged", "code": "forged"}).status_code == 400
    still_signed_on()

    # With a real pending sign-on of this very browser, but a forged code / an iss mix-up / an error /
    # a forged ID token from the OP: each fails, nobody else is signed on, the user keeps the session.
    grant = hostile.login(client)
    assert_status_4xx(hostile.callback(client, grant, code="forged-code"))
    still_signed_on()
    grant = hostile.login(client)
    assert_status_4xx(hostile.callback(client, grant, iss="https://evil.example/as"))
    still_signed_on()
    grant = hostile.login(client)
    assert_status_4xx(hostile.callback(client, grant, code=None, error="access_denied"))
    still_signed_on()
    hostile.id_token_claims["sub"] = "mallory"
    hostile.id_token_header["kid"] = "unknown"
    grant = hostile.login(client, sub="mallory")
    assert_status_4xx(hostile.callback(client, grant))
    still_signed_on()
    assert "mallory" not in log_text(caplog)


def assert_status_4xx(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, reason(response))


# -- form_post -------------------------------------------------------------------------------------


def test_form_post_callback_signs_on(hostile: HostileProvider, client: Client) -> None:
    hostile.configure(RESPONSE_MODE="form_post")
    grant = hostile.login(client)
    assert grant.params["response_mode"] == "form_post"
    assert_signed_on(hostile.callback(client, grant, method="post"), client)


def test_form_post_without_a_session_cookie_only_hops(hostile: HostileProvider, caplog: Caplog) -> None:
    browser = Client()
    grant = hostile.login(browser)
    cookieless = Client()
    response = hostile.callback(cookieless, grant, method="post")
    assert response.status_code == 200
    assert not response.cookies.get("sessionid")
    assert not logged_in(cookieless)
    assert hostile.count("token") == 0
    assert grant.code not in log_text(caplog)


# -- a broken provider: the token endpoint ---------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply(500, {"error": "server_error"}), "provider_server_error"),
        (Reply(503, "<html>down</html>", content_type="text/html"), "provider_server_error"),
        (Reply(400, {"error": "invalid_grant", "error_description": "code expired"}), "provider_refused"),
        (Reply(401, {"error": "invalid_client"}), "provider_refused"),
        (Reply(404, None), "provider_refused"),
        (Reply(201, {"id_token": "x"}), "provider_refused"),
        (Reply(200, "<html><body>Welcome</body></html>", content_type="text/html"), "provider_bad_response"),
        (Reply(200, "not json at all", content_type="application/json"), "provider_bad_response"),
        (Reply(200, b"\xff\xfe\x00garbage", content_type="application/json"), "provider_bad_response"),
        (Reply(200, []), "provider_bad_response"),
        (Reply(200, "null", content_type="application/json"), "provider_bad_response"),
        (Reply(200, "42", content_type="application/json"), "provider_bad_response"),
        (Reply(200, '"a string"', content_type="application/json"), "provider_bad_response"),
        (Reply(200, b""), "provider_bad_response"),
        (Reply(200, "[" * 100000, content_type="application/json"), "provider_bad_response"),
        (Reply(200, b'{"id_token": "' + b"a" * (2 * 1024 * 1024) + b'"}'), "response_too_large"),
        (Reply(hang_up=True), "provider_unreachable"),
        (Reply(200, {"id_token": "a" * 1000, "access_token": "b" * 1000}, truncate=True), "provider_unreachable"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_broken_token_endpoint_is_a_clear_4xx(
    hostile: HostileProvider, client: Client, caplog: Caplog, reply: Reply, expected: str | None
) -> None:
    hostile.replies["token"] = reply
    expect_refused(hostile, client, caplog, expected)


def test_oauth_error_from_the_token_endpoint_is_shown_escaped(
    hostile: HostileProvider, client: Client, caplog: Caplog
) -> None:
    hostile.replies["token"] = Reply(400, {"error": "invalid_grant", "error_description": SCRIPT})
    response = expect_refused(hostile, client, caplog, "provider_refused")
    page = response.content.decode()
    assert "invalid_grant" in page and "<script>" not in page


def test_token_endpoint_redirect_is_not_followed(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    target = hostile.layout.userinfo_endpoint
    hostile.replies["token"] = Reply(302, headers={"Location": target})
    expect_refused(hostile, client, caplog, "provider_redirected")
    assert hostile.count("userinfo") == 0


def test_slow_token_endpoint_times_out(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    hostile.configure(TIMEOUT=0.5)
    hostile.replies["token"] = lambda call: Reply(body=hostile.good_token_body(call.grant), delay=2.0)
    expect_refused(hostile, client, caplog, "provider_timeout")


def test_provider_that_is_not_listening_is_a_clear_4xx_at_login(client: Client, settings: Any, caplog: Caplog) -> None:
    caplog.set_level(logging.DEBUG)
    port = closed_port()
    settings.PINGONE_AUTHORIZE = {
        "default": {"AUTH_PATH": f"http://127.0.0.1:{port}", "ENV_ID": "env", "CLIENT_ID": "c", "CLIENT_SECRET": "s"}
    }
    response = client.get(LOGIN)
    assert_refused(response, client, "provider_unreachable")
    assert "provider_unreachable" in log_text(caplog)


def test_token_endpoint_that_is_not_listening_is_a_clear_4xx(
    hostile: HostileProvider, client: Client, caplog: Caplog
) -> None:
    hostile.discovery_overrides["token_endpoint"] = f"http://127.0.0.1:{closed_port()}/token"
    expect_refused(hostile, client, caplog, "provider_unreachable")


@pytest.mark.parametrize("id_token", [None, "", 123, True, {"a": 1}, ["a.b.c"]])
def test_token_answer_without_a_usable_id_token(
    hostile: HostileProvider, client: Client, caplog: Caplog, id_token: Any
) -> None:
    hostile.token_overrides["id_token"] = id_token
    expect_refused(hostile, client, caplog, "token_no_id_token")


def test_token_answer_without_an_id_token_member(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    hostile.token_overrides["id_token"] = DROP
    expect_refused(hostile, client, caplog, "token_no_id_token")


@pytest.mark.parametrize("token_type", ["MAC", "DPoP", "", 5, None, ["Bearer"]])
def test_token_type_other_than_bearer_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog, token_type: Any
) -> None:
    hostile.token_overrides["token_type"] = token_type
    expect_refused(hostile, client, caplog, "token_bad_type")


@pytest.mark.parametrize("token_type", ["bearer", "BEARER"])
def test_token_type_is_case_insensitive(hostile: HostileProvider, client: Client, token_type: str) -> None:
    hostile.token_overrides["token_type"] = token_type
    expect_signed_on(hostile, client)


@pytest.mark.parametrize("access_token", [123, "", ["a"], {"a": 1}, "t\u00f6ken", "tok\nen"])
def test_malformed_access_token_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog, access_token: Any
) -> None:
    hostile.token_overrides["access_token"] = access_token
    hostile.id_token_claims["at_hash"] = DROP
    expect_refused(hostile, client, caplog, "token_bad_response")


def _seg(value: Any) -> str:
    return b64url(value if isinstance(value, bytes) else json.dumps(value).encode())


GOOD_HEADER = _seg({"alg": "RS256", "kid": "rsa-0"})
MALFORMED_TOKENS = [
    ("two_parts", f"{GOOD_HEADER}.{_seg({'sub': 'x'})}", "id_token_malformed"),
    ("four_parts", f"{GOOD_HEADER}.{_seg({'sub': 'x'})}.sig.extra", "id_token_malformed"),
    ("jwe", f"{_seg({'alg': 'RSA-OAEP', 'enc': 'A256GCM'})}.a.b.c.d", "id_token_malformed"),
    ("bad_base64_header", "!!!.e30.sig", "id_token_malformed"),
    ("header_not_json", f"{_seg(b'not json')}.e30.sig", "id_token_malformed"),
    ("header_json_array", f"{_seg([1, 2])}.e30.sig", "id_token_malformed"),
    ("header_json_string", f"{_seg('RS256')}.e30.sig", "id_token_malformed"),
    ("header_not_utf8", _seg(b'{"alg": "RS256", "kid": "\xff"}') + ".e30.sig", "id_token_malformed"),
    ("empty_header", ".e30.sig", "id_token_malformed"),
    ("dots_only", "..", "id_token_malformed"),
    ("no_alg", f"{_seg({'kid': 'rsa-0'})}.e30.sig", "id_token_bad_algorithm"),
    ("alg_not_a_string", f"{_seg({'alg': ['RS256']})}.e30.sig", "id_token_bad_algorithm"),
    ("non_ascii", "é.é.é", "id_token_malformed"),
    ("whitespace", f" {GOOD_HEADER}.e30.sig", "id_token_malformed"),
    ("oversized", f"{GOOD_HEADER}.{'a' * 20000}.sig", "id_token_missing"),
]


@pytest.mark.parametrize(
    ("token", "expected"), [(t, e) for _, t, e in MALFORMED_TOKENS], ids=[n for n, _, _ in MALFORMED_TOKENS]
)
def test_malformed_id_token_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog, token: str, expected: str | None
) -> None:
    hostile.token_overrides["id_token"] = token
    expect_refused(hostile, client, caplog, expected)


@pytest.mark.parametrize(
    ("payload", "signature", "expected"),
    [
        (b"not json", True, "id_token_invalid"),
        (b"[1,2]", True, "id_token_invalid"),
        (b'"str"', True, "id_token_invalid"),
        (b"\xff\xfe", True, "id_token_invalid"),
        (b"{}", False, "id_token_malformed"),
    ],
)
def test_id_token_with_a_broken_payload_or_signature_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog, payload: bytes, signature: bool, expected: str
) -> None:
    key = hostile.active_key.private
    token = sign_jws({"alg": "RS256", "kid": "rsa-0"}, payload, alg="RS256", key=key)
    if not signature:
        token = token.rsplit(".", 1)[0] + ".!!not-base64!!"
    hostile.token_overrides["id_token"] = token
    expect_refused(hostile, client, caplog, expected)


# -- a broken provider: JWKS and discovery ---------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply(500, {"error": "server_error"}), "provider_server_error"),
        (Reply(404, "gone", content_type="text/html"), "provider_refused"),
        (Reply(200, "<html>", content_type="text/html"), "provider_bad_response"),
        (Reply(200, []), "provider_bad_response"),
        (Reply(200, {"keys": []}), "id_token_unknown_key"),
        (Reply(200, {}), "jwks_malformed"),
        (Reply(200, {"keys": "rsa-0"}), "jwks_malformed"),
        (Reply(200, {"keys": {"kid": "rsa-0"}}), "jwks_malformed"),
        (Reply(200, {"keys": [1, "x", None, [], {}]}), "id_token_unknown_key"),
        (Reply(200, {"keys": [{"kty": "RSA", "kid": "rsa-0", "n": 1, "e": "AQAB"}]}), "id_token_unknown_key"),
        (Reply(200, {"keys": [{"kty": "RSA", "kid": "rsa-0", "n": "", "e": ""}]}), "id_token_unknown_key"),
        (
            Reply(200, {"keys": [{"kty": "EC", "kid": "rsa-0", "crv": "P-256", "x": "AA", "y": "AA"}]}),
            "id_token_unknown_key",
        ),
        (Reply(200, {"keys": [{"kty": "oct", "kid": "rsa-0", "k": b64url(b"secret")}]}), "id_token_unknown_key"),
        (Reply(200, {"keys": [{"kty": "RSA", "kid": "rsa-0", "alg": "none"}]}), "id_token_unknown_key"),
        (Reply(302, headers={"Location": "http://127.0.0.1:1/jwks"}), "provider_redirected"),
        (Reply(200, {"keys": ["x" * 100]}, delay=0), "id_token_unknown_key"),
    ],
)
def test_broken_jwks_is_a_clear_4xx(
    hostile: HostileProvider, client: Client, caplog: Caplog, reply: Reply, expected: str | None
) -> None:
    hostile.replies["jwks"] = reply
    expect_refused(hostile, client, caplog, expected)


def test_jwks_with_garbage_entries_next_to_the_good_key_still_works(hostile: HostileProvider, client: Client) -> None:
    good = hostile.active_key.jwk()
    garbage: list[Any] = [1, None, {"kty": "XYZ"}, {"kty": "RSA", "n": 5}, {**good, "use": "enc", "kid": "e"}]
    hostile.replies["jwks"] = Reply(body={"keys": [*garbage, good]})
    expect_signed_on(hostile, client)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply(500, {"error": "server_error"}), "provider_server_error"),
        (Reply(200, "<html>", content_type="text/html"), "provider_bad_response"),
        (Reply(200, []), "provider_bad_response"),
        (Reply(200, {}), "discovery_issuer_mismatch"),
        (Reply(302, headers={"Location": "https://evil.example/"}), "provider_redirected"),
        (Reply(200, b"x" * (1024 * 1024 + 10)), "response_too_large"),
        (Reply(hang_up=True), "provider_unreachable"),
    ],
)
def test_broken_discovery_is_a_clear_4xx_at_login(
    hostile: HostileProvider, client: Client, caplog: Caplog, reply: Reply, expected: str
) -> None:
    hostile.replies["discovery"] = reply
    response = client.get(LOGIN)
    assert_refused(response, client, expected)
    assert response["Content-Type"].startswith("text/html")
    assert_logged_without_secrets(caplog)


def test_slow_discovery_times_out_at_login(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    hostile.configure(TIMEOUT=0.5)
    hostile.replies["discovery"] = lambda call: Reply(body=hostile.discovery_document(), delay=2.0)
    assert_refused(client.get(LOGIN), client, "provider_timeout")


def test_failed_jwks_fetch_is_not_cached(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    hostile.replies["jwks"] = Reply(503, {"error": "temporarily_unavailable"})
    expect_refused(hostile, client, caplog, "provider_server_error")
    del hostile.replies["jwks"]
    expect_signed_on(hostile, Client())


# -- steady state: one outbound call per sign-on ---------------------------------------------------


def test_steady_state_sign_on_makes_exactly_one_outbound_call(hostile: HostileProvider, client: Client) -> None:
    expect_signed_on(hostile, client)  # warms discovery and JWKS
    assert hostile.endpoints_hit() == ["GET discovery", "POST token", "GET jwks"]
    before = len(hostile.hits)
    expect_signed_on(hostile, Client())
    assert hostile.endpoints_hit()[before:] == ["POST token"]
