"""What the headless API says about a step, and the one headless sign-on a client has under way.

``STEP_ACTIONS`` names the statuses the API answers and the actions each may answer with: the HTML pages' own
(``views/embedded.py``'s ``PAGES``; ``tests/headless`` holds them equal), each offered only while the flow's
``_links`` offer it. A status without an entry (a DaVinci policy, anything PingOne adds later) is described as
``supported: false`` with the site's own URL of a redirect sign-on (PingOne's hosted page), as the pages fall back.

``describe`` is the step as JSON: built from a short list of the flow's checked parts, never from PingOne's
object, so that nothing PingOne gave the server (the flow's id, its ``ST`` cookie, its resume URL) and nothing
of the authorization (state, nonce, PKCE verifier) ever reaches the client. A step token (``step``), new at each
step, must come back with the answer: a replayed or stale answer is refused before PingOne is asked.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from django.contrib.sessions.backends.base import SessionBase
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_str

from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.headless.settings import BROWSER
from django_pingone_authorize.provider.flows_api import Flow
from django_pingone_authorize.sign_on.embedded import carried_requirement
from django_pingone_authorize.sign_on.flow_steps import (
    ACTION_FIELDS,
    ASSERTION_REQUIRED,
    MFA_STEPS,
    POLL_INTERVAL,
    PUSH,
    SENSITIVE_FIELDS,
    SIGN_ON_STEPS,
)
from django_pingone_authorize.sign_on.pending import PendingSignOn

# The pages' steps (``sign_on/flow_steps.py``) but a passkey's, which needs the browser's WebAuthn on the page.
_STEPS = {status: step for status, step in {**SIGN_ON_STEPS, **MFA_STEPS}.items() if status != ASSERTION_REQUIRED}
STEP_ACTIONS: dict[str, tuple[str, ...]] = {status: step.actions for status, step in _STEPS.items()}
# Shown with no action on offer: a push is waited for (poll), an external provider starts a redirect sign-on.
ALWAYS = frozenset(status for status, step in _STEPS.items() if step.always)

# The client's one headless sign-on under way: the pending sign-on's state (its key in the pending store, never
# sent), the step token and the kind of client that started it.
RECORD = "_pingone_headless"


def offered(flow: Flow) -> list[str]:
    """The actions the client may answer with now: the status's, while the flow's ``_links`` offer them."""
    return [action for action in STEP_ACTIONS.get(flow.status, ()) if action in ACTION_FIELDS and flow.offers(action)]


def supported(flow: Flow) -> bool:
    return flow.status in ALWAYS or bool(offered(flow))


def field_kind(name: str) -> str:
    if name == "device":
        return "device"
    return "secret" if name in SENSITIVE_FIELDS else "text"


def redirect_sign_on_url(config: AliasConfig, entry: PendingSignOn) -> str:
    """The site's own URL that starts a redirect sign-on (PingOne's hosted page, where external identity providers
    are offered) asking at least what this sign-on asks: opened in a browser, bound to that browser."""
    query = {"hosted": "1"}
    if entry.next_url:
        query["next"] = entry.next_url
    step_up = carried_requirement(config, entry)
    if step_up:
        query["step_up"] = step_up
    return reverse("pingone:login", args=[config.alias]) + "?" + urlencode(query)


def describe(config: AliasConfig, entry: PendingSignOn, step_token: str, client: str = BROWSER) -> dict[str, Any]:
    """The step as the API answers it (see the module docstring for what it never holds). An external provider's
    URL is, for a browser client, the redirect sign-on; for an app client, its start in the system browser
    (``handoff.py``: the app adds its ``redirect_uri`` and ``code_challenge``)."""
    flow = entry.flow
    assert flow is not None
    actions = offered(flow)
    redirect_url = redirect_sign_on_url(config, entry)
    provider_url = redirect_url if client == BROWSER else reverse("pingone:headless-app-browser", args=[config.alias])
    body: dict[str, Any] = {
        "status": flow.status,
        "supported": supported(flow),
        "step": step_token,
        "alias": config.alias,
        "application": flow.application,
        "username": flow.username or entry.typed_username,
        "actions": [
            {"action": action, "fields": [{"name": name, "kind": field_kind(name)} for name in ACTION_FIELDS[action]]}
            for action in actions
        ],
        "devices": [
            {
                "id": device.id,
                "type": device.type,
                "label": device.label,
                "masked": device.masked,
                "selected": device.id == flow.selected_device,
            }
            for device in flow.devices
        ],
        "providers": [{"id": provider.id, "name": provider.name, "url": provider_url} for provider in flow.providers],
        "message": force_str(entry.message),
        "redirect_sign_on_url": redirect_url,
    }
    if flow.status == PUSH:
        body["poll_after"] = POLL_INTERVAL
    return body


def new_step_token() -> str:
    return secrets.token_urlsafe(16)


def record_of(session: SessionBase, client: str) -> dict[str, str] | None:
    """The client's headless sign-on under way (None when there is none, or another kind of client started it)."""
    record = session.get(RECORD)
    if not isinstance(record, dict) or record.get("client") != client:
        return None
    if not all(isinstance(record.get(key), str) for key in ("state", "step")):
        return None
    return record


def remember(session: SessionBase, client: str, state: str) -> str:
    """Record the client's sign-on under way (one at a time); returns its first step token."""
    token = new_step_token()
    session[RECORD] = {"client": client, "state": state, "step": token}
    return token


def next_step(session: SessionBase, record: dict[str, str]) -> str:
    """A new step token (the previous one is spent)."""
    token = new_step_token()
    session[RECORD] = {**record, "step": token}
    return token


def same_step(record: dict[str, str], given: object) -> bool:
    return isinstance(given, str) and constant_time_compare(record["step"], given)


def forget(session: SessionBase) -> None:
    session.pop(RECORD, None)
