"""URLs for tests/approval/test_transaction_approval.py: a money transfer that needs PingOne's approval, asked with
``request_approval``/``consume_approval``, with ``@approval_required`` and with ``ApprovalRequiredMixin``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views import View

from django_pingone_authorize import ApprovalRequiredMixin, approval_required, consume_approval, request_approval


def details(data: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(data.get(name, "")) for name in ("sum", "currency", "recipient")}


def home(request: HttpRequest) -> HttpResponse:
    who = request.user.get_username() if request.user.is_authenticated else "anonymous"
    return HttpResponse(f"home: {who}")


def transfer(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponse("transfer form")
    variables = details(request.POST)
    return request_approval(
        request,
        template="transaction",
        variant="money_transfer",
        variables=variables,
        next=f"/transfer/done/?{urlencode(variables)}",
        back_url="/transfer/",
    )


def transfer_done(request: HttpRequest) -> HttpResponse:
    variables = details(request.GET)
    approval = consume_approval(request, template="transaction", variant="money_transfer", variables=variables)
    if approval is None:
        return HttpResponse("not approved", status=403)
    return HttpResponse("transferred {sum} {currency} to {recipient}".format(**approval.variables))


@approval_required(template="transaction", variant="money_transfer", variables=lambda request: details(request.GET))
def decorated(request: HttpRequest) -> HttpResponse:
    approval = request.pingone_approval  # type: ignore[attr-defined]
    return HttpResponse("decorated {sum} {currency} to {recipient}".format(**approval.variables))


class MixinView(ApprovalRequiredMixin, View):
    approval_variant = "money_transfer"

    def get_approval_variables(self) -> dict[str, str]:
        return details(self.request.GET)

    def get(self, request: HttpRequest) -> HttpResponse:
        assert self.approval is not None
        return HttpResponse("mixin {sum} {currency} to {recipient}".format(**self.approval.variables))


urlpatterns = [
    path("pingone/", include("django_pingone_authorize.urls")),
    path("home/", home),
    path("transfer/", transfer),
    path("transfer/done/", transfer_done),
    path("decorated/", decorated),
    path("mixin/", MixinView.as_view()),
    path("", home),
]
