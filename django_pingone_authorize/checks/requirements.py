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


check_allowed_acr_values = option_check(
    "check_allowed_acr_values",
    "ALLOWED_ACR_VALUES",
    lambda value: policy_names(value) is not None,
    "is not a list of sign-on policy names.",
    "List the PingOne sign-on policy names (or DaVinci policy IDs) a request may ask for, e.g. "
    "('Single_Factor', 'Multi_Factor'); the default () lets no request name one.",
    "pingone.E040",
)
check_prompt = option_check(
    "check_prompt",
    "PROMPT",
    _prompt_ok,
    "is not a valid prompt.",
    "Use None, 'login', 'consent', 'select_account' (space-separated), or 'none' alone.",
    "pingone.E041",
)
check_max_age = option_check(
    "check_max_age",
    "MAX_AGE",
    lambda value: value is None or _whole_seconds(value),
    "is not a whole, non-negative number of seconds.",
    "Use None (not sent) or the largest age, in seconds, of the authentication to accept.",
    "pingone.E042",
)
check_acr_values = option_check(
    "check_acr_values",
    "ACR_VALUES",
    _policy_string,
    "is not a space-separated string of sign-on policy names.",
    "Use None (PingOne's default policy for the application) or e.g. 'Multi_Factor'.",
    "pingone.E043",
)


SIGN_ON_CHECKS: tuple[AliasCheck, ...] = (check_allowed_acr_values, check_prompt, check_max_age, check_acr_values)


@register(Tags.security)
def check_sign_on_requirements(*, app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    return _each_alias(SIGN_ON_CHECKS)
