"""Where every sign-on ends, whichever way it came back: a redirect to ``pingone:callback`` (query or
``form_post``) or an embedded ``pi.flow`` flow's resume. Two steps, each a function the views call:

* ``complete_sign_on``: from an authorization response matched to its pending sign-on to an authenticated
  user — ``redeem`` (the issuer, an error response, the code exchange, the ID token checked against what the
  sign-on asked: ``acr_values``, ``max_age``, ``prompt=login``), userinfo, the backend's ``authenticate()``.
* ``log_in``: ``login()``, the tokens kept in the session, ``sign_on_succeeded``, the replay record and the
  redirect to ``next``.

Every failure is a ``SignOnError``; nothing here renders a page (the views do, in ``login_failure``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, authenticate, login
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.errors import SignOnError, database_unavailable
from django_pingone_authorize.oidc.authorization_response import PROTECTED_CLAIMS
from django_pingone_authorize.provider.token_endpoint import TokenResponse, fetch_userinfo
from django_pingone_authorize.sessions import session_index
from django_pingone_authorize.sessions import token_store as session_tokens
from django_pingone_authorize.sign_on import completed
from django_pingone_authorize.sign_on.pending import PendingSignOn
from django_pingone_authorize.sign_on.redeem import redeem
from django_pingone_authorize.signals import sign_on_succeeded

if TYPE_CHECKING:
    from django.contrib.auth.models import _User  # django-stubs: what ``authenticate()`` returns

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignOnResult:
    """Who signed on, with the ID token's claims (userinfo merged in) and the tokens."""

    user: _User
    claims: dict[str, Any]
    tokens: TokenResponse  # its repr hides the tokens


# Every local, and every frame below without a decorator of its own (the ID token's validation, PyJWT with
# an HS* key): the code, the tokens. The backend's frames come under ``authenticate``'s own decorator.
@sensitive_variables()
def complete_sign_on(
    request: HttpRequest, config: AliasConfig, pending: PendingSignOn, params: dict[str, str]
) -> SignOnResult:
    """From an authorization response matched to ``pending`` (by its ``state``) to an authenticated user."""
    redeemed = redeem(
        config,
        pending,
        params,
        max_age=pending.max_age,
        # An entry from before acr_values were kept still gets the alias's fixed policies checked.
        acr_values=pending.acr_values or config.fixed_acr_values,
        login_since=pending.created if "login" in (pending.prompt or "").split() else None,
    )
    claims, tokens, metadata = redeemed.claims, redeemed.tokens, redeemed.metadata
    if config.USERINFO and tokens.access_token:
        userinfo = fetch_userinfo(config, metadata, access_token=tokens.access_token, subject=claims["sub"])
        claims = {**claims, **{k: v for k, v in userinfo.items() if k not in PROTECTED_CLAIMS}}
    user = authenticate(request, pingone_claims=claims, pingone_config=config)
    if user is None:
        raise SignOnError("user_refused", _("Your account cannot sign on to this site."), status=403)
    return SignOnResult(user, claims, tokens)


@sensitive_variables()  # the tokens, on their way into the session
def log_in(
    request: HttpRequest, config: AliasConfig, pending: PendingSignOn, result: SignOnResult, *, sender: type
) -> HttpResponseRedirect:
    """Log ``result.user`` in and send them on to the sign-on's ``next``. ``sender`` is the view class
    ``sign_on_succeeded`` is sent from. A database that cannot log anyone in is ``database_unavailable``."""
    # The token set's id is drawn first, so that the session index writes this login's row whole, at login().
    set_id = session_tokens.new_set_id()
    session_index.expect_sign_on(request, config.alias, result.claims, session_tokens.cache_key(set_id))
    try:
        login(request, result.user)  # rotates the session key (session fixation)
    except DatabaseError as error:  # e.g. the last_login write meets a locked database
        for key in (SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY):
            request.session.pop(key, None)  # what login() wrote before it failed: nobody is signed on
        request.user = AnonymousUser()
        request.__dict__.pop(session_index.SIGN_ON_ATTRIBUTE, None)
        logger.error(
            "Database error while logging in a PingOne user (alias %s): %s", config.alias, type(error).__name__
        )
        raise database_unavailable() from None
    session_tokens.store(request.session, config, result.tokens, result.claims, set_id=set_id)
    sign_on_succeeded.send(sender=sender, request=request, user=result.user, alias=config.alias, claims=result.claims)
    logger.info("PingOne sign-on succeeded for user %s (alias %s)", result.user.pk, config.alias)
    next_url = pending.next_url or resolve_url(settings.LOGIN_REDIRECT_URL)
    completed.remember(request.session, pending.state, next_url)  # a replay of this callback goes there too
    return HttpResponseRedirect(next_url)
