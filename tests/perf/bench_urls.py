"""URLs of the bench site (``bench_settings``): the three clients, a bare "floor" login view, a "floor" sign-on
(the least a secure redirect sign-on does, for the callback's floor), a home page."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.urls import include, path, reverse
from django.utils.crypto import constant_time_compare

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


# -- the floor sign-on: only what a secure callback must do ----------------------------------------------

FLOOR_HTTP = requests.Session()  # one pooled connection to the provider
FLOOR_KEYS: dict[str, Any] = {}  # the provider's signing keys by kid, fetched once


def floor_signon(request: HttpRequest) -> HttpResponse:
    """State, nonce and a PKCE verifier in the session; the authorize request."""
    config = get_alias()
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    request.session["floor_signon"] = {"state": state, "nonce": nonce, "verifier": verifier}
    query = {
        "client_id": config.CLIENT_ID,
        "response_type": "code",
        "scope": "openid profile email",
        "redirect_uri": request.build_absolute_uri(reverse("floor_callback")),
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return HttpResponseRedirect(f"{AUTHORIZE_ENDPOINT}?{urlencode(query)}")


def floor_key(kid: str | None) -> Any:
    if kid not in FLOOR_KEYS:
        keys = FLOOR_HTTP.get(f"{get_alias().issuer}/jwks", timeout=10).json()["keys"]
        FLOOR_KEYS.update({key.get("kid"): jwt.PyJWK(key) for key in keys})
    return FLOOR_KEYS[kid]


def floor_callback(request: HttpRequest) -> HttpResponse:
    """Check the state; exchange the code with PKCE; verify the ID token (signature with a cached key, iss, aud,
    exp/iat, nonce); get or create the user; login()."""
    config = get_alias()
    expected = request.session.pop("floor_signon", None)
    if not expected or not constant_time_compare(request.GET.get("state", ""), expected["state"]):
        return HttpResponseBadRequest("state")
    answer = FLOOR_HTTP.post(
        f"{config.issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": request.GET.get("code", ""),
            "redirect_uri": request.build_absolute_uri(reverse("floor_callback")),
            "client_id": config.CLIENT_ID,
            "client_secret": config.CLIENT_SECRET,
            "code_verifier": expected["verifier"],
        },
        timeout=10,
    )
    id_token = answer.json()["id_token"]
    key = floor_key(jwt.get_unverified_header(id_token).get("kid"))
    claims = jwt.decode(
        id_token,
        key,
        algorithms=["RS256"],
        audience=config.CLIENT_ID,
        issuer=config.issuer,
        leeway=60,
        options={"require": ["exp", "iat", "sub"]},
    )
    if not constant_time_compare(str(claims.get("nonce", "")), expected["nonce"]):
        return HttpResponseBadRequest("nonce")
    user, _ = get_user_model()._default_manager.get_or_create(username=f"floor-{claims['sub']}"[:150])
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return HttpResponseRedirect(settings.LOGIN_REDIRECT_URL)


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
    path("floor/signon/", floor_signon, name="floor_signon"),
    path("floor/callback/", floor_callback, name="floor_callback"),
    path("", home),
]
