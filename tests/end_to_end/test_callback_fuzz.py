"""Property tests: whatever arrives at the callback, and whatever the provider answers, the result is a
page below 500 (or the 502/503 that says PingOne cannot be reached, never a crash) and nobody is signed on
(unless the sign-on really was good).

The ``hostile`` fixture is function-scoped but safe to share between the examples of one test: each
example uses a fresh Django test client, and only sets the provider's knobs it needs, before use.
"""

from __future__ import annotations

import json
import string
import time
from typing import Any
from urllib.parse import quote_from_bytes, urlencode

import pytest
from django.core.cache import caches
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_pingone_authorize.errors import PROVIDER_DOWN_STATUS
from django_pingone_authorize.provider import discovery
from django_pingone_authorize.provider import signing_keys as jwks
from django_pingone_authorize.provider.shared_cache import cache_key
from tests.doubles.hostile_provider import (
    CALLBACK,
    CLIENT_ID,
    DROP,
    HostileProvider,
    Reply,
    b64url,
    left_hash,
    logged_in,
    reason,
    sign_jws,
)

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=150,
    deadline=None,
    # ``hostile`` (and pytest-django's ``settings`` under it) is set up once per test, not per example:
    # each example uses its own browser and sets the provider's knobs it needs itself.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# The examples that each run a whole sign-on against the provider.
FUZZ_SIGN_ON = settings(FUZZ, max_examples=100)

RESPONSE_NAMES = ["code", "state", "iss", "error", "error_description", "error_uri", "session_state", "next"]

any_text = st.text(max_size=40)
control_text = st.text(alphabet=st.characters(max_codepoint=0x1F), min_size=1, max_size=10)
unicode_text = st.text(alphabet=st.characters(min_codepoint=0x80, exclude_categories=["Cs"]), max_size=20)
# Just past the limits: MAX_CODE_LENGTH (2048) and MAX_PARAM_LENGTH (4096).
long_text = st.builds(lambda c, n: c * n, st.characters(exclude_categories=["Cs"]), st.sampled_from([2049, 4097]))
values = st.one_of(any_text, control_text, unicode_text, long_text, st.sampled_from(["", "=", "&", "%", "+", "%00"]))
names = st.one_of(st.sampled_from(RESPONSE_NAMES), st.text(max_size=12))
pairs = st.lists(st.tuples(names, values), max_size=8)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
B64URL = string.ascii_letters + string.digits + "-_"


def _browser(hostile: HostileProvider, mode: str) -> tuple[Client, str | None]:
    """A fresh browser: without a session, or with a sign-on under way (its state returned for ``real``)."""
    client = Client()
    if mode == "no_session":
        return client, None
    grant = hostile.login(client)
    return client, grant.state if mode == "real_state" else None


def _with_state(items: list[tuple[str, str]], state: str | None, position: int) -> list[tuple[str, str]]:
    if state is None:
        return items
    items = [item for item in items if item[0] != "state"]
    items.insert(min(position, len(items)), ("state", state))
    return items


def _forget_keys(hostile: HostileProvider) -> None:
    """Forget the cached JWKS, so the next sign-on fetches the document this example scripted."""
    caches["default"].delete(cache_key("jwks", hostile.layout.jwks_uri))
    jwks.reset_caches()


def assert_not_a_crash(response: Any) -> None:
    """Below 500, or the exact 502/503 of a provider-down reason (PingOne's fault, said so): never a 500."""
    if response.status_code >= 500:
        assert PROVIDER_DOWN_STATUS.get(reason(response)) == response.status_code, (
            response.status_code,
            reason(response),
        )


def _check(response: Any, client: Client) -> None:
    assert_not_a_crash(response)
    assert not logged_in(client)


# -- the callback's input --------------------------------------------------------------------------


@FUZZ
@given(
    items=pairs,
    mode=st.sampled_from(["no_session", "pending", "real_state"]),
    position=st.integers(0, 8),
    with_iss=st.booleans(),
)
def test_any_callback_query_is_below_500_and_signs_nobody_on(
    hostile: HostileProvider, items: list[tuple[str, str]], mode: str, position: int, with_iss: bool
) -> None:
    client, state = _browser(hostile, mode)
    items = _with_state(items, state, position)
    if with_iss:
        items.append(("iss", hostile.issuer))
    _check(client.get(f"{CALLBACK}?{urlencode(items)}"), client)


@FUZZ
@given(raw=st.binary(max_size=300), mode=st.sampled_from(["no_session", "pending"]))
def test_any_raw_query_bytes_are_below_500(hostile: HostileProvider, raw: bytes, mode: str) -> None:
    client, _ = _browser(hostile, mode)
    _check(client.get(f"{CALLBACK}?{quote_from_bytes(raw, safe='=&;+%')}"), client)


