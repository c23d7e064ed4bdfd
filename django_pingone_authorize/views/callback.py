"""Where a sign-on ends: PingOne sends the browser back here with ``code`` and ``state`` (query, or a
``form_post`` POST). The callback checks the state, the issuer (RFC 9207), exchanges the code, validates
the ID token and logs the user in. Every failure is a 4xx page (``failure.py``), never a login.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render, resolve_url
from django.utils.crypto import constant_time_compare
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from django_pingone_authorize import pending, session_tokens
from django_pingone_authorize.conf import AliasConfig, get_alias
from django_pingone_authorize.errors import ProviderError, SignOnError
from django_pingone_authorize.exchange import MAX_CODE_LENGTH, exchange_code, fetch_userinfo
from django_pingone_authorize.pending import PendingSignOn
from django_pingone_authorize.provider import ProviderMetadata, get_metadata
from django_pingone_authorize.signals import sign_on_succeeded
from django_pingone_authorize.tokens import validate_id_token
from django_pingone_authorize.views.failure import failure_response

logger = logging.getLogger("django_pingone_authorize")

# The authorization response parameters we read; each may appear at most once.
RESPONSE_PARAMS = ("code", "state", "iss", "error", "error_description", "error_uri", "session_state")
HOP_FIELD = "_pingone_hop"
MAX_PARAM_LENGTH = 4096
# Claims that only the ID token may set; userinfo cannot override them.
PROTECTED_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "nbf", "nonce", "azp", "auth_time", "at_hash", "acr", "amr")


def response_params(data: QueryDict) -> dict[str, str]:
    """The authorization response, refusing repeated or oversized parameters (RFC 6749 §3.1)."""
    params: dict[str, str] = {}
    for name in RESPONSE_PARAMS:
        values = data.getlist(name)
        if len(values) > 1:
            raise SignOnError("repeated_parameter", "The sign-on response was malformed.")
        if values:
            if len(values[0]) > MAX_PARAM_LENGTH:
                raise SignOnError("oversized_parameter", "The sign-on response was malformed.")
            params[name] = values[0]
    return params


def check_issuer(config: AliasConfig, metadata: ProviderMetadata, iss: str | None) -> None:
    """RFC 9207: ``iss`` must be our issuer exactly; required when the issuer says it sends it."""
    if iss is None:
        required = config.REQUIRE_ISS is True or (config.REQUIRE_ISS == "auto" and metadata.iss_parameter_supported)
        if required:
            raise SignOnError("iss_missing", "The sign-on response did not say which provider sent it.")
        return
    if not constant_time_compare(iss, metadata.issuer):
        raise SignOnError("iss_mismatch", "The sign-on response came from an unexpected provider.")


@method_decorator([never_cache, csrf_exempt], name="dispatch")
class CallbackView(View):
    """``pingone:callback``: GET (query) and POST (``form_post``; CSRF-exempt, protected by state)."""

    http_method_names = ["get", "post"]
    hop_template_name = "django_pingone_authorize/callback_hop.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.finish(request, request.GET)

    def post(self, request: HttpRequest) -> HttpResponse:
        if self.needs_same_site_hop(request):
            return self.same_site_hop(request)
        return self.finish(request, request.POST)

    # -- form_post without the session cookie ------------------------------------------------------

    def needs_same_site_hop(self, request: HttpRequest) -> bool:
        """A cross-site ``form_post`` carries no ``SameSite=Lax`` session cookie: re-post it from our site.

        The hop page is not tied to the session and must not touch it (that would start a new session
        and replace the user's cookie). The second POST is same-site, so the cookie comes along.
        """
        return settings.SESSION_COOKIE_NAME not in request.COOKIES and HOP_FIELD not in request.POST

    def same_site_hop(self, request: HttpRequest) -> HttpResponse:
        fields = [(name, request.POST[name]) for name in RESPONSE_PARAMS if name in request.POST]
        response = render(
            request,
            self.hop_template_name,
            {"action": request.path, "fields": [*fields, (HOP_FIELD, "1")]},
        )
        response["Referrer-Policy"] = "no-referrer"
        return response

    # -- the callback proper -----------------------------------------------------------------------

    def finish(self, request: HttpRequest, data: QueryDict) -> HttpResponse:
        alias: str | None = None
        try:
            params = response_params(data)
            state = params.get("state")
            if not state and "flowId" in data and len(data.getlist("flowId")) == 1:
                # Back from an external identity provider during an embedded (pi.flow) sign-on.
                from django_pingone_authorize.views.embedded import resume_after_external

                return resume_after_external(request, str(data.get("flowId", ""))[:128])
            if not state:
                raise SignOnError("state_missing", "The sign-on response was incomplete. Please sign on again.")
            sign_on = pending.pop(request.session, state)
            if sign_on is None:
                raise SignOnError(
                    "state_unknown",
                    "This sign-on has expired, was already used, or was started in another browser. "
                    "Please sign on again (cookies must be enabled).",
                )
            alias = sign_on.alias
            try:
                config = get_alias(alias)
            except ImproperlyConfigured:
                raise SignOnError("alias_unknown", "This sign-on is no longer configured.") from None
            user, claims, tokens = self.complete(request, config, sign_on, params)
        except SignOnError as error:
            return self.login_failure(request, error, alias)
        return self.login_success(request, config, sign_on, user, claims, tokens)

    def complete(
        self, request: HttpRequest, config: AliasConfig, sign_on: PendingSignOn, params: dict[str, str]
    ) -> tuple[Any, dict[str, Any], Any]:
        """From a matched authorization response to an authenticated user (or a ``SignOnError``)."""
        metadata = get_metadata(config)
        check_issuer(config, metadata, params.get("iss"))
        if "error" in params:
            raise ProviderError(
                "authorization_error",
                "The sign-on was not completed."
                if params["error"] != "access_denied"
                else "The sign-on was cancelled.",
                error=params["error"][:100],
                description=params.get("error_description", "")[:500],
                status=403 if params["error"] == "access_denied" else 400,
            )
        code = params.get("code")
        if not code or len(code) > MAX_CODE_LENGTH or not code.isprintable():
            raise SignOnError("code_missing", "The sign-on response carried no usable code.")
        return self.complete_with_code(request, config, metadata, sign_on, code)

    def complete_with_code(
        self,
        request: HttpRequest,
        config: AliasConfig,
        metadata: ProviderMetadata,
        sign_on: PendingSignOn,
        code: str,
    ) -> tuple[Any, dict[str, Any], Any]:
        tokens = exchange_code(
            config, metadata, code=code, redirect_uri=sign_on.redirect_uri, code_verifier=sign_on.code_verifier
        )
        claims = validate_id_token(
            config,
            metadata,
            tokens.id_token,
            nonce=sign_on.nonce,
            access_token=tokens.access_token,
            max_age=sign_on.max_age,
        )
        if config.USERINFO and tokens.access_token:
            userinfo = fetch_userinfo(config, metadata, access_token=tokens.access_token, subject=claims["sub"])
            claims = {**claims, **{k: v for k, v in userinfo.items() if k not in PROTECTED_CLAIMS}}
        user = authenticate(request, pingone_claims=claims, pingone_config=config)
        if user is None:
            raise SignOnError("user_refused", "Your account cannot sign on to this site.", status=403)
        return user, claims, tokens

    def login_success(
        self,
        request: HttpRequest,
        config: AliasConfig,
        sign_on: PendingSignOn,
        user: Any,
        claims: dict[str, Any],
        tokens: Any,
    ) -> HttpResponse:
        login(request, user)  # rotates the session key (session fixation)
        session_tokens.store(request.session, config, tokens)
        sign_on_succeeded.send(sender=type(self), request=request, user=user, alias=config.alias, claims=claims)
        logger.info("PingOne sign-on succeeded for user %s (alias %s)", user.pk, config.alias)
        return HttpResponseRedirect(sign_on.next_url or resolve_url(settings.LOGIN_REDIRECT_URL))

    def login_failure(self, request: HttpRequest, error: SignOnError, alias: str | None) -> HttpResponse:
        return failure_response(request, error, alias)
