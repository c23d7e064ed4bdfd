"""The example site's settings plus a Content-Security-Policy on every response (the CSP browser test).

The policy comes from ``BROWSER_TEST_CSP`` (``tests/browser/conftest.py`` sets it).
"""

import os
from collections.abc import Callable

from demo.settings import *  # noqa: F403
from demo.settings import MIDDLEWARE
from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = os.environ["BROWSER_TEST_CSP"]

MIDDLEWARE = ["tests.browser.site_settings.content_security_policy", *MIDDLEWARE]


def content_security_policy(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[..., HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response

    return middleware
