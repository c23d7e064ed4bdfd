"""API views for the access-token tests: the README's examples (``api_examples``) and a few more."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from django_pingone_authorize.api.drf import HasScope, IsPingOneUser, PingOneTokenAuthentication
from django_pingone_authorize.api.principals import PingOneClient
from django_pingone_authorize.decorators import pingone_token_required
from tests.api.examples import OrderList, api, order_list


def describe(request: Any) -> dict[str, Any]:
    token = getattr(request, "pingone_token", None)
    return {
        "user": request.user.get_username() if request.user.is_authenticated else None,
        "client": isinstance(request.user, PingOneClient),
        "is_user": token.is_user if token is not None else None,
        "client_id": token.client_id if token is not None else None,
        "scopes": sorted(token.scopes) if token is not None else None,
    }


class Who(APIView):
    authentication_classes = [PingOneTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response(describe(request))

    def post(self, request: Request) -> Response:
        return Response(describe(request))


class OrderWrite(APIView):
    authentication_classes = [PingOneTokenAuthentication]
    permission_classes = [HasScope("orders:read", "orders:write")]

    def post(self, request: Request) -> Response:
        return Response({"written": True})


class UsersOnly(APIView):
    authentication_classes = [PingOneTokenAuthentication]
    permission_classes = [IsPingOneUser]

    def get(self, request: Request) -> Response:
        return Response(describe(request))


class OtherAuthentication(PingOneTokenAuthentication):
    alias = "other"


class OtherWho(Who):
    authentication_classes = [OtherAuthentication]


@pingone_token_required
def plain_who(request: HttpRequest) -> HttpResponse:
    return JsonResponse(describe(request))


@pingone_token_required(scopes=["orders:write"], alias="other")
def plain_other_write(request: HttpRequest) -> HttpResponse:
    return JsonResponse(describe(request))


@csrf_exempt
def middleware_who(request: HttpRequest) -> HttpResponse:
    """No decorator: what PingOneTokenMiddleware alone sets."""
    return JsonResponse(describe(request))


def session_form(request: HttpRequest) -> HttpResponse:
    """CSRF-protected (no exemption): a POST passes only with a token accepted by the middleware."""
    return JsonResponse(describe(request))


urlpatterns = [
    path("drf/orders/", OrderList.as_view()),
    path("drf/who/", Who.as_view()),
    path("drf/write/", OrderWrite.as_view()),
    path("drf/users-only/", UsersOnly.as_view()),
    path("drf/other/who/", OtherWho.as_view()),
    path("plain/orders/", order_list),
    path("plain/who/", plain_who),
    path("plain/other/write/", plain_other_write),
    path("middleware/who/", middleware_who),
    path("middleware/form/", session_form),
    path("ninja/", api.urls),
]
