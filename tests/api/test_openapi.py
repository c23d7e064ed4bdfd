"""OpenAPI: drf-spectacular describes ``PingOneTokenAuthentication`` (HTTP bearer, JWT, and each operation's
``HasScope`` scopes) through ``api/openapi.py``; django-ninja describes ``PingOneBearer`` itself."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import path

pytest.importorskip("drf_spectacular")

from drf_spectacular.generators import SchemaGenerator

import django_pingone_authorize.api.openapi  # noqa: F401  (what the app's ready() imports)
from tests.api.examples import OrderList, api
from tests.api.urls import OrderWrite, Who

urlpatterns = [path("orders/", OrderList.as_view()), path("write/", OrderWrite.as_view()), path("who/", Who.as_view())]


@pytest.fixture
def spectacular(settings: Any) -> None:
    settings.REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}


@pytest.mark.usefixtures("spectacular")
def test_drf_spectacular_schema() -> None:
    schema = SchemaGenerator(patterns=urlpatterns).get_schema(request=None, public=True)
    assert schema["components"]["securitySchemes"]["PingOneToken"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A PingOne access token (a JWT signed by the PingOne environment).",
    }
    assert schema["paths"]["/orders/"]["get"]["security"] == [{"PingOneToken": ["orders:read"]}]
    assert schema["paths"]["/write/"]["post"]["security"] == [{"PingOneToken": ["orders:read", "orders:write"]}]
    assert schema["paths"]["/who/"]["get"]["security"] == [{"PingOneToken": []}]


def test_the_app_registers_the_extension_when_drf_spectacular_is_installed() -> None:
    from drf_spectacular.extensions import OpenApiAuthenticationExtension

    from django_pingone_authorize.api.drf import PingOneTokenAuthentication

    extension = OpenApiAuthenticationExtension.get_match(PingOneTokenAuthentication())
    assert extension is not None and extension.name == "PingOneToken"


def test_django_ninja_schema() -> None:
    schema = api.get_openapi_schema()
    assert schema["components"]["securitySchemes"]["PingOneBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A PingOne access token (a JWT signed by the PingOne environment).",
    }
    [operation] = [op for path_item in schema["paths"].values() for op in path_item.values()]
    assert operation["security"] == [{"PingOneBearer": []}]
