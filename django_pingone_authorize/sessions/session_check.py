"""A Django session that ends when the user's PingOne session does (``SessionCheckMiddleware``, in ``middleware.py``).

PingOne stops honouring a sign-on's refresh token once the user's PingOne session ends (signed off in another
application or tab, expired, ended by an administrator). With ``SESSION_CHECK_INTERVAL`` (seconds) on the alias,
a signed-on request that comes more than that long after PingOne last confirmed the sign-on asks PingOne again,
server-side, by refreshing the tokens (``refresh.py``; no browser redirect, so scripts' requests and form
posts are never broken):

* PingOne refreshes: the request goes on (and the session has fresh tokens);
* ``invalid_grant``: the user is logged out of Django; an HTML request is sent to ``pingone:session_ended``
  (which says so and offers to sign on again), a script's request (``Accept: application/json`` first, or
  ``X-Requested-With: XMLHttpRequest``) gets a 401 with a JSON body;
* PingOne cannot be asked: the request goes on, and the check is tried again after ``RETRY_AFTER`` seconds.

The check needs a refresh token (``STORE_TOKENS`` and the ``offline_access`` scope, or PingOne's refresh token
setting); sessions without one are not checked (a silent ``prompt=none`` round trip for HTML GETs is not built
yet). Put it after ``AuthenticationMiddleware``.
"""

from __future__ import annotations

import logging
import threading
import time
from urllib.parse import urlencode

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from django_pingone_authorize.conf import AliasConfig, get_alias
from django_pingone_authorize.errors import ProviderError
from django_pingone_authorize.pages import wants_json
from django_pingone_authorize.sessions import token_store
from django_pingone_authorize.sessions.refresh import SessionEnded, arefresh, arequest_user, refresh
from django_pingone_authorize.sessions.token_store import TokenSet

logger = logging.getLogger(__name__)

RETRY_AFTER = 30.0  # seconds before a check that could not reach PingOne is tried again (per process)

_failed_until: dict[str, float] = {}
_failed_lock = threading.Lock()


def session_ended_response(request: HttpRequest, alias: str) -> HttpResponse:
    """What a request gets once its user was logged out because the PingOne session ended."""
    if wants_json(request):
        response: HttpResponse = JsonResponse(
            {"error": "session_ended", "error_description": "Your PingOne session has ended. Please sign on again."},
            status=401,
        )
        response["Cache-Control"] = "no-store"
        return response
    query = {"alias": alias}
    if request.method == "GET":
        query["next"] = request.get_full_path()
    url = f"{reverse('pingone:session_ended')}?{urlencode(query)}"
    response = HttpResponseRedirect(url)
    response.status_code = 303  # after a POST too: the landing page is fetched with GET
    return response


def check(request: HttpRequest) -> HttpResponse | None:
    """None to let the request through; otherwise the answer (the user was logged out, or a silent
    re-check is under way)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    now = time.time()
    config = _due(token_store.in_session(request.session), now)
    if config is None:
        return None
    newest = token_store.newest(config, request.session)  # another request may have checked
    if _due(newest, now) is None or newest is None:
        return None
    try:
        refresh(request, config, min_ttl=None)
    except SessionEnded:
        return session_ended_response(request, config.alias)
    except ProviderError as error:
        _rest(config, newest, error, now)
    return None


async def acheck(request: HttpRequest) -> HttpResponse | None:
    """``check`` for async middleware: the user, session and cache through Django's async APIs."""
    user = await arequest_user(request)
    if user is None or not user.is_authenticated:
        return None
    now = time.time()
    config = _due(await token_store.ain_session(request.session), now)
    if config is None:
        return None
    newest = await token_store.anewest(config, request.session)
    if _due(newest, now) is None or newest is None:
        return None
    try:
        await arefresh(request, config, min_ttl=None)
    except SessionEnded:
        return session_ended_response(request, config.alias)
    except ProviderError as error:
        _rest(config, newest, error, now)
    return None


def _due(token_set: TokenSet | None, now: float) -> AliasConfig | None:
    """The alias config when ``token_set`` is due a check now (and can be checked), else None."""
    if token_set is None:
        return None
    config = _config_for(token_set.alias)
    if config is None or not config.SESSION_CHECK_INTERVAL:
        return None
    if now - token_set.checked_at < config.SESSION_CHECK_INTERVAL:
        return None
    if not token_set.refresh_token:
        return None  # nothing to ask PingOne with (see the module's docstring)
    if _resting(token_set.set_id, now):
        return None
    return config


def _rest(config: AliasConfig, token_set: TokenSet, error: ProviderError, now: float) -> None:
    logger.warning("PingOne session check failed (alias %s): %s; trying again later", config.alias, error.reason)
    with _failed_lock:
        if len(_failed_until) > 10_000:
            _failed_until.clear()
        _failed_until[token_set.set_id] = now + RETRY_AFTER


def _config_for(alias: str) -> AliasConfig | None:
    try:
        return get_alias(alias)
    except ImproperlyConfigured:
        return None


def _resting(set_id: str, now: float) -> bool:
    until = _failed_until.get(set_id)
    return until is not None and now < until
