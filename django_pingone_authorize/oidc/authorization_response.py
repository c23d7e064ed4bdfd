"""The authorization response (RFC 6749 §4.1.2, OIDC Core §3.1.2.5): the parameters PingOne sends back with
the browser (or in a ``pi.flow`` flow's resume answer), read and checked before the code is exchanged."""

from __future__ import annotations

from django.http import QueryDict
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.errors import ProviderError, SignOnError
from django_pingone_authorize.provider.discovery import ProviderMetadata
from django_pingone_authorize.provider.token_endpoint import MAX_CODE_LENGTH

# The authorization response parameters we read; each may appear at most once.
RESPONSE_PARAMS = ("code", "state", "iss", "error", "error_description", "error_uri", "session_state")
MAX_PARAM_LENGTH = 4096
# Claims that only the ID token may set; userinfo cannot override them.
PROTECTED_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "nbf", "nonce", "azp", "auth_time", "at_hash", "acr", "amr")


def response_params(data: QueryDict) -> dict[str, str]:
    """The authorization response, refusing repeated or oversized parameters (RFC 6749 §3.1)."""
    params: dict[str, str] = {}
    for name in RESPONSE_PARAMS:
        values = data.getlist(name)
        if len(values) > 1:
            raise SignOnError("repeated_parameter", _("The sign-on response was malformed."))
        if values:
            if len(values[0]) > MAX_PARAM_LENGTH:
                raise SignOnError("oversized_parameter", _("The sign-on response was malformed."))
            params[name] = values[0]
    return params


def check_state(params: dict[str, str], state: str) -> None:
    """A response fetched for one sign-on (a flow's resume) must carry that sign-on's ``state``."""
    if not constant_time_compare(params.get("state", ""), state):
        raise SignOnError("state_mismatch", _("The sign-on response did not match this sign-on."))


def check_issuer(config: AliasConfig, metadata: ProviderMetadata, iss: str | None) -> None:
    """RFC 9207: ``iss`` must be our issuer exactly; required when the issuer says it sends it."""
    if iss is None:
        required = config.REQUIRE_ISS is True or (config.REQUIRE_ISS == "auto" and metadata.iss_parameter_supported)
        if required:
            raise SignOnError("iss_missing", _("The sign-on response did not say which provider sent it."))
        return
    if not constant_time_compare(iss, metadata.issuer):
        raise SignOnError("iss_mismatch", _("The sign-on response came from an unexpected provider."))


def check_error(params: dict[str, str]) -> None:
    """An error response (the user cancelled, a policy refused) ends the sign-on with the provider's words."""
    if "error" in params:
        raise ProviderError(
            "authorization_error",
            _("The sign-on was not completed.")
            if params["error"] != "access_denied"
            else _("The sign-on was cancelled."),
            error=params["error"][:100],
            description=params.get("error_description", "")[:500],
            status=403 if params["error"] == "access_denied" else 400,
        )


def authorization_code(params: dict[str, str]) -> str:
    """The code, if it can be one (a short printable string)."""
    code = params.get("code")
    if not code or len(code) > MAX_CODE_LENGTH or not code.isprintable():
        raise SignOnError("code_missing", _("The sign-on response carried no usable code."))
    return code
