"""The example site's settings with django-csp 4's middleware and a policy that restricts ``form-action`` to
the site itself (tests/browser/test_csp_merged.py): the app's pages must add PingOne to it, not replace it."""

from demo.settings import *  # noqa: F403
from demo.settings import MIDDLEWARE

MIDDLEWARE = [*MIDDLEWARE, "csp.middleware.CSPMiddleware"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
}
