"""``id_token.validate_id_token``: OpenID Connect Core §3.1.3.7, one check at a time, against keys made here.

No network: the signing key the JWKS would give is handed over by a stand-in for ``jwks.signing_key`` (the
fetching, caching and rotation of keys are ``provider/test_signing_keys.py``'s), and the clock is the module's ``_now`` seam.
Each test breaks one thing in an otherwise valid token and expects the reason code naming that check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.errors import TokenValidationError
from django_pingone_authorize.oidc import id_token
from django_pingone_authorize.oidc.id_token import MAX_TOKEN_LENGTH, token_hash, validate_id_token
from django_pingone_authorize.provider.discovery import ProviderMetadata

NOW = float(int(time.time()))  # PyJWT checks exp, nbf and iat against the real clock
ISSUER = "https://auth.pingone.com/abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6/as"
CLIENT_ID = "unit-client"
SECRET = "a-client-secret-long-enough-for-hs512-" + "x" * 40
NONCE = "n-0S6_WzA2Mj"
KID = "unit-key-1"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def keys_asked(
    monkeypatch: pytest.MonkeyPatch, rsa_key: rsa.RSAPrivateKey, ec_key: Any
) -> list[tuple[str | None, str]]:
    """Stand in for the JWKS: RS*/PS* tokens get ``rsa_key``'s public half, ES256 ``ec_key``'s; records each ask."""
    asked: list[tuple[str | None, str]] = []

    def signing_key(config: AliasConfig, metadata: ProviderMetadata, kid: str | None, algorithm: str) -> jwt.PyJWK:
        asked.append((kid, algorithm))
        if algorithm.startswith("ES"):
            jwk = ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True)
        else:
            jwk = RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True)
        return jwt.PyJWK({**jwk, "kid": kid}, algorithm)

    monkeypatch.setattr(id_token, "signing_key", signing_key)
    monkeypatch.setattr(id_token, "_now", lambda: NOW)
    return asked


def make_config(**options: Any) -> AliasConfig:
    values: dict[str, Any] = {
        "ENV_ID": "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6",
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": SECRET,
        "DISCOVERY": False,
    }
    return AliasConfig(alias="default", **{**values, **options})


METADATA = ProviderMetadata(
    issuer=ISSUER,
    authorization_endpoint=f"{ISSUER}/authorize",
    token_endpoint=f"{ISSUER}/token",
    jwks_uri=f"{ISSUER}/jwks",
    userinfo_endpoint=f"{ISSUER}/userinfo",
    end_session_endpoint=f"{ISSUER}/signoff",
    pushed_authorization_request_endpoint=None,
    iss_parameter_supported=True,
)


def claims(**changes: Any) -> dict[str, Any]:
    """Valid claims; a change to ``None`` removes the claim."""
    base: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "user-sub-1",
        "aud": CLIENT_ID,
        "exp": int(NOW) + 3600,
        "iat": int(NOW) - 5,
        "nonce": NONCE,
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def signed(key: Any, payload: dict[str, Any], algorithm: str = "RS256", **headers: Any) -> str:
    return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": KID, **headers})


def raw_signed(key: rsa.RSAPrivateKey, header: dict[str, Any], payload: dict[str, Any]) -> str:
    """RS256 over exactly this header and payload, for what PyJWT's ``encode`` refuses to write."""
    signing_input = f"{segment(header)}.{segment(payload)}"
    signature = RSAAlgorithm(RSAAlgorithm.SHA256).sign(signing_input.encode(), key)
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def reason(token: str, config: AliasConfig | None = None, **kwargs: Any) -> str:
    with pytest.raises(TokenValidationError) as raised:
        validate_id_token(config or make_config(), METADATA, token, nonce=kwargs.pop("nonce", NONCE), **kwargs)
    return raised.value.reason


