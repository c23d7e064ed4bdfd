import re
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse

from django_pingone_authorize import (
    consume_approval,
    get_sign_on_facts,
    get_tokens,
    pingone_required,
    request_approval,
)


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "home.html",
        {
            "aliases": list(settings.PINGONE_AUTHORIZE),
            "signed_on_with": get_tokens(request.session).get("alias"),
            "using_standin": settings.USING_STANDIN,
        },
    )


@pingone_required(acr="Multi_Factor")
def secure(request: HttpRequest) -> HttpResponse:
    """A page behind the Multi_Factor sign-on policy: a single-factor session is stepped up first."""
    return render(request, "secure.html", {"facts": get_sign_on_facts(request.session)})


_AMOUNT = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,2})?$")


def _transfer_details(data: QueryDict) -> dict[str, str] | None:
    """The transfer's amount, currency and recipient from a form or query, or None when they are not valid."""
    details = {name: str(data.get(name, "")).strip()[:64] for name in ("sum", "currency", "recipient")}
    if not _AMOUNT.match(details["sum"]) or not details["currency"].isalpha() or not details["recipient"]:
        return None
    return details


@login_required(login_url="/")
def transfer(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST: ask PingOne to approve exactly this transfer; it comes back to transfer_done."""
    if request.method == "POST":
        details = _transfer_details(request.POST)
        if details is not None:
            return request_approval(
                request,
                template="transaction",
                variant="money_transfer",
                variables=details,
                next=f"{reverse('transfer_done')}?{urlencode(details)}",
                back_url=reverse("transfer"),
            )
    return render(request, "transfer.html", {})


@login_required(login_url="/")
def transfer_done(request: HttpRequest) -> HttpResponse:
    """Carries out the transfer only with PingOne's approval of these very details, once."""
    details = _transfer_details(request.GET)
    approval = details and consume_approval(
        request, template="transaction", variant="money_transfer", variables=details
    )
    if not approval:
        return render(request, "transfer.html", {"refused": True}, status=403)
    return render(request, "transfer.html", {"done": approval.variables, "approval": approval})


SPA = Path(__file__).resolve().parent / "spa"


def spa_page(request: HttpRequest) -> HttpResponse:
    """The single-page example (``spa/index.html``): static, its script beside it; it signs on via the headless API."""
    return HttpResponse((SPA / "index.html").read_bytes(), content_type="text/html; charset=utf-8")


def spa_script(request: HttpRequest) -> HttpResponse:
    return HttpResponse((SPA / "app.js").read_bytes(), content_type="text/javascript; charset=utf-8")
