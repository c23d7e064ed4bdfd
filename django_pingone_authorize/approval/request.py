"""Asking PingOne to approve one action: an embedded (``pi.flow``) authorize request for the signed-on user,
started server-side.

* ``login_hint_token`` (HS256 with the client secret: ``iss`` = client_id, ``sub`` = the user's PingOne id
  from the (issuer, sub) identity table, ``aud`` = the issuer) names the user: no username or password step;
* a signed ``request`` object (the alias's REQUEST_OBJECT_ALGORITHM, else HS256 with the secret) carries
  ``pi.template`` (``{"name", "variant", "variables"}``: what the notification shows), ``pi.remoteIp`` (the
  end user's address, ``sign_on/client_ip.py``) and the sign-on policy (APPROVAL_ACR_VALUES, else ACR_VALUES).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import jwt
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.approval import pending
from django_pingone_authorize.approval.pending import PendingApproval, save
from django_pingone_authorize.approval.transaction import Transaction
from django_pingone_authorize.conf import DEFAULT_ALIAS, AliasConfig, get_alias
from django_pingone_authorize.errors import SignOnError
from django_pingone_authorize.oidc import authorize
from django_pingone_authorize.pages import failure_response
from django_pingone_authorize.provider import flows_api
from django_pingone_authorize.provider.discovery import ProviderMetadata, get_metadata
from django_pingone_authorize.redirects import callback_uri, safe_next_url
from django_pingone_authorize.sign_on.client_ip import client_ip
from django_pingone_authorize.sign_on.pending import new_pending

logger = logging.getLogger(__name__)

LOGIN_HINT_TOKEN_LIFETIME = 300


# The site's approval alias, when not ``default`` (a project setting, like PINGONE_AUTHORIZE_CIRCUIT_BREAKER).
APPROVAL_ALIAS_SETTING = "PINGONE_AUTHORIZE_APPROVAL_ALIAS"
# The attribute ``approval_required`` sets on the views it wraps: the alias they ask through (None: the
# site's). The checks find the views in the URLconf by it (pingone.E093).
VIEW_ATTRIBUTE = "pingone_approval_alias"


def site_approval_alias() -> str:
    """``PINGONE_AUTHORIZE_APPROVAL_ALIAS``, else ``default``."""
    value = getattr(settings, APPROVAL_ALIAS_SETTING, None)
    return value if isinstance(value, str) and value else DEFAULT_ALIAS


def approval_alias(request: HttpRequest, alias: str | None) -> str:
    """The alias to ask: the given one (the view's ``alias=``), else the site's (``PINGONE_AUTHORIZE_APPROVAL_ALIAS``,
    else ``default``). Never the one the session signed on with: the visitor would choose the policy that
    approves (a second sign-on button of the same environment, asking no ``acr_values``)."""
    return alias or site_approval_alias()


def user_subject(request: HttpRequest, issuer: str) -> str | None:
    """The signed-on user's PingOne ``sub`` at ``issuer`` (the identity table), or None."""
    from django_pingone_authorize.models import PingOneIdentity  # the models need the app registry

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    subjects = list(PingOneIdentity.objects.filter(user=user, issuer=issuer).values_list("subject", flat=True)[:2])
    return subjects[0] if len(subjects) == 1 else None


@sensitive_variables()  # the client secret
def login_hint_token(config: AliasConfig, metadata: ProviderMetadata, subject: str) -> str:
    """PingOne's ``login_hint_token``: HS256 with the client secret naming the user by their PingOne id."""
    if not config.CLIENT_SECRET:
        logger.error("Transaction approval needs the CLIENT_SECRET of alias %s (login_hint_token)", config.alias)
        raise SignOnError("approval_unavailable", _("This site cannot ask for approvals right now."))
    now = int(pending.now())
    claims = {
        "iss": config.CLIENT_ID,
        "sub": subject,
        "aud": metadata.issuer,
        "iat": now,
        "exp": now + LOGIN_HINT_TOKEN_LIFETIME,
        "jti": authorize.random_token(),
    }
    return jwt.encode(claims, config.CLIENT_SECRET, algorithm="HS256")


def approval_acr_values(config: AliasConfig) -> tuple[str, ...]:
    """The sign-on policies an approval asks for: APPROVAL_ACR_VALUES, else the alias's ACR_VALUES."""
    return tuple(config.APPROVAL_ACR_VALUES.split()) if config.APPROVAL_ACR_VALUES else config.fixed_acr_values


@sensitive_variables()  # the PKCE verifier, the client secret, the tokens signed with it
def authorize_request(
    request: HttpRequest,
    config: AliasConfig,
    metadata: ProviderMetadata,
    approval: PendingApproval,
    transaction: Transaction,
    client_context: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The authorize parameters of an approval: the signed request object carries everything, and the
    ``login_hint_token`` goes top-level too, as Ping's own transaction-approval example sends it (whether PingOne
    reads it inside the request object is not documented)."""
    params = {
        "response_type": "code",
        "client_id": config.CLIENT_ID,
        "redirect_uri": approval.redirect_uri,
        "response_mode": "pi.flow",
        "scope": "openid",
        "state": approval.state,
        "nonce": approval.nonce,
        "code_challenge": authorize.code_challenge(approval.code_verifier),
        "code_challenge_method": "S256",
        "login_hint_token": login_hint_token(config, metadata, approval.subject),
    }
    if approval.acr_values:
        params["acr_values"] = " ".join(approval.acr_values)
    claims: dict[str, object] = {"pi.template": transaction.as_template_claim()}
    remote_ip = client_ip(request, config.TRUSTED_PROXIES)
    if remote_ip:
        claims["pi.remoteIp"] = remote_ip
    if client_context:
        claims["pi.clientContext"] = dict(client_context)
    algorithm = config.REQUEST_OBJECT_ALGORITHM or "HS256"
    signed = authorize.request_object(config, metadata, params, extra_claims=claims, algorithm=algorithm)
    return {
        "client_id": config.CLIENT_ID,
        "response_type": "code",
        "response_mode": "pi.flow",
        "scope": "openid",
        "request": signed,
        "login_hint_token": params["login_hint_token"],
    }


def approval_url(state: str) -> str:
    return reverse("pingone:approval", args=[state])


@sensitive_variables("approval", "params", "cookies")
def request_approval(
    request: HttpRequest,
    *,
    template: str,
    variant: str,
    variables: Mapping[str, Any],
    next: str | None = None,
    back_url: str | None = None,
    alias: str | None = None,
    client_context: Mapping[str, str] | None = None,
) -> HttpResponse:
    """Start PingOne's approval of one action for the signed-on user and send the browser to its first step.

    ``next`` (a local URL, default: this request's) is where the browser goes once PingOne approved; the view
    there calls ``consume_approval`` with the same details. ``back_url`` is the error page's way back (default
    ``next``). A user who is not signed on through PingOne (no identity at this issuer) gets a 403 page."""
    next_url = safe_next_url(request, next) or request.get_full_path()
    back = safe_next_url(request, back_url) or next_url
    config = get_alias(approval_alias(request, alias))
    if not approval_acr_values(config):
        logger.warning(
            "Transaction approval through alias %s asks no sign-on policy (APPROVAL_ACR_VALUES / ACR_VALUES)",
            config.alias,
        )
    try:
        transaction = Transaction.of(template, variant, variables)
        metadata = get_metadata(config)
        subject = user_subject(request, metadata.issuer)
        if subject is None:
            raise SignOnError(
                "approval_not_signed_on", _("Sign on with PingOne before approving this action."), status=403
            )
        # Fresh state, nonce and PKCE verifier, made as for a sign-on.
        seed = new_pending(config, redirect_uri=callback_uri(request, config), next_url=None, max_age=None)
        approval = PendingApproval(
            state=seed.state,
            nonce=seed.nonce,
            code_verifier=seed.code_verifier,
            alias=config.alias,
            redirect_uri=seed.redirect_uri,
            user_id=str(request.user.pk),
            subject=subject,
            template=transaction.template,
            variant=transaction.variant,
            variables=dict(transaction.variables),
            digest=transaction.digest,
            next_url=next_url,
            back_url=back,
            acr_values=approval_acr_values(config),
        )
        params = authorize_request(request, config, metadata, approval, transaction, client_context)
        approval.flow, approval.flow_cookies = flows_api.start(config, metadata, params)
    except SignOnError as error:
        return failure_response(request, error, config.alias, back_url=back)
    approval.expires = approval.created + config.PENDING_TTL
    save(request.session, approval)
    return HttpResponseRedirect(approval_url(approval.state))
