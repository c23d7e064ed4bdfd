"""The app's scripts: one submits an auto-submitting form, the other signs on with a passkey (WebAuthn). Served
from views (not inline), so the pages work under a Content-Security-Policy with ``script-src 'self'`` and no
nonce; every such page also offers a way for browsers without script.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET


def _when_ready(start: str) -> str:
    """The end of a script: run ``start`` once the page is parsed, and close the script's function."""
    return (
        '  if (document.readyState === "loading") {\n'
        f'    document.addEventListener("DOMContentLoaded", {start});\n'
        "  } else {\n"
        f"    {start}();\n"
        "  }\n"
        "})();\n"
    )


def script_view(source: str) -> Callable[[HttpRequest], HttpResponse]:
    """A view serving ``source`` as a script, cached a day by browsers and proxies."""

    @require_GET
    @cache_control(public=True, max_age=86400)
    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse(source, content_type="text/javascript; charset=utf-8")
        response["X-Content-Type-Options"] = "nosniff"
        return response

    return view


AUTOSUBMIT_JS = """\
(function () {
  "use strict";
  function go() {
    var form = document.querySelector("form[data-pingone-autosubmit]");
    if (form && !form.dataset.submitted) {
      form.dataset.submitted = "1";
      form.submit();
    }
  }
""" + _when_ready("go")

autosubmit_js = script_view(AUTOSUBMIT_JS)


# ASSERTION_REQUIRED (flow/passkey.html): PingOne's request options (byte fields in base64url, from the page's
# JSON data block) to ``navigator.credentials.get()``, the answer (standard base64, as Ping's sample sends it)
# into the form, the form posted. No passkey, or cancelled: a message, the button to try again.
PASSKEY_JS = """\
(function () {
  "use strict";
  function toBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }
  function toText(buffer) {
    if (!buffer) { return ""; }
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw);
  }
  function options(data) {
    var publicKey = {challenge: toBytes(data.challenge)};
    if (data.rpId) { publicKey.rpId = data.rpId; }
    if (data.timeout) { publicKey.timeout = data.timeout; }
    if (data.userVerification) { publicKey.userVerification = data.userVerification; }
    publicKey.allowCredentials = (data.allowCredentials || []).map(function (c) {
      var d = {type: "public-key", id: toBytes(c.id)};
      if (c.transports && c.transports.length) { d.transports = c.transports; }
      return d;
    });
    return {publicKey: publicKey};
  }
  function start() {
    var form = document.getElementById("pingone-passkey");
    var data = document.getElementById("pingone-passkey-options");
    var button = document.getElementById("pingone-passkey-button");
    var failed = document.getElementById("pingone-passkey-failed");
    if (!form || !data || !button || !window.PublicKeyCredential || !navigator.credentials) {
      if (failed) { failed.hidden = false; }
      return;
    }
    var request = JSON.parse(data.textContent);
    var busy = false;
    function ask() {
      if (busy) { return; }
      busy = true;
      failed.hidden = true;
      navigator.credentials.get(options(request)).then(function (credential) {
        var r = credential.response;
        form.elements.assertion.value = JSON.stringify({
          id: credential.id,
          rawId: toText(credential.rawId),
          type: credential.type,
          response: {
            clientDataJSON: toText(r.clientDataJSON),
            authenticatorData: toText(r.authenticatorData),
            signature: toText(r.signature),
            userHandle: toText(r.userHandle)
          }
        });
        form.submit();
      }).catch(function () {
        busy = false;
        failed.hidden = false;
      });
    }
    button.hidden = false;
    button.addEventListener("click", ask);
    ask();
  }
""" + _when_ready("start")

passkey_js = script_view(PASSKEY_JS)