def segment(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


# -- a valid token --------------------------------------------------------------------------------------------


def test_a_valid_rs256_token_gives_its_claims_and_asks_the_jwks_for_its_kid(
    rsa_key: rsa.RSAPrivateKey, keys_asked: list[tuple[str | None, str]]
) -> None:
    token = signed(rsa_key, claims(email="ann@example.com"))
    got = validate_id_token(make_config(), METADATA, token, nonce=NONCE)
    assert got["sub"] == "user-sub-1" and got["email"] == "ann@example.com"
    assert keys_asked == [(KID, "RS256")]


def test_an_es256_token_is_accepted_when_listed(ec_key: Any, keys_asked: list[tuple[str | None, str]]) -> None:
    token = signed(ec_key, claims(), "ES256")
    assert reason(token) == "id_token_bad_algorithm"  # the default list is RS256 only
    config = make_config(ID_TOKEN_ALGORITHMS=("RS256", "ES256"))
    assert validate_id_token(config, METADATA, token, nonce=NONCE)["sub"] == "user-sub-1"
    assert keys_asked == [(KID, "ES256")]


def test_hs256_is_keyed_with_the_client_secret_and_never_asks_the_jwks(
    keys_asked: list[tuple[str | None, str]],
) -> None:
    config = make_config(ID_TOKEN_ALGORITHMS=("HS256",))
    token = signed(SECRET, claims(), "HS256")
    assert validate_id_token(config, METADATA, token, nonce=NONCE)["iss"] == ISSUER
    assert reason(signed("another-secret-of-the-same-length-" + "y" * 40, claims(), "HS256"), config) == (
        "id_token_bad_signature"
    )
    assert keys_asked == []


# -- the header: algorithm, kid, crit, shape -------------------------------------------------------------------


def test_the_algorithm_comes_from_settings_not_from_the_token(
    rsa_key: rsa.RSAPrivateKey, keys_asked: list[tuple[str | None, str]]
) -> None:
    # The classic confusion: HS256 "signed" with the RSA public key, which anyone can fetch from the JWKS.
    public_pem = rsa_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    header, body = segment({"alg": "HS256", "typ": "JWT", "kid": KID}), segment(claims())
    mac = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    forged = f"{header}.{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert reason(forged) == "id_token_bad_algorithm"
    assert reason(signed(rsa_key, claims(), "RS512")) == "id_token_bad_algorithm"  # RSA, but not listed
    assert keys_asked == []


def test_alg_none_is_refused_even_if_listed() -> None:
    token = f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(claims())}."
    assert reason(token) == "id_token_bad_algorithm"
    assert reason(token, make_config(ID_TOKEN_ALGORITHMS=("RS256", "none"))) == "id_token_bad_algorithm"


def test_an_hmac_algorithm_without_a_client_secret_is_refused(keys_asked: list[tuple[str | None, str]]) -> None:
    config = make_config(ID_TOKEN_ALGORITHMS=("HS256",), CLIENT_SECRET="")
    token = f"{segment({'alg': 'HS256'})}.{segment(claims())}.c2ln"  # whatever its MAC: there is no key
    assert reason(token, config) == "id_token_bad_algorithm"
    assert keys_asked == []


@pytest.mark.parametrize("token", ["", None, 42, "x" * (MAX_TOKEN_LENGTH + 1)])
def test_a_missing_empty_or_huge_token_is_missing(token: Any) -> None:
    assert reason(token) == "id_token_missing"


@pytest.mark.parametrize(
    "token",
    [
        "only.two",
        "a.b.c.d.e",  # a JWE (encrypted ID token): five parts
        "!!!.e30.c2ln",  # the header is not base64url JSON
    ],
)
def test_a_token_that_is_not_a_three_part_jws_is_malformed(token: str) -> None:
    assert reason(token) == "id_token_malformed"


def test_a_non_string_kid_or_a_critical_extension_is_malformed(
    rsa_key: rsa.RSAPrivateKey, keys_asked: list[tuple[str | None, str]]
) -> None:
    assert reason(raw_signed(rsa_key, {"alg": "RS256", "kid": 7}, claims())) == "id_token_malformed"
    assert reason(signed(rsa_key, claims(), crit=["exp"], exp=1)) == "id_token_malformed"
    assert keys_asked == []  # refused before any key is looked up


def test_a_signature_by_another_key_is_a_bad_signature(
    other_rsa_key: rsa.RSAPrivateKey, keys_asked: list[tuple[str | None, str]]
) -> None:
    assert reason(signed(other_rsa_key, claims())) == "id_token_bad_signature"


# -- the claims --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("claim", ["iss", "sub", "aud", "exp", "iat"])
def test_each_required_claim_is_required(
    claim: str, rsa_key: rsa.RSAPrivateKey, keys_asked: list[tuple[str | None, str]]
) -> None:
    assert reason(signed(rsa_key, claims(**{claim: None}))) == f"id_token_missing_{claim}"


@pytest.mark.parametrize("issuer", [ISSUER + "/", ISSUER.upper(), "https://auth.pingone.eu/abfba8f6/as", 7])
def test_the_issuer_must_match_exactly(
    issuer: Any, rsa_key: rsa.RSAPrivateKey, keys_asked: list[tuple[str | None, str]]
) -> None:
    assert reason(raw_signed(rsa_key, {"alg": "RS256", "kid": KID}, claims(iss=issuer))) == "id_token_bad_issuer"


