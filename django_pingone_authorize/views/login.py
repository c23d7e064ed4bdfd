"""Where a sign-on starts: build PingOne's authorize request and send the browser there.

``LoginView`` draws a fresh state, nonce and PKCE verifier, remembers them in the session (``pending``),
and answers a 302 to ``/as/authorize`` (``METHOD="GET"``) or a page whose form POSTs the same parameters
there and submits itself (``METHOD="POST"``). With ``RESPONSE_MODE="pi.flow"`` it hands over to the
embedded sign-on page instead.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views import View
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import DEFAULT_ALIAS, PER_REQUEST_PARAMS, AliasConfig, get_alias
from django_pingone_authorize.errors import SignOnError
from django_pingone_authorize.oidc import authorize
from django_pingone_authorize.pages import failure_response, never_cached, protect_page
from django_pingone_authorize.provider.discovery import ProviderMetadata, get_metadata
from django_pingone_authorize.redirects import callback_uri, safe_next_url
from django_pingone_authorize.sign_on import pending
from django_pingone_authorize.sign_on.embedded import begin_flow, signon_url
from django_pingone_authorize.sign_on.pending import PendingSignOn
from django_pingone_authorize.sign_on.requirements import STEP_UP_FIELD, read_step_up


def protect_login_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """``never_cache`` and ``csrf_protect`` for the login view, applied once to the view function
    (``pages.never_cached``: the login is the app's hot path, ``tests/perf/README.md``).

    A request the site's ``CsrfViewMiddleware`` has already accepted (it marks it ``csrf_processing_done``, which
    ``csrf_protect``'s own check then takes as done too) goes to the view without ``csrf_protect``'s second pass,
    which would only read the CSRF cookie again; any other request (a site without the middleware) is checked by
    ``csrf_protect``."""
    protected = csrf_protect(view)

    @functools.wraps(view)
    def login_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if getattr(request, "csrf_processing_done", False):
            return view(request, *args, **kwargs)
        return protected(request, *args, **kwargs)

    return never_cached(login_view)


class AuthorizeRedirect(HttpResponseRedirect):
    """The 302 to PingOne's authorize endpoint. Its URL is built by ``oidc/authorize.py``, already a URI (the
    endpoint discovery checked, made ASCII with ``iri_to_uri``; a form-encoded query): ``HttpResponseRedirect``
    would re-quote and re-parse all of its ~400 characters, a tenth of the login view's own time."""

    def __init__(self, url: str) -> None:
        HttpResponse.__init__(self)
        self["Location"] = url


class LoginView(View):
    """``pingone:login``: POST (what the button sends, CSRF-protected) or, unless switched off, GET."""

    http_method_names = ["get", "post"]
    post_template_name = "django_pingone_authorize/authorize_post.html"

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., HttpResponseBase]:
        # Instead of @method_decorator([never_cache, csrf_protect], name="dispatch"): see protect_login_view.
        return protect_login_view(super().as_view(**initkwargs))

    def get(self, request: HttpRequest, alias: str = DEFAULT_ALIAS) -> HttpResponse:
        config = self.get_config(alias)
        if not config.ALLOW_GET_LOGIN:
            return HttpResponseNotAllowed(["POST"])
        return self.start(request, config, request.GET)

    def post(self, request: HttpRequest, alias: str = DEFAULT_ALIAS) -> HttpResponse:
        return self.start(request, self.get_config(alias), request.POST)

    # -- overridable steps -------------------------------------------------------------------------

    def get_config(self, alias: str) -> AliasConfig:
        try:
            return get_alias(alias)
        except ImproperlyConfigured:
            if alias in getattr(settings, "PINGONE_AUTHORIZE", {}):
                raise  # a broken configuration is the site owner's error, shown as such
            raise Http404("No such PingOne sign-on.") from None

    def get_next_url(self, request: HttpRequest, data: QueryDict) -> str | None:
        return safe_next_url(request, data.get(REDIRECT_FIELD_NAME)) if REDIRECT_FIELD_NAME in data else None

    def get_authorize_params(self, request: HttpRequest, config: AliasConfig, data: QueryDict) -> dict[str, str]:
        """Per-request parameters (allow-listed and validated); override to add site-specific ones."""
        given = {name: data.get(name, "") for name in PER_REQUEST_PARAMS if name in data}
        return authorize.clean_request_params(config, given)

    def get_step_up(
        self, request: HttpRequest, config: AliasConfig, data: QueryDict
    ) -> authorize.SignOnRequirement | None:
        """The signed step-up requirement a ``@pingone_required`` view sent along (``step_up``), if any."""
        # ``in`` first: a QueryDict's ``get`` of a missing name raises and catches an exception inside.
        token = data.get(STEP_UP_FIELD) if STEP_UP_FIELD in data else None
        return read_step_up(token, config.alias) if token else None

    @sensitive_variables("sign_on")  # the PKCE verifier and nonce
    def start(self, request: HttpRequest, config: AliasConfig, data: QueryDict) -> HttpResponse:
        try:
            extra = self.get_authorize_params(request, config, data)
            # The alias's fixed values, a step-up's and the request's, merged: a request only tightens.
            asked = authorize.requested(config, extra, self.get_step_up(request, config, data))
            extra = {name: value for name, value in extra.items() if name not in authorize.REQUIREMENT_PARAMS}
            metadata = get_metadata(config)
            sign_on = pending.new_pending(
                config,
                redirect_uri=callback_uri(request, config),
                next_url=self.get_next_url(request, data),
                max_age=asked.max_age,
                acr_values=asked.acr_values,
                prompt=asked.prompt,
            )
            if config.RESPONSE_MODE == "pi.flow" and data.get("hosted") != "1":
                return self.start_embedded(request, config, metadata, sign_on, extra)
            if config.RESPONSE_MODE == "pi.flow":
                # The embedded page's fallback: PingOne's own hosted sign-on page, by redirect.
                config = dataclasses.replace(config, RESPONSE_MODE=None)
            authorize_request = authorize.build(config, metadata, sign_on, extra)
        except SignOnError as error:
            return failure_response(request, error, config.alias, back_url=self.get_next_url(request, data))
        pending.add(request.session, sign_on, ttl=config.PENDING_TTL, cap=config.PENDING_MAX)
        return self.authorize_response(request, config, authorize_request)

    def authorize_response(
        self, request: HttpRequest, config: AliasConfig, authorize_request: authorize.AuthorizeRequest
    ) -> HttpResponse:
        if config.METHOD == "POST":
            context: dict[str, Any] = {
                "action": authorize_request.endpoint,
                "fields": sorted(authorize_request.params.items()),
                "config": config,
            }
            # It only posts to PingOne, and its fields are the authorize request: no Referer at all.
            endpoint = urlsplit(authorize_request.endpoint)
            return protect_page(
                render(request, self.post_template_name, context),
                referrer_policy="no-referrer",
                form_action=[f"{endpoint.scheme}://{endpoint.netloc}"],
            )
        return AuthorizeRedirect(authorize_request.url)

    def start_embedded(
        self,
        request: HttpRequest,
        config: AliasConfig,
        metadata: ProviderMetadata,
        sign_on: PendingSignOn,
        extra: dict[str, str],
    ) -> HttpResponse:
        try:
            begin_flow(request, config, metadata, sign_on, extra)
        except SignOnError as error:
            return failure_response(request, error, config.alias, back_url=sign_on.next_url)
        return HttpResponseRedirect(signon_url(sign_on.state))
