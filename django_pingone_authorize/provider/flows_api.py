"""PingOne's flows API, as the embedded (``pi.flow``) sign-on speaks it: start a flow at ``/as/authorize``
with ``response_mode=pi.flow``, post a step's answer to ``{authPath}/{envID}/flows/{flowId}`` (the action
is the Content-Type), and resume a completed flow for its authorization response.

Every answer is read into a ``Flow`` and checked: ids, links and URLs from PingOne are not trusted blindly
(the id must look like one, the resume URL must be on PingOne's own https origin, external providers keep
only their id and name). PingOne's cookies for the flow (``ST``) are handed back to the caller, which keeps
them server-side; passwords and codes go out in the request body and are never logged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.errors import ProviderError
from django_pingone_authorize.provider import passkeys, password_policy
from django_pingone_authorize.provider.discovery import ProviderMetadata
from django_pingone_authorize.provider.http import request_json
from django_pingone_authorize.provider.url_safety import is_safe_endpoint

ACTION_MEDIA_TYPE = "application/vnd.pingidentity.{action}+json"
FLOW_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
MAX_PROVIDERS = 20
# A flow action's name as PingOne spells it in ``_links`` (``usernamePassword.check``, ``device.select``).
ACTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,40}(\.[A-Za-z][A-Za-z0-9]{0,40}){1,3}$")
# ``_links`` entries that are no action one posts.
NOT_ACTIONS = frozenset({"self", "signOnPage"})
MAX_ACTIONS = 30


class FlowDevice(NamedTuple):
    """An MFA device a flow offers (``_embedded.devices``): its id, type, a label to show (its nickname, else
    the masked phone or email) and ``masked``: the phone number or email address exactly as PingOne masks it."""

    id: str
    type: str
    label: str
    masked: str = ""


class FlowProvider(NamedTuple):
    """An external identity provider a flow offers: its id and name, never its (flow-bound) link."""

    id: str
    name: str


@dataclass(frozen=True)
class Flow:
    """The parts of PingOne's flow object the sign-on pages need, checked."""

    id: str
    status: str
    resume_url: str | None = None  # on PingOne's own origin, else None
    application: str = ""
    providers: tuple[FlowProvider, ...] = ()
    username: str = ""
    devices: tuple[FlowDevice, ...] = ()
    # The actions the flow accepts now: the names in its ``_links`` (``self`` and ``signOnPage`` left out).
    actions: tuple[str, ...] = ()
    selected_device: str = ""  # ``selectedDevice.id``
    # ``ASSERTION_REQUIRED``: ``publicKeyCredentialRequestOptions`` as JSON, byte fields in base64url
    # (``passkeys.request_options``); "" otherwise.
    passkey_options: str = ""

    def offers(self, action: str) -> bool:
        """Whether the flow accepts ``action`` now (it is in the flow's ``_links``)."""
        return action in self.actions

    def to_session(self) -> dict[str, Any]:
        """Plain JSON values, for any session serializer."""
        return {
            "id": self.id,
            "status": self.status,
            "resume_url": self.resume_url,
            "application": self.application,
            "providers": [list(provider) for provider in self.providers],
            "username": self.username,
            "devices": [list(device) for device in self.devices],
            "actions": list(self.actions),
            "selected_device": self.selected_device,
            "passkey_options": self.passkey_options,
        }

    @classmethod
    def from_session(cls, data: Any) -> Flow | None:
        """A flow stored by ``to_session`` (or by an earlier release, whose providers were dicts); None for
        anything else. A session is ours, but an old or garbled entry must never break a page."""
        if not isinstance(data, dict):
            return None
        flow_id, status, resume_url = data.get("id"), data.get("status"), data.get("resume_url")
        if not isinstance(flow_id, str) or not FLOW_ID.match(flow_id) or not isinstance(status, str) or not status:
            return None
        providers = []
        listed = data.get("providers")
        for provider in listed[:MAX_PROVIDERS] if isinstance(listed, list) else []:
            if isinstance(provider, dict):
                provider = [provider.get("id"), provider.get("name")]
            if isinstance(provider, list) and len(provider) == 2 and all(isinstance(v, str) for v in provider):
                providers.append(FlowProvider(*provider))
        return cls(
            id=flow_id,
            status=status[:64],
            resume_url=resume_url if isinstance(resume_url, str) else None,
            application=_text(data.get("application"), 200),
            providers=tuple(providers),
            username=_text(data.get("username"), 200),
            devices=_stored_devices(data.get("devices")),
            actions=_stored_actions(data.get("actions")),
            selected_device=_text(data.get("selected_device"), 128),
            passkey_options=_text(data.get("passkey_options"), passkeys.MAX_OPTIONS_LENGTH),
        )


