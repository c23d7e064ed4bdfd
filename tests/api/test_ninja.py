"""django-ninja: ``PingOneBearer`` against the stand-in over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from ninja import NinjaAPI
from ninja.testing import TestClient

from django_pingone_authorize.api.ninja import PingOneBearer
from django_pingone_authorize.testing import PingOneStandIn
from tests.api.support import (
    BAD_IDS,
    BAD_INPUTS,
    assert_refused,
    bearer,
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
    response = client.get("/api/ninja/orders", **extra)
    if value is None:
        # django-ninja's own answer when no auth callback accepts the request.
        assert response.status_code == 401
        return
    assert_refused(response, status, error)
    assert response.json()["error"] == error


def test_a_user_token(client: Client, api_standin: PingOneStandIn) -> None:
    demo_user(api_standin)
    response = client.get("/api/ninja/orders", **bearer(user_token(api_standin)))
    assert response.status_code == 200, response.content
    assert response.json() == {"caller": "demo", "scopes": ["openid", "orders:read", "profile"]}


def test_a_client_credentials_token(client: Client, api_standin: PingOneStandIn) -> None:
    response = client.get("/api/ninja/orders", **bearer(client_credentials(api_standin)))
    assert response.json() == {"caller": "pingone-client:demo-client", "scopes": ["orders:read"]}


def test_insufficient_scope(client: Client, api_standin: PingOneStandIn) -> None:
    response = client.get("/api/ninja/orders", **bearer(client_credentials(api_standin, "orders:write")))
    assert_refused(response, 403, "insufficient_scope")
    assert 'scope="orders:read"' in response["WWW-Authenticate"]


def test_without_the_error_handler_still_no_500(api_standin: PingOneStandIn) -> None:
    api = NinjaAPI(urls_namespace="bare-api")

    @api.get("/x", auth=PingOneBearer())
    def view(request: Any) -> dict[str, str]:
        return {"ok": "yes"}

    client = TestClient(api)
    response = client.get("/x", headers={"Authorization": "Bearer not-a-jwt"})
    assert response.status_code == 401
    assert response.json() == {"detail": "The access token is not a JWT."}
    ok = client.get("/x", headers={"Authorization": f"Bearer {client_credentials(api_standin)}"})
    assert ok.status_code == 200
