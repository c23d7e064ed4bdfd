"""Request objects (HS256, RS256) and pushed authorization requests (``/as/par``) at the stand-in."""

from __future__ import annotations

import time
from urllib.parse import quote_plus

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from django_pingone_authorize.testing import PingOneStandIn
from django_pingone_authorize.testing.driver import sign_on
from django_pingone_authorize.testing.jose import rsa_public_jwk
from tests.standin.helpers import (
    LONG_SECRET,
    REDIRECT_URI,
    Pkce,
    authorize_params,
    decode_id_token,
    exchange,
    hs_jwt,
    redirect_error,
)

# -- Request objects and PAR ---------------------------------------------------------------------------


def test_request_object_hs256(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pingone_standin.add_client("ro-client", LONG_SECRET, request_object_required=True)
    pkce = Pkce()
    claims = {"iss": "ro-client", "aud": pingone_standin.issuer, "exp": int(time.time()) + 60}
    claims.update(authorize_params(pkce, state="from-object"))
    claims["max_age"] = 300  # numbers in a request object stand for their text
    token = hs_jwt(claims, LONG_SECRET)
    url = pingone_standin.authorize_url("ro-client", request=token, state="from-query", redirect_uri=REDIRECT_URI)
    back = sign_on(http, url)
    assert back.params["state"] == "from-object"
    response = exchange(pingone_standin, back.params["code"], pkce, auth=("ro-client", LONG_SECRET))
    assert response.status_code == 200

    # Required but missing, or badly signed: an error on the (registered) redirect URI.
    assert redirect_error(pingone_standin, "ro-client", **authorize_params(pkce))["error"] == "invalid_request"
    forged = hs_jwt(claims, "not-the-secret")
    error = redirect_error(pingone_standin, "ro-client", request=forged, **authorize_params(pkce))
    assert error["error"] == "invalid_request_object"
    wrong_aud = hs_jwt({**claims, "aud": "https://other.example"}, LONG_SECRET)
    assert redirect_error(pingone_standin, "ro-client", request=wrong_aud, **authorize_params(pkce))["error"] == (
        "invalid_request_object"
    )


def test_request_object_rs256(
    pingone_standin: PingOneStandIn, http: requests.Session, rsa_key: rsa.RSAPrivateKey
) -> None:
    pingone_standin.add_client("rs-client", "secret", public_jwk=rsa_public_jwk(rsa_key.public_key()))
    pkce = Pkce()
    claims = {"iss": "rs-client", "aud": [pingone_standin.issuer], **authorize_params(pkce, nonce="object-nonce")}
    token = jwt.encode(claims, rsa_key, algorithm="RS256")
    back = sign_on(http, pingone_standin.authorize_url("rs-client", request=token))
    id_token = exchange(pingone_standin, back.params["code"], pkce, auth=("rs-client", "secret")).json()["id_token"]
    assert decode_id_token(pingone_standin, id_token, "rs-client")["nonce"] == "object-nonce"

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, other_key, algorithm="RS256")
    assert redirect_error(pingone_standin, "rs-client", request=forged, **authorize_params(pkce))["error"] == (
        "invalid_request_object"
    )


def test_par(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    pingone_standin.add_client("par-client", "secret", par_required=True)
    pkce = Pkce()
    pushed = requests.post(
        pingone_standin.par_endpoint,
        data={"response_type": "code", "client_id": "par-client", **authorize_params(pkce, state="pushed")},
        auth=("par-client", "secret"),
        timeout=5,
    )
    assert pushed.status_code == 201, pushed.text
    request_uri = pushed.json()["request_uri"]
    assert request_uri.startswith("urn:pingone:")
    assert pushed.json()["expires_in"] == 60

    url = f"{pingone_standin.authorization_endpoint}?client_id=par-client&request_uri={quote_plus(request_uri)}"
    back = sign_on(http, url)
    assert back.params["state"] == "pushed"
    assert exchange(pingone_standin, back.params["code"], pkce, auth=("par-client", "secret")).status_code == 200

    reused = requests.get(url, allow_redirects=False, timeout=5)
    assert reused.status_code == 400 and "invalid_request_uri" in reused.text
    assert redirect_error(pingone_standin, "par-client", **authorize_params(pkce))["error"] == "invalid_request"


def test_par_expires_and_validates(pingone_standin: PingOneStandIn) -> None:
    pushed = requests.post(
        pingone_standin.par_endpoint,
        data={"response_type": "code", **authorize_params(Pkce())},
        auth=("demo-client", "demo-secret"),
        timeout=5,
    ).json()
    pingone_standin.clock = lambda: time.time() + 61
    url = f"{pingone_standin.authorization_endpoint}?client_id=demo-client&request_uri={quote_plus(pushed['request_uri'])}"
    assert requests.get(url, allow_redirects=False, timeout=5).status_code == 400

    bad = requests.post(
        pingone_standin.par_endpoint,
        data={"response_type": "code", **authorize_params(Pkce(), redirect_uri="https://evil.example/")},
        auth=("demo-client", "demo-secret"),
        timeout=5,
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_request"
    unauthenticated = requests.post(pingone_standin.par_endpoint, data={"client_id": "demo-client"}, timeout=5)
    assert unauthenticated.status_code == 401
