"""Decorators for a site's views, as ``django.contrib.auth.decorators`` has them.

* ``@pingone_required``: a session signed on through PingOne, by a strong (``acr``) or fresh (``max_age``)
  enough sign-on, else a step-up (``sign_on/requirements.py``);
* ``@approval_required``: PingOne's approval of one action's details (``approval/``);
* ``@pingone_token_required``: a plain Django view that only PingOne access tokens may call (``api/``)::

    @pingone_token_required(scopes=["orders:read"])
    def orders(request):
        return JsonResponse({"caller": request.user.get_username(), "scopes": sorted(request.pingone_token.scopes)})

The view runs with ``request.pingone_token`` (the ``AccessToken``) and ``request.user`` (the Django user of the
token, or a ``PingOneClient``); anything else gets RFC 6750's JSON answer (401 without or with a bad token,
403 ``insufficient_scope``). The view is CSRF-exempt: its credentials are the Authorization header.

* ``login_not_required``: Django's own (5.1+), or on Django 4.2 a stand-in that marks the view the same way
  (``view.login_required = False``), so a view stays open under ``LoginRequiredMiddleware`` on every version.
  The app's own pages a visitor reaches before signing on are marked in ``urls.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar, overload

from django.contrib.auth import decorators as auth_decorators
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from django_pingone_authorize.api.access_tokens import AccessTokenError, require_scopes
from django_pingone_authorize.api.bearer import authenticate_bearer, token_error_response
from django_pingone_authorize.approval import Approval, consume_approval, request_approval
from django_pingone_authorize.approval.request import VIEW_ATTRIBUTE
from django_pingone_authorize.sign_on.requirements import ViewRequirement, view_policies

__all__ = ["approval_required", "login_not_required", "pingone_required", "pingone_token_required"]

ViewFunction = Callable[..., HttpResponseBase]
Variables = Mapping[str, Any] | Callable[[HttpRequest], Mapping[str, Any]]

View = TypeVar("View", bound=Callable[..., HttpResponse])
AnyView = TypeVar("AnyView", bound=Callable[..., Any])


def _mark_login_not_required(view: AnyView) -> AnyView:
    """Django < 5.1 has no ``LoginRequiredMiddleware``; mark the view as 5.1's decorator does, for back-ports."""
    view.login_required = False  # type: ignore[attr-defined]
    return view


login_not_required: Callable[[AnyView], AnyView] = getattr(
    auth_decorators, "login_not_required", _mark_login_not_required
)


@overload
def pingone_token_required(view: View, /) -> View: ...


@overload
def pingone_token_required(
    view: None = None, /, *, scopes: Iterable[str] = (), alias: str | None = None, realm: str = "api"
) -> Callable[[View], View]: ...


def pingone_token_required(
    view: Callable[..., HttpResponse] | None = None,
    /,
    *,
    scopes: Iterable[str] = (),
    alias: str | None = None,
    realm: str = "api",
) -> Any:
    """Require a valid PingOne access token for ``alias`` (``"default"``) holding every one of ``scopes``."""
    wanted = tuple(scopes)

    def decorate(function: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(function)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                token = authenticate_bearer(request, alias)
                if token is None:
                    raise AccessTokenError("", "An access token is required.")
                require_scopes(token, wanted)
            except AccessTokenError as error:
                return token_error_response(error, realm)
            return function(request, *args, **kwargs)

        return csrf_exempt(wrapper)

    return decorate(view) if view is not None else decorate


def pingone_required(
    view: ViewFunction | None = None,
    *,
    acr: str | Sequence[str] | None = None,
    max_age: int | None = None,
    alias: str | None = None,
    prompt_login: bool = False,
) -> Any:
    """Run the view only for a session signed on through PingOne (``alias``, default ``"default"``) by
    one of the ``acr`` policies, at most ``max_age`` seconds ago; otherwise step up (``prompt_login``:
    the step-up sign-on also sends ``prompt=login``). Use bare (``@pingone_required``) or with options."""
    requirement = ViewRequirement(view_policies(acr), max_age, alias, prompt_login)

    def decorator(view_function: ViewFunction) -> ViewFunction:
        @functools.wraps(view_function)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            refusal = requirement.refusal(request)
            if refusal is not None:
                return refusal
            return view_function(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator


def _variables_of(variables: Variables, request: HttpRequest) -> Mapping[str, Any]:
    return variables(request) if callable(variables) else variables


def approval_or_request(
    request: HttpRequest, *, template: str, variant: str, variables: Mapping[str, Any], alias: str | None
) -> Approval | HttpResponseBase:
    """The session's approval of exactly these details, used up; else the response that asks PingOne for it and
    comes back to this URL (what ``@approval_required`` and ``ApprovalRequiredMixin`` both do)."""
    approval = consume_approval(request, template=template, variant=variant, variables=variables)
    if approval is not None:
        return approval
    return request_approval(
        request, template=template, variant=variant, variables=variables, next=request.get_full_path(), alias=alias
    )


def approval_required(
    *, template: str, variant: str, variables: Variables, alias: str | None = None
) -> Callable[[ViewFunction], ViewFunction]:
    """Run the view only with PingOne's approval of these details (``variables``: a dict, or a function of
    the request giving one); otherwise ask for it and come back to the same URL. The view finds the approval
    as ``request.pingone_approval``. For a view reached by GET: the browser comes back with a GET. ``alias``:
    the alias approvals run under (default: ``PINGONE_AUTHORIZE_APPROVAL_ALIAS``, else ``default``), never the
    one the visitor signed on with."""

    def decorator(view_function: ViewFunction) -> ViewFunction:
        @functools.wraps(view_function)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            values = _variables_of(variables, request)
            approval = approval_or_request(request, template=template, variant=variant, variables=values, alias=alias)
            if not isinstance(approval, Approval):
                return approval
            request.pingone_approval = approval  # type: ignore[attr-defined]
            return view_function(request, *args, **kwargs)

        setattr(wrapper, VIEW_ATTRIBUTE, alias)  # for the checks (pingone.E093)
        return wrapper

    return decorator
