"""Which Django user a PingOne identity is (one row per issuer and subject), and which Django sessions each
PingOne sign-on opened."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PingOneIdentity(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pingone_identities")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

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