def test_the_client_must_be_an_audience(rsa_key: rsa.RSAPrivateKey, keys_asked: list[tuple[str | None, str]]) -> None:
    assert reason(signed(rsa_key, claims(aud="another-client"))) == "id_token_bad_audience"
    assert reason(signed(rsa_key, claims(aud=["another-client"]))) == "id_token_bad_audience"
    assert reason(signed(rsa_key, claims(aud=[CLIENT_ID, 7], azp=CLIENT_ID))) == "id_token_bad_audience"
    assert reason(signed(rsa_key, claims(aud={"client": CLIENT_ID}))) == "id_token_bad_audience"


def test_every_audience_must_be_trusted_and_several_need_azp(
    rsa_key: rsa.RSAPrivateKey, keys_asked: list[tuple[str | None, str]]
) -> None:
    two = [CLIENT_ID, "api-resource"]
    assert reason(signed(rsa_key, claims(aud=two, azp=CLIENT_ID))) == "id_token_untrusted_audience"
    trusting = make_config(TRUSTED_AUDIENCES=("api-resource",))
    assert reason(signed(rsa_key, claims(aud=two)), trusting) == "id_token_bad_azp"  # several audiences, no azp
    assert reason(signed(rsa_key, claims(aud=two, azp="api-resource")), trusting) == "id_token_bad_azp"
    token = signed(rsa_key, claims(aud=two, azp=CLIENT_ID))
    assert validate_id_token(trusting, METADATA, token, nonce=NONCE)["aud"] == two


def test_azp_when_present_must_be_the_client(
    rsa_key: rsa.RSAPrivateKey, keys_asked: list[tuple[str | None, str]]
) -> None:
    assert reason(signed(rsa_key, claims(azp="someone-else"))) == "id_token_bad_azp"
    assert validate_id_token(make_config(), METADATA, signed(rsa_key, claims(azp=CLIENT_ID)), nonce=NONCE)


