"""The OpenID Foundation's RP certification tests ("code" flow), played by the hostile provider.

Each ID token defect of OIDC Core §3.1.3.7 must end on a 4xx error page naming the failed check, logged
without secrets, with nobody signed on; the correct variants must sign on.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from django_pingone_authorize.models import PingOneIdentity
from django_pingone_authorize.provider import signing_keys as jwks
from tests.doubles.hostile_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    DROP,
    SUBJECT,
    HostileProvider,
    Reply,
    assert_refused,
    ec_key,
    expect_refused,
    expect_signed_on,
    left_hash,
    reason,
    rsa_key,
    sign_jws,
)

pytestmark = pytest.mark.django_db

Caplog = pytest.LogCaptureFixture


class ShiftedClock:
    """Stands in for the ``time`` module inside ``jwks`` only: the rest of the app keeps real time."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset


# -- the happy path and the authorize request ------------------------------------------------------


def test_correct_provider_signs_on(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    grant = expect_signed_on(hostile, client, caplog)
    identity = PingOneIdentity.objects.get(issuer=hostile.issuer, subject=SUBJECT)
    assert str(identity.user.pk) == client.session["_auth_user_id"]
    assert identity.user.email == "alice@example.com"
    # rp-response-type-code, PKCE and the anti-CSRF/replay values are all in the authorize request.
    params = grant.params
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert "openid" in params["scope"].split()
    assert params["code_challenge_method"] == "S256"
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32
    assert hostile.endpoints_hit() == ["GET discovery", "POST token", "GET jwks"]


def test_second_sign_on_finds_the_same_user(hostile: HostileProvider, client: Client) -> None:
    expect_signed_on(hostile, client)
    expect_signed_on(hostile, Client())
    assert get_user_model().objects.count() == 1


def test_client_secret_post_is_accepted_by_the_op(hostile: HostileProvider, client: Client) -> None:
    hostile.configure(TOKEN_ENDPOINT_AUTH_METHOD="client_secret_post")
    expect_signed_on(hostile, client)
    (token_call,) = [c for c in hostile.hits if c.endpoint == "token"]
    assert "authorization" not in token_call.headers
    assert token_call.one("client_secret") == CLIENT_SECRET


# -- signatures and algorithms ---------------------------------------------------------------------


def test_signature_by_another_key_is_refused(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    hostile.sign_key = rsa_key(1).private  # header still names rsa-0
    expect_refused(hostile, client, caplog, "id_token_bad_signature")


def test_tampered_payload_is_refused(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    def tampered(call: Any) -> Reply:
        body = hostile.good_token_body(call.grant)
        header, _, signature = body["id_token"].split(".")
        claims = hostile.claims_for(call.grant)
        claims["sub"] = "admin"
        forged = sign_jws({"alg": "RS256"}, claims, alg="none", key=None).split(".")[1]
        body["id_token"] = f"{header}.{forged}.{signature}"
        return Reply(body=body)

    hostile.replies["token"] = tampered
    expect_refused(hostile, client, caplog, "id_token_bad_signature")


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_unsigned_token_is_refused(hostile: HostileProvider, client: Client, caplog: Caplog, alg: str) -> None:
    hostile.sign_alg = "none"
    hostile.id_token_header["alg"] = alg
    expect_refused(hostile, client, caplog, "id_token_bad_algorithm")


def test_unsigned_token_is_refused_even_if_none_is_configured(
    hostile: HostileProvider, client: Client, caplog: Caplog
) -> None:
    hostile.configure(ID_TOKEN_ALGORITHMS=("RS256", "none"))
    hostile.sign_alg = "none"
    expect_refused(hostile, client, caplog, "id_token_bad_algorithm")


def test_hs256_keyed_with_the_rsa_public_key_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog
) -> None:
    """Algorithm confusion: the attacker signs HS256 with the OP's public key (which anyone can fetch)."""
    hostile.sign_alg = "HS256"
    hostile.sign_key = hostile.active_key.public_pem()
    expect_refused(hostile, client, caplog, "id_token_bad_algorithm")
    assert hostile.count("jwks") == 0  # refused on the header alone


def test_hs256_keyed_with_the_rsa_public_key_is_refused_when_hs256_is_allowed(
    hostile: HostileProvider, client: Client, caplog: Caplog
) -> None:
    hostile.configure(ID_TOKEN_ALGORITHMS=("RS256", "HS256"))
    hostile.sign_alg = "HS256"
    hostile.sign_key = hostile.active_key.public_pem()
    expect_refused(hostile, client, caplog, "id_token_bad_signature")


@pytest.mark.parametrize("alg", ["RS384", "RS512", "PS256", "HS256", "HS512"])
def test_algorithm_not_configured_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog, alg: str
) -> None:
    hostile.sign_alg = alg  # properly signed, but with an algorithm the site did not allow
    expect_refused(hostile, client, caplog, "id_token_bad_algorithm")


def test_es256_token_is_refused_by_default(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    hostile.keys = [ec_key(0)]
    hostile.active_key = hostile.keys[0]
    expect_refused(hostile, client, caplog, "id_token_bad_algorithm")


def test_es256_token_is_accepted_when_configured(hostile: HostileProvider, client: Client) -> None:
    """rp-id_token-sig-es256."""
    hostile.configure(ID_TOKEN_ALGORITHMS=("ES256",))
    hostile.keys = [ec_key(0)]
    hostile.active_key = hostile.keys[0]
    expect_signed_on(hostile, client)


@pytest.mark.parametrize("alg", ["PS256", "RS384"])
def test_configured_rsa_algorithm_is_accepted_with_a_jwk_that_names_no_alg(
    hostile: HostileProvider, client: Client, alg: str
) -> None:
    """``alg`` is optional in a JWK (RFC 7517 §4.4): the token's configured algorithm decides."""
    hostile.configure(ID_TOKEN_ALGORITHMS=(alg,))
    hostile.keys = [rsa_key(0, alg=alg, publish_alg=False)]
    hostile.active_key = hostile.keys[0]
    expect_signed_on(hostile, client)


def test_token_algorithm_other_than_the_jwk_alg_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog
) -> None:
    hostile.configure(ID_TOKEN_ALGORITHMS=("RS256", "RS512"))
    hostile.keys = [rsa_key(0, alg="RS512")]  # the key is meant for RS512 only
    hostile.sign_alg = "RS256"
    expect_refused(hostile, client, caplog, "id_token_unknown_key")


def test_hs256_is_accepted_only_when_configured_and_keyed_with_the_client_secret(
    hostile: HostileProvider, client: Client, caplog: Caplog
) -> None:
    """rp-id_token-sig-hs256 / rp-id_token-bad-sig-hs256."""
    hostile.sign_alg = "HS256"  # keyed with the client secret
    hostile.id_token_header["kid"] = DROP
    expect_refused(hostile, client, caplog, "id_token_bad_algorithm")

    hostile.configure(ID_TOKEN_ALGORITHMS=("HS256",))
    hostile.sign_key = CLIENT_SECRET + "-not"
    expect_refused(hostile, Client(), caplog, "id_token_bad_signature")

    hostile.sign_key = None
    expect_signed_on(hostile, Client())
    assert hostile.count("jwks") == 0  # HS256 needs no published key


def test_rs256_only_config_refuses_an_hs256_token_keyed_with_the_secret(
    hostile: HostileProvider, client: Client, caplog: Caplog
) -> None:
    hostile.configure(ID_TOKEN_ALGORITHMS=("RS256",))
    hostile.sign_alg = "HS256"
    expect_refused(hostile, client, caplog, "id_token_bad_algorithm")


@pytest.mark.parametrize(
    "header",
    [
        {"crit": ["exp"]},
        {"crit": ["http://example.com/unknown"], "http://example.com/unknown": True},
    ],
)
def test_critical_header_extensions_are_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog, header: dict[str, Any]
) -> None:
    hostile.id_token_header.update(header)
    expect_refused(hostile, client, caplog, "id_token_malformed")


