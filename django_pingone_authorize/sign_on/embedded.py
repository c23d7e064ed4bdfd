"""The start of an embedded (``RESPONSE_MODE="pi.flow"``) sign-on: PingOne's flow asked for server-side, kept
with the pending sign-on, and the browser sent to the site's own sign-on page (``views/embedded.py``).

Also a restart (a flow PingOne no longer knows) and the step-up value carried into the forms that start a
redirect sign-on in the flow's place (the hosted page, an external identity provider).
"""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.oidc import authorize
from django_pingone_authorize.provider import flows_api
from django_pingone_authorize.provider.discovery import ProviderMetadata, get_metadata
from django_pingone_authorize.sign_on import pending
from django_pingone_authorize.sign_on.client_ip import client_ip
from django_pingone_authorize.sign_on.pending import PendingSignOn
from django_pingone_authorize.sign_on.requirements import make_step_up


def signon_url(state: str) -> str:
    return reverse("pingone:signon", args=[state])


@sensitive_variables("sign_on", "params")  # the PKCE verifier, the request object
def begin_flow(
    request: HttpRequest,
    config: AliasConfig,
    metadata: ProviderMetadata,
    sign_on: PendingSignOn,
    extra: dict[str, str],
    *,
    message: str = "",
) -> None:
    """Ask PingOne for a pi.flow flow and remember it with the pending sign-on (``SignOnError`` when it cannot).
    ``extra`` holds the authorize request's per-request parameters (``login_hint``...)."""
    # PingOne sees this server's address: the end user's goes in the signed request object, if any.
    remote_ip = client_ip(request, config.TRUSTED_PROXIES)
    params = authorize.build(config, metadata, sign_on, extra, remote_ip=remote_ip).params
    sign_on.flow, sign_on.flow_cookies = flows_api.start(config, metadata, params)
    sign_on.message, sign_on.typed_username = message, ""
    pending.add(request.session, sign_on, ttl=config.PENDING_TTL, cap=config.PENDING_MAX)


def restart(request: HttpRequest, config: AliasConfig, old: PendingSignOn, message: str) -> PendingSignOn:
    """A flow PingOne no longer knows (expired after 15 minutes): a new pending sign-on for the same alias, its
    flow begun (``SignOnError`` when it cannot be)."""
    pending.pop(request.session, old.state)
    metadata = get_metadata(config)
    sign_on = pending.new_pending(
        config,
        redirect_uri=old.redirect_uri,
        next_url=old.next_url,
        max_age=old.max_age,
        acr_values=old.acr_values,
        prompt=old.prompt,
    )
    begin_flow(request, config, metadata, sign_on, {}, message=message)
    return sign_on


def carried_requirement(config: AliasConfig, sign_on: PendingSignOn) -> str:
    """This sign-on's ``acr_values``/``max_age``/``prompt=login`` as a signed step-up value ("" when it asks
    nothing beyond the alias's own), for the forms that start a redirect sign-on in its place."""
    requirement = authorize.SignOnRequirement(
        acr_values=sign_on.acr_values,
        max_age=sign_on.max_age,
        prompt_login="login" in (sign_on.prompt or "").split(),
    )
    if requirement == authorize.SignOnRequirement():
        return ""
    return make_step_up(config.alias, requirement)