@FUZZ
@given(
    items=pairs,
    mode=st.sampled_from(["no_session", "pending", "real_state"]),
    position=st.integers(0, 8),
    encoding=st.sampled_from(["urlencoded", "multipart"]),
)
def test_any_callback_post_is_below_500_and_signs_nobody_on(
    hostile: HostileProvider, items: list[tuple[str, str]], mode: str, position: int, encoding: str
) -> None:
    client, state = _browser(hostile, mode)
    items = _with_state(items, state, position)
    if encoding == "urlencoded":
        response = client.post(CALLBACK, urlencode(items), content_type="application/x-www-form-urlencoded")
    else:
        data: dict[str, list[str]] = {}
        for name, value in items:
            data.setdefault(name.replace("\x00", ""), []).append(value)
        response = client.post(CALLBACK, data)
    _check(response, client)


@FUZZ
@given(
    body=st.binary(max_size=400),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=latin-1",
            "application/x-www-form-urlencoded; charset=bogus",
            "multipart/form-data; boundary=xyz",
            "multipart/form-data",
            "application/json",
            "text/plain",
        ]
    ),
    mode=st.sampled_from(["no_session", "pending"]),
)
def test_any_raw_post_body_is_below_500(hostile: HostileProvider, body: bytes, content_type: str, mode: str) -> None:
    client, _ = _browser(hostile, mode)
    # ``generic`` sends the bytes as they are (``post`` would re-encode them for the charset first).
    _check(client.generic("POST", CALLBACK, body, content_type=content_type), client)


# -- the token endpoint's answer -------------------------------------------------------------------

jwt_like = st.lists(st.text(alphabet=B64URL, max_size=40), min_size=1, max_size=6).map(".".join)
json_segments = st.lists(json_values.map(lambda v: b64url(json.dumps(v).encode())), min_size=2, max_size=3).map(
    ".".join
)
id_tokens = st.one_of(json_values, any_text, jwt_like, json_segments)
token_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"id_token": id_tokens},
        optional={
            "access_token": st.one_of(json_values, st.text(alphabet=B64URL, min_size=1, max_size=30)),
            "token_type": st.one_of(json_values, st.sampled_from(["Bearer", "bearer", "MAC"])),
            "expires_in": json_values,
            "refresh_token": json_values,
            "scope": json_values,
        },
    ),
    st.dictionaries(st.text(max_size=12), json_values, max_size=6),
)


@FUZZ_SIGN_ON
@given(body=token_bodies, status=st.sampled_from([200, 200, 200, 400, 401, 500]))
def test_any_token_answer_is_below_500_and_signs_nobody_on(hostile: HostileProvider, body: Any, status: int) -> None:
    hostile.replies["token"] = Reply(status, body, content_type="application/json")
    client = Client()
    grant = hostile.login(client)
    _check(hostile.callback(client, grant), client)


@FUZZ_SIGN_ON
@given(raw=st.binary(max_size=300), content_type=st.sampled_from(["application/json", "text/html", "", "x/y"]))
def test_any_raw_token_answer_is_below_500(hostile: HostileProvider, raw: bytes, content_type: str) -> None:
    hostile.replies["token"] = Reply(200, raw, content_type=content_type or "application/json")
    client = Client()
    _check(hostile.callback(client, hostile.login(client)), client)


@FUZZ_SIGN_ON
@given(document=st.one_of(json_values, st.fixed_dictionaries({"keys": st.lists(json_values, max_size=4)})))
def test_any_jwks_document_is_below_500_and_signs_nobody_on(hostile: HostileProvider, document: Any) -> None:
    hostile.replies["jwks"] = Reply(200, document)
    _forget_keys(hostile)
    fetched = hostile.count("jwks")
    client = Client()
    _check(hostile.callback(client, hostile.login(client)), client)
    assert hostile.count("jwks") == fetched + 1  # this example's document was really used


@FUZZ_SIGN_ON
@given(
    keys=st.lists(
        st.dictionaries(
            st.sampled_from(["kty", "kid", "use", "alg", "n", "e", "crv", "x", "y", "k"]), json_values, max_size=8
        ),
        max_size=4,
    )
)
def test_any_jwk_members_are_below_500_and_sign_nobody_on(hostile: HostileProvider, keys: list[Any]) -> None:
    """Keys that look nearly right: every JWK member present with any JSON value."""
    hostile.replies["jwks"] = Reply(200, {"keys": keys})
    _forget_keys(hostile)
    fetched = hostile.count("jwks")
    client = Client()
    _check(hostile.callback(client, hostile.login(client)), client)
    assert hostile.count("jwks") == fetched + 1  # this example's document was really used


# -- properly signed ID tokens with one claim made invalid -----------------------------------------

letters = st.text(alphabet=string.ascii_letters, min_size=1, max_size=12)
not_numbers = st.one_of(st.none(), letters, st.lists(json_scalars, max_size=3), st.dictionaries(letters, json_scalars))
REQUIRED = ["iss", "sub", "aud", "exp", "iat", "nonce"]


# Strategies must not change between examples, so times are drawn around the import time, an hour or
# more away from anything acceptable (the default LEEWAY is 60 s, ID_TOKEN_MAX_AGE 600 s, max_age 300 s).
NOW = int(time.time())
HOUR = 3600


