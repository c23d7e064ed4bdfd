"""Which Django sessions a PingOne sign-on opened: the index that logout from elsewhere reads.

Front- and back-channel logout name a PingOne session (issuer and ``sid``) or a user (issuer and ``sub``);
"log out everywhere" names a Django user. None of them carries a Django session key, and no session engine
can be searched by what a session holds (the cache engines cannot be searched at all). So every login writes a
row, ``PingOneSession``: the Django session's key (encrypted, ``encryption.py``; a hash of it to find the row
again), the user and, for PingOne sign-ons, the issuer, ``sub``, ``sid`` and alias. Ending a session is
``SessionStore(key).delete()``, which works for the database, cache, cached_db and file engines alike.

Rows are written on Django's ``user_logged_in`` signal (every backend, so "log out everywhere" also ends
sessions opened with a password) and completed by ``remember_sign_on`` after a PingOne sign-on; a logout
deletes its row; rows older than ``SESSION_COOKIE_AGE`` go at the user's next login.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.backends.base import SessionBase
from django.db import DatabaseError, models
from django.db.models import Q
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.models import PingOneSession
from django_pingone_authorize.provider import encryption as token_encryption
from django_pingone_authorize.provider import shared_cache
from django_pingone_authorize.sessions import revocation, token_store
from django_pingone_authorize.sessions.token_store import get_sign_on_facts
from django_pingone_authorize.signals import pingone_session_ended, signed_out

logger = logging.getLogger(__name__)


def _hash(session_key: str) -> str:
    return hashlib.sha256(f"django_pingone_authorize.sessions.session_index:{session_key}".encode()).hexdigest()


def session_store() -> type[SessionBase]:
    engine = import_module(settings.SESSION_ENGINE)
    store: type[SessionBase] = engine.SessionStore
    return store


@receiver(user_logged_in, dispatch_uid="django_pingone_authorize.sessions.session_index.logged_in")
@sensitive_variables("key")
def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    if not key or getattr(user, "pk", None) is None:
        return
    try:
        PingOneSession.objects.update_or_create(
            session_key_hash=_hash(key),
            defaults={"user_id": user.pk, "session_key_encrypted": token_encryption.encrypt_text(key)},
        )
        # Rows of sessions that can no longer be alive (older than a session may live) go at the next login.
        oldest = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
        PingOneSession.objects.filter(user_id=user.pk, created_at__lt=oldest).delete()
    except DatabaseError as error:  # the login itself stands; only logout from elsewhere misses this session
        logger.warning("Could not index a session of user %s: %s", user.pk, type(error).__name__)


#: Set on a request (``"pingone"``) before ``logout()`` when PingOne ended the session: ``signed_out``'s ``by``.
ENDED_BY_ATTRIBUTE = "_pingone_signed_out_by"


@receiver(user_logged_out, dispatch_uid="django_pingone_authorize.sessions.session_index.logged_out")
def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    # Sent before logout() flushes the session: its PingOne record still says which alias signed it on.
    facts = get_sign_on_facts(session) if session is not None else None
    if facts is not None:
        signed_out.send(
            PingOneSession,
            request=request,
            user=user,
            alias=facts.alias,
            by=getattr(request, ENDED_BY_ATTRIBUTE, "site"),
        )
    key = getattr(session, "session_key", None)
    if key:
        try:
            PingOneSession.objects.filter(session_key_hash=_hash(key)).delete()
        except DatabaseError as error:
            logger.warning("Could not drop a session from the index: %s", type(error).__name__)


@sensitive_variables("key")
def remember_sign_on(request: HttpRequest, alias: str, claims: dict[str, Any], token_cache_key: str = "") -> None:
    """Called once a PingOne sign-on logged the user in: tie the session to the PingOne session it came from."""
    key = request.session.session_key
    user = getattr(request, "user", None)
    if not key or getattr(user, "pk", None) is None:
        return
    sid = claims.get("sid")
    try:
        PingOneSession.objects.update_or_create(
            session_key_hash=_hash(key),
            defaults={
                "user_id": user.pk,  # type: ignore[union-attr]
                "session_key_encrypted": token_encryption.encrypt_text(key),
                "alias": alias,
                "issuer": str(claims.get("iss", ""))[:255],
                "subject": str(claims.get("sub", ""))[:255],
                "sid": sid[:255] if isinstance(sid, str) else "",
                "token_cache_key": token_cache_key,
            },
        )
    except DatabaseError as error:
        logger.warning("Could not index the PingOne session of user %s: %s", user.pk, type(error).__name__)  # type: ignore[union-attr]


def _end(
    rows: models.QuerySet[PingOneSession], *, by: str, keep_session_key: str | None = None, revoke: bool = False
) -> int:
    """Delete the sessions of ``rows`` (and their rows); the number of sessions ended. ``by`` goes into
    ``signed_out`` (sent for each ended session that a PingOne sign-on opened). ``revoke``: first revoke each
    session's refresh and access tokens at PingOne (``REVOKE_ON_LOGOUT``), so that no browser keeps a way back
    through them."""
    store = session_store()
    ended = 0
    for row in list(rows.select_related("user")):
        key = token_encryption.decrypt_text(row.session_key_encrypted)
        ending = key is not None and key != keep_session_key
        if row.token_cache_key and row.alias:
            _drop_tokens(row.alias, row.token_cache_key, store(key) if ending and revoke and key else None)
        if ending and key is not None:
            store(key).delete()
            ended += 1
            if row.alias:
                signed_out.send(PingOneSession, request=None, user=row.user, alias=row.alias, by=by)
        if key != keep_session_key:
            row.delete()
    return ended


@sensitive_variables("token_set")
def _drop_tokens(alias: str, token_cache_key: str, revoke_from: SessionBase | None = None) -> None:
    """Forget a session's token set; with ``revoke_from`` (the session about to end) revoke its newest tokens."""
    from django.core.exceptions import ImproperlyConfigured

    from django_pingone_authorize.conf import get_alias

    try:
        config = get_alias(alias)
    except ImproperlyConfigured:
        return
    if revoke_from is not None and config.REVOKE_ON_LOGOUT:
        token_set = token_store.at_cache_key(config, token_cache_key, revoke_from)
        if token_set is not None:
            revocation.revoke_all(config, refresh_token=token_set.refresh_token, access_token=token_set.access_token)
    shared_cache.delete(config.CACHE, token_cache_key)


