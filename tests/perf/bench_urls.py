"""URLs of the bench site (``bench_settings``): the three clients, a bare "floor" login view, a home page."""

from __future__ import annotations

import secrets

from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import include, path, reverse

from django_pingone_authorize.conf import get_alias

oauth = OAuth()
for _name, _options in settings.AUTHLIB_OAUTH_CLIENTS.items():
    oauth.register(name=_name, **_options)

AUTHORIZE_ENDPOINT = f"{get_alias().issuer}/authorize"


def floor_login(request: HttpRequest) -> HttpResponse:
    """The least a login view can do: draw a state, keep it in the session, redirect."""
    state = secrets.token_urlsafe(32)
    request.session["floor_state"] = state
    return HttpResponseRedirect(f"{AUTHORIZE_ENDPOINT}?state={state}")


def authlib_login(request: HttpRequest) -> HttpResponse:
    redirect_uri = request.build_absolute_uri(reverse("authlib_callback"))
    return oauth.pingone.authorize_redirect(request, redirect_uri)  # type: ignore[no-any-return]


def authlib_callback(request: HttpRequest) -> HttpResponse:
    token = oauth.pingone.authorize_access_token(request)
    claims = token["userinfo"]  # the validated ID token's claims
    # What Authlib leaves to the app: a Django user for the identity, and the login.
    # (No email on it: mozilla-django-oidc finds its users by email, and must find exactly one.)
    user, _ = get_user_model()._default_manager.get_or_create(username=f"authlib-{claims['sub']}"[:150])
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return HttpResponseRedirect(settings.LOGIN_REDIRECT_URL)


def home(request: HttpRequest) -> HttpResponse:
    who = request.user.get_username() if request.user.is_authenticated else "anonymous"
    return HttpResponse(f"home: {who}", content_type="text/plain")


urlpatterns = [
    path("pingone/", include("django_pingone_authorize.urls")),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("authlib/login/", authlib_login, name="authlib_login"),
    path("authlib/callback/", authlib_callback, name="authlib_callback"),
    path("floor/login/", floor_login, name="floor_login"),
    path("", home),
]
