"""Passkeys (FIDO2) in a PingOne flow: the ``ASSERTION_REQUIRED`` status's request options, read and checked,
and the ``assertion.check`` body the site sends (PingOne's "Check Assertion").

PingOne puts ``publicKeyCredentialRequestOptions`` on the flow as a JSON *string* whose byte fields
(``challenge``, ``allowCredentials[].id``) are arrays of byte values in Ping's own sample; whether it sits at the
top of the flow or under ``_embedded`` is not shown in PingOne's docs. Both places, a string or an object, byte
arrays or base64url text are read here, and handed to the page as one shape: JSON with the byte fields in
base64url (``passkey.js`` turns them into ``ArrayBuffer``\\ s for ``navigator.credentials.get()``).

``assertion.check`` takes ``{"origin", "assertion", "compatibility"}``: ``assertion`` is the authenticator's
answer as a JSON string (``id``, ``rawId``, ``type``, ``response{clientDataJSON, authenticatorData, signature,
userHandle}``), ``origin`` the page's origin. The origin sent is the one this site computed for the request
(its scheme and the host ``ALLOWED_HOSTS`` accepted), never a value the browser posted; PingOne checks it
against its FIDO policy, and the signature covers the origin the browser itself saw.

The RP ID is PingOne's: its FIDO policy names its own domain or the environment's custom domain. A browser
runs ``get()`` only on a page whose host is that RP ID or under it, so a site on ``www.example.com`` needs a
PingOne custom domain under ``example.com`` and an RP ID of ``example.com`` (``rp_id_fits``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from django.utils.translation import gettext_lazy as _

from django_pingone_authorize.errors import SignOnError

OPTIONS_FIELD = "publicKeyCredentialRequestOptions"
MAX_OPTIONS_LENGTH = 16_384
MAX_ASSERTION_LENGTH = 16_384
MAX_CREDENTIALS = 50
BASE64 = re.compile(r"^[A-Za-z0-9+/_-]*={0,2}$")
# The authenticator's answer: these fields only, each base64 text (``userHandle`` may be empty or absent).
RESPONSE_FIELDS = ("clientDataJSON", "authenticatorData", "signature", "userHandle")
USER_VERIFICATION = ("required", "preferred", "discouraged")
HOST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def _base64url(value: Any) -> str | None:
    """Bytes as base64url without padding, from an array of byte values or base64/base64url text."""
    if isinstance(value, list) and len(value) <= 1024:
        if all(isinstance(item, int) and not isinstance(item, bool) and 0 <= item < 256 for item in value):
            return base64.urlsafe_b64encode(bytes(value)).rstrip(b"=").decode("ascii")
        return None
    if isinstance(value, str) and len(value) <= 2048 and BASE64.match(value):
        return value.replace("+", "-").replace("/", "_").rstrip("=")
    return None


def request_options(body: dict[str, Any]) -> str:
    """The flow's ``publicKeyCredentialRequestOptions`` as JSON for the page (byte fields in base64url), or ""
    when there are none or they cannot be read."""
    raw = body.get(OPTIONS_FIELD)
    embedded = body.get("_embedded")
    if raw is None and isinstance(embedded, dict):
        raw = embedded.get(OPTIONS_FIELD)
    if isinstance(raw, str):
        if len(raw) > MAX_OPTIONS_LENGTH:
            return ""
        try:
            raw = json.loads(raw)
        except ValueError:
            return ""
    if isinstance(raw, dict) and isinstance(raw.get("publicKey"), dict):
        raw = raw["publicKey"]
    if not isinstance(raw, dict):
        return ""
    challenge = _base64url(raw.get("challenge"))
    if not challenge:
        return ""
    options: dict[str, Any] = {"challenge": challenge}
    rp_id = raw.get("rpId")
    if isinstance(rp_id, str) and 0 < len(rp_id) <= 253:
        options["rpId"] = rp_id.lower()
    timeout = raw.get("timeout")
    if isinstance(timeout, int) and not isinstance(timeout, bool) and 0 < timeout <= 600_000:
        options["timeout"] = timeout
    if raw.get("userVerification") in USER_VERIFICATION:
        options["userVerification"] = raw["userVerification"]
    credentials = []
    listed = raw.get("allowCredentials")
    for credential in listed[:MAX_CREDENTIALS] if isinstance(listed, list) else []:
        credential_id = _base64url(credential.get("id")) if isinstance(credential, dict) else None
        if credential_id:
            entry: dict[str, Any] = {"type": "public-key", "id": credential_id}
            transports = credential.get("transports")
            if isinstance(transports, list):
                entry["transports"] = [t for t in transports[:10] if isinstance(t, str) and len(t) <= 32]
            credentials.append(entry)
    options["allowCredentials"] = credentials
    return json.dumps(options, separators=(",", ":"))


def rp_id_of(options: str) -> str:
    """The RP ID the options name ("" when none: the browser then uses the page's own host)."""
    try:
        value = json.loads(options).get("rpId", "") if options else ""
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


def rp_id_fits(rp_id: str, host: str) -> bool:
    """Whether a browser on ``host`` (no port) may use ``rp_id``: the same host, or ``host`` under it
    (WebAuthn's "registrable domain suffix"; an IP address only for itself, and browsers refuse those)."""
    host = host.lower().rstrip(".")
    if not rp_id:
        return True  # the browser uses the page's own host
    rp_id = rp_id.lower().rstrip(".")
    if host == rp_id:
        return True
    labels = rp_id.split(".")
    return "." in rp_id and all(HOST_LABEL.match(label) for label in labels) and host.endswith("." + rp_id)


def _unreadable() -> SignOnError:
    return SignOnError("flow_bad_input", _("The passkey's answer could not be read."))


def _standard_base64(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_ASSERTION_LENGTH or not BASE64.match(value):
        raise _unreadable()
    text = value.replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _unreadable() from None
    return text


def assertion_body(origin: str, posted: list[str]) -> dict[str, Any]:
    """The ``assertion.check`` body: this site's ``origin`` and the authenticator's answer, checked and written
    again as PingOne's sample writes it (standard base64 text, as a JSON string)."""
    if len(posted) != 1 or not posted[0] or len(posted[0]) > MAX_ASSERTION_LENGTH:
        raise _unreadable()
    try:
        answer = json.loads(posted[0])
    except ValueError:
        answer = None
    response = answer.get("response") if isinstance(answer, dict) else None
    if not isinstance(answer, dict) or not isinstance(response, dict) or answer.get("type") != "public-key":
        raise _unreadable()
    credential_id = answer.get("id")
    if not isinstance(credential_id, str) or not credential_id or len(credential_id) > 2048:
        raise _unreadable()
    checked: dict[str, str] = {}
    for name in RESPONSE_FIELDS:
        value = response.get(name)
        if name == "userHandle" and value in (None, ""):
            continue
        checked[name] = _standard_base64(value)
    assertion = {
        "id": credential_id,
        "rawId": _standard_base64(answer.get("rawId", credential_id)),
        "type": "public-key",
        "response": checked,
    }
    return {"origin": origin, "assertion": json.dumps(assertion, separators=(",", ":")), "compatibility": "FULL"}
