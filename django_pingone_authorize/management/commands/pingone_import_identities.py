"""``python manage.py pingone_import_identities SOURCE``: link the users a site already has to their PingOne
identities (``PingOneIdentity``, issuer and subject), so that they keep their accounts at their first sign-on
through this app instead of getting new ones. A dry run unless ``--commit``; a summary either way.

Sources (``docs/how-to/migrate-from-another-library.md``):

* ``allauth``: django-allauth's ``SocialAccount`` rows of ``--provider`` (the provider id of the PingOne app,
  e.g. ``openid_connect`` or the app's ``provider_id``): ``uid`` is PingOne's ``sub``.
* ``social``: social-auth-app-django's ``UserSocialAuth`` rows of ``--provider`` (``oidc`` by default, or your
  PingOne backend's ``name``): ``uid`` is the ``sub``.
* ``mozilla``: mozilla-django-oidc keeps no identities, only users matched by email at each sign-on. Give a CSV
  exported from PingOne (``--subjects``, columns ``email``, ``subject`` (PingOne's user id) and
  ``email_verified``). A row links only with the caution of ``LINK_BY_VERIFIED_EMAIL``: the email verified at
  PingOne, exactly one Django user with it (case-insensitive).

Never taken over, whatever the source: an identity already linked to another user, or a user already linked
to another identity of the same issuer. Those rows are reported (``-v 2`` lists every row).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from django_pingone_authorize.conf import DEFAULT_ALIAS, get_alias
from django_pingone_authorize.models import PingOneIdentity
from django_pingone_authorize.signals import identity_linked

SOURCES = {
    "allauth": ("socialaccount", "SocialAccount", "openid_connect"),
    "social": ("social_django", "UserSocialAuth", "oidc"),
}
MAX_SUBJECT = 255


class Command(BaseCommand):
    help = (
        "Link existing users to their PingOne identities from django-allauth, social-auth-app-django or "
        "mozilla-django-oidc (a dry run unless --commit)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", choices=["allauth", "social", "mozilla"])
        parser.add_argument("--alias", default=DEFAULT_ALIAS, help="the PINGONE_AUTHORIZE alias (its issuer)")
        parser.add_argument("--provider", help="allauth/social: the provider name of the PingOne rows")
        parser.add_argument("--subjects", type=Path, help="mozilla: CSV with email, subject, email_verified")
        parser.add_argument("--commit", action="store_true", help="write the links (default: a dry run)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            issuer = get_alias(options["alias"]).issuer
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        source: str = options["source"]
        if source == "mozilla":
            if options["subjects"] is None:
                raise CommandError("mozilla: give --subjects, a CSV of email, subject, email_verified from PingOne.")
            pairs = self.by_email(options["subjects"])
        else:
            pairs = self.from_model(source, options["provider"])
        outcomes: Counter[str] = Counter()
        self.planned: set[tuple[Any, str | None]] = set()
        commit: bool = options["commit"]
        with transaction.atomic():
            for user, subject, skipped in pairs:
                outcome = skipped or self.link(user, issuer, subject, options["alias"], commit)
                outcomes[outcome] += 1
                self.log(outcome, user, subject, int(options["verbosity"]))
        self.summary(outcomes, commit)

    # -- sources ---------------------------------------------------------------------------------------

    def from_model(self, source: str, provider: str | None) -> Iterator[tuple[Any, str, str | None]]:
        app_label, model_name, default_provider = SOURCES[source]
        if not apps.is_installed(_app_module(app_label)):
            raise CommandError(f"{source}: {_app_module(app_label)} is not in INSTALLED_APPS.")
        model = apps.get_model(app_label, model_name)
        rows = model._default_manager.filter(provider=provider or default_provider).select_related("user")
        for row in rows.order_by("pk").iterator():
            subject = str(row.uid)
            yield row.user, subject, None if 0 < len(subject) <= MAX_SUBJECT else "bad subject"

    def by_email(self, path: Path) -> Iterator[tuple[Any, str, str | None]]:
        model = get_user_model()
        email_field = model.get_email_field_name()
        try:
            model._meta.get_field(email_field)
        except FieldDoesNotExist:
            raise CommandError("mozilla: the user model has no email field to match by.") from None
        try:
            with path.open(newline="", encoding="utf-8-sig") as file:
                rows = list(csv.DictReader(file))
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            raise CommandError(f"mozilla: cannot read {path}: {type(error).__name__}") from None
        if rows and not {"email", "subject", "email_verified"} <= set(rows[0]):
            raise CommandError("mozilla: the CSV needs the columns email, subject and email_verified.")
        emails = Counter((row.get("email") or "").strip().lower() for row in rows)
        for row in rows:
            email, subject = (row.get("email") or "").strip(), (row.get("subject") or "").strip()
            if not subject or len(subject) > MAX_SUBJECT or "@" not in email:
                yield None, subject, "bad row"
            elif (row.get("email_verified") or "").strip().lower() not in ("true", "1", "yes"):
                yield None, subject, "email not verified"
            elif emails[email.lower()] > 1:
                yield None, subject, "email on several PingOne users"
            else:
                matches = list(model._default_manager.filter(**{f"{email_field}__iexact": email})[:2])
                if len(matches) == 1:
                    yield matches[0], subject, None
                else:
                    yield None, subject, "no user with the email" if not matches else "email on several users"

    # -- linking ---------------------------------------------------------------------------------------

    def link(self, user: Any, issuer: str, subject: str, alias: str, commit: bool) -> str:
        # A dry run writes nothing: what this run linked already is remembered, so it reports what --commit does.
        if (None, subject) in self.planned or (user.pk, None) in self.planned:
            return "linked twice in the source"
        existing = PingOneIdentity.objects.filter(issuer=issuer, subject=subject).first()
        if existing is not None:
            return "already linked" if existing.user_id == user.pk else "identity is another user's"
        if PingOneIdentity.objects.filter(user=user, issuer=issuer).exists():
            return "user has another identity"
        self.planned |= {(None, subject), (user.pk, None)}
        if commit:
            identity = PingOneIdentity.objects.create(user=user, issuer=issuer, subject=subject)
            identity_linked.send(type(self), user=user, identity=identity, alias=alias, how="import")
        return "linked"

    def log(self, outcome: str, user: Any, subject: str, verbosity: int) -> None:
        if verbosity >= 2:
            who = f"user {user.pk}" if user is not None else "no user"
            self.stdout.write(f"{outcome}: {who}, subject {subject!r}")

    def summary(self, outcomes: Counter[str], commit: bool) -> None:
        linked = outcomes.pop("linked", 0)
        self.stdout.write(f"{'Linked' if commit else 'Would link'}: {linked}")
        for outcome, count in sorted(outcomes.items()):
            self.stdout.write(f"Skipped ({outcome}): {count}")
        if not commit:
            self.stdout.write("Dry run: nothing written. Run again with --commit to link.")


def _app_module(app_label: str) -> str:
    return {"socialaccount": "allauth.socialaccount", "social_django": "social_django"}[app_label]
