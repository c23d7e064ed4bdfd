from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path


def home(request: HttpRequest) -> HttpResponse:
    who = request.user.get_username() if request.user.is_authenticated else "anonymous"
    return HttpResponse(f"home: {who}")


def button(request: HttpRequest) -> HttpResponse:
    template = engines["django"].from_string("{% load pingone %}{% pingone_login_button %}")
    return HttpResponse(template.render({}, request))


urlpatterns = [
    path("pingone/", include("django_pingone_authorize.urls")),
    path("api/", include("tests.api.urls")),  # tests/api/test_access_tokens.py, api/test_drf.py, api/test_ninja.py
    path("home/", home),
    path("button/", button),
    path("", home),
]
