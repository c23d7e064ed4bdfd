"""What is approved: one action (PingOne's notification template, its variant and the values it shows) and,
once PingOne approved it, the ``Approval`` a view is given.

What was approved is a digest: SHA-256 over the canonical JSON of template, variant and variables.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from django_pingone_authorize.errors import SignOnError

_NAME = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")
MAX_VARIABLES = 20
MAX_VARIABLE_LENGTH = 256


@dataclass(frozen=True)
class Transaction:
    """One action to approve: PingOne's notification template, its variant and the values it shows."""

    template: str
    variant: str
    variables: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, template: str, variant: str, variables: Mapping[str, Any]) -> Transaction:
        """Checked: names are short identifiers (``ImproperlyConfigured``: the site's code is wrong), values
        short printable text, numbers written as text (``SignOnError`` ``approval_bad_details``: a 400 page)."""
        if not isinstance(template, str) or not _NAME.match(template):
            raise ImproperlyConfigured(f"Transaction approval: {template!r} is not a notification template name.")
        if not isinstance(variant, str) or not _NAME.match(variant):
            raise ImproperlyConfigured(f"Transaction approval: {variant!r} is not a template variant name.")
        if not isinstance(variables, Mapping) or len(variables) > MAX_VARIABLES:
            raise ImproperlyConfigured(f"Transaction approval: variables must be a dict of at most {MAX_VARIABLES}.")
        pairs = []
        for name, value in variables.items():
            if not isinstance(name, str) or not _NAME.match(name):
                raise ImproperlyConfigured(f"Transaction approval: {name!r} is not a variable name.")
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise ImproperlyConfigured(f"Transaction approval: the value of {name!r} must be text or a number.")
            text = str(value)
            if len(text) > MAX_VARIABLE_LENGTH or not text.isprintable():
                # Values often come from the visitor (a recipient's name): a 400 page, not a 500.
                raise SignOnError("approval_bad_details", _("These details cannot be approved: a value is too long."))
            pairs.append((name, text))
        return cls(template, variant, tuple(sorted(pairs)))

    def as_template_claim(self) -> dict[str, Any]:
        """``pi.template``, as PingOne's examples shape it."""
        return {"name": self.template, "variant": self.variant, "variables": dict(self.variables)}

    @property
    def digest(self) -> str:
        """SHA-256 (hex) of the canonical JSON (sorted keys, no spaces, UTF-8) of template, variant, variables."""
        canonical = json.dumps(
            {"template": self.template, "variant": self.variant, "variables": dict(self.variables)},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Approval:
    """What ``consume_approval`` gives back: the details PingOne approved, when, and what the ID token proved."""

    template: str
    variant: str
    variables: dict[str, str]
    digest: str
    alias: str
    subject: str
    approved_at: float
    acr: str | None
    amr: tuple[str, ...]
