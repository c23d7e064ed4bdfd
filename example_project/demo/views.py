from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from django_pingone_authorize.session_tokens import get_tokens


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "home.html",
        {
            "aliases": list(settings.PINGONE_AUTHORIZE),
            "signed_on_with": get_tokens(request.session).get("alias"),
            "using_standin": settings.USING_STANDIN,
        },
    )
