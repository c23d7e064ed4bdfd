"""The back-channel half of a sign-on: the code exchange at ``/as/token`` and the optional userinfo call; and
``post_authenticated``, the one client-authenticated POST every grant and client call goes through (code
exchange, refresh, client credentials, the worker token, introspection, revocation, PAR)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.errors import ProviderError, TokenValidationError
from django_pingone_authorize.provider import client_auth
from django_pingone_authorize.provider.discovery import ProviderMetadata
from django_pingone_authorize.provider.http import request_json

MAX_CODE_LENGTH = 2048


@dataclass(frozen=True)
class TokenResponse:
    # Bearer credentials: kept out of the repr (error reports show locals, debug logs show reprs).
    id_token: str = field(repr=False)
    access_token: str | None = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_in: int | None
    scope: str | None


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ProviderError("token_bad_response", _("The identity provider's token answer was malformed."))
    return value


@sensitive_variables()
def post_authenticated(
    config: AliasConfig,
    endpoint: str,
    data: Mapping[str, str],
    *,
    what: str,
    audience: str | None = None,
    expect: tuple[int, ...] = (200,),
    counted: bool = True,
) -> dict[str, Any]:
    """POST the form ``data`` to ``endpoint`` with the client's authentication (``config``'s
    ``TOKEN_ENDPOINT_AUTH_METHOD``; ``audience`` of a client assertion: the endpoint unless given) and return
    the JSON answer. ``counted``: whether PingOne's failures here count for the circuit breaker (False when the
    visitor shapes what is sent: ``circuit_breaker``)."""
    form = dict(data)
    headers: dict[str, str] = {}
    client_auth.authenticate(config, form, headers, audience=audience or endpoint)
    body, _response = request_json(
        "POST",
        endpoint,
        timeout=config.TIMEOUT,
        what=what,
        data=form,
        headers=headers,
        expect=expect,
        counted=counted,
    )
    return body


# Every local of these two is hidden from error reports, and so is every frame below them that has no
# decorator of its own (``client.py``, ``requests``): the code, the client's credentials, the tokens.
@sensitive_variables()
def exchange_code(
    config: AliasConfig, metadata: ProviderMetadata, *, code: str, redirect_uri: str, code_verifier: str
) -> TokenResponse:
    """Trade the authorization code (with the same redirect URI and the PKCE verifier) for tokens."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    body = post_authenticated(config, metadata.token_endpoint, data, what="token request")
    id_token = body.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise ProviderError("token_no_id_token", _("The identity provider did not send an ID token."))
    access_token = _optional_str(body, "access_token")
    if access_token is not None and not (access_token.isascii() and access_token.isprintable()):
        # RFC 6749 §A.12: 1*VSCHAR. Anything else could not be hashed for at_hash nor sent as a Bearer header.
        raise ProviderError("token_bad_response", _("The identity provider's token answer was malformed."))
    token_type = body.get("token_type")
    if access_token is not None and (not isinstance(token_type, str) or token_type.lower() != "bearer"):
        raise ProviderError("token_bad_type", _("The identity provider sent an unsupported token type."))
    expires_in = body.get("expires_in")
    return TokenResponse(
        id_token=id_token,
        access_token=access_token,
        refresh_token=_optional_str(body, "refresh_token"),
        expires_in=expires_in if isinstance(expires_in, int) and not isinstance(expires_in, bool) else None,
        scope=body.get("scope") if isinstance(body.get("scope"), str) else None,
    )


@sensitive_variables()
def fetch_userinfo(
    config: AliasConfig, metadata: ProviderMetadata, *, access_token: str, subject: str
) -> dict[str, Any]:
    """Claims from the userinfo endpoint; its ``sub`` must be the ID token's (OIDC Core §5.3.2)."""
    if not metadata.userinfo_endpoint:
        raise ProviderError("userinfo_unsupported", _("The identity provider has no userinfo endpoint."))
    body, _response = request_json(
        "GET",
        metadata.userinfo_endpoint,
        timeout=config.TIMEOUT,
        what="userinfo request",
        headers={"Authorization": f"Bearer {access_token}"},
    )
    if body.get("sub") != subject:
        raise TokenValidationError("userinfo_subject_mismatch")
    return body
