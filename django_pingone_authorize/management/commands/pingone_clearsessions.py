"""``python manage.py pingone_clearsessions``: prune the session index (``PingOneSession``) of the rows of Django
sessions that no longer exist, as Django's ``clearsessions`` prunes expired sessions. Run it from cron after
``clearsessions`` (or with it: ``clearsessions && pingone_clearsessions``).

A row goes when it is older than ``SESSION_COOKIE_AGE`` (no session can live that long), or when its session
is gone from the session store (expired, flushed, or cleared). Rows are also dropped at logout and pruned per
user at each login; this command catches the sessions that simply expired. ``--dry-run`` counts only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from django_pingone_authorize.models import PingOneSession
from django_pingone_authorize.provider import encryption as token_encryption
from django_pingone_authorize.sessions.session_index import session_store

BATCH = 500


class Command(BaseCommand):
    help = "Delete the session-index rows (PingOneSession) of Django sessions that have expired or no longer exist."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count the rows that would go; delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run: bool = options["dry_run"]
        oldest = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
        too_old = PingOneSession.objects.filter(created_at__lt=oldest)
        aged = too_old.count() if dry_run else too_old.delete()[0]
        store = session_store()
        gone: list[int] = []
        for row in (
            PingOneSession.objects.filter(created_at__gte=oldest)
            .only("pk", "session_key_encrypted")
            .iterator(chunk_size=BATCH)
        ):
            key = token_encryption.decrypt_text(row.session_key_encrypted)
            # A key that no longer decrypts (SECRET_KEY rotated past its fallbacks) cannot be ended either.
            if key is None or not store().exists(key):
                gone.append(row.pk)
        if gone and not dry_run:
            for start in range(0, len(gone), BATCH):
                PingOneSession.objects.filter(pk__in=gone[start : start + BATCH]).delete()
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(
            f"Session index: {verb} {aged} row(s) past SESSION_COOKIE_AGE, {len(gone)} of ended sessions."
        )
