"""The sign-on core's steps as a view's overridable methods, shared by ``CallbackView`` (a redirect sign-on) and
``EmbeddedSignOnView`` (``pi.flow``): a site that changes what happens once PingOne has answered overrides them
on both views (or uses the backend's hooks and the signals, which serve both)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.errors import SignOnError
from django_pingone_authorize.pages import failure_response
from django_pingone_authorize.sign_on import complete as signon
from django_pingone_authorize.sign_on.complete import SignOnResult
from django_pingone_authorize.sign_on.pending import PendingSignOn


class SignOnStepsMixin:
    # Where the visitor came from, once the sign-on is known (its validated ``next``): the error page links there.
    back_url: str | None = None

    @sensitive_variables("params", "sign_on")
    def complete(
        self, request: HttpRequest, config: AliasConfig, sign_on: PendingSignOn, params: dict[str, str]
    ) -> SignOnResult:
        """From a matched authorization response to an authenticated user (or a ``SignOnError``)."""
        return signon.complete_sign_on(request, config, sign_on, params)

    @sensitive_variables("sign_on", "result")
    def login_success(
        self, request: HttpRequest, config: AliasConfig, sign_on: PendingSignOn, result: SignOnResult
    ) -> HttpResponse:
        """Log the user in and send them on (``signon.log_in``); a database that cannot is a 503 page."""
        try:
            return signon.log_in(request, config, sign_on, result, sender=type(self))
        except SignOnError as error:
            return self.login_failure(request, error, config.alias)

    def login_failure(self, request: HttpRequest, error: SignOnError, alias: str | None) -> HttpResponse:
        return failure_response(request, error, alias, back_url=self.back_url)
