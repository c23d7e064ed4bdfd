"""Garbage in, 4xx out: malformed requests, bodies, HTTP and fuzzed forms never fail the stand-in."""

from __future__ import annotations

import socket
import struct
import time
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_pingone_authorize.testing import PingOneStandIn
from tests.standin.helpers import (
    USERNAME_PASSWORD,
    Pkce,
    pi_flow_start,
)

# -- Garbage in, 4xx out -------------------------------------------------------------------------------

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
GARBAGE: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "as/token", {"data": b"\xff\xfe\x00", "headers": FORM}),
    ("POST", "as/token", {"data": "grant_type=x&grant_type=y", "headers": FORM}),
    ("POST", "as/token", {"json": {"grant_type": "authorization_code"}}),
    ("POST", "as/token", {"data": {"grant_type": "x"}, "headers": {"Authorization": "Basic !!!"}}),
    ("POST", "as/token", {"data": {"grant_type": "x"}, "headers": {"Authorization": "Basic bm9jb2xvbg=="}}),
    ("POST", "as/token", {"data": {"grant_type": "x"}, "headers": {"Authorization": "Basic //79"}}),
    ("POST", "as/token", {"data": {"grant_type": "x"}, "headers": {"Authorization": "Bearer x"}}),
    ("POST", "as/token", {"data": {"client_assertion_type": JWT_BEARER, "client_assertion": "a.b.c"}}),
    ("POST", "as/token", {"data": {"client_assertion_type": JWT_BEARER, "client_assertion": "e30.e30.e30"}}),
    ("POST", "as/token", {"data": {"client_assertion_type": JWT_BEARER, "client_assertion": "eyJhbGciOjF9.W10.AA"}}),
    ("POST", "as/token", {"data": {"client_assertion_type": "x", "client_assertion": "x"}}),
    ("POST", "as/token", {"data": {"client_id": "demo-public", "grant_type": "password"}}),
    ("POST", "as/token", {"data": {"client_id": "demo-public", "grant_type": "refresh_token", "refresh_token": "x"}}),
    ("GET", "as/token", {}),
    ("GET", "as/authorize", {"params": {"client_id": "demo-client", "request": "garbage"}}),
    ("GET", "as/authorize", {"params": {"client_id": "demo-client", "request": "e30.e30.", "redirect_uri": "x"}}),
    ("GET", "as/authorize", {"params": {"client_id": ["a", "b"]}}),
    ("GET", "as/authorize", {"params": {"client_id": "demo-client", "request_uri": "urn:nothing"}}),
    ("POST", "as/authorize", {"data": b"\xff", "headers": FORM}),
    ("POST", "as/authorize", {"data": b"{}", "headers": {"Content-Type": "application/json"}}),
    ("GET", "as/authorize", {"headers": {"Cookie": 'ST="unterminated; ; =;'}}),
    ("GET", "as/signoff", {"params": {"id_token_hint": "x.y.z"}}),
    ("GET", "as/signoff", {"params": {"id_token_hint": "e30.e30.e30"}}),
    ("GET", "as/signoff", {"params": {"client_id": "nobody"}}),
    ("GET", "as/userinfo", {"headers": {"Authorization": "Bearer"}}),
    ("POST", "as/userinfo", {"data": b"\x00\xff", "headers": FORM}),
    ("POST", "as/par", {"data": {"client_id": "demo-public", "request_uri": "x"}}),
    ("POST", "as/par", {"data": {"client_id": "demo-public", "request": "not.a.jwt"}}),
    ("GET", "as/resume", {"params": {"flowId": "../../etc"}}),
    ("GET", "as/resume", {}),
    ("GET", "flows/does-not-exist", {}),
    ("POST", "flows/does-not-exist", {"data": "[[[[", "headers": {"Content-Type": USERNAME_PASSWORD}}),
    ("GET", "signon/", {"params": {"flowId": "nope"}}),
    ("POST", "signon/", {"data": b"\xff", "headers": FORM}),
    ("GET", "external/nope/authenticate", {"params": {"flowId": "nope"}}),
    ("GET", "nowhere", {}),
    ("DELETE", "as/jwks", {}),
    ("PUT", "as/authorize", {}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), GARBAGE)
def test_garbage_is_a_client_error(
    pingone_standin: PingOneStandIn, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    response = requests.request(
        method, f"{pingone_standin.layout.environment}/{path}", allow_redirects=False, timeout=5, **kwargs
    )
    assert 300 <= response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400 and "json" in response.headers.get("Content-Type", ""):
        body = response.json()
        assert "error" in body or "code" in body


def test_garbage_flow_bodies(pingone_standin: PingOneStandIn, http: requests.Session) -> None:
    flow = pi_flow_start(pingone_standin, http, Pkce())
    url = flow["_links"]["self"]["href"]
    for body in (b"not json", b"[1, 2]", b"[" * 100_000, b'{"username": 5, "password": null}', b"\xff"):
        response = http.post(url, data=body, headers={"Content-Type": USERNAME_PASSWORD})
        assert response.status_code == 400, body[:20]
        assert response.json()["code"] in ("INVALID_DATA", "INVALID_REQUEST")
    assert http.get(url).json()["status"] == "USERNAME_PASSWORD_REQUIRED"


@pytest.mark.parametrize(
    "raw",
    [
        b"GET /%zz%%/\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
        b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n",
        b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"HEAD /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ],
)
def test_malformed_http(pingone_standin: PingOneStandIn, raw: bytes) -> None:
    with socket.create_connection(("127.0.0.1", pingone_standin.port), timeout=5) as connection:
        connection.sendall(raw)
        status_line = connection.makefile("rb").readline()
    assert status_line.split()[1][:1] == b"4", status_line


def test_a_client_that_resets_its_connection_is_not_an_error(
    pingone_standin: PingOneStandIn, capfd: pytest.CaptureFixture[str]
) -> None:
    # A browser or client that goes away mid-request (a reset) is ordinary: the stand-in neither prints a
    # traceback about it nor stops answering others.
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", pingone_standin.port), timeout=5) as connection:
            connection.sendall(b"GET /as/authorize HTTP/1.1\r\nHost: x\r\n\r\n")
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST
    time.sleep(0.3)  # the handler threads meet the reset
    assert requests.get(f"{pingone_standin.issuer}/.well-known/openid-configuration", timeout=5).ok
    assert "Traceback" not in capfd.readouterr().err


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    endpoint=st.sampled_from(["as/token", "as/authorize", "as/par", "as/userinfo", "as/signoff", "signon/"]),
    fields=st.dictionaries(
        st.sampled_from(
            [
                "grant_type",
                "code",
                "client_id",
                "client_secret",
                "client_assertion",
                "client_assertion_type",
                "redirect_uri",
                "request",
                "request_uri",
                "response_type",
                "scope",
                "code_challenge",
                "max_age",
                "id_token_hint",
                "flowId",
                "action",
                "access_token",
            ]
        ),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
        | st.sampled_from(["demo-client", "e30.e30.e30", "openid", "code", JWT_BEARER]),
        max_size=6,
    ),
)
def test_fuzzed_forms_never_fail_the_server(
    pingone_standin_server: PingOneStandIn, endpoint: str, fields: dict[str, str]
) -> None:
    url = f"{pingone_standin_server.layout.environment}/{endpoint}"
    response = requests.post(url, data=fields, allow_redirects=False, timeout=5)
    assert response.status_code < 500, response.text
