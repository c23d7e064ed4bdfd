"""The headless API's URLs, among the app's (``pingone:headless-...``, under ``headless/``): each endpoint once per
kind of client.

``browser/...`` runs under Django's CSRF check (answered in JSON when refused); ``app/...`` is exempt from it (an
app client sends no cookies: nothing ambient to forge) and reads its ``X-Session-Token`` instead. Every URL
answers 404 while ``PINGONE_AUTHORIZE_HEADLESS`` is unset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, path
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from django_pingone_authorize.decorators import login_not_required
from django_pingone_authorize.headless import clients
from django_pingone_authorize.headless.handoff import AppBrowserSignOnView, HandoffView
from django_pingone_authorize.headless.schema import openapi_view
from django_pingone_authorize.headless.settings import APP, BROWSER
from django_pingone_authorize.headless.views import PollView, SessionView, SignOnView, StepView

ENDPOINTS: tuple[tuple[str, Any, str], ...] = (
    ("signon/", SignOnView, "signon"),
    ("signon/step/", StepView, "step"),
    ("signon/poll/", PollView, "poll"),
    ("session/", SessionView, "session"),
)


def _endpoint(view: Any, client: str) -> Callable[..., Any]:
    handler: Callable[..., Any] = never_cache(view.as_view(client=client))
    if client == BROWSER:
        handler = clients.json_csrf_protect(handler)
    # csrf_exempt outermost: the site's own CSRF middleware steps aside (its refusal is an HTML page); the browser
    # client's check runs inside, answering in JSON.
    endpoint: Callable[..., Any] = login_not_required(csrf_exempt(handler))
    return endpoint


urlpatterns: list[URLPattern] = [
    path("headless/openapi.json", login_not_required(openapi_view), name="headless-openapi"),
    *(
        path(f"headless/{client}/{route}", _endpoint(view, client), name=f"headless-{client}-{name}")
        for client in (BROWSER, APP)
        for route, view, name in ENDPOINTS
    ),
    # A native app through an external identity provider: the system browser, then the app's redirect.
    path("headless/app/browser/<slug:alias>/", _endpoint(AppBrowserSignOnView, APP), name="headless-app-browser"),
    path("headless/app/handoff/", _endpoint(HandoffView, APP), name="headless-app-handoff"),
]