def invalid_values(claim: str, issuer: str, nonce: str, at_hash: str) -> st.SearchStrategy[Any]:
    """Values of ``claim`` that a correct RP must refuse (given the issuer, the nonce, the at_hash)."""
    if claim == "iss":
        return json_values.filter(lambda v: v != issuer)
    if claim == "aud":
        return json_values.filter(lambda v: v != CLIENT_ID and v != [CLIENT_ID])
    if claim == "nonce":
        return json_values.filter(lambda v: v != nonce)
    if claim == "sub":
        non_strings = json_values.filter(lambda v: not isinstance(v, str))
        return st.one_of(non_strings, st.just(""), st.text(min_size=256, max_size=300))
    if claim == "exp":
        return st.one_of(st.integers(max_value=NOW - HOUR), not_numbers, st.just(float("nan")))
    if claim == "iat":
        return st.one_of(
            st.integers(max_value=NOW - HOUR),
            st.integers(min_value=NOW + 24 * HOUR),
            not_numbers,
            st.booleans(),
            st.sampled_from([float("nan"), float("inf")]),
        )
    if claim == "nbf":
        return st.one_of(st.integers(min_value=NOW + 24 * HOUR), not_numbers.filter(lambda v: v is not None))
    if claim == "azp":
        return json_values.filter(lambda v: v is not None and v != CLIENT_ID)
    if claim == "at_hash":
        return json_values.filter(lambda v: v is not None and v != at_hash)
    if claim == "auth_time":  # with max_age=300 in the authorize request
        return st.one_of(
            st.integers(max_value=NOW - HOUR),
            not_numbers,
            st.booleans(),
            st.sampled_from([float("nan"), float("inf"), float("-inf")]),
        )
    raise AssertionError(claim)


@FUZZ_SIGN_ON
@given(
    claim=st.sampled_from(["iss", "aud", "nonce", "sub", "exp", "iat", "nbf", "azp", "at_hash", "auth_time"]),
    data=st.data(),
)
def test_signed_id_token_with_one_bad_claim_is_refused(hostile: HostileProvider, claim: str, data: Any) -> None:
    client = Client()
    grant = hostile.login(client, {"max_age": "300"} if claim == "auth_time" else None)
    assert grant.nonce is not None
    bad = data.draw(
        invalid_values(claim, hostile.issuer, grant.nonce, left_hash(grant.access_token)),
        label=claim,
    )

    def reply(call: Any) -> Reply:
        claims = {**hostile.claims_for(call.grant, grant.access_token), claim: bad}
        body = hostile.good_token_body(call.grant)
        body["id_token"] = sign_jws(
            {"alg": "RS256", "kid": "rsa-0"}, claims_json(claims), alg="RS256", key=hostile.active_key.private
        )
        return Reply(body=body)

    hostile.replies["token"] = reply
    response = hostile.callback(client, grant)
    _check(response, client)
    assert 400 <= response.status_code < 500


@FUZZ_SIGN_ON
@given(dropped=st.sets(st.sampled_from(REQUIRED), min_size=1), extra=st.dictionaries(letters, json_values, max_size=4))
def test_signed_id_token_without_a_required_claim_is_refused(
    hostile: HostileProvider, dropped: set[str], extra: dict[str, Any]
) -> None:
    hostile.id_token_claims = {
        **{k: v for k, v in extra.items() if k not in ("azp", "at_hash", "nbf")},
        **dict.fromkeys(dropped, DROP),
    }
    client = Client()
    response = hostile.callback(client, hostile.login(client))
    _check(response, client)
    assert 400 <= response.status_code < 500


def claims_json(claims: dict[str, Any]) -> str:
    """JSON that may carry NaN/Infinity (as a lenient OP's serializer would write them)."""
    return json.dumps(claims, allow_nan=True)


# -- the discovery document ------------------------------------------------------------------------

DISCOVERY_MEMBERS = [
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "userinfo_endpoint",
    "end_session_endpoint",
    "pushed_authorization_request_endpoint",
    "authorization_response_iss_parameter_supported",
    "id_token_signing_alg_values_supported",
    "code_challenge_methods_supported",
]
endpoint_like = st.one_of(
    json_values,
    st.builds(
        lambda scheme, host, path: f"{scheme}{host}{path}",
        st.sampled_from(["http://", "https://", "", "javascript:", "//", "http:/"]),
        st.sampled_from(["127.0.0.1", "127.0.0.1.evil.example", "[::1", "[::1]", "localhost", "evil.example", ""]),
        st.text(max_size=20),
    ),
)


@FUZZ_SIGN_ON
@given(overrides=st.dictionaries(st.sampled_from(DISCOVERY_MEMBERS), endpoint_like, min_size=1, max_size=4))
def test_any_discovery_document_is_below_500(hostile: HostileProvider, overrides: dict[str, Any]) -> None:
    hostile.discovery_overrides = overrides
    caches["default"].delete(cache_key("discovery", hostile.issuer))
    discovery.reset_caches()
    client = Client()
    response = client.get("/pingone/login/")
    assert_not_a_crash(response)
    if response.status_code == 302 and response["Location"].startswith(f"{hostile.layout.authorization_endpoint}?"):
        _check_below_500(hostile.callback(client, hostile.authorize(response["Location"])))


def _check_below_500(response: Any) -> None:
    assert_not_a_crash(response)