def test_embedded_jwk_and_jku_headers_are_ignored(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    """A token signed by the attacker's key that carries that key (``jwk``) or points at it (``jku``)."""
    attacker = rsa_key(2, kid="attacker")
    hostile.sign_key = attacker.private
    hostile.id_token_header.update(
        {"kid": "attacker", "jwk": attacker.jwk(), "jku": "http://127.0.0.1:1/attacker/jwks", "x5u": "http://x/"}
    )
    expect_refused(hostile, client, caplog, "id_token_unknown_key")


# -- kid and key rotation --------------------------------------------------------------------------


def test_unknown_kid_is_refused(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    hostile.id_token_header["kid"] = "no-such-key"
    expect_refused(hostile, client, caplog, "id_token_unknown_key")
    assert hostile.count("jwks") == 1


def test_key_rotation_fetches_the_jwks_once_more(
    hostile: HostileProvider, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rp-key-rotation-op-sign-key: a new kid appears; one refetch, then it is accepted."""
    monkeypatch.setattr(jwks, "REFETCH_INTERVAL", 0)
    expect_signed_on(hostile, client)
    assert hostile.count("jwks") == 1

    rotated = rsa_key(1)
    hostile.keys = [hostile.keys[0], rotated]
    hostile.active_key = rotated
    expect_signed_on(hostile, Client())
    assert hostile.count("jwks") == 2

    expect_signed_on(hostile, Client())  # the rotated key is now cached
    assert hostile.count("jwks") == 2


def test_key_rotation_right_after_a_fetch_and_again_after_the_refetch_interval(
    hostile: HostileProvider, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new kid seconds after the JWKS was fetched is fetched at once; a second new kid within
    REFETCH_INTERVAL of that refetch waits for the interval."""
    clock = ShiftedClock()
    monkeypatch.setattr(jwks, "time", clock)
    expect_signed_on(hostile, client)
    rotated = rsa_key(1)
    hostile.keys = [rotated]  # the old key is withdrawn at once
    hostile.active_key = rotated
    expect_signed_on(hostile, Client())  # no waiting after the first fetch: one refetch
    assert hostile.count("jwks") == 2
    again = rsa_key(2)
    hostile.keys = [again]
    hostile.active_key = again
    other = Client()
    assert_refused(hostile.sign_on(other), other, "id_token_unknown_key")  # too soon to fetch again
    assert hostile.count("jwks") == 2
    clock.offset = jwks.REFETCH_INTERVAL + 1
    expect_signed_on(hostile, Client())
    assert hostile.count("jwks") == 3


def test_random_kids_do_not_make_it_fetch_in_a_loop(
    hostile: HostileProvider, client: Client, caplog: Caplog, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ShiftedClock()
    monkeypatch.setattr(jwks, "time", clock)
    expect_signed_on(hostile, client)  # JWKS cached
    for round_ in range(3):
        for index in range(8):
            hostile.id_token_header["kid"] = f"random-{round_}-{index}"
            expect_refused(hostile, Client(), caplog, "id_token_unknown_key")
        # At most one refetch per REFETCH_INTERVAL (the first at once), however many unknown kids come in.
        assert hostile.count("jwks") <= 2 + round_
        clock.offset += jwks.REFETCH_INTERVAL + 1
    assert hostile.count("token") == 1 + 24


def test_failing_refetch_is_bounded_too(
    hostile: HostileProvider, client: Client, caplog: Caplog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unknown kids while the JWKS endpoint is down: one refetch attempt per interval, not one per token."""
    clock = ShiftedClock()
    monkeypatch.setattr(jwks, "time", clock)
    expect_signed_on(hostile, client)
    hostile.replies["jwks"] = Reply(503, {"error": "temporarily_unavailable"})
    clock.offset = jwks.REFETCH_INTERVAL + 1
    hostile.id_token_header["kid"] = "random-1"
    expect_refused(hostile, Client(), caplog, "provider_server_error")
    for index in range(5):
        hostile.id_token_header["kid"] = f"random-{index + 2}"
        expect_refused(hostile, Client(), caplog, "id_token_unknown_key")
    assert hostile.count("jwks") == 2
    # The cached keys still work meanwhile.
    hostile.id_token_header = {}
    expect_signed_on(hostile, Client())
    assert hostile.count("jwks") == 2


def test_no_kid_with_a_single_key_is_accepted(hostile: HostileProvider, client: Client) -> None:
    """rp-id_token-kid-absent-single-jwks."""
    hostile.id_token_header["kid"] = DROP
    expect_signed_on(hostile, client)


def test_no_kid_with_a_single_key_that_has_no_kid_either(hostile: HostileProvider, client: Client) -> None:
    hostile.keys = [rsa_key(0, kid=None)]
    hostile.active_key = hostile.keys[0]
    expect_signed_on(hostile, client)


def test_no_kid_with_two_keys_is_refused(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    """rp-id_token-kid-absent-multiple-jwks."""
    hostile.keys = [rsa_key(0), rsa_key(1)]
    hostile.id_token_header["kid"] = DROP
    expect_refused(hostile, client, caplog, "id_token_unknown_key")


def test_keys_for_encryption_are_not_used_to_verify(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    key = rsa_key(0)
    jwk = {**key.jwk(), "use": "enc"}
    hostile.replies["jwks"] = Reply(body={"keys": [jwk]})
    expect_refused(hostile, client, caplog, "id_token_unknown_key")


@pytest.mark.parametrize("kid", [123, ["rsa-0"], {"a": 1}, True])
def test_kid_that_is_not_a_string_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog, kid: object
) -> None:
    hostile.id_token_header["kid"] = kid
    expect_refused(hostile, client, caplog, "id_token_malformed")


# -- iss, aud, azp, sub, nonce ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "{issuer}/",
        "{issuer}x",
        "{issuer}/../as",
        "{prefix}",
        "x{issuer}",
        "{issuer} ",
        "https://evil.example/{env}/as",
        "http://127.0.0.1/{env}/as",
        "{upper}",
        "",
    ],
)
def test_issuer_mismatch_is_refused(hostile: HostileProvider, client: Client, caplog: Caplog, variant: str) -> None:
    """rp-id_token-iss-mismatch, with the near misses of a prefix/substring/suffix comparison."""
    issuer = hostile.issuer
    hostile.id_token_claims["iss"] = variant.format(
        issuer=issuer, prefix=issuer[:-3], env=hostile.env_id, upper=issuer.upper()
    )
    expect_refused(hostile, client, caplog, "id_token_bad_issuer")


@pytest.mark.parametrize("value", [["{issuer}"], {"iss": "{issuer}"}, 1])
def test_issuer_of_the_wrong_type_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog, value: Any
) -> None:
    issuer = hostile.issuer
    if isinstance(value, list):
        value = [issuer]
    elif isinstance(value, dict):
        value = {"iss": issuer}
    hostile.id_token_claims["iss"] = value
    expect_refused(hostile, client, caplog, "id_token_bad_issuer")


def test_missing_issuer_is_refused(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    hostile.id_token_claims["iss"] = DROP
    expect_refused(hostile, client, caplog, "id_token_missing_iss")


@pytest.mark.parametrize(
    ("aud", "expected"),
    [
        ("someone-else", "id_token_bad_audience"),
        (CLIENT_ID + "x", "id_token_bad_audience"),
        (CLIENT_ID.upper(), "id_token_bad_audience"),
        (["someone-else"], "id_token_bad_audience"),
        ([], "id_token_bad_audience"),
        (12, "id_token_bad_audience"),
        ([CLIENT_ID, 12], "id_token_bad_audience"),
        (DROP, "id_token_missing_aud"),
    ],
)
def test_audience_mismatch_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog, aud: Any, expected: str
) -> None:
    """rp-id_token-aud-mismatch."""
    hostile.id_token_claims["aud"] = aud
    expect_refused(hostile, client, caplog, expected)


def test_audience_list_with_an_untrusted_extra_audience_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog
) -> None:
    hostile.id_token_claims.update(aud=[CLIENT_ID, "another-app"], azp=CLIENT_ID)
    expect_refused(hostile, client, caplog, "id_token_untrusted_audience")


def test_audience_list_with_a_trusted_extra_audience_is_accepted(hostile: HostileProvider, client: Client) -> None:
    hostile.configure(TRUSTED_AUDIENCES=("api://orders",))
    hostile.id_token_claims.update(aud=[CLIENT_ID, "api://orders"], azp=CLIENT_ID)
    expect_signed_on(hostile, client)


def test_multiple_audiences_without_azp_are_refused(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    hostile.configure(TRUSTED_AUDIENCES=("api://orders",))
    hostile.id_token_claims["aud"] = [CLIENT_ID, "api://orders"]
    expect_refused(hostile, client, caplog, "id_token_bad_azp")


@pytest.mark.parametrize("azp", ["api://orders", "", CLIENT_ID + " ", ["x"]])
def test_wrong_azp_is_refused(hostile: HostileProvider, client: Client, caplog: Caplog, azp: Any) -> None:
    hostile.configure(TRUSTED_AUDIENCES=("api://orders",))
    hostile.id_token_claims.update(aud=[CLIENT_ID, "api://orders"], azp=azp)
    expect_refused(hostile, client, caplog, "id_token_bad_azp")


def test_wrong_azp_with_a_single_audience_is_refused(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    hostile.id_token_claims["azp"] = "another-app"
    expect_refused(hostile, client, caplog, "id_token_bad_azp")


def test_azp_equal_to_the_client_with_a_single_audience_is_accepted(hostile: HostileProvider, client: Client) -> None:
    hostile.id_token_claims.update(aud=[CLIENT_ID], azp=CLIENT_ID)
    expect_signed_on(hostile, client)


@pytest.mark.parametrize(
    ("sub", "expected"),
    [
        (DROP, "id_token_missing_sub"),
        ("", "id_token_bad_subject"),
        (17, "id_token_invalid"),
        (["a"], "id_token_invalid"),
        ("x" * 256, "id_token_bad_subject"),
    ],
)
def test_bad_subject_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog, sub: Any, expected: str | None
) -> None:
    """rp-id_token-sub."""
    hostile.id_token_claims["sub"] = sub
    expect_refused(hostile, client, caplog, expected)


@pytest.mark.parametrize("nonce", [DROP, "wrong", "", None, ["{nonce}"], 0])
def test_bad_nonce_is_refused(hostile: HostileProvider, client: Client, caplog: Caplog, nonce: Any) -> None:
    """rp-nonce-invalid (and rp-nonce-unless-code-flow: the nonce is always sent and always checked)."""
    if isinstance(nonce, list):

        def reply(call: Any) -> Reply:
            hostile.id_token_claims["nonce"] = [call.grant.nonce]
            return Reply(body=hostile.good_token_body(call.grant))

        hostile.replies["token"] = reply
    else:
        hostile.id_token_claims["nonce"] = nonce
    expect_refused(hostile, client, caplog, "id_token_bad_nonce")


def test_nonce_of_another_sign_on_in_the_same_session_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog
) -> None:
    first = hostile.login(client)
    second = hostile.login(client)
    hostile.id_token_claims["nonce"] = first.nonce  # the OP answers the second code with the first nonce
    response = hostile.callback(client, second)
    assert_refused(response, client, "id_token_bad_nonce")


# -- times -----------------------------------------------------------------------------------------


def _now() -> int:
    return int(time.time())


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"exp": -3600}, "id_token_expired"),
        ({"exp": -61 - 5}, "id_token_expired"),
        ({"iat": 3600, "exp": 7200}, "id_token_not_yet_valid"),
        ({"iat": 120}, "id_token_not_yet_valid"),
        ({"iat": -3600}, "id_token_too_old"),
        ({"iat": -(600 + 60 + 10)}, "id_token_too_old"),
        ({"nbf": 3600}, "id_token_not_yet_valid"),
        ({"iat": DROP}, "id_token_missing_iat"),
        ({"exp": DROP}, "id_token_missing_exp"),
        ({"exp": "tomorrow"}, "id_token_invalid"),
        ({"iat": "now"}, "id_token_invalid"),
        ({"iat": True}, "id_token_invalid"),
        ({"nbf": "later"}, "id_token_invalid"),
    ],
)
def test_bad_times_are_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog, claims: dict[str, Any], expected: str
) -> None:
    """rp-id_token-iat and friends: offsets are seconds from now."""
    now = _now()
    hostile.id_token_claims.update(
        {k: now + v if isinstance(v, int) and not isinstance(v, bool) else v for k, v in claims.items()}
    )
    expect_refused(hostile, client, caplog, expected)


@pytest.mark.parametrize("claims", [{"exp": -30}, {"iat": 30}, {"nbf": 30}, {"iat": -600}])
def test_times_within_the_leeway_are_accepted(hostile: HostileProvider, client: Client, claims: dict[str, int]) -> None:
    now = _now()
    hostile.id_token_claims.update({k: now + v for k, v in claims.items()})
    expect_signed_on(hostile, client)


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN", "1e400"])
def test_non_finite_times_are_refused(hostile: HostileProvider, client: Client, caplog: Caplog, value: str) -> None:
    """JSON parsers read these as floats; none may pass as a time, none may crash the callback."""
    for claim in ("exp", "iat", "nbf"):
        hostile.id_token_claims = {}

        def reply(call: Any, claim: str = claim) -> Reply:
            claims = hostile.claims_for(call.grant)
            payload = json_with_raw(claims, claim, value)
            body = hostile.good_token_body(call.grant)
            body["id_token"] = sign_jws({"alg": "RS256", "kid": "rsa-0"}, payload, alg="RS256", key=rsa_key(0).private)
            return Reply(body=body)

        hostile.replies["token"] = reply
        expect_refused(hostile, Client(), caplog, "id_token_invalid")


def json_with_raw(claims: dict[str, Any], name: str, raw: str) -> str:
    """The claims as JSON with ``name`` set to the literal ``raw`` (NaN, Infinity: not valid JSON)."""
    claims = {**claims, name: "__RAW__"}
    return json.dumps(claims).replace('"__RAW__"', raw)


# -- at_hash and auth_time -------------------------------------------------------------------------


def test_wrong_at_hash_is_refused(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    hostile.id_token_claims["at_hash"] = left_hash("another-access-token")
    expect_refused(hostile, client, caplog, "id_token_bad_at_hash")


@pytest.mark.parametrize("at_hash", [17, "", ["x"]])
def test_at_hash_of_the_wrong_type_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog, at_hash: Any
) -> None:
    hostile.id_token_claims["at_hash"] = at_hash
    expect_refused(hostile, client, caplog, "id_token_bad_at_hash")


def test_correct_at_hash_is_accepted(hostile: HostileProvider, client: Client) -> None:
    grant = expect_signed_on(hostile, client)
    assert grant.id_token is not None
    claims = jwt.decode(grant.id_token, options={"verify_signature": False})
    assert claims["at_hash"] == left_hash(grant.access_token)


def test_absent_at_hash_is_accepted(hostile: HostileProvider, client: Client) -> None:
    hostile.id_token_claims["at_hash"] = DROP
    expect_signed_on(hostile, client)


def test_non_ascii_access_token_is_refused_not_a_crash(
    hostile: HostileProvider, client: Client, caplog: Caplog
) -> None:
    def reply(call: Any) -> Reply:
        call.grant.access_token = "t\u00f6ken-\u2603"
        return Reply(body=hostile.good_token_body(call.grant))

    hostile.replies["token"] = reply
    expect_refused(hostile, client, caplog, "token_bad_response")


def test_auth_time_is_required_when_max_age_was_sent(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    hostile.id_token_claims["auth_time"] = DROP
    grant = hostile.login(client, {"max_age": "0"})
    assert grant.params["max_age"] == "0"
    assert_refused(hostile.callback(client, grant), client, "id_token_missing_auth_time")


@pytest.mark.parametrize("auth_time", ["yesterday", True, None, ["1"]])
def test_auth_time_of_the_wrong_type_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog, auth_time: Any
) -> None:
    hostile.id_token_claims["auth_time"] = auth_time
    expect_refused(hostile, client, caplog, "id_token_missing_auth_time", query={"max_age": "300"})


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e400"])
def test_non_finite_auth_time_is_refused(hostile: HostileProvider, client: Client, caplog: Caplog, value: str) -> None:
    def reply(call: Any) -> Reply:
        payload = json_with_raw(hostile.claims_for(call.grant), "auth_time", value)
        body = hostile.good_token_body(call.grant)
        body["id_token"] = sign_jws({"alg": "RS256", "kid": "rsa-0"}, payload, alg="RS256", key=rsa_key(0).private)
        body.pop("access_token")
        return Reply(body=body)

    hostile.replies["token"] = reply
    expect_refused(hostile, client, caplog, "id_token_missing_auth_time", query={"max_age": "300"})


def test_auth_time_too_old_for_max_age_is_refused(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    hostile.id_token_claims["auth_time"] = _now() - 3600
    expect_refused(hostile, client, caplog, "id_token_auth_too_old", query={"max_age": "300"})


def test_auth_time_too_old_for_the_configured_max_age_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog
) -> None:
    hostile.configure(MAX_AGE=300)
    hostile.id_token_claims["auth_time"] = _now() - 3600
    grant = hostile.login(client)
    assert grant.params["max_age"] == "300"
    assert_refused(hostile.callback(client, grant), client, "id_token_auth_too_old")


def test_fresh_auth_time_is_accepted_with_max_age(hostile: HostileProvider, client: Client) -> None:
    expect_signed_on(hostile, client, query={"max_age": "0"})


def test_auth_time_is_not_required_without_max_age(hostile: HostileProvider, client: Client) -> None:
    hostile.id_token_claims["auth_time"] = DROP
    expect_signed_on(hostile, client)


# -- userinfo --------------------------------------------------------------------------------------


def test_userinfo_with_another_subject_is_refused(hostile: HostileProvider, client: Client, caplog: Caplog) -> None:
    """rp-userinfo-bad-sub-claim."""
    hostile.configure(USERINFO=True)
    hostile.userinfo_overrides["sub"] = "someone-else"
    expect_refused(hostile, client, caplog, "userinfo_subject_mismatch")
    assert hostile.count("userinfo") == 1


@pytest.mark.parametrize("sub", [DROP, None, 7, [SUBJECT], SUBJECT + " "])
def test_userinfo_without_the_same_subject_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog, sub: Any
) -> None:
    hostile.configure(USERINFO=True)
    hostile.userinfo_overrides["sub"] = sub
    expect_refused(hostile, client, caplog, "userinfo_subject_mismatch")


def test_userinfo_with_the_same_subject_is_accepted_and_merged(hostile: HostileProvider, client: Client) -> None:
    """rp-userinfo-bearer-header / rp-scope-userinfo-claims: the token goes in the Authorization header."""
    hostile.configure(USERINFO=True)
    hostile.userinfo_overrides.update(given_name="Alicia", iss="https://evil.example/as")
    grant = expect_signed_on(hostile, client)
    (call,) = [c for c in hostile.hits if c.endpoint == "userinfo"]
    assert call.headers["authorization"] == f"Bearer {grant.access_token}"
    assert not call.query and not call.form
    identity = PingOneIdentity.objects.get(subject=SUBJECT)
    assert identity.issuer == hostile.issuer  # userinfo cannot change the issuer
    assert identity.user.first_name == "Alicia"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply(500, {"error": "server_error"}), "provider_server_error"),
        (Reply(401, {"error": "invalid_token"}), "provider_refused"),
        (Reply(body="<html>"), "provider_bad_response"),
        (Reply(body=[]), "provider_bad_response"),
    ],
)
def test_broken_userinfo_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog, reply: Reply, expected: str
) -> None:
    hostile.configure(USERINFO=True)
    hostile.replies["userinfo"] = reply
    expect_refused(hostile, client, caplog, expected)


# -- discovery -------------------------------------------------------------------------------------


@pytest.mark.parametrize("issuer", ["{issuer}/", "https://evil.example/{env}/as", "{issuer}x", None, ""])
def test_discovery_for_another_issuer_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog, issuer: str | None
) -> None:
    """rp-discovery-issuer-not-matching-config: the sign-on does not even start."""
    hostile.discovery_overrides["issuer"] = (
        issuer.format(issuer=hostile.issuer, env=hostile.env_id) if issuer is not None else DROP
    )
    response = client.get("/pingone/login/")
    assert_refused(response, client, "discovery_issuer_mismatch")
    assert "_pingone_pending" not in client.session or not client.session["_pingone_pending"]
    assert hostile.endpoints_hit() == ["GET discovery"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("token_endpoint", "http://evil.example/token"),
        ("token_endpoint", "javascript:alert(1)"),
        ("jwks_uri", "ftp://127.0.0.1/jwks"),
        ("jwks_uri", DROP),
        ("authorization_endpoint", 42),
        ("userinfo_endpoint", "http://10.0.0.1/userinfo"),
        ("token_endpoint", "http://127.0.0.1.evil.example/token"),
        ("token_endpoint", "http://127.evil.example/token"),
        ("token_endpoint", "http://localhost.evil.example/token"),
        ("token_endpoint", "http://[::1"),
        ("jwks_uri", "https://[oops/jwks"),
        ("end_session_endpoint", "http://evil.example/signoff"),
    ],
)
def test_discovery_with_unsafe_endpoints_is_refused(
    hostile: HostileProvider, client: Client, caplog: Caplog, name: str, value: Any
) -> None:
    hostile.discovery_overrides[name] = value
    assert_refused(client.get("/pingone/login/"), client, "discovery_bad_endpoint")


def test_endpoints_are_taken_from_discovery(hostile: HostileProvider, client: Client) -> None:
    grant = hostile.login(client)
    location = urlsplit(client.get("/pingone/login/")["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == hostile.layout.authorization_endpoint
    assert parse_qs(location.query)["redirect_uri"] == ["http://testserver/pingone/callback/"]
    assert grant.redirect_uri == "http://testserver/pingone/callback/"
    assert reason(hostile.callback(client, grant)) is None
