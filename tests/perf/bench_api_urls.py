"""The DRF views ``bench_api.py`` measures: the same tiny view behind no authentication (the floor), ours
(local validation; and introspection on every request), mozilla-django-oidc's ``OIDCAuthentication``, and DRF's
own ``TokenAuthentication`` (a user found in the database per request, as ours does for a user's token)."""

from __future__ import annotations

from typing import Any

from django.urls import path
from mozilla_django_oidc.contrib.drf import OIDCAuthentication
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from django_pingone_authorize.api.drf import HasScope, PingOneTokenAuthentication


class Floor(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get(self, request: Any) -> Response:
        return Response({"ok": True})


class Ours(Floor):
    authentication_classes = [PingOneTokenAuthentication]
    permission_classes = [HasScope("orders:read")]


class IntrospectingAuthentication(PingOneTokenAuthentication):
    alias = "introspect"


class OursIntrospecting(Floor):
    authentication_classes = [IntrospectingAuthentication]
    permission_classes = [HasScope("orders:read")]


class Mozilla(Floor):
    authentication_classes = [OIDCAuthentication]
    permission_classes = [IsAuthenticated]


class DrfToken(Floor):
    """DRF's own database-backed tokens: the cost of finding a user per request, for reference."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]


urlpatterns = [
    path("drf-token/", DrfToken.as_view()),
    path("floor/", Floor.as_view()),
    path("ours/", Ours.as_view()),
    path("introspect/", OursIntrospecting.as_view()),
    path("mozilla/", Mozilla.as_view()),
]
