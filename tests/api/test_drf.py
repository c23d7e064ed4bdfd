"""Django REST Framework: ``PingOneTokenAuthentication`` and ``HasScope`` against the stand-in over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from django_pingone_authorize.api.drf import HasScope
from django_pingone_authorize.testing import PingOneStandIn
from tests.api.support import (
    AUDIENCE,
    BAD_IDS,
    BAD_INPUTS,
    assert_refused,
    bearer,
    challenge_of,
    client_credentials,
    demo_user,
    user_token,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("name", "header", "status", "error"), BAD_INPUTS, ids=BAD_IDS)
def test_bad_input_is_refused(
    client: Client, api_standin: PingOneStandIn, name: str, header: Any, status: int, error: str
) -> None:
    value = header(api_standin)
    extra = {"HTTP_AUTHORIZATION": value} if value is not None else {}
    response = client.get("/api/drf/orders/", **extra)
    assert_refused(response, status, error)
    body = response.json()
    assert body["detail"]
    if error:
        assert body["error"] == error and body["error_description"]


def test_authenticate_header_is_the_bare_challenge(client: Client, api_standin: PingOneStandIn) -> None:
    response = client.get("/api/drf/who/")
    assert response.status_code == 401
    assert challenge_of(response) == 'Bearer realm="api"'


def test_a_user_token_is_the_django_user(client: Client, api_standin: PingOneStandIn) -> None:
    demo_user(api_standin)
    response = client.get("/api/drf/orders/", **bearer(user_token(api_standin)))
    assert response.status_code == 200, response.content
    assert response.json() == {"caller": "demo", "scopes": ["openid", "orders:read", "profile"]}
    assert client.get("/api/drf/users-only/", **bearer(user_token(api_standin))).status_code == 200


def test_a_client_credentials_token_is_a_machine_principal(client: Client, api_standin: PingOneStandIn) -> None:
    token = client_credentials(api_standin)
    body = client.get("/api/drf/who/", **bearer(token)).json()
    assert body["client"] is True and body["is_user"] is False and body["user"] == "pingone-client:demo-client"
    # IsPingOneUser tells it apart: authenticated, so 403 rather than 401.
    assert client.get("/api/drf/users-only/", **bearer(token)).status_code == 403


def test_insufficient_scope(client: Client, api_standin: PingOneStandIn) -> None:
    response = client.post("/api/drf/write/", **bearer(client_credentials(api_standin)))
    assert response.status_code == 403
    assert challenge_of(response) == (
        'Bearer realm="api", error="insufficient_scope", '
        'error_description="The access token lacks a required scope.", scope="orders:read orders:write"'
    )
    assert response.json()["error"] == "insufficient_scope"
    granted = client_credentials(api_standin, "orders:read orders:write")
    assert client.post("/api/drf/write/", **bearer(granted)).status_code == 200


def test_has_scope_without_a_pingone_token_is_unauthenticated(client: Client, api_standin: PingOneStandIn) -> None:
    response = client.get("/api/drf/orders/", HTTP_AUTHORIZATION="Basic Zm9vOmJhcg==")
    assert response.status_code == 401 and challenge_of(response) == 'Bearer realm="api"'


def test_post_needs_no_csrf_token(api_standin: PingOneStandIn) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post("/api/drf/who/", **bearer(client_credentials(api_standin))).status_code == 200


def test_alias_on_a_subclass(client: Client, settings: Any, api_standin: PingOneStandIn) -> None:
    settings.PINGONE_AUTHORIZE = {
        "default": api_standin.settings(API_AUDIENCE="https://nothing.example.com"),
        "other": api_standin.settings(API_AUDIENCE=AUDIENCE),
    }
    token = client_credentials(api_standin)
    assert client.get("/api/drf/other/who/", **bearer(token)).status_code == 200
    assert_refused(client.get("/api/drf/who/", **bearer(token)), 401, "invalid_token")


def test_steady_state_makes_no_outbound_call(client: Client, api_standin: PingOneStandIn) -> None:
    demo_user(api_standin)
    token = user_token(api_standin)
    assert client.get("/api/drf/orders/", **bearer(token)).status_code == 200
    api_standin.reset_requests_seen()
    for _ in range(10):
        assert client.get("/api/drf/orders/", **bearer(token)).status_code == 200
    assert api_standin.requests_seen == []


def test_has_scope_is_its_own_permission_instance() -> None:
    permission = HasScope("orders:read")
    assert permission() is permission
    assert repr(permission) == "HasScope('orders:read')"


def test_drf_is_imported_only_by_the_drf_module() -> None:
    import subprocess
    import sys

    code = (
        "import django, os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'tests.settings'; django.setup(); "
        "import django_pingone_authorize.api.access_tokens, django_pingone_authorize.middleware, "
        "django_pingone_authorize.decorators, django_pingone_authorize.api.requests_auth, "
        "django_pingone_authorize.api.client_credentials, django_pingone_authorize.api.principals, "
        "django_pingone_authorize.checks, django_pingone_authorize.urls; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rest_framework', 'ninja')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_a_user_token_from_the_certified_op(client: Client, settings: Any, oidc_op: Any) -> None:
    """panva's oidc-provider: an authorization-code sign-on asking for the orders API (RFC 8707 ``resource``)
    gives alice an RFC 9068 JWT access token; with alice's identity known here, it is her Django user."""
    import base64
    import hashlib
    import secrets
    from urllib.parse import urlencode

    import requests
    from django.contrib.auth import get_user_model

    from django_pingone_authorize.models import PingOneIdentity
    from tests.doubles.op_driver import sign_on_at_op

    resource, callback = "https://orders.example.com", "http://testserver/pingone/callback/"
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": "post-client",
            "redirect_uri": callback,
            "scope": "openid orders:read",
            "resource": resource,
            "state": "s",
            "nonce": "n",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    code = sign_on_at_op(requests.Session(), f"{oidc_op.authorization_endpoint}?{query}").params["code"]
    answer = requests.post(
        oidc_op.token_endpoint,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": callback,
            "code_verifier": verifier,
            "resource": resource,
            "client_id": "post-client",
            "client_secret": "post-client-secret",
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    settings.PINGONE_AUTHORIZE = {
        "default": {
            "AUTH_PATH": oidc_op.auth_path,
            "ENV_ID": oidc_op.env_id,
            "CLIENT_ID": "post-client",
            "CLIENT_SECRET": "post-client-secret",
            "API_AUDIENCE": resource,
        }
    }
    user = get_user_model().objects.create(username="alice")
    PingOneIdentity.objects.create(user=user, issuer=oidc_op.issuer, subject="alice-sub")
    response = client.get("/api/drf/orders/", **bearer(token))
    assert response.status_code == 200, response.content
    assert response.json() == {"caller": "alice", "scopes": ["orders:read"]}
    # The same sign-on's ID token is no access token.
    assert_refused(client.get("/api/drf/orders/", **bearer(answer.json()["id_token"])), 401, "invalid_token")
