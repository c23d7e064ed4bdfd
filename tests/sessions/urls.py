"""URLs for the session lifecycle tests (and the gunicorn site of the refresh concurrency test): the app's
URLs plus ``/token/``, a view that needs a fresh PingOne access token."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path

from django_pingone_authorize import get_access_token


def home(request: HttpRequest) -> HttpResponse:
    who = request.user.get_username() if request.user.is_authenticated else "anonymous"
    return HttpResponse(f"home: {who}")


def token(request: HttpRequest) -> JsonResponse:
    """``?min_ttl=`` seconds the token must still live (default 60)."""
    access_token = get_access_token(request, min_ttl=float(request.GET.get("min_ttl", "60")))
    who = request.user.get_username() if request.user.is_authenticated else None
    return JsonResponse({"user": who, "access_token": access_token})


urlpatterns = [
    path("pingone/", include("django_pingone_authorize.urls")),
    path("token/", token),
    path("home/", home),
    path("", home),
]
