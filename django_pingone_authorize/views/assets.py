"""The one script the app uses: it submits an auto-submitting form. Served from a view (not inline), so
the pages work under a Content-Security-Policy with ``script-src 'self'`` and no nonce; every such page
also has a visible button for browsers without script.
"""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

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
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", go);
  } else {
    go();
  }
})();
"""


@require_GET
@cache_control(public=True, max_age=86400)
def autosubmit_js(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(AUTOSUBMIT_JS, content_type="text/javascript; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return response
