"""Async views for tests/sessions/test_async.py and the uvicorn test: ``aget_access_token`` and a django-ninja async
operation behind ``AsyncPingOneBearer``."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from ninja import NinjaAPI

from django_pingone_authorize import aget_access_token
from django_pingone_authorize.api.ninja import AsyncPingOneBearer, add_token_error_handler
from django_pingone_authorize.sessions.refresh import arequest_user  # request.auser() is Django 5.0+

api = add_token_error_handler(NinjaAPI(urls_namespace="async-api"))


@api.get("/whoami", auth=AsyncPingOneBearer(scopes=["orders:read"]))
async def whoami(request: HttpRequest) -> dict[str, object]:
    return {"sub": request.auth.subject, "user": request.user.get_username()}  # type: ignore[attr-defined]


async def token(request: HttpRequest) -> JsonResponse:
    min_ttl = float(request.GET.get("min_ttl", "60"))
    user = await arequest_user(request)
    return JsonResponse(
        {"user": user.get_username(), "access_token": await aget_access_token(request, min_ttl=min_ttl)}
    )


async def home(request: HttpRequest) -> JsonResponse:
    user = await arequest_user(request)
    return JsonResponse({"user": user.get_username() if user.is_authenticated else None})


urlpatterns = [
    path("pingone/", include("django_pingone_authorize.urls")),
    path("async/token/", token),
    path("async/home/", home),
    path("async/api/", api.urls),
]
