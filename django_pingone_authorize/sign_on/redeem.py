"""Redeeming an authorization response, for a sign-on and a transaction approval alike: the resume of a
``pi.flow`` flow (``resumed``), then ``redeem``: the issuer (RFC 9207), an error response, the code exchange
and the ID token checked against what the authorization asked. Every failure is a ``SignOnError``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.oidc.authorization_response import (
    authorization_code,
    check_error,
    check_issuer,
    check_state,
)
from django_pingone_authorize.oidc.id_token import validate_id_token
from django_pingone_authorize.provider import flows_api
from django_pingone_authorize.provider.discovery import ProviderMetadata, get_metadata
from django_pingone_authorize.provider.token_endpoint import TokenResponse, exchange_code
from django_pingone_authorize.sign_on.pending_store import PendingAuthorization


@dataclass(frozen=True)
class Redeemed:
    """The ID token's checked claims and the tokens (its repr hides them), with the provider's metadata."""

    claims: dict[str, Any]
    tokens: TokenResponse
    metadata: ProviderMetadata


@sensitive_variables()  # the code, PingOne's cookie
def resumed(config: AliasConfig, pending: PendingAuthorization) -> dict[str, str]:
    """A finished flow's authorization response (its resume URL), which must carry this authorization's state."""
    assert pending.flow is not None
    params = flows_api.resume(config, pending.flow, pending.flow_cookies)
    check_state(params, pending.state)
    return params


# Every local, and every frame below without a decorator of its own (the ID token's validation, PyJWT with
# an HS* key): the code, the tokens.
@sensitive_variables()
def redeem(
    config: AliasConfig,
    pending: PendingAuthorization,
    params: dict[str, str],
    *,
    max_age: int | None = None,
    acr_values: tuple[str, ...] = (),
    login_since: float | None = None,
) -> Redeemed:
    """From an authorization response matched to ``pending`` (by its ``state``) to checked ID token claims."""
    metadata = get_metadata(config)
    check_issuer(config, metadata, params.get("iss"))
    check_error(params)
    tokens = exchange_code(
        config,
        metadata,
        code=authorization_code(params),
        redirect_uri=pending.redirect_uri,
        code_verifier=pending.code_verifier,
    )
    claims = validate_id_token(
        config,
        metadata,
        tokens.id_token,
        nonce=pending.nonce,
        access_token=tokens.access_token,
        max_age=max_age,
        acr_values=acr_values,
        login_since=login_since,
    )
    return Redeemed(claims, tokens, metadata)
