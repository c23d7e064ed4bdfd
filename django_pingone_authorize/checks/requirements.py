"""Sign-on requirements: ``PROMPT``, ``MAX_AGE``, ``ACR_VALUES``, ``ALLOWED_ACR_VALUES`` (``pingone.E040``-``E043``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Tags, register

from django_pingone_authorize.checks.base import (
    AliasCheck,
    _each_alias,
    _policy_string,
    _whole_seconds,
    option_check,
)
from django_pingone_authorize.conf import PROMPT_VALUES, policy_names


def _prompt_ok(prompt: Any) -> bool:
    if prompt is None:
        return True
    words = prompt.split() if isinstance(prompt, str) else []
    return bool(words) and set(words) <= PROMPT_VALUES and not ("none" in words and len(words) > 1)


@option_check("ALLOWED_ACR_VALUES", "pingone.E040")
def check_allowed_acr_values(value: Any) -> str | None:
    """List the PingOne sign-on policy names (or DaVinci policy IDs) a request may ask for, e.g.
    ('Single_Factor', 'Multi_Factor'); the default () lets no request name one."""
    return "is not a list of sign-on policy names." if policy_names(value) is None else None


@option_check("PROMPT", "pingone.E041")
def check_prompt(prompt: Any) -> str | None:
    """Use None, 'login', 'consent', 'select_account' (space-separated), or 'none' alone."""
    return None if _prompt_ok(prompt) else "is not a valid prompt."


@option_check("MAX_AGE", "pingone.E042")
def check_max_age(max_age: Any) -> str | None:
    """Use None (not sent) or the largest age, in seconds, of the authentication to accept."""
    if max_age is None or _whole_seconds(max_age):
        return None
    return "is not a whole, non-negative number of seconds."


@option_check("ACR_VALUES", "pingone.E043")
def check_acr_values(acr: Any) -> str | None:
    """Use None (PingOne's default policy for the application) or e.g. 'Multi_Factor'."""
    return None if _policy_string(acr) else "is not a space-separated string of sign-on policy names."


SIGN_ON_CHECKS: tuple[AliasCheck, ...] = (check_allowed_acr_values, check_prompt, check_max_age, check_acr_values)


@register(Tags.security)
def check_sign_on_requirements(*, app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    return _each_alias(SIGN_ON_CHECKS)
