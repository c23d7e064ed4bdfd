"""What a view needs of the session's sign-on (``@pingone_required(...)`` and ``PingOneRequiredMixin``, in
``decorators.py`` and ``mixins.py``), and the step-up that gets it.

A view that needs a stronger (``acr``) or fresher (``max_age``) sign-on than the session has sends the
browser to ``pingone:login`` with ``next`` = the view's full path and ``step_up`` = a short-lived value
signed by this site (``django.core.signing``) carrying what is needed. The login view trusts only that
signed value (the browser cannot weaken it: a changed or dropped value is refused, or just gives a sign-on
that the view will step up again), asks PingOne for it (``acr_values``, ``max_age``, ``prompt=login``), and
the callback checks the ID token's ``acr``/``auth_time`` against it (``id_token.py``). The view itself decides
from what the session's last sign-on proved (``sessions.token_store.get_sign_on_facts``).

Script callers (``Accept: application/json`` or ``X-Requested-With: XMLHttpRequest``) get JSON instead of a
redirect: 401 ``login_required`` when nobody is signed on, 403 ``step_up_required`` when the sign-on is not
strong or fresh enough, both naming what is needed and where to sign on (``login_url``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from django_pingone_authorize.conf import DEFAULT_ALIAS, POLICY_NAME, get_alias
from django_pingone_authorize.errors import SignOnError
from django_pingone_authorize.oidc.authorize import SignOnRequirement
from django_pingone_authorize.pages import wants_json
from django_pingone_authorize.sessions.token_store import SignOnFacts, get_sign_on_facts

STEP_UP_FIELD = "step_up"
STEP_UP_SALT = "django_pingone_authorize.sign_on.requirements"
# The signed requirement travels from the view to the login view in one redirect: minutes are plenty.
STEP_UP_TOKEN_MAX_AGE = 300
_MAX_TOKEN_LENGTH = 2048


def view_policies(acr: str | Sequence[str] | None) -> tuple[str, ...]:
    """The sign-on policies a view asks for (``@pingone_required(acr=...)``), checked and without repeats."""
    names = tuple(acr.split()) if isinstance(acr, str) else tuple(acr or ())
    for name in names:
        if not isinstance(name, str) or not POLICY_NAME.match(name):
            raise ImproperlyConfigured(f"pingone_required: {name!r} is not a sign-on policy name.")
    return tuple(dict.fromkeys(names))


# -- the signed requirement (view -> login view) -----------------------------------------------------


def make_step_up(alias: str, requirement: SignOnRequirement) -> str:
    """The signed ``step_up`` value for ``pingone:login`` of ``alias``."""
    payload = {
        "alias": alias,
        "acr": list(requirement.acr_values),
        "max_age": requirement.max_age,
        "login": requirement.prompt_login,
    }
    return signing.dumps(payload, salt=STEP_UP_SALT, compress=False)


def read_step_up(token: str, alias: str) -> SignOnRequirement:
    """The requirement in a ``step_up`` value made for ``alias``; ``SignOnError`` (400) when it is not one."""
    refused = SignOnError(
        "bad_step_up", _("This request for a stronger sign-on is invalid or has expired. Please go back and try again.")
    )
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_LENGTH:
        raise refused
    try:
        payload = signing.loads(token, salt=STEP_UP_SALT, max_age=STEP_UP_TOKEN_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        raise refused from None
    if not isinstance(payload, dict) or payload.get("alias") != alias:
        raise refused
    acr, max_age, login = payload.get("acr"), payload.get("max_age"), payload.get("login")
    if not isinstance(acr, list) or not all(isinstance(name, str) and POLICY_NAME.match(name) for name in acr):
        raise refused
    if max_age is not None and (not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 0):
        raise refused
    if not isinstance(login, bool):
        raise refused
    return SignOnRequirement(acr_values=tuple(acr), max_age=max_age, prompt_login=login)


# -- what a view needs ---------------------------------------------------------------------------------


def _now() -> float:
    return time.time()


@dataclass(frozen=True)
class ViewRequirement:
    """What a view asks of the session's PingOne sign-on."""

    acr_values: tuple[str, ...] = ()
    max_age: int | None = None
    alias: str | None = None
    prompt_login: bool = False

    def __post_init__(self) -> None:
        if self.max_age is not None and (not isinstance(self.max_age, int) or self.max_age < 0):
            raise ImproperlyConfigured("pingone_required: max_age must be a whole number of seconds, 0 or more.")

    @property
    def sign_on_alias(self) -> str:
        return self.alias or DEFAULT_ALIAS

    def is_met_by(self, facts: SignOnFacts | None) -> bool:
        """Whether the session's last sign-on (``facts``) is strong and fresh enough."""
        if facts is None or facts.alias != self.sign_on_alias:
            return False
        if self.acr_values and facts.acr not in self.acr_values:
            return False
        if self.max_age is not None:
            # The alias's clock leeway, as for the ID token: max_age=0 is met right after a new sign-on.
            leeway = get_alias(self.sign_on_alias).LEEWAY
            if facts.auth_time is None or facts.auth_time < _now() - self.max_age - leeway:
                return False
        return True

    def login_url(self, request: HttpRequest) -> str:
        """``pingone:login`` for the alias, back to this page, carrying the signed requirement if any."""
        alias = self.sign_on_alias
        path = reverse("pingone:login", args=[alias]) if alias != DEFAULT_ALIAS else reverse("pingone:login")
        query = {"next": request.get_full_path()}
        if self.acr_values or self.max_age is not None or self.prompt_login:
            requirement = SignOnRequirement(self.acr_values, self.max_age, self.prompt_login)
            query[STEP_UP_FIELD] = make_step_up(alias, requirement)
        return f"{path}?{urlencode(query)}"

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        """None when the view may run; otherwise the answer that starts the step-up."""
        signed_on = bool(getattr(request, "user", None) and request.user.is_authenticated)
        if signed_on and self.is_met_by(get_sign_on_facts(request.session)):
            return None
        url = self.login_url(request)
        if wants_json(request):
            body: dict[str, Any] = {
                "error": "step_up_required" if signed_on else "login_required",
                "acr_values": list(self.acr_values),
                "max_age": self.max_age,
                "prompt": "login" if self.prompt_login else None,
                "login_url": url,
            }
            response: HttpResponse = JsonResponse(body, status=403 if signed_on else 401)
        elif get_alias(self.sign_on_alias).ALLOW_GET_LOGIN:
            response = HttpResponseRedirect(url)
        else:
            # GET sign-ons are off for this alias: the same request as a self-submitting POST with CSRF.
            path, _, query = url.partition("?")
            fields = [*parse_qsl(query, keep_blank_values=True), ("csrfmiddlewaretoken", get_token(request))]
            response = render(
                request,
                "django_pingone_authorize/authorize_post.html",
                {"action": path, "fields": fields, "config": get_alias(self.sign_on_alias)},
            )
        response["Cache-Control"] = "max-age=0, no-cache, no-store, must-revalidate, private"
        return response
