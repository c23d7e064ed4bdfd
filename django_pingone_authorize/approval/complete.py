"""The end of an approval: PingOne approved (the flow ``COMPLETED``), and the view that needed it uses it once.

``complete_approval``: the code is exchanged and the ID token checked against the approval: the same ``sub``
as the user's identity, ``acr`` as asked, ``auth_time`` after the approval started (less the leeway). Nobody is
logged in or out, no session tokens change. ``consume_approval``: the ``Approval`` only if PingOne approved
exactly these details, for this user, in this session, and it was not used before.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.approval import pending
from django_pingone_authorize.approval.pending import SESSION_KEY, PendingApproval, entries, forget, save
from django_pingone_authorize.approval.transaction import Approval, Transaction
from django_pingone_authorize.conf import AliasConfig, get_alias
from django_pingone_authorize.errors import SignOnError
from django_pingone_authorize.provider import shared_cache
from django_pingone_authorize.sign_on.redeem import redeem, resumed


def consume_approval(
    request: HttpRequest,
    *,
    template: str,
    variant: str,
    variables: Mapping[str, Any],
) -> Approval | None:
    """The approval of exactly these details for the signed-on user in this session, consumed; else None.

    None when nothing was approved, when another amount or recipient was, when it was for another user, when
    the ID token's ``acr`` is not one of the policies the approval asked for, when it expired (APPROVAL_TTL) or
    was already used."""
    try:
        digest = Transaction.of(template, variant, variables).digest
    except (ImproperlyConfigured, SignOnError):
        return None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    stored = entries(request.session)
    for state in list(stored):
        approval = PendingApproval.from_session(stored[state])
        if approval is None or approval.approved_at is None:
            continue
        if not constant_time_compare(approval.digest, digest) or approval.user_id != str(user.pk):
            continue
        if approval.acr_values and approval.acr not in approval.acr_values:
            continue  # PingOne applied another policy than the one this approval asked for
        del stored[state]  # single use
        request.session[SESSION_KEY] = stored
        if not _first_use(approval):
            return None
        # The approval's own fields, as the pending one kept them (a copy of the variables: theirs to change).
        kept = {field.name: getattr(approval, field.name) for field in dataclasses.fields(Approval)}
        return Approval(**{**kept, "variables": dict(approval.variables)})
    return None


@sensitive_variables()  # the code, PingOne's cookie, the tokens
def complete_approval(request: HttpRequest, config: AliasConfig, approval: PendingApproval) -> None:
    """A ``COMPLETED`` flow: its authorization response, the code exchanged, the ID token checked against the
    approval (same user, policy as asked, authenticated after the approval started). Marks the approval
    approved in the session; a ``SignOnError`` otherwise (and the approval is gone)."""
    assert approval.flow is not None
    forget(request.session, approval.state)  # single use, whatever happens next
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or str(user.pk) != approval.user_id:
        raise SignOnError("approval_wrong_user", _("This approval was started by someone else."), status=403)
    claims = redeem(
        config,
        approval,
        resumed(config, approval),
        acr_values=approval.acr_values,
        login_since=approval.created,  # a fresh authentication: this approval's, not an earlier sign-on's
    ).claims
    if not constant_time_compare(str(claims.get("sub", "")), approval.subject):
        raise SignOnError("approval_wrong_user", _("PingOne approved this for another user."), status=403)
    now = pending.now()
    amr = claims.get("amr")
    approval.approved_at, approval.expires = now, now + config.APPROVAL_TTL
    approval.acr = claims.get("acr") if isinstance(claims.get("acr"), str) else None
    approval.amr = tuple(m for m in amr if isinstance(m, str)) if isinstance(amr, list) else ()
    approval.flow, approval.flow_cookies = None, {}
    save(request.session, approval)


def _first_use(approval: PendingApproval) -> bool:
    """Whether this is the approval's first use across every worker: two requests of one session, each with
    its own copy of the session, would otherwise both find it. An atomic ``add`` in the alias's cache; a cache
    that cannot answer refuses the approval (fail closed: the user asks again; logged by ``shared_cache``)."""
    try:
        config = get_alias(approval.alias)
    except ImproperlyConfigured:
        return False
    key = "pingone:approval-used:" + hashlib.sha256(approval.state.encode("ascii", "replace")).hexdigest()
    added = shared_cache.add(config.CACHE, key, True, timeout=max(config.APPROVAL_TTL, 1) + config.LEEWAY)
    return added is True
