"""Sign-on requirements: ``PROMPT``, ``MAX_AGE``, ``ACR_VALUES``, ``ALLOWED_ACR_VALUES`` (``pingone.E040``-``E043``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Tags, register

from django_pingone_authorize.checks.base import (
    _PROMPT_VALUES,
    AliasCheck,
    _each_alias,
    _policy_names,
)


def check_allowed_acr_values(
    where: str, options: Mapping[str, Any], values: Mapping[str, Any]
) -> Iterator[CheckMessage]:
    if _policy_names(values["ALLOWED_ACR_VALUES"]) is None:
        yield Error(
            f"{where}['ALLOWED_ACR_VALUES'] is not a list of sign-on policy names.",
            hint="List the PingOne sign-on policy names (or DaVinci policy IDs) a request may ask for, e.g. "
            "('Single_Factor', 'Multi_Factor'); the default () lets no request name one.",
            id="pingone.E040",
        )


def check_prompt(where: str, options: Mapping[str, Any], values: Mapping[str, Any]) -> Iterator[CheckMessage]:
    prompt = values["PROMPT"]
    words = prompt.split() if isinstance(prompt, str) else None
    if prompt is not None and (not words or not set(words) <= _PROMPT_VALUES or ("none" in words and len(words) > 1)):
        yield Error(
            f"{where}['PROMPT'] is not a valid prompt.",
            hint="Use None, 'login', 'consent', 'select_account' (space-separated), or 'none' alone.",
            id="pingone.E041",
        )


def check_max_age(where: str, options: Mapping[str, Any], values: Mapping[str, Any]) -> Iterator[CheckMessage]:
    max_age = values["MAX_AGE"]
    if max_age is not None and (not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 0):
        yield Error(
            f"{where}['MAX_AGE'] is not a whole, non-negative number of seconds.",
            hint="Use None (not sent) or the largest age, in seconds, of the authentication to accept.",
            id="pingone.E042",
        )


def check_acr_values(where: str, options: Mapping[str, Any], values: Mapping[str, Any]) -> Iterator[CheckMessage]:
    acr = values["ACR_VALUES"]
    if acr is not None and (not isinstance(acr, str) or not _policy_names(acr)):
        yield Error(
            f"{where}['ACR_VALUES'] is not a space-separated string of sign-on policy names.",
            hint="Use None (PingOne's default policy for the application) or e.g. 'Multi_Factor'.",
            id="pingone.E043",
        )


SIGN_ON_CHECKS: tuple[AliasCheck, ...] = (check_allowed_acr_values, check_prompt, check_max_age, check_acr_values)


@register(Tags.security)
def check_sign_on_requirements(*, app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    return _each_alias(SIGN_ON_CHECKS)
