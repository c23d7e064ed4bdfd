"""Which Django user a PingOne identity is (one row per issuer and subject), and which Django sessions each
PingOne sign-on opened."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, models, router

from django_pingone_authorize.conf import resets_on

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


class PingOneIdentityManager(models.Manager["PingOneIdentity"]):
    def user_of(self, issuer: str, subject: str) -> AbstractBaseUser | None:
        """The user whose identity this is, or None: one ``SELECT`` of the user's row joined to the identity.

        The query is written once per user model and database, in that database's quoting: the ORM's own for the
        same join (``pingone_identities__issuer=...``) takes about 0.27 ms to build on every sign-on, a returning
        user's largest cost after the code exchange and ``login()`` (``tests/perf/README.md``). A user model
        with multi-table inheritance (its fields in more than one table) goes through the ORM."""
        model: Any = get_user_model()
        if model._meta.parents:
            return model._base_manager.filter(  # type: ignore[no-any-return]
                pingone_identities__issuer=issuer, pingone_identities__subject=subject
            ).first()
        database = router.db_for_read(model)
        users = model._base_manager.using(database).raw(_user_query(model, database), [issuer, subject])
        return next(iter(users), None)  # (issuer, subject) is unique: one row at the most


_USER_QUERIES: dict[tuple[str, str], str] = {}


# A query names the user model's table in its database's quoting: forgotten with either setting.
@resets_on("AUTH_USER_MODEL", "DATABASES")
def reset_caches() -> None:
    _USER_QUERIES.clear()


def _user_query(model: Any, database: str) -> str:
    key = (model._meta.label, database)
    query = _USER_QUERIES.get(key)
    if query is None:
        quote = connections[database].ops.quote_name
        users, identities = quote(model._meta.db_table), quote(PingOneIdentity._meta.db_table)
        user_id = quote(PingOneIdentity._meta.get_field("user").column)
        # Only the models' own table and column names, quoted; the issuer and subject are parameters.
        query = _USER_QUERIES[key] = (
            f"SELECT {users}.* FROM {users} INNER JOIN {identities}"  # noqa: S608
            f" ON {identities}.{user_id} = {users}.{quote(model._meta.pk.column)}"
            f" WHERE {identities}.{quote('issuer')} = %s AND {identities}.{quote('subject')} = %s"
        )
    return query


class PingOneIdentity(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pingone_identities")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PingOneIdentityManager()

    class Meta:
        verbose_name = "PingOne identity"
        verbose_name_plural = "PingOne identities"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="pingone_identity_unique_issuer_subject")
        ]

    def __str__(self) -> str:
        return f"{self.subject} @ {self.issuer}"


class PingOneSession(models.Model):
    """One logged-in Django session, and the PingOne session (if any) it came from: the index that front- and
    back-channel logout and "log out everywhere" read (``sessions/session_index.py``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key_hash = models.CharField(max_length=64, unique=True)
    session_key_encrypted = models.TextField()
    alias = models.CharField(max_length=64, blank=True, default="")
    issuer = models.CharField(max_length=255, blank=True, default="")
    subject = models.CharField(max_length=255, blank=True, default="")
    sid = models.CharField(max_length=255, blank=True, default="")
    # The cache key of the session's token set (a hash, not a secret): dropped with the session.
    token_cache_key = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "django_pingone_authorize"
        verbose_name = "PingOne session"
        verbose_name_plural = "PingOne sessions"
        indexes = [
            models.Index(fields=["issuer", "sid"], name="pingone_session_issuer_sid"),
            models.Index(fields=["issuer", "subject"], name="pingone_session_issuer_sub"),
        ]

    def __str__(self) -> str:
        return f"session of user {self.user_id} ({self.alias or 'not PingOne'})"
