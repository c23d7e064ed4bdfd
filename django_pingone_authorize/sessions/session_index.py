"""Which Django sessions a PingOne sign-on opened: the index that logout from elsewhere reads.

Front- and back-channel logout name a PingOne session (issuer and ``sid``) or a user (issuer and ``sub``);
"log out everywhere" names a Django user. None of them carries a Django session key, and no session engine
can be searched by what a session holds (the cache engines cannot be searched at all). So every login writes a
row, ``PingOneSession``: the Django session's key (encrypted, ``encryption.py``; a hash of it to find the row
again), the user and, for PingOne sign-ons, the issuer, ``sub``, ``sid`` and alias. Ending a session is
``SessionStore(key).delete()``, which works for the database, cache, cached_db and file engines alike.

Rows are written on Django's ``user_logged_in`` signal (every backend, so "log out everywhere" also ends
sessions opened with a password): one ``INSERT`` per login, a PingOne sign-on's facts included (``log_in``
hands them over before ``login()``, ``expect_sign_on``); a logout deletes its row; rows older than
``SESSION_COOKIE_AGE`` go at one of the user's next logins (about one in ``PRUNE_EVERY``) or with
``manage.py pingone_clearsessions``.

The index costs a write per login, so it is kept only where something reads it (``index_wanted``, decided once
per process from the settings, again when they change): an alias with ``CHANNEL_LOGOUT`` (front- and back-channel
logout) or ``SESSION_CHECK_INTERVAL`` (the session check), or a site that routes ``pingone:logout_everywhere``
(every site that includes the app's URLs). A site that includes none of these writes nothing here.
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import nullcontext
from datetime import timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, IntegrityError, connections, models, router, transaction
from django.db.models import Q
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import aliases, get_alias, resets_on
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


_wanted: dict[str, bool] = {}  # by ROOT_URLCONF (a test may swap it without ``setting_changed``)


@resets_on("PINGONE_AUTHORIZE", "ROOT_URLCONF")
def reset_caches() -> None:
    _wanted.clear()


def index_wanted() -> bool:
    """Whether logins are indexed: only where something reads the index (the module's docstring says what)."""
    urlconf = str(settings.ROOT_URLCONF)
    wanted = _wanted.get(urlconf)
    if wanted is None:
        wanted = _wanted[urlconf] = _read_somewhere()
    return wanted


def _read_somewhere() -> bool:
    for name in aliases():
        try:
            config = get_alias(name)
        except ImproperlyConfigured:
            continue  # the checks report it; another alias may still need the index
        if config.CHANNEL_LOGOUT or config.SESSION_CHECK_INTERVAL:
            return True
    try:
        reverse("pingone:logout_everywhere", urlconf=settings.ROOT_URLCONF)
    except NoReverseMatch:
        return False
    return True


#: Set on the request before ``login()`` by a PingOne sign-on (``expect_sign_on``): the row's PingOne fields.
SIGN_ON_ATTRIBUTE = "_pingone_index_sign_on"


def _sign_on_fields(alias: str, claims: dict[str, Any], token_cache_key: str) -> dict[str, str]:
    sid = claims.get("sid")
    return {
        "alias": alias,
        "issuer": str(claims.get("iss", ""))[:255],
        "subject": str(claims.get("sub", ""))[:255],
        "sid": sid[:255] if isinstance(sid, str) else "",
        "token_cache_key": token_cache_key,
    }


def expect_sign_on(request: HttpRequest, alias: str, claims: dict[str, Any], token_cache_key: str = "") -> None:
    """Call before ``login()`` of a PingOne sign-on: the login's row is then written whole, in one statement."""
    setattr(request, SIGN_ON_ATTRIBUTE, _sign_on_fields(alias, claims, token_cache_key))


#: A login prunes its user's rows of sessions past ``SESSION_COOKIE_AGE`` when its new row's id is a multiple of it.
PRUNE_EVERY = 16


@sensitive_variables("key", "fields")
def _write(key: str, fields: dict[str, Any]) -> int | None:
    """The row of session ``key``: one INSERT (a login's key is new), or an UPDATE if it is there already.
    The id of a new row (None for an update)."""
    key_hash = _hash(key)
    fields = {**fields, "session_key_encrypted": token_encryption.encrypt_text(key)}
    using = router.db_for_write(PingOneSession)
    try:
        # Inside a transaction (ATOMIC_REQUESTS, a test) a failed INSERT must not spoil it: a savepoint then.
        with transaction.atomic(using=using) if connections[using].in_atomic_block else nullcontext():
            row = PingOneSession.objects.using(using).create(session_key_hash=key_hash, **fields)
    except IntegrityError:
        PingOneSession.objects.using(using).filter(session_key_hash=key_hash).update(**fields)
        return None
    return row.pk if isinstance(row.pk, int) else None


@receiver(user_logged_in, dispatch_uid="django_pingone_authorize.sessions.session_index.logged_in")
@sensitive_variables("key")
def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    sign_on = getattr(request, SIGN_ON_ATTRIBUTE, None)
    if sign_on is not None:
        delattr(request, SIGN_ON_ATTRIBUTE)
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    if not key or getattr(user, "pk", None) is None or not index_wanted():
        return
    try:
        row_id = _write(key, {"user_id": user.pk, **(sign_on or {})})
        if row_id is not None and row_id % PRUNE_EVERY == 0:
            # Rows of sessions that can no longer be alive (older than a session may live): at about one login
            # in PRUNE_EVERY, not at each (a DELETE that mostly finds nothing), and by ``pingone_clearsessions``.
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
    """After ``login()`` (for a login that did not ``expect_sign_on``): tie the session to the PingOne session it
    came from."""
    key = request.session.session_key
    user = getattr(request, "user", None)
    if not key or getattr(user, "pk", None) is None or not index_wanted():
        return
    try:
        fields = {"user_id": user.pk, **_sign_on_fields(alias, claims, token_cache_key)}  # type: ignore[union-attr]
        # login() wrote the row already (when the index is kept): complete it; write it whole otherwise.
        row = PingOneSession.objects.filter(session_key_hash=_hash(key))
        if not row.update(**fields, session_key_encrypted=token_encryption.encrypt_text(key)):
            _write(key, fields)
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