def _stored_actions(listed: Any) -> tuple[str, ...]:
    items = listed[:MAX_ACTIONS] if isinstance(listed, list) else []
    return tuple(name for name in items if isinstance(name, str) and ACTION_NAME.match(name))


def _stored_devices(listed: Any) -> tuple[FlowDevice, ...]:
    devices = []
    for device in listed[:MAX_PROVIDERS] if isinstance(listed, list) else []:
        if isinstance(device, list) and len(device) in (3, 4) and all(isinstance(v, str) for v in device):
            devices.append(FlowDevice(*device))
    return tuple(devices)


@dataclass(frozen=True)
class StepAnswer:
    """PingOne's answer to a step: the flow's next state, or a refusal (a wrong password: ``refused`` is
    PingOne's message, ``status_code`` 400/401), or ``expired`` (the flow is gone: 404)."""

    cookies: dict[str, str] = field(repr=False)  # PingOne's session cookie for the flow
    status_code: int
    flow: Flow | None = None
    refused: str = ""
    # A refusal's first ``details[].code`` (else its top-level ``code``) and ``details[].target``.
    refused_code: str = ""
    refused_target: str = ""

    @property
    def expired(self) -> bool:
        return self.status_code == 404


def _same_origin(url: str | None, config: AliasConfig) -> bool:
    if not url:
        return False
    try:
        ours, theirs = urlsplit(config.AUTH_PATH), urlsplit(url)
    except ValueError:  # e.g. an unbalanced IPv6 bracket from a hostile answer
        return False
    return (ours.scheme, ours.netloc) == (theirs.scheme, theirs.netloc) and is_safe_endpoint(url)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _providers(embedded: dict[str, Any]) -> tuple[FlowProvider, ...]:
    """The external identity providers to offer: their id and name only. Their ``authenticate`` links
    belong to this server's flow and are never handed to the browser (``views/embedded.py`` says why)."""
    listed = embedded.get("socialProviders")
    providers = []
    for provider in listed[:MAX_PROVIDERS] if isinstance(listed, list) else []:
        name = _text(provider.get("name"), 200) if isinstance(provider, dict) else ""
        if name:
            providers.append(FlowProvider(_text(provider.get("id"), 128), name))
    return tuple(providers)


def _devices(embedded: dict[str, Any]) -> tuple[FlowDevice, ...]:
    """The MFA devices to choose from: id, type, a label (nickname, or PingOne's masked phone/email) and the
    masked phone/email. PingOne's masking is not documented: the strings are shown as they come."""
    listed = embedded.get("devices")
    devices = []
    for device in listed[:MAX_PROVIDERS] if isinstance(listed, list) else []:
        if not isinstance(device, dict) or not isinstance(device.get("id"), str) or not FLOW_ID.match(device["id"]):
            continue
        masked = _text(device.get("phone"), 100) or _text(device.get("email"), 100)
        label = _text(device.get("nickname"), 100) or masked
        devices.append(FlowDevice(device["id"], _text(device.get("type"), 32), label, masked))
    return tuple(devices)


def _actions(links: dict[str, Any]) -> tuple[str, ...]:
    """The action names of the flow's ``_links`` (each entry an object with an ``href``)."""
    names = [
        name
        for name, link in list(links.items())[:MAX_ACTIONS]
        if name not in NOT_ACTIONS and isinstance(name, str) and ACTION_NAME.match(name) and isinstance(link, dict)
    ]
    return tuple(names)


def read_flow(config: AliasConfig, body: dict[str, Any]) -> Flow:
    """PingOne's flow object, checked (the resume URL must be on PingOne's own origin)."""
    flow_id, status = body.get("id"), body.get("status")
    if not isinstance(flow_id, str) or not FLOW_ID.match(flow_id) or not isinstance(status, str) or not status:
        raise ProviderError("flow_malformed", _("The identity provider's sign-on flow could not be read."))
    embedded = _object(body.get("_embedded"))
    resume_url = body.get("resumeUrl")
    return Flow(
        id=flow_id,
        status=status[:64],
        resume_url=resume_url if isinstance(resume_url, str) and _same_origin(resume_url, config) else None,
        application=_text(_object(embedded.get("application")).get("name"), 200),
        providers=_providers(embedded),
        username=_text(_object(embedded.get("user")).get("username"), 200),
        devices=_devices(embedded),
        actions=_actions(_object(body.get("_links"))),
        selected_device=_text(_object(body.get("selectedDevice")).get("id"), 128),
        passkey_options=passkeys.request_options(body),
    )


