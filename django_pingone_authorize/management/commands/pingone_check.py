"""``python manage.py pingone_check [alias ...]``: ask each alias's live PingOne environment whether it agrees
with the settings (``checks/environment.py``). One line per finding; exits 1 when any is a problem."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_pingone_authorize.checks.environment import Finding, check_environment
from django_pingone_authorize.conf import aliases, get_alias


class Command(BaseCommand):
    help = (
        "Ask the live PingOne environment of each alias (all by default) whether it agrees with the settings: "
        "issuer, signing keys, token-endpoint auth method, response mode, PAR, request objects, clock."
    )
    requires_system_checks: list[str] = []  # a broken alias is reported here, per alias, not as a refusal

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("aliases", nargs="*", metavar="alias", help="aliases of PINGONE_AUTHORIZE to check")

    def handle(self, *args: Any, **options: Any) -> None:
        names: list[str] = options["aliases"] or aliases()
        if not names:
            raise CommandError("PINGONE_AUTHORIZE has no aliases to check.")
        problems = 0
        for name in names:
            self.stdout.write(f"[{name}]")
            try:
                findings = check_environment(get_alias(name))
            except ImproperlyConfigured as exc:
                findings = [Finding("error", "settings", f"{exc} (run `manage.py check`)")]
            for finding in findings:
                self.stdout.write(self.styled(finding))
            problems += sum(finding.is_problem for finding in findings)
        if problems:
            raise CommandError(f"{problems} problem{'s' if problems != 1 else ''} found.", returncode=1)
        self.stdout.write(self.style.SUCCESS("No problems found."))

    def styled(self, finding: Finding) -> str:
        style = {"ok": self.style.SUCCESS, "warning": self.style.WARNING, "error": self.style.ERROR}[finding.level]
        return f"{style(f'{finding.level.upper():<7}')} {finding.topic}: {finding.message}"
