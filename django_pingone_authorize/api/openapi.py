"""drf-spectacular: ``PingOneTokenAuthentication`` in the OpenAPI schema (``pip install
django-pingone-authorize[openapi]``).

The security scheme is HTTP bearer with ``bearerFormat: JWT`` (PingOne access tokens are RFC 9068 JWTs), and
each operation's requirement lists the scopes its ``HasScope`` permissions ask for. drf-spectacular finds the
extension once this module is imported: the app's ``ready()`` does so when drf-spectacular is installed.
Only this module imports drf-spectacular. (django-ninja needs nothing: ``PingOneBearer`` describes itself.)
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from django_pingone_authorize.api.drf import HasScope

__all__ = ["PingOneTokenScheme"]

SCHEME_NAME = "PingOneToken"


class PingOneTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[misc,no-untyped-call,unused-ignore]
    target_class = "django_pingone_authorize.api.drf.PingOneTokenAuthentication"
    name = SCHEME_NAME
    match_subclasses = True

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A PingOne access token (a JWT signed by the PingOne environment).",
        }

    def get_security_requirement(self, auto_schema: Any) -> dict[str, list[str]]:
        view = getattr(auto_schema, "view", None)
        permissions = view.get_permissions() if view is not None and hasattr(view, "get_permissions") else []
        scopes = dict.fromkeys(
            scope for permission in permissions if isinstance(permission, HasScope) for scope in permission.scopes
        )
        return {self.name: list(scopes)}
