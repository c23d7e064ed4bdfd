"""Users' MFA devices in the stand-in, and the "phone" a push device stands for.

A device is an email or SMS one-time code (``EMAIL``/``SMS``, its code fixed by the test) or a push device
(``MOBILE``). A push to a ``MOBILE`` device waits on its phone page, ``/{envID}/devices/{deviceId}/phone``:
the page lists the pending pushes with the notification the transaction's template renders ("Approve a transfer
of 40 USD to J. Smith") and approve/deny buttons. A push nobody answers times out after ``env.push_timeout``.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from ..records import PUSH_TYPE, Device, Push
from ..server import Request, Response
from .environment import Environment
from .protocol import ErrorPage, first

__all__ = ["PUSH_TYPE", "Device", "Push", "devices_of", "pending_pushes", "phone_page", "render_template"]

# What the stand-in's notification templates say; ``{name}`` is a template variable. Any other template or
# variant is shown as its name with its variables listed.
TEMPLATE_TEXTS = {
    ("transaction", "money_transfer"): "Approve a transfer of {sum} {currency} to {recipient}",
    ("transaction", "login"): "Approve signing on to {application}",
}


def devices_of(env: Environment, username: str) -> list[Device]:
    return [device for device in env.devices.values() if device.username == username]


def render_template(template: Mapping[str, Any] | None) -> str:
    """The notification's text for ``pi.template`` (``{"name", "variant", "variables"}``)."""
    if not template:
        return "Approve the request"
    variables = template.get("variables")
    values = {str(k): str(v) for k, v in variables.items()} if isinstance(variables, dict) else {}
    text = TEMPLATE_TEXTS.get((str(template.get("name")), str(template.get("variant"))))
    if text is not None:
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):
            pass
    listed = ", ".join(f"{name}: {value}" for name, value in sorted(values.items()))
    return f"{template.get('name')} ({template.get('variant')}): {listed}"


def pending_pushes(env: Environment, device_id: str) -> list[Push]:
    now = env.clock()
    return [
        push
        for push in env.pushes.values()
        if push.device_id == device_id and push.decision is None and now - push.sent_at <= env.push_timeout
    ]


def phone_page(env: Environment, request: Request, device_id: str) -> Response:
    """GET: the pending pushes with approve/deny buttons. POST ``flowId`` + ``decision``: answer one."""
    device = env.devices.get(device_id)
    if device is None or device.type != PUSH_TYPE:
        raise ErrorPage(404, "No such phone", "The stand-in has no push device with that id.")
    if request.method == "POST":
        form = request.form()
        flow_id, decision = first(form, "flowId"), first(form, "decision")
        push = env.pushes.get(flow_id or "")
        if push is None or push.device_id != device_id or decision not in ("approved", "denied"):
            raise ErrorPage(400, "Not a pending push", "That push is unknown, or the answer is not approve/deny.")
        if push in pending_pushes(env, device_id):
            push.decision = decision
        return Response.redirect(env.phone_url(device_id))
    items = []
    for push in pending_pushes(env, device_id):
        action = escape(env.phone_url(device_id))
        hidden = f'<input type="hidden" name="flowId" value="{escape(push.flow_id)}">'
        items.append(
            f'<li class="push" data-flow="{escape(push.flow_id)}"><p class="text">{escape(push.text)}</p>'
            f'<form method="post" action="{action}">{hidden}'
            '<button type="submit" name="decision" value="approved" id="approve">Approve</button> '
            '<button type="submit" name="decision" value="denied" id="deny">Deny</button></form></li>'
        )
    body = "".join(items) or '<li class="none">No pending requests.</li>'
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Phone</title></head><body>'
        f"<h1>{escape(device.nickname)}</h1>"
        '<p class="note">PingOne stand-in: the phone of a push device.</p>'
        f'<ul id="pushes">{body}</ul></body></html>'
    )
    return Response.html(200, page)
