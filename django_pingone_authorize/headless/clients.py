"""The headless API's two kinds of client, and how each one's Django session is found.

* **browser**: a single-page app on the site's own origin. Its session is the Django session cookie, as the
  site sets it (``SameSite``, ``Secure``...); every unsafe request needs the CSRF token (``X-CSRFToken``), and a
  refused one is a JSON 403, never Django's HTML page (``json_csrf_protect``).
* **app**: a native app (or any client without cookies). Its session is a normal Django session in the site's
  session store, named by an ``X-Session-Token`` header: the session key signed by this site (``app_token``), so
  that a browser's session key is never a token. No cookies are read or set and no CSRF is asked (nothing
  ambient for another site to borrow). The token is handed out when an app's sign-on starts, rotates when it
  completes (``login()`` cycles the session key) and ends at logout (the session is flushed). An app session is
  marked as one (``APP_MARKER``): its key sent as a browser's session cookie is refused, as is a browser's key
  sent as a token. App clients need a server-side session engine (database, cache): with signed-cookie
  sessions the key is the session's content, and changes at each write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import decorator_from_middleware
from django.utils.translation import gettext_lazy as _

TOKEN_HEADER = "X-Session-Token"
TOKEN_SALT = "django_pingone_authorize.headless.app-token"
# In an app client's session: it is one (never accepted as a browser's cookie session).
APP_MARKER = "_pingone_headless_app"
MAX_TOKEN_LENGTH = 512


def error_response(status: int, code: str, message: object, **extra: Any) -> JsonResponse:
    """The headless API's error answer: ``{"error": code, "message": text, ...}`` with ``status``."""
    response = JsonResponse({"error": code, "message": str(message), **extra}, status=status)
    response["Cache-Control"] = "no-store"
    return response


class _JsonCsrf(CsrfViewMiddleware):
    """Django's CSRF check, answering a refusal as the API's JSON error (not the site's HTML failure page)."""

    def _reject(self, request: HttpRequest, reason: str) -> HttpResponse:
        return error_response(403, "csrf_failed", _("The request's CSRF token is missing or incorrect."))


# Django's own check (origin, referer on https, the token in X-CSRFToken or the form) with a JSON refusal.
json_csrf_protect: Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]] = (
    decorator_from_middleware(_JsonCsrf)
)


def _store() -> type[SessionBase]:
    engine = import_module(settings.SESSION_ENGINE)
    store: type[SessionBase] = engine.SessionStore
    return store


def app_token(session: SessionBase) -> str:
    """The token naming ``session`` (saved first, so that it has a key)."""
    if session.session_key is None:
        session.save()
    return signing.Signer(salt=TOKEN_SALT).sign(str(session.session_key))


def new_app_session() -> SessionBase:
    """A new, empty app-client session, marked as one and saved."""
    session = _store()()
    session[APP_MARKER] = True
    session.save()
    return session


def app_session(token: str) -> SessionBase | None:
    """The live app-client session the token names, or None (no such session, a bad signature, not an app's)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        key = signing.Signer(salt=TOKEN_SALT).unsign(token)
    except signing.BadSignature:
        return None
    store = _store()
    if not store().exists(key):
        return None
    session = store(session_key=key)
    return session if session.get(APP_MARKER) is True else None


def is_app_session(session: SessionBase) -> bool:
    """Whether a (cookie) session is an app client's: such a key in a cookie is not a browser's session."""
    return session.get(APP_MARKER) is True


@contextmanager
def serving_app(request: HttpRequest, session: SessionBase) -> Iterator[None]:
    """Run the view with ``session`` as ``request.session``; afterwards save it and put the cookie session back,
    so that the session middleware sets no cookie for it. A CSRF token rotated by ``login()`` sets none either."""
    cookie_session = request.session
    request.session = session
    try:
        yield
    finally:
        if session.session_key is not None and session.modified:  # a flushed session (logout) stays gone
            session.save()
        request.session = cookie_session
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = False
