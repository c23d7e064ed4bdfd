"""Token revocation at logout (RFC 7009): the refresh token, then the access token, at PingOne's ``/as/revoke``.

Revoking the refresh token first matters: PingOne (like RFC 7009 §2.1 allows) then also ends the access tokens
issued from it. PingOne refuses tokens for its own API (an access token of a sign-on that asked only OpenID
scopes) and tokens without ``sid`` (client credentials): a refusal is logged, never a failed logout.
A failure is logged (without the token) and the logout goes on: the user asked to leave, and
the sign-off that follows ends the PingOne session anyway.
"""

from __future__ import annotations

import logging

from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ImproperlyConfigured
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import AliasConfig, get_alias
from django_pingone_authorize.errors import ProviderError
from django_pingone_authorize.provider.discovery import get_metadata
from django_pingone_authorize.provider.token_endpoint import post_authenticated
from django_pingone_authorize.sessions import token_store

logger = logging.getLogger(__name__)


def revocation_endpoint(config: AliasConfig) -> str:
    """Discovery's ``revocation_endpoint``, else PingOne's layout (``{issuer}/revoke``)."""
    try:
        return get_metadata(config).revocation_endpoint or config.layout.revocation_endpoint
    except ProviderError:
        return config.layout.revocation_endpoint


@sensitive_variables()
def revoke(config: AliasConfig, token: str, token_type_hint: str) -> bool:
    """Revoke one token; whether PingOne said so (200). Never raises."""
    endpoint = revocation_endpoint(config)
    data = {"token": token, "token_type_hint": token_type_hint}
    try:
        post_authenticated(config, endpoint, data, what="token revocation")
    except ProviderError as error:
        if error.reason == "provider_bad_response":
            return True  # RFC 7009 §2.2: a 200 with an empty body is the answer; http.py wants JSON
        if error.reason == "provider_refused":
            # PingOne revokes only tokens of custom resources that belong to a session (sid): an access token
            # for PingOne's own API is refused (revoking the refresh token ended it already). Not a failure.
            logger.info(
                "PingOne refused to revoke a %s (alias %s): %s", token_type_hint, config.alias, error.error or "refused"
            )
        else:
            logger.warning("PingOne token revocation failed (alias %s): %s", config.alias, error.reason)
        return False
    return True


@sensitive_variables()
def revoke_all(config: AliasConfig, *, refresh_token: str | None, access_token: str | None) -> None:
    """The refresh token first (it takes its access tokens with it at PingOne), then the access token."""
    if refresh_token:
        revoke(config, refresh_token, "refresh_token")
    if access_token:
        revoke(config, access_token, "access_token")


@sensitive_variables("record", "token_set")
def revoke_session_tokens(session: SessionBase) -> None:
    """At logout: revoke the newest refresh and access token of ``session`` (another request may have rotated
    them) before the session that holds them goes (``REVOKE_ON_LOGOUT``), and forget the cache copy."""
    record = token_store.get_tokens(session)
    alias = record.get("alias")
    if not isinstance(alias, str):
        return
    try:
        config = get_alias(alias)
    except ImproperlyConfigured:
        return
    token_set = token_store.newest(config, session)
    if token_set is None:
        return
    if config.REVOKE_ON_LOGOUT:
        revoke_all(config, refresh_token=token_set.refresh_token, access_token=token_set.access_token)
    token_store.forget(config, token_set.set_id)