def end_pingone_session(
    issuer: str,
    *,
    sid: str | None = None,
    subject: str | None = None,
    how: str = "back_channel",
    alias: str | None = None,
    request: HttpRequest | None = None,
) -> int:
    """End every Django session opened by the PingOne session ``sid`` of ``issuer`` (or, without ``sid``, every
    one of the user ``subject`` there). The number of sessions ended. ``how``, ``alias`` and ``request`` go into
    ``pingone_session_ended``."""
    if not sid and not subject:
        return 0
    condition = Q(issuer=issuer)
    if sid:
        condition &= Q(sid=sid)
    if subject:
        condition &= Q(subject=subject)
    ended = _end(PingOneSession.objects.filter(condition), by="pingone")
    pingone_session_ended.send(
        PingOneSession,
        request=request,
        alias=alias,
        issuer=issuer,
        subject=subject or None,
        sid=sid or None,
        how=how,
        sessions_ended=ended,
    )
    return ended


def end_user_sessions(user: Any, *, except_session_key: str | None = None, revoke: bool = False) -> int:
    """End every Django session of ``user`` the index knows (``except_session_key``: keep that one; ``revoke``:
    revoke each one's tokens at PingOne first)."""
    return _end(
        PingOneSession.objects.filter(user_id=user.pk), by="site", keep_session_key=except_session_key, revoke=revoke
    )


def subjects_of(user: Any) -> list[tuple[str, str, str]]:
    """(alias, issuer, sub) of the user's indexed PingOne sign-ons."""
    rows = PingOneSession.objects.filter(user_id=user.pk).exclude(subject="")
    return sorted({(row.alias, row.issuer, row.subject) for row in rows})
