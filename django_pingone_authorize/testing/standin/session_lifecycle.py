"""A sign-on's life after the code, as PingOne plays it: refresh-token families and the end of a PingOne session.

* Every code redemption starts a token *family*; each refresh adds its tokens to the family of the refresh
  token it used. Refresh tokens rotate (single use) and replay protection is on, as PingOne's default: using a
  refresh token a second time revokes every token of its family (RFC 9700 §4.14.2) and is ``invalid_grant``.
* A sign-off (``/as/signoff`` or ``/as/idpSignoff``) ends the browser's PingOne session: every access and
  refresh token issued under its ``sid`` stops working (refresh is ``invalid_grant``, introspection inactive).
  PingOne calls no application back (its OpenID Connect applications have no front- or back-channel logout
  URI), and neither does the stand-in.
"""

from __future__ import annotations

import uuid

from ..records import BrowserSession
from .environment import Environment
from .protocol import OAuthError


def new_family() -> str:
    return str(uuid.uuid4())


def remember(env: Environment, family: str, tokens: list[str]) -> None:
    for token in tokens:
        env.token_families[token] = family


def use_refresh_token(env: Environment, refresh_token: str) -> str:
    """Mark a refresh token used and return its family; a second use revokes the family (``invalid_grant``)."""
    family = env.used_refresh_tokens.get(refresh_token)
    if family is not None:
        revoke_family(env, family)
        raise OAuthError("invalid_grant", "The refresh token was already used: every token issued from it is revoked.")
    family = env.token_families.get(refresh_token) or new_family()
    env.used_refresh_tokens[refresh_token] = family
    return family


def revoke_family(env: Environment, family: str) -> None:
    for store in (env.access_tokens, env.refresh_tokens):
        for token in [token for token in store if env.token_families.get(token) == family]:
            del store[token]


def end_session(env: Environment, session: BrowserSession) -> None:
    """The PingOne session ``session`` ends: its tokens stop working."""
    for store in (env.access_tokens, env.refresh_tokens):
        for token, record in list(store.items()):
            if record.sid == session.sid:
                del store[token]
