"""A native app's way through an external identity provider: a redirect sign-on in the system browser, handed back
to the app by its own redirect, as OAuth for native apps does it (RFC 8252, PKCE of RFC 7636).

The flow's own provider links are never used (``views/embedded.py`` says why). Instead:

1. The app opens ``pingone:headless-app-browser`` (``app/browser/<alias>/?redirect_uri=…&code_challenge=…``) in
   the system browser (``ASWebAuthenticationSession``, Custom Tabs). ``redirect_uri`` must be one of the app's
   (``APP_REDIRECT_URIS``: a claimed https link, or a private-use scheme), ``code_challenge`` the S256 of a
   verifier only the app knows. The view starts an ordinary redirect sign-on (``pingone:login``, PingOne's hosted
   page, where the providers are) bound to that browser, with ``next`` the handoff below and the app's values
   signed into it.
2. Signed on in the browser, it lands on ``pingone:headless-app-handoff`` (GET): a one-time code, good for
   ``CODE_TTL`` seconds, is kept for the user and sent to the app's ``redirect_uri``.
3. The app POSTs the code and its verifier to the same URL: a new app-client session, logged in as that user
   (``login()``, ``user_logged_in``), and its ``session_token``. A code is used once; a wrong verifier spends it.

Someone who sends a victim the browser URL gets nothing: the code goes to the victim's own device, and only the
verifier of the app that made the challenge redeems it. The app session is a Django login of the user the
browser signed on; PingOne's tokens stay with the browser's session.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model, login
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import DEFAULT_ALIAS, get_alias
from django_pingone_authorize.headless import clients
from django_pingone_authorize.headless.settings import APP, headless_settings
from django_pingone_authorize.headless.views import HeadlessView, Refusal, user_of
from django_pingone_authorize.provider import shared_cache

TICKET_SALT = "django_pingone_authorize.headless.handoff"
TICKET_TTL = 900  # seconds the browser has to sign on
CODE_TTL = 60
CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("ascii", "replace")).hexdigest()


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


def _app_redirect(url: str) -> HttpResponseRedirect:
    """A redirect to the app's own URI (a private-use scheme is not among Django's allowed schemes)."""

    class AppRedirect(HttpResponseRedirect):
        allowed_schemes = [urlsplit(url).scheme]

    return AppRedirect(url)


def _registered(redirect_uri: object) -> str:
    headless = headless_settings()
    if headless is None or not isinstance(redirect_uri, str) or redirect_uri not in headless.app_redirect_uris:
        raise Refusal(400, "bad_redirect_uri", _("The app's redirect URI is not registered."))
    return redirect_uri


class AppBrowserSignOnView(HeadlessView):
    """``app/browser/<alias>/`` (GET, in the system browser): start a redirect sign-on whose end goes to the app."""

    client = APP
    http_method_names = ["get"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        headless = headless_settings()
        if headless is None or not headless.serves(APP):
            return clients.error_response(404, "not_found", _("Not found."))
        try:
            return self.get(request, kwargs["alias"])
        except Refusal as refusal:
            return clients.error_response(refusal.status, refusal.code, refusal.message)

    def get(self, request: HttpRequest, alias: str) -> HttpResponse:
        headless = headless_settings()
        assert headless is not None
        redirect_uri = _registered(request.GET.get("redirect_uri"))
        challenge = request.GET.get("code_challenge", "")
        if not CHALLENGE.match(challenge) or request.GET.get("code_challenge_method", "S256") != "S256":
            raise Refusal(400, "bad_code_challenge", _("The code challenge must be an S256 challenge."))
        try:
            if not headless.allows(alias):
                raise ImproperlyConfigured(alias)
            get_alias(alias)
        except ImproperlyConfigured:
            raise Refusal(404, "unknown_alias", _("No such PingOne sign-on.")) from None
        ticket = signing.dumps({"redirect_uri": redirect_uri, "challenge": challenge, "alias": alias}, salt=TICKET_SALT)
        handoff = reverse("pingone:headless-app-handoff") + "?" + urlencode({"ticket": ticket})
        return HttpResponseRedirect(
            reverse("pingone:login", args=[alias]) + "?" + urlencode({"hosted": "1", "next": handoff})
        )


class HandoffView(HeadlessView):
    """``app/handoff/``: GET (the system browser, signed on) sends a one-time code to the app; POST (the app)
    redeems it with its verifier for an app-client session."""

    client = APP
    http_method_names = ["get", "post"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "GET":  # a browser's navigation, with its cookie session
            headless = headless_settings()
            if headless is None or not headless.serves(APP):
                return clients.error_response(404, "not_found", _("Not found."))
            try:
                return self.send_code(request)
            except Refusal as refusal:
                return clients.error_response(refusal.status, refusal.code, refusal.message)
        return super().dispatch(request, *args, **kwargs)

    def starts_sessions(self, request: HttpRequest) -> bool:
        return True  # the redeemed code is the app's new session, whatever token came with it

    def app_session(self, request: HttpRequest) -> Any:
        self.new_token = True
        return clients.new_app_session()

    @sensitive_variables("code")
    def send_code(self, request: HttpRequest) -> HttpResponse:
        try:
            ticket = signing.loads(request.GET.get("ticket", ""), salt=TICKET_SALT, max_age=TICKET_TTL)
        except signing.BadSignature:  # also expired
            raise Refusal(400, "bad_ticket", _("This sign-on for the app has expired. Please start again.")) from None
        redirect_uri = _registered(ticket.get("redirect_uri"))
        if not request.user.is_authenticated or clients.is_app_session(request.session):
            raise Refusal(401, "not_signed_on", _("Please sign on first."))
        config = get_alias(str(ticket.get("alias", DEFAULT_ALIAS)))
        code = secrets.token_urlsafe(32)
        entry = {
            "user": str(request.user.pk),
            "backend": request.session.get(BACKEND_SESSION_KEY, ""),
            "challenge": ticket.get("challenge", ""),
            "until": time.time() + CODE_TTL,
        }
        if not shared_cache.set(config.CACHE, "pingone:handoff:" + _digest(code), entry, timeout=CODE_TTL):
            raise Refusal(503, "cache_unavailable", _("The site cannot sign you on right now. Please try again."))
        separator = "&" if urlsplit(redirect_uri).query else "?"
        return _app_redirect(f"{redirect_uri}{separator}{urlencode({'code': code})}")

    @sensitive_variables("data", "code", "verifier", "entry")
    def post(self, request: HttpRequest) -> HttpResponse:
        data = self.body(request)
        code, verifier, alias = data.get("code"), data.get("code_verifier"), data.get("alias", DEFAULT_ALIAS)
        refused = Refusal(400, "handoff_refused", _("This code is unknown, used or expired, or the verifier is wrong."))
        if not isinstance(code, str) or not isinstance(verifier, str) or not VERIFIER.match(verifier):
            raise refused
        try:
            config = get_alias(alias if isinstance(alias, str) else DEFAULT_ALIAS)
        except ImproperlyConfigured:
            raise Refusal(404, "unknown_alias", _("No such PingOne sign-on.")) from None
        key = "pingone:handoff:" + _digest(code)
        entry = shared_cache.get(config.CACHE, key)
        # Spent at the first try, right or wrong (an atomic add: two tries at once cannot both pass).
        if not isinstance(entry, dict) or shared_cache.add(config.CACHE, key + ":used", True, CODE_TTL) is not True:
            raise refused
        shared_cache.delete(config.CACHE, key)
        if entry.get("until", 0) < time.time() or not constant_time_compare(
            _s256(verifier), str(entry.get("challenge", ""))
        ):
            raise refused
        user = get_user_model()._default_manager.filter(pk=str(entry.get("user", ""))).first()
        if user is None or not getattr(user, "is_active", True):
            raise refused
        login(request, user, backend=entry.get("backend") or None)
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = False
        return self.answer(request, {"signed_on": True, "user": user_of(user)})
