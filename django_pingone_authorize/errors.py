"""Why a sign-on stopped. Every failure is one of these, shown as a 4xx/5xx page and logged without secrets.

Messages are shown to visitors, so they are translatable (``gettext_lazy``: they are built at import time or
before the request's language is known, and translated when the page is rendered). Logs carry the ``reason``
code, never the translated message.
"""

from __future__ import annotations

from django.utils.encoding import force_str
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# PingOne could not be reached (503) or answered something unusable (502): the site is fine, PingOne is not.
# A ProviderError with one of these reasons gets that status unless it names its own.
PROVIDER_DOWN_STATUS: dict[str, int] = {
    "provider_unreachable": 503,
    "provider_timeout": 503,
    "provider_unavailable": 503,  # the circuit breaker is open
    "provider_server_error": 502,
    "provider_bad_response": 502,
    "provider_redirected": 502,
}
PROVIDER_DOWN_MESSAGE = _(
    "PingOne, the sign-on service, cannot be reached right now. Please try again in a few minutes."
)

# A sign-on the visitor (or PingOne on their behalf) cancelled: not a failure to alarm anyone about.
CANCELLED_REASONS = frozenset({"cancelled"})
CANCELLED_PROVIDER_ERRORS = frozenset({"access_denied"})


class SignOnError(Exception):
    """A sign-on that cannot go on.

    ``reason`` is a short stable code (for logs, signals and templates); ``message`` is safe to show the
    user, and may be a lazy translation. ``status`` is the HTTP status of the error page.
    """

    status = 400

    def __init__(self, reason: str, message: str | Promise, *, status: int | None = None) -> None:
        super().__init__(reason, message)
        self.reason = reason
        self.message = message
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        # Rendered when asked (a lazy message in the language active then), never at construction.
        return f"{self.reason}: {force_str(self.message)}"

    @property
    def cancelled(self) -> bool:
        """Whether the visitor cancelled (or PingOne answered ``access_denied``): a neutral page, not an alarm."""
        return self.reason in CANCELLED_REASONS

    @property
    def provider_down(self) -> bool:
        """Whether PingOne could not be reached or answered nothing usable (a 502/503 page)."""
        return False


class ProviderError(SignOnError):
    """PingOne (or the OpenID Provider) answered something we cannot use, or did not answer."""

    def __init__(
        self,
        reason: str,
        message: str | Promise,
        *,
        error: str = "",
        description: str = "",
        status: int | None = None,
    ) -> None:
        super().__init__(reason, message, status=status if status is not None else PROVIDER_DOWN_STATUS.get(reason))
        # An OAuth error code and description the provider sent, if any (never a token or a code).
        self.error = error
        self.description = description

    @property
    def cancelled(self) -> bool:
        return super().cancelled or self.error in CANCELLED_PROVIDER_ERRORS

    @property
    def provider_down(self) -> bool:
        return self.reason in PROVIDER_DOWN_STATUS


def provider_down(reason: str) -> ProviderError:
    """PingOne could not be reached or answered nothing usable: a 502/503 page saying so, whatever the call."""
    return ProviderError(reason, PROVIDER_DOWN_MESSAGE)


NOT_VERIFIED_MESSAGE = _("The sign-on response could not be verified.")


class TokenValidationError(SignOnError):
    """The ID token (or userinfo response) failed a check of OIDC Core §3.1.3.7."""

    def __init__(self, reason: str, message: str | Promise | None = None) -> None:
        super().__init__(reason, NOT_VERIFIED_MESSAGE if message is None else message)


def database_unavailable() -> SignOnError:
    """The site's own database could not answer (e.g. SQLite's "database is locked"): a 503, not a 500."""
    return SignOnError(
        "database_unavailable", _("The site cannot sign you on right now. Please try again in a moment."), status=503
    )


# -- what may go into a log line from outside: text from PingOne or from a request, printable and short


def printable(text: object, limit: int = 200) -> str:
    """``text`` cut to ``limit`` characters, each line break or control character replaced by ``?``.

    Error codes, descriptions and URLs may come from a callback's query or a discovery document: no forged
    log lines.
    """
    value = text if isinstance(text, str) else "" if text is None else str(text)
    return "".join(ch if ch.isprintable() else "?" for ch in value[:limit])
