"""A site that routes none of the app's URLs (``test_session_index_cost``): nothing reads the session index."""

from django.http import HttpRequest, HttpResponse
from django.urls import path


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("home")


urlpatterns = [path("", home)]