def api_error_message(body: dict[str, Any]) -> str:
    """PingOne's message for a refused step (its ``details`` are the most specific), with the password-policy
    rules a new password broke (``password_policy.py``)."""
    details = body.get("details")
    if isinstance(details, list):
        for detail in details:
            text = detail.get("message") if isinstance(detail, dict) else None
            if isinstance(text, str):
                return " ".join(filter(None, [text[:300], password_policy.requirements_text(details)]))
    message = body.get("message")
    # Kept in the session (text, not a lazy string), in the language of the request that was refused.
    return message[:300] if isinstance(message, str) else force_str(_("The identity provider refused this step."))


def _kept(cookies: Mapping[str, str], response: Any) -> dict[str, str]:
    return {**cookies, **response.cookies.get_dict()}


# Every local of these, and every frame below them (``http.py``, ``requests``): the authorize request,
# the password or code, PingOne's cookie, the authorization code.
@sensitive_variables()
def start(config: AliasConfig, metadata: ProviderMetadata, params: dict[str, str]) -> tuple[Flow, dict[str, str]]:
    """POST the authorize request (``response_mode=pi.flow``): the new flow and PingOne's cookies for it."""
    body, response = request_json(
        "POST",
        metadata.authorization_endpoint,
        timeout=config.TIMEOUT,
        what="embedded sign-on request",
        data=params,
    )
    return read_flow(config, body), _kept({}, response)


@sensitive_variables()
def post_action(
    config: AliasConfig, flow: Flow, action: str, fields: dict[str, Any], cookies: Mapping[str, str]
) -> StepAnswer:
    """Answer the flow's step with ``action`` (e.g. ``usernamePassword.check``) and its ``fields``."""
    body, response = request_json(
        "POST",
        f"{config.flows_base}/{flow.id}",
        timeout=config.TIMEOUT,
        what="sign-on step",
        headers={"Content-Type": ACTION_MEDIA_TYPE.format(action=action)},
        json_body=fields,
        cookies=cookies,
        expect=(200, 400, 401, 404),
        counted=False,  # the visitor's own input: a PingOne bug it trips must not open the circuit for all
    )
    kept = _kept(cookies, response)
    if response.status_code == 404:
        return StepAnswer(cookies=kept, status_code=404)
    if response.status_code != 200:
        detail = next((d for d in _list(body.get("details")) if isinstance(d, dict)), {})
        return StepAnswer(
            cookies=kept,
            status_code=response.status_code,
            refused=api_error_message(body),
            refused_code=_text(detail.get("code"), 64) or _text(body.get("code"), 64),
            refused_target=_text(detail.get("target"), 64),
        )
    answered = read_flow(config, body)
    if answered.id != flow.id:
        raise ProviderError("flow_mismatch", _("The identity provider answered for another sign-on."))
    return StepAnswer(cookies=kept, status_code=200, flow=answered)


@sensitive_variables()
def resume(config: AliasConfig, flow: Flow, cookies: Mapping[str, str]) -> dict[str, str]:
    """A ``COMPLETED`` flow's authorization response (``code``, ``state``, ``iss``...) from its resume URL; for a
    ``FAILED`` flow, its OAuth error response (``error``, ``error_description``, ``state``)."""
    if not flow.resume_url:
        raise ProviderError("flow_no_resume", _("The identity provider's sign-on flow could not be resumed."))
    body, _response = request_json(
        "GET", flow.resume_url, timeout=config.TIMEOUT, what="resume request", cookies=cookies, expect=(200, 400)
    )
    answer = body.get("authorizeResponse")
    if not isinstance(answer, dict) and isinstance(body.get("error"), str):
        answer = body  # a FAILED flow: the OAuth error response itself
    if not isinstance(answer, dict):
        raise ProviderError("flow_no_code", _("The identity provider's sign-on flow ended without a code."))
    return {k: v for k, v in answer.items() if isinstance(k, str) and isinstance(v, str)}


@sensitive_variables()
def poll(config: AliasConfig, flow: Flow, cookies: Mapping[str, str]) -> StepAnswer:
    """GET the flow (e.g. waiting for a push confirmation): its current state, or ``expired`` (404)."""
    body, response = request_json(
        "GET",
        f"{config.flows_base}/{flow.id}",
        timeout=config.TIMEOUT,
        what="flow status",
        cookies=cookies,
        expect=(200, 404),
    )
    kept = _kept(cookies, response)
    if response.status_code == 404:
        return StepAnswer(cookies=kept, status_code=404)
    answered = read_flow(config, body)
    if answered.id != flow.id:
        raise ProviderError("flow_mismatch", _("The identity provider answered for another sign-on."))
    return StepAnswer(cookies=kept, status_code=200, flow=answered)
