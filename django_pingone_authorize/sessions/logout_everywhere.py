""" "Log out everywhere": end every Django session of a user, on every device, at once.

The sessions are the ones ``session_index`` knows: every login since the index exists (PingOne or any other
backend), whatever the session engine. With a worker application's credentials on an alias
(``WORKER_CLIENT_ID``, ``WORKER_CLIENT_SECRET``), the user's PingOne sessions in that environment are ended
too, through PingOne's management API (``management_api.py``; partly unconfirmed, see there). Without them,
each ended session's refresh token is revoked and this browser is signed off at PingOne, but other browsers'
PingOne sessions live on: they can sign on again without a password until PingOne's session ends.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import logout
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from django_pingone_authorize.conf import AliasConfig, aliases, get_alias
from django_pingone_authorize.models import PingOneIdentity
from django_pingone_authorize.provider import management_api
from django_pingone_authorize.sessions import revocation, session_index

logger = logging.getLogger(__name__)


def logout_everywhere(user: Any, request: HttpRequest | None = None) -> int:
    """End every indexed Django session of ``user``, revoking each one's tokens at PingOne (``REVOKE_ON_LOGOUT``);
    with ``request`` (the user's own), log it out too. The number of sessions ended (the request's own included).

    Without worker credentials the other browsers' PingOne sessions live on (only PingOne's management API can
    end them): their refresh tokens are revoked, but a browser that still holds PingOne's session cookie can
    sign on again without a password. The view signs this browser off at PingOne (as ``pingone:logout`` does)."""
    own_key = request.session.session_key if request is not None else None
    for config, subject in _pingone_identities(user):
        management_api.end_pingone_sessions(config, subject)
    ended = session_index.end_user_sessions(user, except_session_key=own_key, revoke=True)
    if request is not None and getattr(request.user, "pk", None) == user.pk:
        revocation.revoke_session_tokens(request.session)
        logout(request)  # flushes the session (and drops its row, through user_logged_out)
        ended += 1
    logger.info("Logged user %s out everywhere: %d session(s)", user.pk, ended)
    return ended


def ends_pingone_sessions(user: Any) -> bool:
    """Whether "log out everywhere" also ends ``user``'s PingOne sessions (an alias with worker credentials)."""
    return bool(_pingone_identities(user))


def _pingone_identities(user: Any) -> list[tuple[AliasConfig, str]]:
    """(alias, ``sub``) of each of the user's PingOne identities whose alias has worker credentials."""
    workers = []
    for name in aliases():
        try:
            config = get_alias(name)
        except ImproperlyConfigured:
            continue
        if management_api.has_worker(config):
            workers.append(config)
    if not workers:
        return []
    found: list[tuple[AliasConfig, str]] = []
    for identity in PingOneIdentity.objects.filter(user_id=user.pk):
        found.extend((config, identity.subject) for config in workers if config.issuer == identity.issuer)
    return found
