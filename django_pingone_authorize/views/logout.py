"""``pingone:logout``: log out of Django, then (unless ``SIGNOFF`` is off) sign off at PingOne too.

No ``state`` is sent to ``/as/signoff``: nothing on the way back would check it (the landing page is the
site's own ``LOGOUT_REDIRECT_URL``), and keeping one would write a session for a visitor just logged out.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import get_alias
from django_pingone_authorize.errors import SignOnError
from django_pingone_authorize.provider.discovery import get_metadata
from django_pingone_authorize.sessions import revocation
from django_pingone_authorize.sessions.token_store import get_tokens

logger = logging.getLogger(__name__)


@method_decorator([never_cache, csrf_protect], name="dispatch")
class LogoutView(View):
    """POST only (with the CSRF token), like Django's own ``LogoutView``."""

    http_method_names = ["post"]

    @sensitive_variables("record", "signoff")  # the ID token, also in the sign-off URL
    def post(self, request: HttpRequest) -> HttpResponse:
        record = get_tokens(request.session)
        self.revoke_tokens(request, record)
        logout(request)
        after = resolve_url(settings.LOGOUT_REDIRECT_URL or "/")
        signoff = self.signoff_url(request, record, after)
        return HttpResponseRedirect(signoff or after)

    def revoke_tokens(self, request: HttpRequest, record: dict[str, object]) -> None:
        """RFC 7009 at PingOne's ``/as/revoke``: the newest refresh token (another request may have rotated it)
        and access token, before the session that holds them goes (``REVOKE_ON_LOGOUT``)."""
        revocation.revoke_session_tokens(request.session)

    @sensitive_variables("record", "id_token", "params")
    def signoff_url(self, request: HttpRequest, record: dict[str, object], after: str) -> str | None:
        """PingOne's ``/as/signoff`` URL for the signed-on alias, or None to stay on the site."""
        alias, id_token = record.get("alias"), record.get("id_token")
        if not isinstance(alias, str) or not isinstance(id_token, str):
            return None
        try:
            config = get_alias(alias)
            if not config.SIGNOFF:
                return None
            endpoint = get_metadata(config).end_session_endpoint
            if config.IDP_SIGNOFF:
                # PingOne's sign-off that also ends the session at the external identity provider the user
                # came through (same parameters as /as/signoff).
                endpoint = config.layout.idp_signoff_endpoint
        except (ImproperlyConfigured, SignOnError) as error:
            logger.warning("PingOne sign-off skipped: %s", getattr(error, "reason", type(error).__name__))
            return None
        if not endpoint:
            return None
        params = {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": config.POST_LOGOUT_REDIRECT_URI or request.build_absolute_uri(after),
        }
        return f"{endpoint}?{urlencode(params)}"