def test_expiry_and_not_before_with_the_leeway(
    rsa_key: rsa.RSAPrivateKey, keys_asked: list[tuple[str | None, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # PyJWT reads its own clock for exp/nbf, so this token's times are set against the real one.
    real = int(time.time())
    monkeypatch.setattr(id_token, "_now", lambda: float(real))
    config = make_config(LEEWAY=30)
    fresh = {"iat": real - 5}
    assert reason(signed(rsa_key, claims(**fresh, exp=real - 31)), config) == "id_token_expired"
    assert validate_id_token(config, METADATA, signed(rsa_key, claims(**fresh, exp=real - 20)), nonce=NONCE)
    assert reason(signed(rsa_key, claims(**fresh, exp=real + 300, nbf=real + 60)), config) == "id_token_not_yet_valid"


def test_iat_must_be_recent_and_not_in_the_future(
    rsa_key: rsa.RSAPrivateKey, keys_asked: list[tuple[str | None, str]]
) -> None:
    config = make_config(ID_TOKEN_MAX_AGE=600, LEEWAY=60)
    assert reason(signed(rsa_key, claims(iat=int(NOW) - 661)), config) == "id_token_too_old"
    assert validate_id_token(config, METADATA, signed(rsa_key, claims(iat=int(NOW) - 659)), nonce=NONCE)
    assert reason(signed(rsa_key, claims(iat=int(NOW) + 61)), config) == "id_token_not_yet_valid"
    assert validate_id_token(config, METADATA, signed(rsa_key, claims(iat=int(NOW) + 59)), nonce=NONCE)


def test_iat_that_is_not_a_number_is_invalid(
    rsa_key: rsa.RSAPrivateKey, keys_asked: list[tuple[str | None, str]]
) -> None:
    assert reason(signed(rsa_key, claims(iat="yesterday"))) == "id_token_invalid"
    assert reason(signed(rsa_key, claims(iat=True))) == "id_token_invalid"


@pytest.mark.parametrize("subject", ["", "s" * 256, 12345, ["user-sub-1"]])
def test_the_subject_must_be_a_short_non_empty_string(
    subject: Any, rsa_key: rsa.RSAPrivateKey, keys_asked: list[tuple[str | None, str]]
) -> None:
    token = raw_signed(rsa_key, {"alg": "RS256", "kid": KID}, claims(sub=subject))
    # PyJWT itself refuses a sub that is not a string (id_token_invalid); our check, the rest.
    expected = "id_token_bad_subject" if isinstance(subject, str) else "id_token_invalid"
    assert reason(token) == expected


def test_the_nonce_must_be_the_one_sent(rsa_key: rsa.RSAPrivateKey, keys_asked: list[tuple[str | None, str]]) -> None:
    assert reason(signed(rsa_key, claims(nonce=None))) == "id_token_bad_nonce"
    assert reason(signed(rsa_key, claims(nonce="another-nonce"))) == "id_token_bad_nonce"
    assert reason(signed(rsa_key, claims(nonce=[NONCE]))) == "id_token_bad_nonce"
    assert reason(signed(rsa_key, claims()), nonce=NONCE + "x") == "id_token_bad_nonce"


# -- what the sign-on asked: max_age, prompt=login, acr_values ------------------------------------------------


def test_max_age_needs_a_recent_numeric_auth_time(
    rsa_key: rsa.RSAPrivateKey, keys_asked: list[tuple[str | None, str]]
) -> None:
    config = make_config(LEEWAY=60)
    assert reason(signed(rsa_key, claims()), config, max_age=300) == "id_token_missing_auth_time"
    assert reason(signed(rsa_key, claims(auth_time="now")), config, max_age=300) == "id_token_missing_auth_time"
    assert reason(signed(rsa_key, claims(auth_time=True)), config, max_age=300) == "id_token_missing_auth_time"
    too_old = signed(rsa_key, claims(auth_time=int(NOW) - 361))
    assert reason(too_old, config, max_age=300) == "id_token_auth_too_old"
    recent = signed(rsa_key, claims(auth_time=int(NOW) - 359))
    assert validate_id_token(config, METADATA, recent, nonce=NONCE, max_age=300)["auth_time"] == int(NOW) - 359
    # Without max_age (nor prompt=login) auth_time is not looked at.
    assert validate_id_token(config, METADATA, too_old, nonce=NONCE)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_non_finite_auth_time_cannot_pass_a_bound(
    value: float, rsa_key: rsa.RSAPrivateKey, keys_asked: list[tuple[str | None, str]]
) -> None:
    token = signed(rsa_key, claims(auth_time=value))  # json.dumps writes NaN/Infinity, json.loads reads them
    assert reason(token, max_age=300) == "id_token_missing_auth_time"
    assert reason(token, login_since=NOW - 10) == "id_token_missing_auth_time"


def test_prompt_login_needs_an_authentication_during_this_sign_on(
    rsa_key: rsa.RSAPrivateKey, keys_asked: list[tuple[str | None, str]]
) -> None:
    config = make_config(LEEWAY=5)
    started = NOW - 30
    earlier = signed(rsa_key, claims(auth_time=int(started) - 6))
    assert reason(earlier, config, login_since=started) == "id_token_auth_not_fresh"
    during = signed(rsa_key, claims(auth_time=int(started) + 10))
    assert validate_id_token(config, METADATA, during, nonce=NONCE, login_since=started)


def test_acr_must_name_one_of_the_policies_asked(
    rsa_key: rsa.RSAPrivateKey, keys_asked: list[tuple[str | None, str]]
) -> None:
    asked = ("Multi_Factor", "Passwordless")
    assert reason(signed(rsa_key, claims()), acr_values=asked) == "id_token_missing_acr"
    assert reason(signed(rsa_key, claims(acr="Single_Factor")), acr_values=asked) == "id_token_bad_acr"
    assert reason(signed(rsa_key, claims(acr=["Multi_Factor"])), acr_values=asked) == "id_token_bad_acr"
    token = signed(rsa_key, claims(acr="Passwordless"))
    assert validate_id_token(make_config(), METADATA, token, nonce=NONCE, acr_values=asked)["acr"] == "Passwordless"
    # Nothing asked: any acr (or none) is fine.
    assert validate_id_token(make_config(), METADATA, signed(rsa_key, claims(acr="Single_Factor")), nonce=NONCE)


# -- at_hash --------------------------------------------------------------------------------------------------


def test_token_hash_is_the_left_half_of_the_hash_base64url() -> None:
    # OpenID Connect Core, Appendix A.3 (RS256): this access token's at_hash.
    assert token_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "RS256") == "77QmUPtjPfzWtF2AnpK9RQ"
    digest = hashlib.sha384(b"an-access-token").digest()[:24]
    assert token_hash("an-access-token", "ES384") == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_at_hash_when_present_must_match_the_access_token(
    rsa_key: rsa.RSAPrivateKey, keys_asked: list[tuple[str | None, str]]
) -> None:
    access_token = "an-opaque-access-token"
    good = signed(rsa_key, claims(at_hash=token_hash(access_token, "RS256")))
    assert validate_id_token(make_config(), METADATA, good, nonce=NONCE, access_token=access_token)
    bad = signed(rsa_key, claims(at_hash=token_hash("another-access-token", "RS256")))
    assert reason(bad, access_token=access_token) == "id_token_bad_at_hash"
    assert reason(signed(rsa_key, claims(at_hash=123)), access_token=access_token) == "id_token_bad_at_hash"
    # No at_hash (PingOne's code flow may leave it out): nothing to compare.
    assert validate_id_token(make_config(), METADATA, signed(rsa_key, claims()), nonce=NONCE, access_token=access_token)
