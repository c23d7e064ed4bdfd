"""The stand-in's passkey registration page, ``/{envID}/passkeys/register`` (``passkey_registration_url``): what
PingOne's hosted pages do when a user adds a FIDO2 device, so that a person trying the demo can make a passkey
for a stand-in user in their own browser (tests may use Chromium's virtual authenticator the same way, or hand
the stand-in a key with ``add_passkey``).

GET: a username field and a button; the page's script asks for creation options (POST ``?step=options``
``{"username"}``: py_webauthn's ``generate_registration_options`` for ``passkey_rp_id``), runs
``navigator.credentials.create()`` and posts the credential (POST ``?step=verify``), which py_webauthn's
``verify_registration_response`` checks (challenge, RP ID, an accepted origin) before ``add_passkey``.
The page must be on the RP ID's host (``localhost``): WebAuthn refuses IP addresses.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from ..flows import PingOneAPIError
from ..server import Request, Response
from .passkeys import accepted_origin
from .protocol import first

if TYPE_CHECKING:
    from .environment import Environment

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Register a passkey</title></head><body>
<h1>Register a passkey</h1>
<p class="note">PingOne stand-in: make a passkey for a user of this environment.</p>
<p><label for="username">Username</label> <input id="username" value="__USERNAME__"></p>
<p><button type="button" id="register">Register a passkey</button></p>
<p id="result" role="status"></p>
<script>
(function () {
  "use strict";
  function bytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    return Uint8Array.from(atob(b64), function (c) { return c.charCodeAt(0); }).buffer;
  }
  function text(buffer) {
    return btoa(String.fromCharCode.apply(null, new Uint8Array(buffer)))
      .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  }
  function post(step, body) {
    return fetch("?step=" + step, {method: "POST", headers: {"Content-Type": "application/json"},
                                   body: JSON.stringify(body)}).then(function (r) { return r.json(); });
  }
  document.getElementById("register").addEventListener("click", function () {
    var username = document.getElementById("username").value, result = document.getElementById("result");
    post("options", {username: username}).then(function (o) {
      if (o.error) { throw new Error(o.error); }
      o.challenge = bytes(o.challenge);
      o.user.id = bytes(o.user.id);
      o.excludeCredentials = (o.excludeCredentials || []).map(function (c) { c.id = bytes(c.id); return c; });
      return navigator.credentials.create({publicKey: o});
    }).then(function (c) {
      return post("verify", {username: username, credential: {id: c.id, rawId: text(c.rawId), type: c.type,
        response: {clientDataJSON: text(c.response.clientDataJSON),
                   attestationObject: text(c.response.attestationObject)}}});
    }).then(function (r) {
      result.textContent = r.error ? "Not registered: " + r.error : "Registered a passkey for " + username + ".";
      result.className = r.error ? "failed" : "registered";
    }).catch(function (e) { result.textContent = "Not registered: " + e; result.className = "failed"; });
  });
})();
</script></body></html>
"""


def registration_page(env: Environment, request: Request) -> Response:
    from webauthn import generate_registration_options, options_to_json, verify_registration_response
    from webauthn.helpers.exceptions import InvalidJSONStructure, InvalidRegistrationResponse

    if request.method == "GET":
        username = (first(request.query, "username") or "").replace("&", "").replace('"', "").replace("<", "")
        return Response.html(200, PAGE.replace("__USERNAME__", username[:100]))
    try:
        body: Any = request.json()
        username = body["username"]
        user = env.users[username]
    except (KeyError, TypeError):
        return Response.json(400, {"error": "no such user"})
    step = first(request.query, "step")
    if step == "options":
        options = generate_registration_options(
            rp_id=env.passkey_rp_id, rp_name="PingOne stand-in", user_name=username, user_id=user.sub.encode()
        )
        env.registration_challenges[username] = options.challenge
        return Response.json(200, json.loads(options_to_json(options)))
    if step != "verify":
        raise PingOneAPIError(400, "INVALID_REQUEST", "step must be options or verify.")
    challenge = env.registration_challenges.pop(username, None)
    credential = body.get("credential") if isinstance(body, dict) else None
    try:
        if not isinstance(credential, dict):
            raise TypeError("no credential")
        client_data = json.loads(_decode(credential["response"]["clientDataJSON"]))
        origin = client_data["origin"]
        if challenge is None or not accepted_origin(env, origin):
            return Response.json(400, {"error": "no registration under way, or an origin the policy refuses"})
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=env.passkey_rp_id,
            expected_origin=origin,
        )
    except (InvalidRegistrationResponse, InvalidJSONStructure, KeyError, TypeError, ValueError) as exc:
        return Response.json(400, {"error": str(exc)[:200]})
    env.add_passkey(username, verified.credential_public_key, verified.credential_id)
    return Response.json(200, {"registered": username})


def _decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
