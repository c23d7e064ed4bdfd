"""``authorize``: the authorize request built from an alias, a pending sign-on and the request's own parameters
(merging and validating ``prompt``/``max_age``/``acr_values``, the request object's claims, the query's
encoding). Plain function calls, no provider: what the views do with it is ``views/test_login.py``'s, the
round trips against real providers the e2e suites'.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.errors import ProviderError, SignOnError
from django_pingone_authorize.oidc import authorize
from django_pingone_authorize.oidc.authorize import (
    AuthorizeRequest,
    SignOnRequirement,
    authorize_params,
    clean_request_params,
    code_challenge,
    request_object,
    requested,
)
from django_pingone_authorize.provider.discovery import ProviderMetadata
from django_pingone_authorize.sign_on.pending import new_pending

ISSUER = "https://auth.pingone.com/abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6/as"
SECRET = "a-client-secret-that-is-long-enough-for-hs256-and-more"
CALLBACK = "https://site.example/pingone/callback/"
UNRESERVED = re.compile(r"^[A-Za-z0-9\-._~]+$")  # RFC 7636 §4.1

METADATA = ProviderMetadata(
    issuer=ISSUER,
    authorization_endpoint=f"{ISSUER}/authorize",
    token_endpoint=f"{ISSUER}/token",
    jwks_uri=f"{ISSUER}/jwks",
    userinfo_endpoint=None,
    end_session_endpoint=None,
    pushed_authorization_request_endpoint=None,
    iss_parameter_supported=True,
)


def config(**options: Any) -> AliasConfig:
    return AliasConfig(alias="default", CLIENT_ID="unit-client", CLIENT_SECRET=SECRET, **options)


def pending(cfg: AliasConfig | None = None, **asked: Any) -> Any:
    return new_pending(
        cfg or config(), redirect_uri=CALLBACK, next_url="/after/", max_age=asked.pop("max_age", None), **asked
    )


def refusal(call: Any) -> str:
    with pytest.raises(SignOnError) as raised:
        call()
    assert raised.value.status == 400
    return raised.value.reason


# -- state, nonce, PKCE ----------------------------------------------------------------------------------------


def test_code_challenge_is_rfc_7636_s256() -> None:
    # RFC 7636, Appendix B.
    assert (
        code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_each_sign_on_gets_fresh_unguessable_state_nonce_and_verifier() -> None:
    first, second = pending(), pending()
    assert len(first.state) >= 43 and len(first.nonce) >= 43  # 256 bits each
    assert 43 <= len(first.code_verifier) <= 128 and UNRESERVED.match(first.code_verifier)
    assert len({first.state, first.nonce, first.code_verifier, second.state, second.nonce, second.code_verifier}) == 6
    assert (first.alias, first.redirect_uri, first.next_url) == ("default", CALLBACK, "/after/")


def test_a_new_pending_sign_on_takes_the_aliases_fixed_policy_and_prompt_by_default() -> None:
    fixed = config(ACR_VALUES="Multi_Factor Passwordless", PROMPT="login")
    assert (pending(fixed).acr_values, pending(fixed).prompt) == (("Multi_Factor", "Passwordless"), "login")
    asked = pending(fixed, acr_values=("Passwordless",), prompt="login consent")
    assert (asked.acr_values, asked.prompt) == (("Passwordless",), "login consent")


# -- clean_request_params: the request's own parameters ----------------------------------------------------------


def test_clean_request_params_keeps_only_the_allowed_names_stripped() -> None:
    given = {
        "prompt": " login ",
        "login_hint": "ann@example.com",
        "scope": "openid admin",
        "state": "mine",
        "max_age": "",
    }
    assert clean_request_params(config(), given) == {"prompt": "login", "login_hint": "ann@example.com"}
    assert clean_request_params(config(REQUEST_PARAMS=("login_hint",)), given) == {"login_hint": "ann@example.com"}
    assert clean_request_params(config(REQUEST_PARAMS=()), given) == {}
    # login_hint_token is allowed only when listed, and must look like a JWT.
    hint = {"login_hint_token": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbm4ifQ."}
    assert clean_request_params(config(), hint) == {}
    assert clean_request_params(config(REQUEST_PARAMS=("login_hint_token",)), hint) == hint


@pytest.mark.parametrize(
    "given",
    [
        {"prompt": "login please"},
        {"prompt": "none login"},  # none cannot go with anything else
        {"prompt": "   "},
        {"max_age": "-1"},
        {"max_age": "1e3"},
        {"max_age": "\u0661\u0662"},  # Arabic-Indic digits: isdigit() but not ASCII
        {"max_age": "1234567890"},  # ten digits
        {"acr_values": "Multi_Factor<script>"},
        {"acr_values": "x" * 257},
        {"login_hint": "ann\n@example.com"},
        {"login_hint": "a" * 257},
    ],
)
def test_a_malformed_value_is_a_400_not_dropped(given: dict[str, str]) -> None:
    assert refusal(lambda: clean_request_params(config(), given)) == "bad_request_parameter"


def test_a_malformed_login_hint_token_is_refused_when_allowed() -> None:
    cfg = config(REQUEST_PARAMS=("login_hint_token",))
    assert refusal(lambda: clean_request_params(cfg, {"login_hint_token": "not a jwt"})) == "bad_request_parameter"


# -- requested: merging the alias's, a step-up's and the request's ------------------------------------------------


def test_requested_with_nothing_asked_is_the_aliases_fixed_values() -> None:
    assert requested(config(), {}) == authorize.Requested(None, None, ())
    fixed = config(PROMPT="login", MAX_AGE=600, ACR_VALUES="Multi_Factor")
    assert requested(fixed, {}) == authorize.Requested("login", 600, ("Multi_Factor",))


def test_what_an_alias_alone_asks_is_merged_once_per_configuration_and_follows_a_change() -> None:
    # Merged once, then kept: the same answer, not recomputed (the login's hot path, tests/perf/README.md).
    first = requested(config(PROMPT="login", MAX_AGE=300), {})
    assert requested(config(PROMPT="login", MAX_AGE=300), {}) is first
    # Another configuration (settings changed, another alias) gets its own merge.
    assert requested(config(PROMPT="consent", MAX_AGE=300), {}) == authorize.Requested("consent", 300, ())
    assert requested(config(PROMPT="login", MAX_AGE=60), {}).max_age == 60
    assert requested(config(ACR_VALUES="Multi_Factor"), {}).acr_values == ("Multi_Factor",)
    # Anything asked by the request or a step-up is merged each time, never answered from the memo.
    assert requested(config(PROMPT="login", MAX_AGE=300), {"max_age": "30"}).max_age == 30
    assert requested(config(PROMPT="login", MAX_AGE=300), {}, SignOnRequirement(max_age=10)).max_age == 10
    # A refused configuration is refused each time (nothing kept), and an option of a type the checks refuse
    # (unhashable) is still merged rather than breaking the sign-on.
    for _ in range(2):
        assert refusal(lambda: requested(config(PROMPT="none login"), {})) == "bad_request_parameter"
    unhashable = config(ACR_VALUES=["Multi_Factor"])
    assert requested(unhashable, {}) == requested(unhashable, {})
    assert requested(unhashable, {}) is not requested(unhashable, {})


def test_a_request_may_shorten_max_age_but_not_lengthen_it() -> None:
    assert requested(config(MAX_AGE=600), {"max_age": "60"}).max_age == 60
    assert requested(config(MAX_AGE=600), {"max_age": "600"}).max_age == 600
    assert refusal(lambda: requested(config(MAX_AGE=600), {"max_age": "601"})) == "bad_request_parameter"
    assert requested(config(), {"max_age": "86400"}).max_age == 86400  # nothing fixed: anything goes
    # A step-up's max_age tightens the alias's; the request is held to the tighter one.
    assert requested(config(MAX_AGE=600), {}, SignOnRequirement(max_age=120)).max_age == 120
    assert refusal(lambda: requested(config(MAX_AGE=600), {"max_age": "300"}, SignOnRequirement(max_age=120)))


def test_a_request_adds_to_the_fixed_prompt_and_never_turns_it_into_none() -> None:
    assert requested(config(PROMPT="login"), {"prompt": "consent"}).prompt == "login consent"
    assert requested(config(PROMPT="login"), {"prompt": "login"}).prompt == "login"  # not repeated
    assert requested(config(), {"prompt": "none"}).prompt == "none"
    assert refusal(lambda: requested(config(PROMPT="login"), {"prompt": "none"})) == "bad_request_parameter"
    assert requested(config(), {}, SignOnRequirement(prompt_login=True)).prompt == "login"
    assert refusal(lambda: requested(config(), {"prompt": "none"}, SignOnRequirement(prompt_login=True)))


def test_a_request_names_only_allowed_policies_within_the_fixed_ones() -> None:
    open_choice = config(ALLOWED_ACR_VALUES=("Single_Factor", "Multi_Factor"))
    assert requested(open_choice, {"acr_values": "Multi_Factor Multi_Factor"}).acr_values == ("Multi_Factor",)
    assert refusal(lambda: requested(open_choice, {"acr_values": "Passwordless"})) == "bad_request_parameter"
    assert refusal(lambda: requested(config(), {"acr_values": "Multi_Factor"})) == "bad_request_parameter"
    narrowing = config(ACR_VALUES="Multi_Factor Passwordless", ALLOWED_ACR_VALUES=("Multi_Factor", "Single_Factor"))
    assert requested(narrowing, {"acr_values": "Multi_Factor"}).acr_values == ("Multi_Factor",)
    assert refusal(lambda: requested(narrowing, {"acr_values": "Single_Factor"})) == "bad_request_parameter"


def test_a_step_ups_policy_replaces_the_aliases_without_being_allow_listed() -> None:
    fixed = config(ACR_VALUES="Single_Factor")
    assert requested(fixed, {}, SignOnRequirement(acr_values=("Multi_Factor",))).acr_values == ("Multi_Factor",)


# -- authorize_params: what is sent --------------------------------------------------------------------------------


def test_authorize_params_are_the_code_flow_with_pkce_and_what_was_asked() -> None:
    cfg = config(RESPONSE_MODE="form_post", SCOPE="openid profile")
    sign_on = pending(cfg, max_age=300, acr_values=("Multi_Factor",), prompt="login")
    params = authorize_params(cfg, sign_on, {"login_hint": "ann@example.com"})
    assert params == {
        "response_type": "code",
        "client_id": "unit-client",
        "redirect_uri": CALLBACK,
        "scope": "openid profile",
        "state": sign_on.state,
        "nonce": sign_on.nonce,
        "code_challenge": code_challenge(sign_on.code_verifier),
        "code_challenge_method": "S256",
        "response_mode": "form_post",
        "prompt": "login",
        "max_age": "300",
        "acr_values": "Multi_Factor",
        "login_hint": "ann@example.com",
    }
    assert sign_on.code_verifier not in params.values()  # the verifier itself never travels
    query_mode = authorize_params(config(RESPONSE_MODE="query"), pending(), {})
    assert "response_mode" not in query_mode and "prompt" not in query_mode and "max_age" not in query_mode


def test_extra_parameters_can_neither_replace_nor_loosen_the_signed_on_ones() -> None:
    sign_on = pending(max_age=60, prompt="login")
    extra = {"state": "attacker", "redirect_uri": "https://evil.example/", "max_age": "99999", "prompt": "none"}
    params = authorize_params(config(), sign_on, {**extra, "acr_values": "Weak", "login_hint": "ann"})
    assert (params["state"], params["redirect_uri"]) == (sign_on.state, CALLBACK)
    assert (params["max_age"], params["prompt"], params["login_hint"]) == ("60", "login", "ann")
    assert "acr_values" not in params  # the pending sign-on asked none


def test_the_query_string_is_form_encoded_and_reads_back_the_same() -> None:
    params = {"scope": "openid profile", "login_hint": "ann+test@example.com", "redirect_uri": CALLBACK, "x": "é&="}
    request = AuthorizeRequest(f"{ISSUER}/authorize", params)
    url = urlsplit(request.url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{ISSUER}/authorize"
    assert "scope=openid+profile" in url.query and "login_hint=ann%2Btest%40example.com" in url.query
    assert "redirect_uri=https%3A%2F%2Fsite.example%2Fpingone%2Fcallback%2F" in url.query
    assert {name: values[0] for name, values in parse_qs(url.query, strict_parsing=True).items()} == params


# -- the signed request object and PAR -----------------------------------------------------------------------------


def test_request_object_claims() -> None:
    cfg = config(REQUEST_OBJECT_ALGORITHM="HS256")
    params = authorize_params(cfg, pending(cfg, max_age=120), {})
    extra = {"pi.remoteIp": "203.0.113.7", "iss": "not-the-client", "state": "not-the-state"}
    token = request_object(cfg, METADATA, params, extra_claims=extra)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience=ISSUER)
    assert claims["iss"] == "unit-client" and claims["aud"] == ISSUER
    assert claims["state"] == params["state"] and claims["nonce"] == params["nonce"]  # params win over extra claims
    assert claims["pi.remoteIp"] == "203.0.113.7"
    assert claims["max_age"] == 120  # a number inside the JWT, not the query's string
    assert claims["exp"] - claims["iat"] == 300 and claims["nbf"] == claims["iat"]
    assert abs(claims["iat"] - time.time()) < 5
    again = jwt.decode(request_object(cfg, METADATA, params), SECRET, algorithms=["HS256"], audience=ISSUER)
    assert again["jti"] != claims["jti"] and "pi.remoteIp" not in again


def test_build_with_a_request_object_sends_only_the_object_and_the_oauth_required_params() -> None:
    cfg = config(REQUEST_OBJECT_ALGORITHM="HS256")
    sign_on = pending(cfg)
    built = authorize.build(cfg, METADATA, sign_on, {"login_hint": "ann"})
    assert set(built.params) == {"client_id", "response_type", "scope", "request"}
    inside = jwt.decode(built.params["request"], SECRET, algorithms=["HS256"], audience=ISSUER)
    assert (inside["state"], inside["login_hint"], inside["redirect_uri"]) == (sign_on.state, "ann", CALLBACK)
    assert built.endpoint == METADATA.authorization_endpoint
    plain = authorize.build(config(), METADATA, sign_on, {})
    assert plain.params == authorize_params(config(), sign_on, {})


def test_par_without_an_endpoint_is_a_provider_error_before_any_call() -> None:
    with pytest.raises(ProviderError) as raised:
        authorize.push(config(USE_PAR=True), METADATA, {"client_id": "unit-client"})
    assert raised.value.reason == "par_unsupported"
