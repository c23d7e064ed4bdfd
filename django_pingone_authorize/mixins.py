"""Mixins for a site's class-based views, as ``django.contrib.auth.mixins`` has them: ``PingOneRequiredMixin``
(``@pingone_required``) and ``ApprovalRequiredMixin`` (``@approval_required``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from django_pingone_authorize.approval import Approval
from django_pingone_authorize.decorators import approval_or_request
from django_pingone_authorize.sign_on.requirements import ViewRequirement, view_policies

if TYPE_CHECKING:
    from django.views import View

    _MixinBase = View
else:
    _MixinBase = object

__all__ = ["ApprovalRequiredMixin", "PingOneRequiredMixin"]


class PingOneRequiredMixin(_MixinBase):
    """``pingone_required`` for class-based views: set ``pingone_acr``, ``pingone_max_age``,
    ``pingone_alias`` and ``pingone_prompt_login`` (or override ``get_pingone_requirement``)."""

    pingone_acr: str | Sequence[str] | None = None
    pingone_max_age: int | None = None
    pingone_alias: str | None = None
    pingone_prompt_login: bool = False

    def get_pingone_requirement(self) -> ViewRequirement:
        return ViewRequirement(
            view_policies(self.pingone_acr), self.pingone_max_age, self.pingone_alias, self.pingone_prompt_login
        )

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        refusal = self.get_pingone_requirement().refusal(request)
        if refusal is not None:
            return refusal
        return super().dispatch(request, *args, **kwargs)


class ApprovalRequiredMixin(_MixinBase):
    """``approval_required`` for class-based views: set ``approval_template`` and ``approval_variant`` and
    override ``get_approval_variables``; the view finds the approval as ``self.approval``."""

    approval_template: str = "transaction"
    approval_variant: str = ""
    approval_alias: str | None = None
    approval: Approval | None = None

    def get_approval_variables(self) -> Mapping[str, Any]:
        raise ImproperlyConfigured(f"{type(self).__name__} must define get_approval_variables().")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        approval = approval_or_request(
            request,
            template=self.approval_template,
            variant=self.approval_variant,
            variables=self.get_approval_variables(),
            alias=self.approval_alias,
        )
        if not isinstance(approval, Approval):
            return approval
        self.approval = approval
        return super().dispatch(request, *args, **kwargs)
