"""Issue 22, item 1: the policy that approves is the site's, never the visitor's.

Attacks against the stand-in over real HTTP: a user who signs on through a second button (alias) of the same
environment, which asks no ``acr_values``, still gets the site's approval policy asked; an approval whose ID
token names another policy than the one asked is never consumed; and the check (``pingone.E093``) for an alias
that runs approvals with no policy at all.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from django_pingone_authorize.approval import consume_approval
from django_pingone_authorize.approval.pending import PendingApproval, save
from django_pingone_authorize.approval.transaction import Transaction
from django_pingone_authorize.checks import check_approval_policies
from django_pingone_authorize.testing import PingOneStandIn
from tests.approval.test_transaction_approval import CALLBACK, CODE, DONE, SECRET, TRANSFER, approval_flow, ask

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.approval.urls")]

POLICY = "Multi_Factor"


@pytest.fixture
def standin(pingone_standin: PingOneStandIn, settings: Any) -> PingOneStandIn:
    pingone_standin.add_user("ann", "ann-pw-123", sub="ann-sub", claims={"preferred_username": "ann"})
    pingone_standin.add_client("approval-client", SECRET, name="Bank")
    pingone_standin.add_client("second-client", SECRET + "-2", name="Bank (second button)")
    settings.PINGONE_AUTHORIZE = {
        "default": pingone_standin.settings(
            "approval-client", RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK, APPROVAL_ACR_VALUES=POLICY
        ),
        # A second sign-on button of the same environment, with no policy of its own.
        "second": pingone_standin.settings("second-client", RESPONSE_MODE="pi.flow", REDIRECT_URI=CALLBACK),
    }
    return pingone_standin


def sign_on_through(client: Client, alias: str) -> None:
    started = client.post(f"/pingone/login/{alias}/")
    assert started.status_code == 302, started.content
    done = client.post(
        started["Location"], {"action": "usernamePassword.check", "username": "ann", "password": "ann-pw-123"}
    )
    assert done.status_code == 302, done.content
    assert client.get("/home/").content == b"home: ann"


def test_a_second_sign_on_button_does_not_choose_the_approval_policy(client: Client, standin: PingOneStandIn) -> None:
    sign_on_through(client, "second")
    standin.add_device("ann", "EMAIL", otp=CODE)
    url = ask(client, sum="4000")
    # The site's alias and its policy were asked, not the alias the visitor signed on with.
    assert standin.flows[approval_flow(standin)].request.acr_values == (POLICY,)
    assert standin.flows[approval_flow(standin)].request.client_id == "approval-client"
    assert client.post(url, {"action": "otp.check", "otp": CODE}).status_code == 302
    approved = f"/transfer/done/?sum=4000&currency={TRANSFER['currency']}&recipient=J.+Smith"
    assert client.get(approved).status_code == 200


def approved_record(user: Any, *, acr: str | None, acr_values: tuple[str, ...]) -> PendingApproval:
    transaction = Transaction.of("transaction", "money_transfer", TRANSFER)
    return PendingApproval(
        state="s" * 43,
        nonce="n",
        code_verifier="v",
        alias="default",
        redirect_uri=CALLBACK,
        user_id=str(user.pk),
        subject="ann-sub",
        template=transaction.template,
        variant=transaction.variant,
        variables=dict(transaction.variables),
        digest=transaction.digest,
        next_url=DONE,
        back_url="/",
        acr_values=acr_values,
        expires=2**40,
        approved_at=1.0,
        acr=acr,
    )


@pytest.mark.parametrize("acr", [None, "Single_Factor"])
def test_an_approval_by_another_policy_is_not_consumed(rf: Any, standin: PingOneStandIn, acr: str | None) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    user = get_user_model().objects.create_user("ann")
    request = rf.get(DONE)
    request.user, request.session = user, SessionStore()
    save(request.session, approved_record(user, acr=acr, acr_values=(POLICY,)))
    assert consume_approval(request, template="transaction", variant="money_transfer", variables=TRANSFER) is None
    save(request.session, approved_record(user, acr=POLICY, acr_values=(POLICY,)))
    assert consume_approval(request, template="transaction", variant="money_transfer", variables=TRANSFER)


GOOD = {"AUTH_PATH": "https://auth.pingone.eu", "ENV_ID": "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6", "CLIENT_ID": "c"}


def test_an_alias_that_runs_approvals_without_a_policy_is_a_check_error() -> None:
    # tests.approval.urls has approval_required and ApprovalRequiredMixin views on the site's alias.
    with override_settings(PINGONE_AUTHORIZE={"default": {**GOOD, "CLIENT_SECRET": "s"}}):
        found = check_approval_policies()
    assert len(found) == 1 and found[0].hint and "APPROVAL_ACR_VALUES" in found[0].hint
    with override_settings(PINGONE_AUTHORIZE={"default": {**GOOD, "APPROVAL_ACR_VALUES": POLICY}}):
        assert check_approval_policies() == []
    with override_settings(
        PINGONE_AUTHORIZE={"default": {**GOOD, "APPROVAL_ACR_VALUES": POLICY}},
        PINGONE_AUTHORIZE_APPROVAL_ALIAS="missing",
    ):
        assert [m.id for m in check_approval_policies()] == ["pingone.E093"]


@pytest.mark.urls("tests.urls")
def test_a_site_without_approval_views_needs_no_policy() -> None:
    with override_settings(PINGONE_AUTHORIZE={"default": GOOD}):
        assert check_approval_policies() == []
